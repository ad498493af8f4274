//! API Gateway's HTTP API, locally: routes a request to its function as the deployed API does
//! (payload format 2.0), and answers what API Gateway answers itself (no route, a body over
//! the 10 MB quota, a CORS preflight) in the contract's problem+json.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use serde_json::{Map, Value, json};
use shared::http::Problem;
use tokio::net::TcpListener;

use super::lambda::Lambda;
use super::routes::{Cors, HttpApi, Resolution, Route};

/// API Gateway's payload quota for HTTP APIs.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// The HTTP API in front of the functions.
pub struct HttpFront {
    api: HttpApi,
    lambda: Arc<Lambda>,
}

impl HttpFront {
    pub fn new(api: HttpApi, lambda: Arc<Lambda>) -> Arc<Self> {
        Arc::new(Self { api, lambda })
    }

    /// Serves connections until the process ends.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            let front = self.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let front = front.clone();
                    async move { Ok::<_, Infallible>(front.handle(request, peer).await) }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    }

    async fn handle(&self, request: Request<Incoming>, peer: SocketAddr) -> Response<Full<Bytes>> {
        let started = std::time::Instant::now();
        let origin = request.headers().get(header::ORIGIN).cloned();
        let resolution = self
            .api
            .resolve(request.method().as_str(), request.uri().path());
        // The access log names the route's template, never the path: paths hold user ids.
        let route = match &resolution {
            Resolution::Found { route, .. } => route.key(),
            _ => format!("{} (no route)", request.method()),
        };
        let mut response = self.route(request, resolution, peer).await;
        if let (Some(cors), Some(_)) = (&self.api.cors, origin) {
            cors.decorate(response.headers_mut());
        }
        tracing::info!(
            route = %route,
            status = response.status().as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "request"
        );
        response
    }

    async fn route(
        &self,
        request: Request<Incoming>,
        resolution: Resolution<'_>,
        peer: SocketAddr,
    ) -> Response<Full<Bytes>> {
        let method = request.method().as_str().to_string();
        let path = request.uri().path().to_string();
        if let Some(cors) = &self.api.cors
            && method == "OPTIONS"
            && request
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        {
            return cors.preflight();
        }
        let (route, parameters) = match resolution {
            Resolution::Found { route, parameters } => (route, parameters),
            Resolution::NotFound => {
                return problem(
                    StatusCode::NOT_FOUND,
                    "NOT_FOUND",
                    format!("No route matches {method} {path}."),
                );
            }
            Resolution::MethodNotAllowed(allowed) => {
                let allow = allowed.into_iter().collect::<Vec<_>>().join(", ");
                let mut response = problem(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "METHOD_NOT_ALLOWED",
                    format!("{path} does not accept {method}; it accepts {allow}."),
                );
                if let Ok(value) = HeaderValue::from_str(&allow) {
                    response.headers_mut().insert(header::ALLOW, value);
                }
                return response;
            }
        };
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
            return too_large();
        }
        let (parts, body) = request.into_parts();
        let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(error) if error.is::<http_body_util::LengthLimitError>() => return too_large(),
            Err(_) => {
                return problem(
                    StatusCode::BAD_REQUEST,
                    "MALFORMED_REQUEST",
                    "The request body could not be read.".into(),
                );
            }
        };
        let event = api_gateway_event(route, parameters, &parts, &body, peer);
        let payload = Bytes::from(event.to_string());
        match self.lambda.invoke(&route.function, payload).await {
            Ok(result) => function_response(&result).unwrap_or_else(|| {
                tracing::error!(function = %route.function, "the function's result is not an HTTP response");
                internal_error()
            }),
            Err(error) => {
                tracing::error!(function = %route.function, error = %error, "invocation failed");
                internal_error()
            }
        }
    }
}

/// The event API Gateway sends a Lambda integration (payload format version 2.0).
fn api_gateway_event(
    route: &Route,
    parameters: BTreeMap<String, String>,
    parts: &hyper::http::request::Parts,
    body: &Bytes,
    peer: SocketAddr,
) -> Value {
    let mut headers = Map::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == header::COOKIE {
            cookies.extend(value.split(';').map(|c| c.trim().to_string()));
            continue;
        }
        match headers.get_mut(name.as_str()) {
            Some(Value::String(joined)) => {
                joined.push(',');
                joined.push_str(&value);
            }
            _ => {
                headers.insert(name.as_str().to_string(), Value::String(value));
            }
        }
    }
    let source_ip = peer.ip().to_string();
    headers
        .entry("x-forwarded-for")
        .or_insert_with(|| Value::String(source_ip.clone()));
    headers
        .entry("x-forwarded-proto")
        .or_insert_with(|| Value::String("http".into()));
    let raw_query = parts.uri.query().unwrap_or_default();
    let mut query = Map::new();
    for (name, value) in form_urlencoded::parse(raw_query.as_bytes()) {
        match query.get_mut(name.as_ref()) {
            Some(Value::String(joined)) => {
                joined.push(',');
                joined.push_str(&value);
            }
            _ => {
                query.insert(name.into_owned(), Value::String(value.into_owned()));
            }
        }
    }
    let (body, is_base64) = match std::str::from_utf8(body) {
        _ if body.is_empty() => (Value::Null, false),
        Ok(text) => (Value::String(text.to_string()), false),
        Err(_) => (Value::String(BASE64.encode(body)), true),
    };
    let now = chrono::Utc::now();
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let optional = |map: Map<String, Value>| {
        if map.is_empty() {
            Value::Null
        } else {
            Value::Object(map)
        }
    };
    let parameters: Map<String, Value> = parameters
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    json!({
        "version": "2.0",
        "routeKey": route.key(),
        "rawPath": parts.uri.path(),
        "rawQueryString": raw_query,
        "cookies": if cookies.is_empty() { Value::Null } else { json!(cookies) },
        "headers": headers,
        "queryStringParameters": optional(query),
        "pathParameters": optional(parameters),
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split('.').next().unwrap_or_default(),
            "http": {
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
                "protocol": format!("{:?}", parts.version),
                "sourceIp": source_ip,
                "userAgent": user_agent,
            },
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": route.key(),
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "timeEpoch": now.timestamp_millis(),
        },
        "body": body,
        "isBase64Encoded": is_base64,
    })
}

/// The HTTP response a function's result describes (`statusCode`, `headers`, `cookies`,
/// `body`, `isBase64Encoded`); a result without `statusCode` is a `200` JSON body, as API
/// Gateway reads payload format 2.0.
fn function_response(result: &[u8]) -> Option<Response<Full<Bytes>>> {
    let value: Value = serde_json::from_slice(result).ok()?;
    let Some(status) = value.get("statusCode").and_then(Value::as_u64) else {
        let mut response = Response::new(Full::new(Bytes::copy_from_slice(result)));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return Some(response);
    };
    let body = match value.get("body") {
        Some(Value::String(text)) if value["isBase64Encoded"] == Value::Bool(true) => {
            BASE64.decode(text).ok()?
        }
        Some(Value::String(text)) => text.clone().into_bytes(),
        _ => Vec::new(),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = StatusCode::from_u16(u16::try_from(status).ok()?).ok()?;
    let headers = response.headers_mut();
    for (name, values) in value
        .get("multiValueHeaders")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for single in values.as_array().into_iter().flatten() {
            append(headers, name, single);
        }
    }
    for (name, single) in value
        .get("headers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if !headers.contains_key(name.as_str()) {
            append(headers, name, single);
        }
    }
    for cookie in value
        .get("cookies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        append(headers, header::SET_COOKIE.as_str(), cookie);
    }
    Some(response)
}

fn append(headers: &mut HeaderMap, name: &str, value: &Value) {
    let (Ok(name), Some(Ok(value))) = (
        HeaderName::try_from(name),
        value.as_str().map(HeaderValue::from_str),
    ) else {
        return;
    };
    headers.append(name, value);
}

fn problem(status: StatusCode, code: &str, detail: String) -> Response<Full<Bytes>> {
    let problem = Problem {
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        detail,
        code: code.to_string(),
        extensions: Map::new(),
    };
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

fn too_large() -> Response<Full<Bytes>> {
    problem(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        format!(
            "The request body exceeds the API's limit of {} MB.",
            MAX_BODY_BYTES / 1024 / 1024
        ),
    )
}

/// What a client sees when a function fails; the cause is in the emulator's log.
fn internal_error() -> Response<Full<Bytes>> {
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL_ERROR",
        "Something went wrong on our side.".into(),
    )
}

impl Cors {
    /// API Gateway answers a preflight itself, from the API's CORS configuration.
    fn preflight(&self) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::NO_CONTENT;
        let headers = response.headers_mut();
        self.decorate(headers);
        for (name, value) in [
            (
                header::ACCESS_CONTROL_ALLOW_METHODS,
                self.allow_methods.join(","),
            ),
            (
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                self.allow_headers.join(","),
            ),
            (header::ACCESS_CONTROL_MAX_AGE, self.max_age.to_string()),
        ] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        response
    }

    /// The headers every response to a cross-origin request carries.
    fn decorate(&self, headers: &mut HeaderMap) {
        for (name, value) in [
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                self.allow_origins.join(","),
            ),
            (
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                self.expose_headers.join(","),
            ),
        ] {
            if let Ok(value) = HeaderValue::from_str(&value)
                && !value.is_empty()
            {
                headers.insert(name, value);
            }
        }
    }
}
