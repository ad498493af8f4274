//! Lambda entry point of `GET /items/{itemId}/bids`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::bidding::bids::get_items_item_bids(&state, request))
        .await
}
