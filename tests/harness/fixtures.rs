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

/// A request as API Gateway (HTTP API, payload 2.0) delivers it: `method` on the route
/// `route` (`/me/sessions/{sessionId}`, optionally with a query: `/auctions?status=open`) with
/// its path parameters, an optional JSON body and bearer token.
pub fn api_request(
    method: &str,
    route: &str,
    parameters: &[(&str, &str)],
    body: Option<&serde_json::Value>,
    token: Option<&str>,
) -> anyhow::Result<Request> {
    let (route, query) = route.split_once('?').unwrap_or((route, ""));
    let query_parameters: serde_json::Map<String, serde_json::Value> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name.to_string(), serde_json::Value::from(value)))
        .collect();
    let path = parameters
        .iter()
        .fold(route.to_string(), |path, (name, value)| {
            path.replace(&format!("{{{name}}}"), value)
        });
    let path_parameters: serde_json::Map<String, serde_json::Value> = parameters
        .iter()
        .map(|(name, value)| (name.to_string(), serde_json::Value::from(*value)))
        .collect();
    let mut headers = serde_json::json!({
        "accept": "application/json",
        "host": "abc123.execute-api.us-east-1.amazonaws.com",
        "user-agent": "integration-tests",
        "x-forwarded-for": "203.0.113.7",
    });
    if body.is_some() {
        headers["content-type"] = "application/json".into();
    }
    if let Some(token) = token {
        headers["authorization"] = format!("Bearer {token}").into();
    }
    let event = serde_json::json!({
        "version": "2.0",
        "routeKey": format!("{method} {route}"),
        "rawPath": path,
        "pathParameters": path_parameters,
        "rawQueryString": query,
        "queryStringParameters": query_parameters,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "integration-tests"
            },
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": format!("{method} {route}"),
            "stage": "$default",
            "time": "21/Nov/2026:09:00:00 +0000",
            "timeEpoch": 1795251600000_i64
        },
        "body": body.map(|b| b.to_string()),
        "isBase64Encoded": false
    });
    lambda_http::request::from_str(&event.to_string()).context("building an API Gateway event")
}
