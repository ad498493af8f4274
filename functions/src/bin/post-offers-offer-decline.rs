//! Lambda entry point of `POST /offers/{offerId}/decline`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::lifecycle::offers::post_offers_offer_decline(&state, request)
    })
    .await
}
