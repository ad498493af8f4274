//! Lambda entry point of `GET /me/totals`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::bidding::mine::get_me_totals(&state, request)).await
}
