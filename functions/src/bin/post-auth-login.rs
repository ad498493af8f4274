//! Lambda entry point of `POST /auth/login`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::identity::login::post_auth_login(&state, request))
        .await
}
