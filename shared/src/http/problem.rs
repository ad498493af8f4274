//! The one HTTP error type. Expected failures are variants with a stable upper-snake `code`;
//! everything else is `Unexpected`, logged with its cause chain and answered generically.

use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::store::StoreError;
use crate::telemetry::error_chain;

/// One invalid field of a request, for `422 VALIDATION_FAILED`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Every way a request can fail, as the API contract names them.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("malformed request: {0}")]
    MalformedRequest(String),
    /// No access token, or one that is not valid (or whose account or session is gone).
    #[error("unauthenticated")]
    Unauthenticated,
    /// An access token we signed whose lifetime is over: refreshing gives a new one.
    #[error("access token expired")]
    AccessTokenExpired,
    /// A refresh token that is unknown, expired, revoked or already used: the session is over
    /// and only signing in again helps (an access token would not).
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    /// A login with an unknown account or a wrong password (one answer for both).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// A request that authenticates otherwise than with a token (a signed webhook) and failed.
    #[error("unauthorized ({code}): {detail}")]
    Unauthorized { code: &'static str, detail: String },
    #[error("forbidden ({code}): {detail}")]
    Forbidden { code: &'static str, detail: String },
    #[error("not found")]
    NotFound,
    /// A `404 NOT_FOUND` whose detail says what is missing (`No auction has this code.`).
    #[error("not found: {0}")]
    NotFoundSaying(&'static str),
    #[error("conflict ({code}): {detail}")]
    Conflict {
        code: &'static str,
        detail: String,
        extensions: Map<String, Value>,
    },
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("too many requests ({code})")]
    TooManyRequests {
        code: &'static str,
        detail: String,
        retry_after_secs: u64,
    },
    #[error("service unavailable, retry in {retry_after_secs}s")]
    Unavailable { retry_after_secs: u64 },
    #[error("unexpected error")]
    Unexpected(#[from] anyhow::Error),
}

impl ApiError {
    /// A `422` for a single field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// A `409` with a stable code and no extensions.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
            extensions: Map::new(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::MalformedRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthenticated
            | Self::AccessTokenExpired
            | Self::InvalidRefreshToken
            | Self::InvalidCredentials
            | Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound | Self::NotFoundSaying(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document clients see: never an internal message.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let (code, detail) = match self {
            Self::MalformedRequest(detail) => ("MALFORMED_REQUEST", detail.clone()),
            Self::Unauthenticated => (
                "UNAUTHENTICATED",
                "A valid access token is required.".to_string(),
            ),
            Self::AccessTokenExpired => (
                "UNAUTHENTICATED",
                "The access token has expired; refresh it with POST /auth/refresh.".to_string(),
            ),
            Self::InvalidRefreshToken => (
                "UNAUTHENTICATED",
                "The refresh token is invalid, expired or revoked; sign in again.".to_string(),
            ),
            Self::InvalidCredentials => (
                "INVALID_CREDENTIALS",
                "The login or the password is wrong.".to_string(),
            ),
            Self::Forbidden { code, detail } | Self::Unauthorized { code, detail } => {
                (*code, detail.clone())
            }
            Self::NotFound => ("NOT_FOUND", "No such resource.".to_string()),
            Self::NotFoundSaying(detail) => ("NOT_FOUND", (*detail).to_string()),
            Self::Conflict { code, detail, .. } => (*code, detail.clone()),
            Self::Validation(_) => (
                "VALIDATION_FAILED",
                "The request has invalid fields.".to_string(),
            ),
            Self::TooManyRequests { code, detail, .. } => (*code, detail.clone()),
            Self::Unavailable { .. } => (
                "SERVICE_UNAVAILABLE",
                "The service is busy; retry after the given delay.".to_string(),
            ),
            Self::Unexpected(_) => (
                "INTERNAL_ERROR",
                "Something went wrong on our side.".to_string(),
            ),
        };
        let mut extensions = match self {
            Self::Conflict { extensions, .. } => extensions.clone(),
            _ => Map::new(),
        };
        if let Self::Validation(errors) = self {
            extensions.insert("errors".into(), serde_json::json!(errors));
        }
        Problem {
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail,
            code: code.to_string(),
            extensions,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyRequests {
                retry_after_secs, ..
            }
            | Self::Unavailable { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// The `WWW-Authenticate` challenge of a `401` about the bearer token (RFC 6750 §3); the
    /// refresh-token and login refusals are about a body, not a bearer token, and carry none.
    fn challenge(&self) -> Option<&'static str> {
        match self {
            Self::Unauthenticated => Some("Bearer"),
            Self::AccessTokenExpired => Some(
                r#"Bearer error="invalid_token", error_description="The access token expired""#,
            ),
            _ => None,
        }
    }

    /// Logs the failure (server faults with their cause chain) and renders it.
    pub fn into_response(self) -> Response<Body> {
        let problem = self.problem();
        match &self {
            Self::Unexpected(cause) => {
                tracing::error!(code = %problem.code, error.chain = %format!("{cause:#}"), "request failed");
            }
            _ => tracing::info!(status = problem.status, code = %problem.code, "request refused"),
        }
        let mut builder = Response::builder()
            .status(self.status())
            .header(header::CONTENT_TYPE, "application/problem+json");
        if let Some(seconds) = self.retry_after() {
            builder = builder.header(header::RETRY_AFTER, seconds);
        }
        if let Some(challenge) = self.challenge() {
            builder = builder.header(header::WWW_AUTHENTICATE, challenge);
        }
        let body = serde_json::to_string(&problem).unwrap_or_else(|_| {
            r#"{"status":500,"title":"Internal Server Error","code":"INTERNAL_ERROR"}"#.into()
        });
        builder
            .body(Body::Text(body))
            .unwrap_or_else(|_| Response::new(Body::Empty))
    }
}

/// A failed store call. Handlers map the failures they expect (a lost race is usually a
/// specific 409 of theirs); this is the answer for the rest: a record that changed under the
/// request is a generic 409, a busy or unreachable store a 503 the client may retry, and
/// anything else our fault.
impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::ConditionFailed(_) => Self::conflict(
                "CONCURRENT_UPDATE",
                "The resource changed while the request was processed; read it again and retry.",
            ),
            StoreError::Throttled(_)
            | StoreError::TransactionConflict
            | StoreError::Unreachable(_) => {
                tracing::warn!(error = %error_chain(&error), "store busy or unreachable");
                Self::Unavailable {
                    retry_after_secs: 1,
                }
            }
            StoreError::InvalidCursor => {
                Self::invalid("cursor", "is not a cursor this list issued")
            }
            other => Self::Unexpected(anyhow::Error::new(other)),
        }
    }
}

/// RFC 9457 problem details, with the contract's `code` and any extensions flattened in.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Problem {
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable, upper-snake machine-readable code (`BID_TOO_LOW`).
    pub code: String,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extensions: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_json(response: &Response<Body>) -> Value {
        match response.body() {
            Body::Text(text) => serde_json::from_str(text).unwrap(),
            other => panic!("unexpected body {other:?}"),
        }
    }

    #[test]
    fn unexpected_errors_hide_their_cause() {
        let error = ApiError::Unexpected(anyhow::anyhow!("table dev-users is on fire"));
        let response = error.into_response();
        assert_eq!(response.status(), 500);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let body = body_json(&response);
        assert_eq!(body["code"], "INTERNAL_ERROR");
        assert!(!body.to_string().contains("on fire"));
    }

    #[test]
    fn validation_errors_list_fields() {
        let response = ApiError::invalid("amount", "must be greater than 0").into_response();
        assert_eq!(response.status(), 422);
        let body = body_json(&response);
        assert_eq!(body["code"], "VALIDATION_FAILED");
        assert_eq!(body["errors"][0]["field"], "amount");
    }

    #[test]
    fn conflicts_carry_their_extensions() {
        let mut extensions = Map::new();
        extensions.insert("minimumBid".into(), Value::String("105.00".into()));
        let error = ApiError::Conflict {
            code: "BID_TOO_LOW",
            detail: "The bid is below the minimum.".into(),
            extensions,
        };
        let body = body_json(&error.into_response());
        assert_eq!(body["status"], 409);
        assert_eq!(body["code"], "BID_TOO_LOW");
        assert_eq!(body["minimumBid"], "105.00");
    }

    #[test]
    fn store_failures_map_to_retryable_or_conflict_answers() {
        let lost_race = StoreError::ConditionFailed(crate::store::ConditionFailed {
            collection: crate::store::Collection::Items,
            operation: 0,
            current: None,
        });
        let error = ApiError::from(lost_race);
        assert_eq!(error.status(), StatusCode::CONFLICT);
        assert_eq!(error.problem().code, "CONCURRENT_UPDATE");
        for busy in [
            StoreError::TransactionConflict,
            StoreError::Throttled("slow down".into()),
        ] {
            assert_eq!(
                ApiError::from(busy).status(),
                StatusCode::SERVICE_UNAVAILABLE
            );
        }
        let bug = ApiError::from(StoreError::PlaceholderClash(":v".into()));
        assert_eq!(bug.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn bearer_refusals_carry_a_challenge() {
        let response = ApiError::Unauthenticated.into_response();
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
        let response = ApiError::AccessTokenExpired.into_response();
        assert_eq!(response.status(), 401);
        assert!(
            response.headers()[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .starts_with(r#"Bearer error="invalid_token""#)
        );
        assert_eq!(body_json(&response)["code"], "UNAUTHENTICATED");
        for other in [ApiError::InvalidRefreshToken, ApiError::InvalidCredentials] {
            let response = other.into_response();
            assert_eq!(response.status(), 401);
            assert!(response.headers().get(header::WWW_AUTHENTICATE).is_none());
        }
    }

    #[test]
    fn busy_answers_say_when_to_retry() {
        let response = ApiError::Unavailable {
            retry_after_secs: 2,
        }
        .into_response();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
    }
}
