//! Lambda entry point of `POST /auctions/{auctionId}/check-in`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::catalog::checkin::post_auctions_auction_check_in(&state, request)
    })
    .await
}
