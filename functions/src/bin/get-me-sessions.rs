//! Lambda entry point of `GET /me/sessions`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::identity::my_sessions::get_me_sessions(&state, request)
    })
    .await
}
