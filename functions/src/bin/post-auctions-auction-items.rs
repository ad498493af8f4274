//! Lambda entry point of `POST /auctions/{auctionId}/items`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::catalog::items::post_auctions_auction_items(&state, request)
    })
    .await
}
