//! Lambda entry point of `POST /items/{itemId}/pickup`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::lifecycle::pickup::post_items_item_pickup(&state, request)
    })
    .await
}
