//! Starting a session: a session record with the hash of a fresh refresh token, and an
//! access token, answered together with the account.

use chrono::TimeDelta;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde::Serialize;
use shared::domain::{SessionId, Timestamp};
use shared::http::ApiError;
use shared::identity::sessions::SESSION_DAYS;
use shared::identity::{Caller, RefreshToken, Secret, SessionRecord, UserRecord};

use super::view::UserView;
use crate::AppState;

/// What a successful register, login or refresh answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthTokens {
    pub user: UserView,
    /// EdDSA JWT for `Authorization: Bearer`.
    pub access_token: Secret,
    /// Opaque; exchange it at `/auth/refresh` for a new pair. Each one works once.
    pub refresh_token: Secret,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

/// A new session for `user`, from the request's client, and its refresh token.
pub(super) fn new_session(
    user: &UserRecord,
    request: &Request,
    now: Timestamp,
) -> Result<(SessionRecord, RefreshToken), ApiError> {
    let id = SessionId::new();
    let token = RefreshToken::generate(id)?;
    let (source_ip, user_agent) = client_of(request);
    let session = SessionRecord {
        id,
        user_id: user.id,
        token_hash: token.hash(),
        user_agent,
        source_ip,
        created_at: now,
        last_used_at: now,
        expires_at: session_expiry(now),
        revoked_at: None,
        credentials_version: user.credentials_version,
    };
    Ok((session, token))
}

/// When a session used at `now` expires (epoch seconds).
pub(super) fn session_expiry(now: Timestamp) -> i64 {
    now.plus(TimeDelta::days(SESSION_DAYS)).epoch_seconds()
}

/// The answer for `caller` holding `refresh`: a fresh access token and the account.
pub(super) fn tokens_for(
    state: &AppState,
    caller: Caller,
    refresh: &RefreshToken,
) -> Result<AuthTokens, ApiError> {
    let (access_token, expires_in) = state
        .tokens
        .issue(caller.id(), refresh.session, state.clock.now())
        .map_err(|e| ApiError::Unexpected(anyhow::Error::new(e)))?;
    Ok(AuthTokens {
        user: caller.into(),
        access_token: Secret::new(access_token),
        refresh_token: Secret::new(refresh.text()),
        expires_in,
    })
}

/// The client's address and user agent, as API Gateway saw them.
fn client_of(request: &Request) -> (Option<String>, Option<String>) {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(256).collect::<String>())
    };
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => (
            context.http.source_ip.clone(),
            context
                .http
                .user_agent
                .clone()
                .or_else(|| header("user-agent")),
        ),
        _ => (None, header("user-agent")),
    }
}
