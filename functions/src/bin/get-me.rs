//! Lambda entry point of `GET /me`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::identity::me::get_me(&state, request)).await
}
