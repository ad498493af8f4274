//! Lambda entry point of `PATCH /items/{itemId}`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::catalog::edit::patch_items_item(&state, request)).await
}
