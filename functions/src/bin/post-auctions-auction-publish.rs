//! Lambda entry point of `POST /auctions/{auctionId}/publish`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::catalog::publish::post_auctions_auction_publish(&state, request)
    })
    .await
}
