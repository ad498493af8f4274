//! Lambda entry point of `POST /auctions/{auctionId}/phase`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::catalog::phase::post_auctions_auction_phase(&state, request)
    })
    .await
}
