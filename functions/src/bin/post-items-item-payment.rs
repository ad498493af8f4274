//! Lambda entry point of `POST /items/{itemId}/payment`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::lifecycle::payments::post_items_item_payment(&state, request)
    })
    .await
}
