//! Lambda entry point of `POST /auctions/join`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::catalog::join::post_auctions_join(&state, request))
        .await
}
