//! Requests exactly as API Gateway (HTTP API, payload 2.0) sends them to a function.

use anyhow::Context;
use lambda_http::{Body, Request, Response};

use super::local_dynamo::repo_root;

/// The request of `tests/fixtures/<name>.json`.
pub fn request(name: &str) -> anyhow::Result<Request> {
    let path = repo_root()
        .join("tests/fixtures")
        .join(format!("{name}.json"));
    let event =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    lambda_http::request::from_str(&event)
        .with_context(|| format!("{} is not an API Gateway event", path.display()))
}

/// A response body parsed as JSON.
pub fn body_json(response: &Response<Body>) -> anyhow::Result<serde_json::Value> {
    let bytes: &[u8] = match response.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => b"null",
    };
    serde_json::from_slice(bytes).context("the response body is not JSON")
}
