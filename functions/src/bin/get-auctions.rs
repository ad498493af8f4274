//! Lambda entry point of `GET /auctions`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::catalog::listing::get_auctions(&state, request)).await
}
