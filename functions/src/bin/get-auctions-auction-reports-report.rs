//! Lambda entry point of `GET /auctions/{auctionId}/reports/{report}`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::lifecycle::reports::get_auctions_auction_reports_report(&state, request)
    })
    .await
}
