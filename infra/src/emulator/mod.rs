//! The local emulator of the AWS services the functions run under: API Gateway's HTTP and
//! WebSocket APIs in front of Lambda, which runs the real function binaries. Nothing in the
//! functions knows it is local: they get the events and the Runtime API that AWS gives them.

pub mod http_api;
pub mod lambda;
pub mod reload;
pub mod routes;
pub mod streams;
pub mod ttl;
pub mod websocket;
pub mod websocket_routes;
