//! Lambda entry point of `POST /me/notifications/read-all`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::realtime::notifications::post_me_notifications_read_all(&state, request)
    })
    .await
}
