//! Lambda entry point of `POST /items/{itemId}/buy-now`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::bidding::buy_now::post_items_item_buy_now(&state, request)
    })
    .await
}
