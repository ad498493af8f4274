//! Lambda entry point of `PATCH /auctions/{auctionId}`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::catalog::edit::patch_auctions_auction(&state, request))
        .await
}
