//! Lambda entry point of `POST /auth/register`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::identity::register::post_auth_register(&state, request)
    })
    .await
}
