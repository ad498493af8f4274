//! Lambda entry point of the WebSocket route `ping`.

use functions::realtime::socket::serve_socket;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    serve_socket(functions::realtime::messages::ws_ping).await
}
