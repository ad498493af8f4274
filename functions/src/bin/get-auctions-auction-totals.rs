//! Lambda entry point of `GET /auctions/{auctionId}/totals`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::bidding::totals::get_auctions_auction_totals(&state, request)
    })
    .await
}
