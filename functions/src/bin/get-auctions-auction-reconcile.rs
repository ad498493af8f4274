//! Lambda entry point of `GET /auctions/{auctionId}/reconcile`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::bidding::reconcile::get_auctions_auction_reconcile(&state, request)
    })
    .await
}
