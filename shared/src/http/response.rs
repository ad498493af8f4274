//! Building responses and running a route's handler on Lambda.

use std::convert::Infallible;
use std::future::Future;

use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Request, Response, service_fn};
use serde::Serialize;

use super::problem::ApiError;

/// A JSON response with `status`.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Result<Response<Body>, ApiError> {
    let body = serde_json::to_string(value).map_err(|e| {
        ApiError::Unexpected(anyhow::Error::new(e).context("serialising a response"))
    })?;
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Text(body))
        .map_err(|e| ApiError::Unexpected(anyhow::Error::new(e).context("building a response")))
}

/// `204 No Content`.
pub fn no_content() -> Result<Response<Body>, ApiError> {
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::Empty)
        .map_err(|e| ApiError::Unexpected(anyhow::Error::new(e).context("building a response")))
}

/// Runs `handler` for every request of this function, answering its errors as problem+json.
pub async fn serve<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Request) -> Fut + Sync,
    Fut: Future<Output = Result<Response<Body>, ApiError>> + Send,
{
    let handler = &handler;
    lambda_http::run(service_fn(move |request: Request| async move {
        Ok::<_, Infallible>(
            handler(request)
                .await
                .unwrap_or_else(ApiError::into_response),
        )
    }))
    .await
}
