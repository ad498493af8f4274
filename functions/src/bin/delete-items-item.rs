//! Lambda entry point of `DELETE /items/{itemId}`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::catalog::edit::delete_items_item(&state, request))
        .await
}
