//! Lambda entry point of `POST /auth/logout`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::identity::logout::post_auth_logout(&state, request))
        .await
}
