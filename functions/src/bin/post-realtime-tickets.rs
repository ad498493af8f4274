//! Lambda entry point of `POST /realtime/tickets`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::realtime::tickets::post_realtime_tickets(&state, request)
    })
    .await
}
