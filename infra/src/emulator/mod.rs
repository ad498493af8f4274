//! The local emulator of the AWS services the functions run under: API Gateway's HTTP and
//! WebSocket APIs in front of Lambda, which runs the real function binaries; the DynamoDB
//! stream triggers and TTL; EventBridge Scheduler and an EventBridge bus. Nothing in the
//! functions knows it is local: they get the events and the Runtime API that AWS gives them.

pub mod events;
pub mod http_api;
pub mod lambda;
pub mod reload;
pub mod routes;
pub mod s3_post;
pub mod scheduler;
pub mod services;
pub mod streams;
pub mod ttl;
pub mod websocket;
pub mod websocket_routes;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use tokio::net::TcpListener;

/// Serves HTTP/1.1 on `listener` with `handle` until the process ends; with `upgrades`, a
/// response may hand the connection over (the WebSocket front's `101`).
pub async fn serve_http<F, Fut>(listener: TcpListener, upgrades: bool, handle: F)
where
    F: Fn(Request<Incoming>, SocketAddr) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        let handle = handle.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let handle = handle.clone();
                async move { Ok::<_, Infallible>(handle(request, peer).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let _ = if upgrades {
                connection.with_upgrades().await
            } else {
                connection.await
            };
        });
    }
}

/// Why a request body was not read.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyError {
    /// It is larger than the limit.
    TooLarge,
    /// The client broke off or sent something that is not HTTP.
    Unreadable,
}

/// A request body of at most `limit` bytes.
pub async fn read_body(body: Incoming, limit: usize) -> Result<Bytes, BodyError> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => Err(BodyError::TooLarge),
        Err(_) => Err(BodyError::Unreadable),
    }
}

/// An AWS service's error answer: JSON `body`, the error's name in `x-amzn-ErrorType` (which
/// is how the SDKs tell `GoneException` from `ResourceNotFoundException`).
pub fn aws_error(
    status: hyper::StatusCode,
    kind: &'static str,
    body: serde_json::Value,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        "x-amzn-errortype",
        hyper::header::HeaderValue::from_static(kind),
    );
    response
}
