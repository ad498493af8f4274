//! Lambda entry point of `PUT /items/{itemId}/live-winner`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::lifecycle::live::put_items_item_live_winner(&state, request)
    })
    .await
}
