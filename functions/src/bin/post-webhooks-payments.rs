//! Lambda entry point of `POST /webhooks/payments`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::lifecycle::payments::post_webhooks_payments(&state, request)
    })
    .await
}
