//! Lambda entry point of `GET /auctions/{auctionId}/members`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::catalog::members::get_auctions_auction_members(&state, request)
    })
    .await
}
