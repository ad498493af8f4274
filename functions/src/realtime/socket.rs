//! The plumbing of the WebSocket functions: API Gateway's WebSocket proxy event in, its
//! proxy response out. On a route with a route response (every message route of the
//! template), the response's body is the frame the client gets back.

use std::convert::Infallible;
use std::future::Future;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use serde::Deserialize;
use shared::domain::AuctionId;
use shared::realtime::{ErrorCode, ServerEvent};

pub type SocketRequest = ApiGatewayWebsocketProxyRequest;

/// What a WebSocket function answers.
#[derive(Debug)]
pub enum Reply {
    /// `$connect` accepted, `$disconnect` done: no frame.
    Done,
    /// `$connect` refused with this status: the upgrade is refused.
    Refuse(u16),
    /// This frame goes back to the client.
    Frame(ServerEvent),
}

impl Reply {
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Frame(ServerEvent::error(code, message))
    }

    fn into_response(self) -> ApiGatewayProxyResponse {
        let mut response = ApiGatewayProxyResponse::default();
        match self {
            Reply::Done => response.status_code = 200,
            Reply::Refuse(status) => response.status_code = i64::from(status),
            Reply::Frame(event) => {
                response.status_code = 200;
                response.body = Some(Body::Text(event.to_json()));
            }
        }
        response
    }
}

/// Logs a store failure a WebSocket function answers for (its reply says only "try again").
pub fn log_store_failure(error: &shared::store::StoreError) {
    tracing::error!(error = %shared::telemetry::error_chain(error), "the store failed");
}

/// Runs `handler` for every event of this WebSocket function.
pub async fn serve_socket<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(SocketRequest) -> Fut + Sync,
    Fut: Future<Output = Reply> + Send,
{
    let handler = &handler;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<SocketRequest>| async move {
            Ok::<_, Infallible>(handler(event.payload).await.into_response())
        },
    ))
    .await
}

/// API Gateway's id of the event's connection (always present on WebSocket events).
pub fn connection_id(request: &SocketRequest) -> Option<&str> {
    request
        .request_context
        .connection_id
        .as_deref()
        .filter(|id| !id.is_empty())
}

/// A client message naming an auction: `{"action": ..., "auctionId": "<uuid>"}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuctionMessage {
    auction_id: Option<serde_json::Value>,
}

/// The `auctionId` of a subscribe or unsubscribe message, or the error frame saying what is
/// wrong with it.
pub fn auction_of(request: &SocketRequest) -> Result<AuctionId, Reply> {
    let body = request.body.as_deref().unwrap_or_default();
    let message: AuctionMessage = serde_json::from_str(body).map_err(|_| {
        Reply::error(
            ErrorCode::BadMessage,
            "A message is a JSON object with an `action`.",
        )
    })?;
    let text = match message.auction_id {
        Some(serde_json::Value::String(text)) => text,
        Some(_) => {
            return Err(Reply::error(
                ErrorCode::InvalidField,
                "`auctionId` must be a string.",
            ));
        }
        None => {
            return Err(Reply::error(
                ErrorCode::InvalidField,
                "`auctionId` is required.",
            ));
        }
    };
    AuctionId::parse(&text).map_err(|_| {
        Reply::error(
            ErrorCode::InvalidField,
            "`auctionId` is not an auction id (a UUID).",
        )
    })
}
