//! Lambda entry point of `DELETE /me/sessions/{sessionId}`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::identity::my_sessions::delete_me_sessions_session(&state, request)
    })
    .await
}
