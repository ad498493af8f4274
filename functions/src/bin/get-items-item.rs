//! Lambda entry point of `GET /items/{itemId}`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::catalog::items::get_items_item(&state, request)).await
}
