//! Lambda entry point of `POST /bids/{bidId}/restore`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::bidding::removal::post_bids_bid_restore(&state, request)
    })
    .await
}
