//! Lambda entry point of `PATCH /auctions/{auctionId}/members/{userId}`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::catalog::members::patch_auctions_auction_members_user(&state, request)
    })
    .await
}
