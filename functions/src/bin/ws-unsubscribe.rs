//! Lambda entry point of the WebSocket route `unsubscribe`.

use functions::realtime::socket::serve_socket;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    serve_socket(|request| functions::realtime::subscription::ws_unsubscribe(&state, request)).await
}
