//! Lambda entry point of `PATCH /me`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::identity::me::patch_me(&state, request)).await
}
