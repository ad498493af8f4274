//! API Gateway's WebSocket API, locally: an upgrade request runs the `$connect` function and
//! becomes a WebSocket only if it answers 2xx; every message then runs the function of the
//! route its body selects (concurrently, as API Gateway does), and every connection ends
//! with one `$disconnect`. The `@connections` management API on the same port is how the
//! functions reach the clients, as deployed through `WEBSOCKET_MANAGEMENT_ENDPOINT`.
//! API Gateway's limits hold: 32 KB frames, 128 KB messages, a 10-minute idle timeout and a
//! 2-hour connection lifetime (both configurable, for tests).

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE};
use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::{SinkExt, StreamExt};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::lambda::{InvokeError, Lambda};
use super::websocket_routes::WebSocketApi;
use super::{BodyError, aws_error, read_body, serve_http};

/// API Gateway's frame quota for WebSocket APIs.
pub const MAX_FRAME_BYTES: usize = 32 * 1024;
/// API Gateway's message quota for WebSocket APIs (also the `@connections` POST limit).
pub const MAX_MESSAGE_BYTES: usize = 128 * 1024;

/// What `requestContext.apiId` and `domainName` say locally.
const API_ID: &str = "local";
const DOMAIN_NAME: &str = "127.0.0.1";
/// How long a closing connection may take to finish its close handshake.
const CLOSING_GRACE: Duration = Duration::from_secs(2);

/// A running invocation's result.
pub type Invocation<'a> = Pin<Box<dyn Future<Output = Result<Bytes, InvokeError>> + Send + 'a>>;

/// What runs a route's function: [`Lambda`] in the emulator, a closure in tests (they cannot
/// run the real function binaries).
pub trait Invoker: Send + Sync + 'static {
    fn invoke<'a>(&'a self, function: &'a str, payload: Bytes) -> Invocation<'a>;
}

impl Invoker for Lambda {
    fn invoke<'a>(&'a self, function: &'a str, payload: Bytes) -> Invocation<'a> {
        Box::pin(Lambda::invoke(self, function, payload))
    }
}

impl<F, Fut> Invoker for F
where
    F: Fn(String, Bytes) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Bytes, InvokeError>> + Send + 'static,
{
    fn invoke<'a>(&'a self, function: &'a str, payload: Bytes) -> Invocation<'a> {
        Box::pin(self(function.to_string(), payload))
    }
}

/// The stage and the connection time limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `requestContext.stage`.
    pub stage: String,
    /// A connection with no client frame for this long is closed (1001).
    pub idle_timeout: Duration,
    /// Every connection is closed this long after it opened (1001).
    pub max_connection: Duration,
}

impl Default for Settings {
    /// API Gateway's limits.
    fn default() -> Self {
        Self {
            stage: "local".into(),
            idle_timeout: Duration::from_secs(600),
            max_connection: Duration::from_secs(7200),
        }
    }
}

impl Settings {
    /// `STAGE_NAME`, `WS_IDLE_TIMEOUT_SECS` and `WS_MAX_CONNECTION_SECS`, each defaulting to
    /// [`Settings::default`].
    pub fn from_env() -> anyhow::Result<Self> {
        let defaults = Self::default();
        let seconds = |name: &str, default: Duration| -> anyhow::Result<Duration> {
            match std::env::var(name) {
                Ok(value) => value
                    .parse()
                    .map(Duration::from_secs)
                    .with_context(|| format!("{name}={value:?} is not a number of seconds")),
                Err(_) => Ok(default),
            }
        };
        Ok(Self {
            stage: std::env::var("STAGE_NAME").unwrap_or(defaults.stage),
            idle_timeout: seconds("WS_IDLE_TIMEOUT_SECS", defaults.idle_timeout)?,
            max_connection: seconds("WS_MAX_CONNECTION_SECS", defaults.max_connection)?,
        })
    }
}

/// The WebSocket API in front of its functions.
pub struct WebSocketFront {
    api: WebSocketApi,
    invoker: Arc<dyn Invoker>,
    settings: Settings,
    connections: Mutex<HashMap<String, Arc<Connection>>>,
}

/// One open connection, as `@connections` sees it.
struct Connection {
    id: String,
    connected_at: DateTime<Utc>,
    last_active: Mutex<DateTime<Utc>>,
    source_ip: String,
    user_agent: String,
    host: String,
    /// To the task that owns the socket.
    commands: mpsc::UnboundedSender<Command>,
}

enum Command {
    Send(Message),
    /// `DELETE @connections/{id}`.
    Close,
}

/// How a connection ended, for `$disconnect`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Closed {
    code: u16,
    reason: String,
}

impl Closed {
    fn new(code: u16, reason: &str) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }

    /// The TCP connection ended without a close frame.
    fn abnormally() -> Self {
        Self::new(1006, "Connection was closed abnormally")
    }
}

type Socket = WebSocketStream<TokioIo<Upgraded>>;

impl Connection {
    /// Queues a frame for the client; false once the connection is closed.
    fn send(&self, message: Message) -> bool {
        self.commands.send(Command::Send(message)).is_ok()
    }

    /// A client frame came: what `lastActiveAt` shows (and the idle timeout counts).
    fn touch(&self) {
        *lock(&self.last_active) = Utc::now();
    }

    /// `GET @connections/{id}`, as API Gateway answers it.
    fn describe(&self) -> Value {
        let last_active = *lock(&self.last_active);
        json!({
            "connectedAt": self.connected_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "identity": {"sourceIp": self.source_ip, "userAgent": self.user_agent},
            "lastActiveAt": last_active.to_rfc3339_opts(SecondsFormat::Millis, true),
        })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves the data as consistent as any step left it.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl WebSocketFront {
    pub fn new(api: WebSocketApi, invoker: Arc<dyn Invoker>, settings: Settings) -> Arc<Self> {
        Arc::new(Self {
            api,
            invoker,
            settings,
            connections: Mutex::new(HashMap::new()),
        })
    }

    /// Serves connections until the process ends.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) {
        serve_http(listener, true, move |request, peer| {
            self.clone().handle(request, peer)
        })
        .await;
    }

    fn connections(&self) -> MutexGuard<'_, HashMap<String, Arc<Connection>>> {
        lock(&self.connections)
    }

    async fn handle(
        self: Arc<Self>,
        request: Request<Incoming>,
        peer: SocketAddr,
    ) -> Response<Full<Bytes>> {
        match management_target(request.uri().path()) {
            Some(id) => self.manage(request, &id).await,
            None => self.connect(request, peer).await,
        }
    }

    /// An upgrade request: `$connect` decides, then the socket is served in its own task.
    async fn connect(
        self: &Arc<Self>,
        mut request: Request<Incoming>,
        peer: SocketAddr,
    ) -> Response<Full<Bytes>> {
        let started = Instant::now();
        let Some(accept) = accept_key(&request) else {
            let response = empty(StatusCode::UPGRADE_REQUIRED);
            // The access log never shows the path or the query string: they carry tickets.
            tracing::info!(
                route = "(not a WebSocket upgrade)",
                status = 426,
                "websocket"
            );
            return response;
        };
        let (commands, inbox) = mpsc::unbounded_channel();
        let header = |name: header::HeaderName| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let connection = Arc::new(Connection {
            id: random_id(),
            connected_at: Utc::now(),
            last_active: Mutex::new(Utc::now()),
            source_ip: peer.ip().to_string(),
            user_agent: header(header::USER_AGENT),
            host: header(header::HOST),
            commands,
        });
        let (status, headers) = self.run_connect(&connection, &request, peer).await;
        tracing::info!(
            route = "$connect",
            connection = %connection.id,
            status = status.as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "websocket"
        );
        if !status.is_success() {
            return empty(status);
        }
        self.connections()
            .insert(connection.id.clone(), connection.clone());
        let upgrade = hyper::upgrade::on(&mut request);
        tokio::spawn(self.clone().run(connection, upgrade, inbox));
        switching_protocols(&accept, &headers)
    }

    /// Invokes `$connect` (a WebSocket API without one accepts every connection): its status,
    /// and the headers its reply adds to the handshake (`Sec-WebSocket-Protocol`).
    async fn run_connect(
        &self,
        connection: &Connection,
        request: &Request<Incoming>,
        peer: SocketAddr,
    ) -> (StatusCode, Map<String, Value>) {
        let Some(route) = self.api.route("$connect") else {
            return (StatusCode::OK, Map::new());
        };
        let event = self.connect_event(connection, request, peer);
        match self
            .invoker
            .invoke(&route.function, event_bytes(&event))
            .await
        {
            Ok(result) => {
                let reply = Reply::parse(&result);
                let status = StatusCode::from_u16(reply.status.unwrap_or(200))
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                (status, reply.headers)
            }
            Err(error) => {
                tracing::error!(function = %route.function, error = %error, "invocation failed");
                (StatusCode::INTERNAL_SERVER_ERROR, Map::new())
            }
        }
    }

    /// The connection's life once upgraded, then its one `$disconnect`.
    async fn run(
        self: Arc<Self>,
        connection: Arc<Connection>,
        upgrade: OnUpgrade,
        inbox: mpsc::UnboundedReceiver<Command>,
    ) {
        let closed = match upgrade.await {
            Ok(upgraded) => {
                let config = WebSocketConfig::default()
                    .max_frame_size(Some(MAX_FRAME_BYTES))
                    .max_message_size(Some(MAX_MESSAGE_BYTES));
                let socket = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(config),
                )
                .await;
                self.converse(&connection, socket, inbox).await
            }
            Err(_) => Closed::abnormally(),
        };
        // From here `@connections` answers 410, as API Gateway does during `$disconnect`.
        self.connections().remove(&connection.id);
        self.disconnect(&connection, closed).await;
    }

    /// Reads the client's frames and writes what the functions send, until either side
    /// closes or a time limit is reached.
    async fn converse(
        self: &Arc<Self>,
        connection: &Arc<Connection>,
        mut socket: Socket,
        mut inbox: mpsc::UnboundedReceiver<Command>,
    ) -> Closed {
        let idle = tokio::time::sleep(self.settings.idle_timeout);
        let lifetime = tokio::time::sleep(self.settings.max_connection);
        tokio::pin!(idle, lifetime);
        loop {
            tokio::select! {
                frame = socket.next() => {
                    let message = match frame {
                        Some(Ok(message)) => message,
                        Some(Err(error)) => return failed(socket, error).await,
                        None => return Closed::abnormally(),
                    };
                    idle.as_mut()
                        .reset(tokio::time::Instant::now() + self.settings.idle_timeout);
                    connection.touch();
                    match message {
                        Message::Text(text) => self.receive(connection, Bytes::from(text), true),
                        Message::Binary(data) => self.receive(connection, data, false),
                        Message::Close(frame) => return closed_by_client(socket, frame).await,
                        // tungstenite answers pings itself.
                        Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
                    }
                }
                command = inbox.recv() => match command {
                    Some(Command::Send(message)) => {
                        if socket.send(message).await.is_err() {
                            return Closed::abnormally();
                        }
                    }
                    Some(Command::Close) | None => return close(socket, 1000, "").await,
                },
                () = &mut idle => return close(socket, 1001, "Going away").await,
                () = &mut lifetime => return close(socket, 1001, "Going away").await,
            }
        }
    }

    /// Runs a message's route in its own task: messages are invoked concurrently.
    fn receive(self: &Arc<Self>, connection: &Arc<Connection>, body: Bytes, text: bool) {
        let front = self.clone();
        let connection = connection.clone();
        tokio::spawn(async move { front.message(&connection, body, text).await });
    }

    async fn message(&self, connection: &Connection, body: Bytes, text: bool) {
        let started = Instant::now();
        let request_id = random_id();
        let as_text = text.then(|| String::from_utf8_lossy(&body).into_owned());
        let Some(route) = self.api.select(as_text.as_deref()) else {
            // No route and no `$default`: API Gateway answers the client itself.
            connection.send(gateway_message("Forbidden", connection, &request_id));
            tracing::info!(
                route = "(no route)",
                connection = %connection.id,
                status = 403,
                ms = started.elapsed().as_millis() as u64,
                "websocket"
            );
            return;
        };
        let (body, is_base64) = match as_text {
            Some(text) => (text, false),
            None => (BASE64.encode(&body), true),
        };
        let mut event = json!({
            "requestContext": self.request_context(connection, &route.key, "MESSAGE", &request_id),
            "body": body,
            "isBase64Encoded": is_base64,
        });
        event["requestContext"]["messageId"] = Value::String(random_id());
        let status = match self
            .invoker
            .invoke(&route.function, event_bytes(&event))
            .await
        {
            Ok(result) => {
                let reply = Reply::parse(&result);
                if route.two_way
                    && let Some(frame) = reply.body
                {
                    connection.send(frame);
                }
                reply.status.unwrap_or(200)
            }
            Err(error) => {
                tracing::error!(function = %route.function, error = %error, "invocation failed");
                connection.send(gateway_message(
                    "Internal server error",
                    connection,
                    &request_id,
                ));
                500
            }
        };
        tracing::info!(
            route = %route.key,
            connection = %connection.id,
            status,
            ms = started.elapsed().as_millis() as u64,
            "websocket"
        );
    }

    async fn disconnect(&self, connection: &Connection, closed: Closed) {
        let started = Instant::now();
        let Some(route) = self.api.route("$disconnect") else {
            tracing::info!(route = "$disconnect", connection = %connection.id, code = closed.code, "websocket");
            return;
        };
        let request_id = random_id();
        let mut context =
            self.request_context(connection, "$disconnect", "DISCONNECT", &request_id);
        context["disconnectStatusCode"] = json!(closed.code);
        context["disconnectReason"] = json!(closed.reason);
        let headers = json!({"host": connection.host, "x-forwarded-for": connection.source_ip});
        let multi_value: Map<String, Value> = headers
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, value)| (name.clone(), json!([value])))
            .collect();
        let event = json!({
            "headers": headers,
            "multiValueHeaders": multi_value,
            "requestContext": context,
            "isBase64Encoded": false,
        });
        let status = match self
            .invoker
            .invoke(&route.function, event_bytes(&event))
            .await
        {
            Ok(result) => Reply::parse(&result).status.unwrap_or(200),
            Err(error) => {
                tracing::error!(function = %route.function, error = %error, "invocation failed");
                500
            }
        };
        tracing::info!(
            route = "$disconnect",
            connection = %connection.id,
            code = closed.code,
            status,
            ms = started.elapsed().as_millis() as u64,
            "websocket"
        );
    }

    /// The `$connect` event: the upgrade request's headers and query string.
    fn connect_event(
        &self,
        connection: &Connection,
        request: &Request<Incoming>,
        peer: SocketAddr,
    ) -> Value {
        let request_id = random_id();
        let (headers, multi_value_headers) = header_maps(request.headers(), peer);
        let mut event = json!({
            "headers": headers,
            "multiValueHeaders": multi_value_headers,
            "requestContext": self.request_context(connection, "$connect", "CONNECT", &request_id),
            "isBase64Encoded": false,
        });
        let (query, multi_value_query) = query_maps(request.uri().query().unwrap_or_default());
        if !query.is_empty() {
            event["queryStringParameters"] = Value::Object(query);
            event["multiValueQueryStringParameters"] = Value::Object(multi_value_query);
        }
        event
    }

    fn request_context(
        &self,
        connection: &Connection,
        route_key: &str,
        event_type: &str,
        request_id: &str,
    ) -> Value {
        let now = Utc::now();
        json!({
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "messageDirection": "IN",
            "stage": self.settings.stage,
            "connectedAt": connection.connected_at.timestamp_millis(),
            "requestTimeEpoch": now.timestamp_millis(),
            "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
            "requestId": request_id,
            "domainName": DOMAIN_NAME,
            "connectionId": connection.id,
            "apiId": API_ID,
        })
    }

    /// `POST`, `GET` or `DELETE` `@connections/{id}`.
    async fn manage(&self, request: Request<Incoming>, id: &str) -> Response<Full<Bytes>> {
        let started = Instant::now();
        let method = request.method().clone();
        let response = self.management_call(request, id).await;
        tracing::info!(
            route = %format!("{method} @connections"),
            connection = %id,
            status = response.status().as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "websocket"
        );
        response
    }

    async fn management_call(&self, request: Request<Incoming>, id: &str) -> Response<Full<Bytes>> {
        let connection = self.connections().get(id).cloned();
        match *request.method() {
            Method::POST => {
                let data = match read_body(request.into_body(), MAX_MESSAGE_BYTES).await {
                    Ok(data) => data,
                    Err(BodyError::TooLarge) => {
                        return management_error(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "PayloadTooLargeException",
                            json!(format!(
                                "Message exceeds the {} KB limit",
                                MAX_MESSAGE_BYTES / 1024
                            )),
                        );
                    }
                    Err(BodyError::Unreadable) => {
                        return management_error(
                            StatusCode::BAD_REQUEST,
                            "BadRequestException",
                            json!("The request body could not be read"),
                        );
                    }
                };
                let message = match std::str::from_utf8(&data) {
                    Ok(text) => Message::text(text),
                    Err(_) => Message::Binary(data),
                };
                match connection {
                    Some(connection) if connection.send(message) => empty(StatusCode::OK),
                    _ => gone(),
                }
            }
            Method::GET => match connection {
                Some(connection) => {
                    let mut response =
                        Response::new(Full::new(Bytes::from(connection.describe().to_string())));
                    response.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    );
                    response
                }
                None => gone(),
            },
            Method::DELETE => match connection {
                Some(connection) if connection.commands.send(Command::Close).is_ok() => {
                    empty(StatusCode::NO_CONTENT)
                }
                _ => gone(),
            },
            _ => management_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowedException",
                json!("@connections accepts POST, GET and DELETE"),
            ),
        }
    }
}

/// The connection id of `/@connections/{id}` or `/<stage>/@connections/{id}`, decoded.
fn management_target(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let id = match segments.as_slice() {
        ["@connections", id] | [_, "@connections", id] => *id,
        _ => return None,
    };
    Some(
        percent_encoding::percent_decode_str(id)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

/// `Sec-WebSocket-Accept` for a valid WebSocket upgrade request, `None` for anything else.
fn accept_key(request: &Request<Incoming>) -> Option<String> {
    let headers = request.headers();
    let has_token = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|value| {
            value
                .to_str()
                .unwrap_or_default()
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        })
    };
    let upgrade = request.method() == Method::GET
        && has_token(header::CONNECTION, "upgrade")
        && has_token(header::UPGRADE, "websocket")
        && headers
            .get(header::SEC_WEBSOCKET_VERSION)
            .is_some_and(|v| v == "13");
    let key = headers.get(header::SEC_WEBSOCKET_KEY)?;
    upgrade.then(|| derive_accept_key(key.as_bytes()))
}

/// The 101 answer, with the headers `$connect` added (hop-by-hop ones are the handshake's).
fn switching_protocols(accept: &str, added: &Map<String, Value>) -> Response<Full<Bytes>> {
    let mut response = empty(StatusCode::SWITCHING_PROTOCOLS);
    let headers = response.headers_mut();
    for (name, value) in added {
        let (Ok(name), Some(Ok(value))) = (
            HeaderName::try_from(name.as_str()),
            value.as_str().map(HeaderValue::from_str),
        ) else {
            continue;
        };
        let handshake = [
            header::CONNECTION,
            header::UPGRADE,
            header::SEC_WEBSOCKET_ACCEPT,
            header::CONTENT_LENGTH,
            header::TRANSFER_ENCODING,
        ];
        if !handshake.contains(&name) {
            headers.insert(name, value);
        }
    }
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(accept) = HeaderValue::from_str(accept) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    response
}

/// `headers` (the last value of each) and `multiValueHeaders` (all of them), with the
/// forwarding headers API Gateway adds.
fn header_maps(headers: &HeaderMap, peer: SocketAddr) -> (Map<String, Value>, Map<String, Value>) {
    let mut single = Map::new();
    let mut multi = Map::new();
    let mut add = |name: &str, value: String| {
        single.insert(name.to_string(), Value::String(value.clone()));
        match multi.entry(name.to_string()).or_insert_with(|| json!([])) {
            Value::Array(values) => values.push(Value::String(value)),
            other => *other = json!([value]),
        }
    };
    for (name, value) in headers {
        add(
            name.as_str(),
            String::from_utf8_lossy(value.as_bytes()).into_owned(),
        );
    }
    let forwarded = [
        ("x-forwarded-for", peer.ip().to_string()),
        ("x-forwarded-port", peer.port().to_string()),
        ("x-forwarded-proto", "http".to_string()),
    ];
    for (name, value) in forwarded {
        if !headers.contains_key(name) {
            add(name, value);
        }
    }
    (single, multi)
}

/// `queryStringParameters` (the last value of each) and `multiValueQueryStringParameters`.
fn query_maps(raw: &str) -> (Map<String, Value>, Map<String, Value>) {
    let mut single = Map::new();
    let mut multi = Map::new();
    for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
        single.insert(name.to_string(), Value::String(value.to_string()));
        match multi.entry(name.into_owned()).or_insert_with(|| json!([])) {
            Value::Array(values) => values.push(Value::String(value.into_owned())),
            other => *other = json!([value]),
        }
    }
    (single, multi)
}

/// A function's reply to API Gateway: `{statusCode, body, headers, isBase64Encoded}`. A reply
/// of another shape (or none) counts as 200 with no body.
struct Reply {
    status: Option<u16>,
    /// The frame the body makes, if there is a body.
    body: Option<Message>,
    headers: Map<String, Value>,
}

impl Reply {
    fn parse(result: &[u8]) -> Self {
        let value: Value = serde_json::from_slice(result).unwrap_or_default();
        let status = value
            .get("statusCode")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok());
        let body = match value.get("body") {
            Some(Value::String(text)) if text.is_empty() => None,
            Some(Value::String(text)) if value["isBase64Encoded"] == Value::Bool(true) => BASE64
                .decode(text)
                .ok()
                .map(|data| Message::Binary(data.into())),
            Some(Value::String(text)) => Some(Message::text(text.as_str())),
            _ => None,
        };
        let headers = value
            .get("headers")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        Self {
            status,
            body,
            headers,
        }
    }
}

/// What API Gateway itself sends a client when a message could not be handled.
fn gateway_message(message: &str, connection: &Connection, request_id: &str) -> Message {
    let body = json!({"message": message, "connectionId": connection.id, "requestId": request_id});
    Message::text(body.to_string())
}

/// Closes the connection from our side, with `code`.
async fn close(mut socket: Socket, code: u16, reason: &str) -> Closed {
    let frame = CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    };
    if socket.close(Some(frame)).await.is_err() {
        return Closed::abnormally();
    }
    finish(socket).await;
    Closed::new(code, reason)
}

/// A frame could not be read: over a limit (1009), not UTF-8 in a text frame (1007), or
/// against the protocol (1002) close the connection; a lost connection has nothing to close.
async fn failed(socket: Socket, error: WsError) -> Closed {
    match error {
        WsError::Capacity(_) => close(socket, 1009, "Message too big").await,
        WsError::Utf8(_) => close(socket, 1007, "Invalid frame payload data").await,
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => Closed::abnormally(),
        WsError::Protocol(_) => close(socket, 1002, "Protocol error").await,
        _ => Closed::abnormally(),
    }
}

/// The client closed: tungstenite has queued the answering close frame.
async fn closed_by_client(socket: Socket, frame: Option<CloseFrame>) -> Closed {
    let closed = match frame {
        Some(frame) => Closed {
            code: u16::from(frame.code),
            reason: frame.reason.to_string(),
        },
        None => Closed::new(1005, "Client-side close frame status not set"),
    };
    finish(socket).await;
    closed
}

/// Completes the close handshake (the client's close frame, or ours flushed), then ends the
/// TCP connection gracefully: unread input would make the kernel reset it, and a reset can
/// lose the close frame still on its way to the client.
async fn finish(mut socket: Socket) {
    let _ = tokio::time::timeout(CLOSING_GRACE, async {
        while let Some(Ok(_)) = socket.next().await {}
        let mut raw = socket.into_inner();
        let _ = raw.shutdown().await;
        let mut sink = [0u8; 4096];
        while matches!(raw.read(&mut sink).await, Ok(read) if read > 0) {}
    })
    .await;
}

/// 16 characters like API Gateway's connection and request ids (`L0SM9cOFvHcCIhw=`): 11
/// random bytes in URL-safe base64. A v4 UUID's random bytes (those without its version and
/// variant bits) supply them.
fn random_id() -> String {
    let uuid = uuid::Uuid::new_v4();
    let bytes = uuid.as_bytes();
    let random: Vec<u8> = bytes[..6]
        .iter()
        .chain(&bytes[7..8])
        .chain(&bytes[9..13])
        .copied()
        .collect();
    URL_SAFE.encode(random)
}

fn event_bytes(event: &Value) -> Bytes {
    Bytes::from(event.to_string())
}

fn empty(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

/// An error of the management API, typed as the AWS SDK reads it (`x-amzn-ErrorType`).
fn management_error(
    status: StatusCode,
    kind: &'static str,
    message: Value,
) -> Response<Full<Bytes>> {
    aws_error(status, kind, json!({"message": message}))
}

/// The connection does not exist (never did, or is closed): the SDK's `GoneException`.
fn gone() -> Response<Full<Bytes>> {
    management_error(StatusCode::GONE, "GoneException", Value::Null)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use tokio_tungstenite::{MaybeTlsStream, connect_async};

    use super::super::websocket_routes::WebSocketRoute;
    use super::*;
    use http_body_util::BodyExt;

    type Calls = Arc<Mutex<Vec<(String, Value)>>>;
    type Client = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

    /// `$connect` wants `?ticket=good`; `$default` is one-way, the others two-way.
    fn api() -> WebSocketApi {
        let routes = [
            ("$connect", "ws-connect", false),
            ("$disconnect", "ws-disconnect", false),
            ("$default", "ws-default", false),
            ("subscribe", "ws-subscribe", true),
            ("fail", "ws-fail", true),
            ("slow", "ws-slow", true),
        ];
        WebSocketApi {
            selection: vec!["action".into()],
            routes: routes
                .into_iter()
                .map(|(key, function, two_way)| {
                    let route = WebSocketRoute {
                        key: key.into(),
                        function: function.into(),
                        two_way,
                    };
                    (key.to_string(), route)
                })
                .collect::<BTreeMap<_, _>>(),
        }
    }

    /// The fake functions behind [`api`].
    fn functions(function: &str, event: &Value) -> Result<Value, InvokeError> {
        match function {
            "ws-connect" if event["queryStringParameters"]["ticket"] == "good" => {
                Ok(json!({"statusCode": 200}))
            }
            "ws-connect" => Ok(json!({"statusCode": 401, "body": "no ticket"})),
            "ws-subscribe" => {
                let body: Value = serde_json::from_str(event["body"].as_str().unwrap()).unwrap();
                let reply = json!({"subscribed": body["auctionId"]});
                Ok(json!({"statusCode": 200, "body": reply.to_string()}))
            }
            "ws-fail" => Err(InvokeError::FunctionError(
                r#"{"errorMessage":"boom"}"#.into(),
            )),
            "ws-slow" => Ok(json!({"statusCode": 200, "body": "slow"})),
            _ => Ok(json!({"statusCode": 200, "body": "one-way routes send nothing back"})),
        }
    }

    fn quick(idle_ms: u64, max_ms: u64) -> Settings {
        Settings {
            idle_timeout: Duration::from_millis(idle_ms),
            max_connection: Duration::from_millis(max_ms),
            ..Settings::default()
        }
    }

    /// A front on a free loopback port; every invocation is recorded.
    async fn start(settings: Settings) -> (String, Calls) {
        start_with(api(), settings).await
    }

    async fn start_with(api: WebSocketApi, settings: Settings) -> (String, Calls) {
        let calls = Calls::default();
        let recorded = calls.clone();
        let invoker = move |function: String, payload: Bytes| {
            let event: Value = serde_json::from_slice(&payload).expect("events are JSON");
            let result = functions(&function, &event).map(|reply| Bytes::from(reply.to_string()));
            let slow = function == "ws-slow";
            lock(&recorded).push((function, event));
            async move {
                if slow {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                result
            }
        };
        let front = WebSocketFront::new(api, Arc::new(invoker), settings);
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        tokio::spawn(front.serve(listener));
        (address, calls)
    }

    /// A connected client and its connection id.
    async fn connect(address: &str, calls: &Calls) -> (Client, String) {
        let (client, _) = connect_async(format!("ws://{address}/local?ticket=good"))
            .await
            .expect("connected");
        let id = invoked(calls, "ws-connect")
            .last()
            .map(|event| {
                event["requestContext"]["connectionId"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .unwrap();
        (client, id)
    }

    fn invoked(calls: &Calls, function: &str) -> Vec<Value> {
        lock(calls)
            .iter()
            .filter(|(f, _)| f == function)
            .map(|(_, event)| event.clone())
            .collect()
    }

    /// Waits (at most 5 s) until `function` has been invoked `count` times.
    async fn invoked_times(calls: &Calls, function: &str, count: usize) -> Vec<Value> {
        for _ in 0..500 {
            let events = invoked(calls, function);
            if events.len() >= count {
                return events;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{function} was not invoked {count} times");
    }

    /// The next data or close frame the client receives.
    async fn next_frame(client: &mut Client) -> Message {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(5), client.next())
                .await
                .expect("a frame within 5 s")
                .expect("the stream is open")
                .expect("a valid frame");
            if !matches!(frame, Message::Ping(_) | Message::Pong(_)) {
                return frame;
            }
        }
    }

    /// Expects the server's close frame with `code`, then answers it as a client does and
    /// hangs up once the server has: all well within the closing grace.
    async fn expect_close(mut client: Client, code: u16) {
        match next_frame(&mut client).await {
            Message::Close(Some(frame)) => assert_eq!(u16::from(frame.code), code),
            other => panic!("expected a close frame with {code}, got {other:?}"),
        }
        let started = Instant::now();
        // tungstenite answers the close on the next read; the stream ends when the server
        // hangs up.
        while let Ok(Some(Ok(_))) =
            tokio::time::timeout(Duration::from_secs(5), client.next()).await
        {}
        assert!(
            started.elapsed() < CLOSING_GRACE / 2,
            "the server hangs up at once"
        );
    }

    /// One plain HTTP request to the front.
    async fn http(
        address: &str,
        method: Method,
        path: &str,
        body: Vec<u8>,
    ) -> (StatusCode, HeaderMap, Bytes) {
        let stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, address)
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        let (parts, body) = response.into_parts();
        (
            parts.status,
            parts.headers,
            body.collect().await.unwrap().to_bytes(),
        )
    }

    fn encoded(id: &str) -> String {
        percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC).to_string()
    }

    #[tokio::test]
    async fn messages_go_to_the_route_their_action_names_or_to_default() {
        let (address, calls) = start(Settings::default()).await;
        let (mut client, id) = connect(&address, &calls).await;
        client
            .send(Message::text(r#"{"action":"subscribe","auctionId":"a1"}"#))
            .await
            .unwrap();
        assert_eq!(
            next_frame(&mut client).await,
            Message::text(r#"{"subscribed":"a1"}"#)
        );
        for text in [
            "not json",
            r#"{"action":"nope"}"#,
            r#"{"action":"$disconnect"}"#,
        ] {
            client.send(Message::text(text)).await.unwrap();
        }
        client
            .send(Message::Binary(Bytes::from_static(&[0, 159, 1])))
            .await
            .unwrap();
        let events = invoked_times(&calls, "ws-default", 4).await;
        let mut bodies: Vec<(String, bool)> = events
            .iter()
            .map(|e| {
                (
                    e["body"].as_str().unwrap().to_string(),
                    e["isBase64Encoded"] == true,
                )
            })
            .collect();
        bodies.sort();
        assert_eq!(
            bodies,
            [
                ("AJ8B".to_string(), true),
                ("not json".to_string(), false),
                (r#"{"action":"$disconnect"}"#.to_string(), false),
                (r#"{"action":"nope"}"#.to_string(), false),
            ]
        );
        for event in &events {
            let context = &event["requestContext"];
            assert_eq!(context["routeKey"], "$default");
            assert_eq!(context["eventType"], "MESSAGE");
            assert_eq!(context["connectionId"], id.as_str());
            assert_eq!(context["stage"], "local");
            assert_eq!(context["messageDirection"], "IN");
            assert!(context["messageId"].is_string());
            assert!(event.get("headers").is_none());
        }
        assert!(invoked(&calls, "ws-disconnect").is_empty());
        // `$default` is one-way: its reply is not sent; the next frame is subscribe's.
        tokio::time::sleep(Duration::from_millis(100)).await;
        client
            .send(Message::text(r#"{"action":"subscribe","auctionId":"a2"}"#))
            .await
            .unwrap();
        assert_eq!(
            next_frame(&mut client).await,
            Message::text(r#"{"subscribed":"a2"}"#)
        );
    }

    #[tokio::test]
    async fn a_refused_connect_answers_its_status_and_never_upgrades() {
        let (address, calls) = start(Settings::default()).await;
        match connect_async(format!("ws://{address}/local")).await {
            Err(WsError::Http(response)) => assert_eq!(response.status(), StatusCode::UNAUTHORIZED),
            Err(other) => panic!("expected a refusal, got {other}"),
            Ok(_) => panic!("expected a refusal, got a connection"),
        }
        let refused = invoked(&calls, "ws-connect");
        assert_eq!(refused.len(), 1);
        assert!(refused[0].get("queryStringParameters").is_none());
        assert!(refused[0].get("multiValueQueryStringParameters").is_none());
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            invoked(&calls, "ws-disconnect").is_empty(),
            "no $disconnect for a refusal"
        );
        let id = refused[0]["requestContext"]["connectionId"]
            .as_str()
            .unwrap();
        let (status, _, _) = http(
            &address,
            Method::GET,
            &format!("/@connections/{}", encoded(id)),
            vec![],
        )
        .await;
        assert_eq!(status, StatusCode::GONE);
    }

    #[tokio::test]
    async fn the_connect_event_carries_the_upgrade_request() {
        let (address, calls) = start(Settings::default()).await;
        let (_client, id) = connect(&address, &calls).await;
        let event = &invoked(&calls, "ws-connect")[0];
        assert_eq!(event["queryStringParameters"], json!({"ticket": "good"}));
        assert_eq!(
            event["multiValueQueryStringParameters"],
            json!({"ticket": ["good"]})
        );
        assert_eq!(event["headers"]["host"], address.as_str());
        assert_eq!(event["headers"]["sec-websocket-version"], "13");
        assert_eq!(event["headers"]["x-forwarded-for"], "127.0.0.1");
        assert_eq!(event["multiValueHeaders"]["host"], json!([address]));
        let context = &event["requestContext"];
        assert_eq!(context["routeKey"], "$connect");
        assert_eq!(context["eventType"], "CONNECT");
        assert_eq!(context["apiId"], "local");
        assert_eq!(context["domainName"], "127.0.0.1");
        assert_eq!(context["identity"]["sourceIp"], "127.0.0.1");
        assert!(context["connectedAt"].is_i64());
        assert!(context["requestTimeEpoch"].is_i64());
        assert!(context.get("messageId").is_none());
        assert_eq!(id.len(), 16);
    }

    #[tokio::test]
    async fn messages_are_invoked_concurrently() {
        let (address, calls) = start(Settings::default()).await;
        let (mut client, _) = connect(&address, &calls).await;
        client
            .send(Message::text(r#"{"action":"slow"}"#))
            .await
            .unwrap();
        client
            .send(Message::text(r#"{"action":"subscribe","auctionId":"a1"}"#))
            .await
            .unwrap();
        assert_eq!(
            next_frame(&mut client).await,
            Message::text(r#"{"subscribed":"a1"}"#)
        );
        assert_eq!(next_frame(&mut client).await, Message::text("slow"));
    }

    #[tokio::test]
    async fn without_default_an_unknown_message_is_forbidden() {
        let mut api = api();
        api.routes.remove("$default");
        let (address, calls) = start_with(api, Settings::default()).await;
        let (mut client, id) = connect(&address, &calls).await;
        client.send(Message::text("no route")).await.unwrap();
        let Message::Text(text) = next_frame(&mut client).await else {
            panic!("expected a text frame");
        };
        let reply: Value = serde_json::from_str(text.as_str()).unwrap();
        assert_eq!(reply["message"], "Forbidden");
        assert_eq!(reply["connectionId"], id.as_str());
    }

    #[tokio::test]
    async fn a_function_error_answers_internal_server_error() {
        let (address, calls) = start(Settings::default()).await;
        let (mut client, id) = connect(&address, &calls).await;
        client
            .send(Message::text(r#"{"action":"fail"}"#))
            .await
            .unwrap();
        let Message::Text(text) = next_frame(&mut client).await else {
            panic!("expected a text frame");
        };
        let reply: Value = serde_json::from_str(text.as_str()).unwrap();
        assert_eq!(reply["message"], "Internal server error");
        assert_eq!(reply["connectionId"], id.as_str());
        assert!(reply["requestId"].is_string());
    }

    #[tokio::test]
    async fn the_connections_api_posts_gets_and_deletes() {
        let (address, calls) = start(Settings::default()).await;
        let (mut client, id) = connect(&address, &calls).await;
        let staged = format!("/local/@connections/{}", encoded(&id));
        let bare = format!("/@connections/{}", encoded(&id));

        let (status, _, _) = http(&address, Method::POST, &staged, b"hello".to_vec()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(next_frame(&mut client).await, Message::text("hello"));
        let (status, _, _) = http(&address, Method::POST, &bare, vec![0xff, 0x00]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            next_frame(&mut client).await,
            Message::Binary(Bytes::from_static(&[0xff, 0]))
        );

        let (status, headers, body) = http(
            &address,
            Method::POST,
            &bare,
            vec![b'x'; MAX_MESSAGE_BYTES + 1],
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(headers["x-amzn-errortype"], "PayloadTooLargeException");
        assert!(serde_json::from_slice::<Value>(&body).unwrap()["message"].is_string());

        let (status, _, body) = http(&address, Method::GET, &bare, vec![]).await;
        assert_eq!(status, StatusCode::OK);
        let described: Value = serde_json::from_slice(&body).unwrap();
        for field in ["connectedAt", "lastActiveAt"] {
            let at = described[field].as_str().unwrap();
            assert!(DateTime::parse_from_rfc3339(at).is_ok(), "{field}: {at}");
        }
        assert_eq!(described["identity"]["sourceIp"], "127.0.0.1");
        assert!(described["identity"]["userAgent"].is_string());

        let (status, _, _) = http(&address, Method::DELETE, &staged, vec![]).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        expect_close(client, 1000).await;
        let disconnected = invoked_times(&calls, "ws-disconnect", 1).await;
        assert_eq!(
            disconnected[0]["requestContext"]["disconnectStatusCode"],
            1000
        );
        assert_eq!(
            disconnected[0]["requestContext"]["connectionId"],
            id.as_str()
        );

        for method in [Method::POST, Method::GET, Method::DELETE] {
            let (status, headers, body) =
                http(&address, method.clone(), &bare, b"late".to_vec()).await;
            assert_eq!(status, StatusCode::GONE, "{method}");
            assert_eq!(headers["x-amzn-errortype"], "GoneException");
            assert_eq!(
                serde_json::from_slice::<Value>(&body).unwrap(),
                json!({"message": null})
            );
        }
        let (status, _, _) =
            http(&address, Method::POST, "/@connections/never", b"x".to_vec()).await;
        assert_eq!(status, StatusCode::GONE);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(invoked(&calls, "ws-disconnect").len(), 1);
    }

    #[tokio::test]
    async fn a_frame_over_32_kb_closes_the_connection_with_1009() {
        let (address, calls) = start(Settings::default()).await;
        let (mut client, _) = connect(&address, &calls).await;
        client
            .send(Message::text("x".repeat(MAX_FRAME_BYTES + 1)))
            .await
            .unwrap();
        expect_close(client, 1009).await;
        let disconnected = invoked_times(&calls, "ws-disconnect", 1).await;
        assert_eq!(
            disconnected[0]["requestContext"]["disconnectStatusCode"],
            1009
        );
        assert!(
            invoked(&calls, "ws-default").is_empty(),
            "the oversized message is not invoked"
        );
    }

    #[tokio::test]
    async fn an_idle_connection_closes_with_1001() {
        let (address, calls) = start(quick(300, 60_000)).await;
        let (mut client, _) = connect(&address, &calls).await;
        // Client frames keep it open past the idle timeout...
        for _ in 0..6 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            client.send(Message::text("still here")).await.unwrap();
        }
        assert!(invoked(&calls, "ws-disconnect").is_empty());
        // ...and silence closes it.
        let started = Instant::now();
        expect_close(client, 1001).await;
        assert!(started.elapsed() >= Duration::from_millis(250));
        let disconnected = invoked_times(&calls, "ws-disconnect", 1).await;
        assert_eq!(
            disconnected[0]["requestContext"]["disconnectStatusCode"],
            1001
        );
    }

    #[tokio::test]
    async fn a_connection_ends_after_its_maximum_lifetime() {
        let (address, calls) = start(quick(60_000, 400)).await;
        let (mut client, _) = connect(&address, &calls).await;
        client.send(Message::text("busy")).await.unwrap();
        expect_close(client, 1001).await;
        let disconnected = invoked_times(&calls, "ws-disconnect", 1).await;
        assert_eq!(
            disconnected[0]["requestContext"]["disconnectStatusCode"],
            1001
        );
    }

    #[tokio::test]
    async fn disconnect_runs_once_with_the_clients_close_code() {
        let (address, calls) = start(Settings::default()).await;
        let (mut client, id) = connect(&address, &calls).await;
        let frame = CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        };
        client.close(Some(frame)).await.unwrap();
        // The server answers the close and hangs up.
        while let Ok(Some(Ok(_))) =
            tokio::time::timeout(Duration::from_secs(5), client.next()).await
        {}
        drop(client);
        let started = Instant::now();
        let disconnected = invoked_times(&calls, "ws-disconnect", 1).await;
        assert!(
            started.elapsed() < CLOSING_GRACE / 2,
            "$disconnect comes at once"
        );
        let context = &disconnected[0]["requestContext"];
        assert_eq!(context["eventType"], "DISCONNECT");
        assert_eq!(context["routeKey"], "$disconnect");
        assert_eq!(context["connectionId"], id.as_str());
        assert_eq!(context["disconnectStatusCode"], 1000);
        assert_eq!(context["disconnectReason"], "bye");

        let (client, _) = connect(&address, &calls).await;
        drop(client);
        let disconnected = invoked_times(&calls, "ws-disconnect", 2).await;
        assert_eq!(
            disconnected[1]["requestContext"]["disconnectStatusCode"],
            1006
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            invoked(&calls, "ws-disconnect").len(),
            2,
            "one $disconnect per connection"
        );
    }

    #[tokio::test]
    async fn a_plain_request_is_not_upgraded() {
        let (address, calls) = start(Settings::default()).await;
        let (status, _, _) = http(&address, Method::GET, "/local", vec![]).await;
        assert_eq!(status, StatusCode::UPGRADE_REQUIRED);
        assert!(calls.lock().unwrap().is_empty());
    }

    #[test]
    fn ids_look_like_api_gateways() {
        let ids: std::collections::BTreeSet<String> = (0..100).map(|_| random_id()).collect();
        assert_eq!(ids.len(), 100);
        for id in ids {
            assert_eq!(id.len(), 16, "{id}");
            assert!(id.ends_with('='), "{id}");
            assert!(
                id[..15]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "{id}"
            );
        }
    }

    #[test]
    fn management_paths_name_a_connection() {
        assert_eq!(
            management_target("/@connections/abc%3D").as_deref(),
            Some("abc=")
        );
        assert_eq!(
            management_target("/local/@connections/abc").as_deref(),
            Some("abc")
        );
        assert_eq!(management_target("/local"), None);
        assert_eq!(management_target("/a/b/@connections/abc"), None);
    }
}
