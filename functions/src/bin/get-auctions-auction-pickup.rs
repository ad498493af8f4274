//! Lambda entry point of `GET /auctions/{auctionId}/pickup`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::lifecycle::pickup::get_auctions_auction_pickup(&state, request)
    })
    .await
}
