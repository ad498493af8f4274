//! Lambda entry point of the WebSocket route `$disconnect`.

use functions::realtime::socket::serve_socket;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    serve_socket(|request| functions::realtime::connection::ws_disconnect(&state, request)).await
}
