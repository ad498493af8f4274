//! Lambda entry point of `POST /items/{itemId}/bids`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::bidding::bids::post_items_item_bids(&state, request))
        .await
}
