//! API Gateway's HTTP API, locally: routes a request to its function as the deployed API does
//! (payload format 2.0), and answers what API Gateway answers itself (no route, a body over
//! the 10 MB quota, a CORS preflight) in the contract's problem+json. The same port serves
//! Lambda's Invoke API, as `cargo lambda watch` does, so tests can invoke a function that no
//! route reaches (a stream trigger, with a crafted batch).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use serde_json::{Map, Value, json};
use shared::http::Problem;
use tokio::net::TcpListener;

use super::lambda::{InvokeError, Lambda};
use super::routes::{Cors, HttpApi, Resolution, Route};
use super::{BodyError, aws_error, read_body, serve_http};

/// API Gateway's payload quota for HTTP APIs.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// Lambda's quota for a synchronous invocation's payload.
pub const MAX_INVOKE_BYTES: usize = 6 * 1024 * 1024;

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
        serve_http(listener, false, move |request, peer| {
            let front = self.clone();
            async move { front.handle(request, peer).await }
        })
        .await;
    }

    async fn handle(&self, request: Request<Incoming>, peer: SocketAddr) -> Response<Full<Bytes>> {
        let started = std::time::Instant::now();
        if request.method() == hyper::Method::POST
            && let Some(function) = invocation_target(request.uri().path())
        {
            let response = self.invoke_api(request, &function).await;
            tracing::info!(
                route = "POST /2015-03-31/functions/{FunctionName}/invocations",
                function = %function,
                status = response.status().as_u16(),
                ms = started.elapsed().as_millis() as u64,
                "request"
            );
            return response;
        }
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
        let body = match read_body(body, MAX_BODY_BYTES).await {
            Ok(body) => body,
            Err(BodyError::TooLarge) => return too_large(),
            Err(BodyError::Unreadable) => {
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

impl HttpFront {
    /// Lambda's `Invoke`: `RequestResponse` (the default) answers the function's result,
    /// `Event` answers 202 at once, `DryRun` 204.
    async fn invoke_api(
        &self,
        request: Request<Incoming>,
        function: &str,
    ) -> Response<Full<Bytes>> {
        let invocation_type = request
            .headers()
            .get("x-amz-invocation-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("RequestResponse")
            .to_string();
        let payload = match read_body(request.into_body(), MAX_INVOKE_BYTES).await {
            Ok(payload) => payload,
            Err(BodyError::TooLarge) => {
                return lambda_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "RequestTooLargeException",
                    format!(
                        "Request must be smaller than {MAX_INVOKE_BYTES} bytes for the InvokeFunction operation"
                    ),
                );
            }
            Err(BodyError::Unreadable) => {
                return lambda_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequestContentException",
                    "The request body could not be read".into(),
                );
            }
        };
        if !self.api.functions.iter().any(|f| f.name == function) {
            return function_not_found(function);
        }
        match invocation_type.as_str() {
            "DryRun" => return empty_response(StatusCode::NO_CONTENT),
            "Event" => {
                let lambda = self.lambda.clone();
                let function = function.to_string();
                tokio::spawn(async move {
                    if let Err(error) = lambda.invoke(&function, payload).await {
                        tracing::error!(function = %function, error = %error, "asynchronous invocation failed");
                    }
                });
                return empty_response(StatusCode::ACCEPTED);
            }
            _ => {}
        }
        let result = self.lambda.invoke(function, payload).await;
        if let Err(error) = &result {
            tracing::error!(function = %function, error = %error, "invocation failed");
        }
        invocation_response(function, result)
    }
}

/// The function `POST /2015-03-31/functions/{FunctionName}/invocations` names: its name,
/// `name:qualifier` or its ARN, percent-encoded or not.
fn invocation_target(path: &str) -> Option<String> {
    let encoded = path
        .strip_prefix("/2015-03-31/functions/")?
        .strip_suffix("/invocations")?;
    let name = percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .ok()?;
    let name = match name.strip_prefix("arn:") {
        Some(arn) => arn
            .split(':')
            .skip_while(|part| *part != "function")
            .nth(1)?,
        None => name.split(':').next()?,
    };
    (!name.is_empty() && !name.contains('/')).then(|| name.to_string())
}

/// What Lambda answers a synchronous invocation: the result, or a function error as 200 with
/// `X-Amz-Function-Error: Unhandled` and the error's JSON.
fn invocation_response(
    function: &str,
    result: Result<Bytes, InvokeError>,
) -> Response<Full<Bytes>> {
    let error = match result {
        Ok(body) => {
            let mut response = Response::new(Full::new(body));
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            headers.insert(
                "x-amz-executed-version",
                HeaderValue::from_static("$LATEST"),
            );
            return response;
        }
        Err(InvokeError::UnknownFunction(_)) => return function_not_found(function),
        Err(InvokeError::FunctionError(body)) => Bytes::from(body),
        Err(InvokeError::TimedOut(timeout)) => error_json(
            "Sandbox.Timedout",
            &format!("Task timed out after {:.2} seconds", timeout.as_secs_f64()),
        ),
        Err(InvokeError::Crashed) => error_json(
            "Runtime.ExitError",
            "Runtime exited without providing a reason",
        ),
        Err(error @ InvokeError::BuildFailed) => error_json("BuildFailed", &error.to_string()),
    };
    let mut response = Response::new(Full::new(error));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        "x-amz-function-error",
        HeaderValue::from_static("Unhandled"),
    );
    headers.insert(
        "x-amz-executed-version",
        HeaderValue::from_static("$LATEST"),
    );
    response
}

/// An error a runtime reports (`{"errorType", "errorMessage"}`).
fn error_json(kind: &str, message: &str) -> Bytes {
    Bytes::from(json!({"errorType": kind, "errorMessage": message}).to_string())
}

fn function_not_found(function: &str) -> Response<Full<Bytes>> {
    lambda_error(
        StatusCode::NOT_FOUND,
        "ResourceNotFoundException",
        format!("Function not found: arn:aws:lambda:us-east-1:000000000000:function:{function}"),
    )
}

/// An error of the Lambda service itself, typed as the AWS SDK reads it.
fn lambda_error(status: StatusCode, kind: &'static str, message: String) -> Response<Full<Bytes>> {
    aws_error(status, kind, json!({"Type": "User", "message": message}))
}

fn empty_response(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use http_body_util::BodyExt;

    #[test]
    fn invocation_paths_name_their_function() {
        let target = invocation_target;
        assert_eq!(
            target("/2015-03-31/functions/stream-items-fan-out/invocations").as_deref(),
            Some("stream-items-fan-out")
        );
        assert_eq!(
            target("/2015-03-31/functions/ws-ping:%24LATEST/invocations").as_deref(),
            Some("ws-ping")
        );
        assert_eq!(
            target("/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Aws-ping/invocations")
                .as_deref(),
            Some("ws-ping")
        );
        assert_eq!(target("/2015-03-31/functions//invocations"), None);
        assert_eq!(target("/2015-03-31/functions/a/b/invocations"), None);
        assert_eq!(target("/items/x"), None);
    }

    async fn body_of(response: Response<Full<Bytes>>) -> Value {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn a_result_is_200_and_a_function_error_is_flagged_unhandled() {
        let ok = invocation_response("f", Ok(Bytes::from_static(b"{\"batchItemFailures\":[]}")));
        assert_eq!(ok.status(), StatusCode::OK);
        assert!(!ok.headers().contains_key("x-amz-function-error"));
        assert_eq!(body_of(ok).await, json!({"batchItemFailures": []}));

        let failed = invocation_response(
            "f",
            Err(InvokeError::FunctionError(
                r#"{"errorType":"E","errorMessage":"m"}"#.into(),
            )),
        );
        assert_eq!(failed.status(), StatusCode::OK);
        assert_eq!(failed.headers()["x-amz-function-error"], "Unhandled");
        assert_eq!(
            body_of(failed).await,
            json!({"errorType": "E", "errorMessage": "m"})
        );

        let timed_out =
            invocation_response("f", Err(InvokeError::TimedOut(Duration::from_secs(3))));
        assert_eq!(timed_out.headers()["x-amz-function-error"], "Unhandled");
        assert_eq!(
            body_of(timed_out).await["errorMessage"],
            "Task timed out after 3.00 seconds"
        );
    }

    #[tokio::test]
    async fn an_unknown_function_is_resource_not_found() {
        let response =
            invocation_response("nope", Err(InvokeError::UnknownFunction("nope".into())));
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            response.headers()["x-amzn-errortype"],
            "ResourceNotFoundException"
        );
        let body = body_of(response).await;
        assert_eq!(body["Type"], "User");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .starts_with("Function not found: ")
        );
    }
}
