//! Lambda entry point of `GET /me/notifications`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::realtime::notifications::get_me_notifications(&state, request)
    })
    .await
}
