//! Lambda entry point of `GET /auctions/{auctionId}/audit`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::catalog::audit::get_auctions_auction_audit(&state, request)
    })
    .await
}
