//! Lambda entry point of `GET /groups`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::identity::groups::get_groups(&state, request)).await
}
