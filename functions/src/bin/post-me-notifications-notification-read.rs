//! Lambda entry point of `POST /me/notifications/{notificationId}/read`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::realtime::notifications::post_me_notifications_notification_read(&state, request)
    })
    .await
}
