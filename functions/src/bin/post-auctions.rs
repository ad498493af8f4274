//! Lambda entry point of `POST /auctions`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::catalog::auctions::post_auctions(&state, request))
        .await
}
