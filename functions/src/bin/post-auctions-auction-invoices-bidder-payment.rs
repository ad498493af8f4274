//! Lambda entry point of `POST /auctions/{auctionId}/invoices/{bidderId}/payment`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::lifecycle::invoices::post_auctions_auction_invoices_bidder_payment(
            &state, request,
        )
    })
    .await
}
