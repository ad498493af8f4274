//! `GET /health`: whether this deployment can reach its store.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use crate::AppState;
use shared::http::{ApiError, json};

/// The health of the deployment.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` when the store answers.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Answers 200 when the store answers a read, 503 (with `Retry-After`) when it does not.
#[utoipa::path(
    get,
    path = "/health",
    tag = "platform",
    operation_id = "getHealth",
    responses(
        (status = 200, description = "The store answers.", body = Health),
        (status = 503, description = "The store does not answer.", body = shared::http::Problem,
            content_type = "application/problem+json"),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_health(state: &AppState, _request: Request) -> Result<Response<Body>, ApiError> {
    match state.store.ping().await {
        Ok(()) => json(StatusCode::OK, &Health { status: "ok" }),
        Err(error) => {
            tracing::warn!(error = %shared::telemetry::error_chain(&error), "store did not answer");
            Err(ApiError::Unavailable {
                retry_after_secs: 5,
            })
        }
    }
}
