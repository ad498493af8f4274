//! Lambda entry point of `POST /auth/refresh`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::identity::refresh::post_auth_refresh(&state, request))
        .await
}
