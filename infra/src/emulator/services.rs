//! The AWS service endpoints the functions call besides DynamoDB, on one port: EventBridge
//! Scheduler's REST API (`/schedules/{Name}`) and EventBridge's `PutEvents` (JSON 1.1, told
//! apart by its `X-Amz-Target` header). The functions reach it through `SCHEDULER_ENDPOINT`
//! and `EVENTBRIDGE_ENDPOINT`, as they would reach the regional endpoints.

use std::sync::Arc;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use serde_json::json;
use tokio::net::TcpListener;

use super::events::EventBus;
use super::scheduler::SchedulerApi;
use super::websocket::Invoker;
use super::{BodyError, aws_error, read_body, serve_http};

/// The largest request either API takes (`PutEvents` allows 256 KB).
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// Scheduler and the bus, in front of the functions they invoke.
pub struct ServicesFront<I> {
    pub scheduler: Arc<SchedulerApi>,
    pub bus: EventBus<I>,
}

impl<I: Invoker> ServicesFront<I> {
    /// Serves connections until the process ends.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) {
        serve_http(listener, false, move |request, _| {
            let front = self.clone();
            async move { front.handle(request).await }
        })
        .await;
    }

    async fn handle(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        let body = match read_body(body, MAX_REQUEST_BYTES).await {
            Ok(body) => body,
            Err(BodyError::TooLarge) => {
                return aws_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "ValidationException",
                    json!({"message": "the request is too large"}),
                );
            }
            Err(BodyError::Unreadable) => {
                return aws_error(
                    StatusCode::BAD_REQUEST,
                    "ValidationException",
                    json!({"message": "the request body could not be read"}),
                );
            }
        };
        let target = parts
            .headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok());
        let path = parts.uri.path();
        let response = match target {
            Some("AWSEvents.PutEvents") => self.bus.put_events(&body),
            Some(other) => aws_error(
                StatusCode::BAD_REQUEST,
                "UnknownOperationException",
                json!({"message": format!("{other} is not emulated")}),
            ),
            None => self.scheduler.handle(
                &parts.method,
                path,
                parts.uri.query().unwrap_or_default(),
                &body,
            ),
        };
        tracing::info!(
            service = if target.is_some() { "events" } else { "scheduler" },
            method = %parts.method,
            status = response.status().as_u16(),
            "request"
        );
        response
    }
}
