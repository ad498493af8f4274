//! Lambda entry point of `DELETE /auctions/{auctionId}`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::catalog::edit::delete_auctions_auction(&state, request)
    })
    .await
}
