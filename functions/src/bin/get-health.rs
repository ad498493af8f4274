//! Lambda entry point of `GET /health`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::platform::health::get_health(&state, request)).await
}
