//! Lambda entry point of `DELETE /bids/{bidId}`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::bidding::removal::delete_bids_bid(&state, request))
        .await
}
