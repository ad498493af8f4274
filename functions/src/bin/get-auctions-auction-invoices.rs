//! Lambda entry point of `GET /auctions/{auctionId}/invoices`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::lifecycle::invoices::get_auctions_auction_invoices(&state, request)
    })
    .await
}
