//! Lambda entry point of `GET /me/export`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::identity::export::get_me_export(&state, request)).await
}
