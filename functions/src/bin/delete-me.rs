//! Lambda entry point of `DELETE /me`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::identity::purge::delete_me(&state, request)).await
}
