//! Lambda entry point of `POST /realtime/tickets`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    if state.config.realtime.websocket_url.is_none() {
        return Err("WEBSOCKET_URL is not set; the ticket function cannot start".into());
    }
    shared::http::serve(|request| {
        functions::realtime::tickets::post_realtime_tickets(&state, request)
    })
    .await
}
