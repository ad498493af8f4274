//! Lambda entry point of `GET /me/offers`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::lifecycle::offers::get_me_offers(&state, request))
        .await
}
