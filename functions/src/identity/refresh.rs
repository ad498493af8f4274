//! `POST /auth/refresh`: a new token pair for a current refresh token. Each refresh token works
//! once; presenting one that was already rotated (a copy in other hands) revokes the session.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::domain::Timestamp;
use shared::http::{ApiError, json, parse_json_body};
use shared::identity::{Caller, RefreshToken, Secret, SessionRecord, UserRecord, require_active};
use shared::store::{Condition, Read, StoreError, Update, n, s};

use super::session::{AuthTokens, session_expiry, tokens_for};
use crate::AppState;

/// A refresh token to exchange (or to end, at logout).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RefreshRequest {
    pub refresh_token: Secret,
}

/// Rotates the refresh token and issues a new access token.
#[utoipa::path(
    post,
    path = "/auth/refresh",
    tag = "identity",
    operation_id = "refresh",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new pair.", body = AuthTokens),
        (status = 401, description = "Unknown, expired, revoked or reused token.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_auth_refresh(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let body: RefreshRequest = parse_json_body(&request)?;
    let presented =
        RefreshToken::parse(body.refresh_token.expose()).ok_or(ApiError::InvalidRefreshToken)?;
    let now = state.clock.now();
    let session = live_session(state, &presented, now).await?;
    let user = state
        .store
        .get::<UserRecord>(&session.user_id.to_string(), Read::Strong)
        .await?
        .ok_or(ApiError::InvalidRefreshToken)?;
    // A purged account's session ends like any other; a disabled one says why.
    require_active(&user).map_err(|error| match error {
        ApiError::Unauthenticated => ApiError::InvalidRefreshToken,
        other => other,
    })?;
    if session.credentials_version != user.credentials_version {
        // The password changed since this session began: it is over.
        revoke(state, &session, now).await?;
        return Err(ApiError::InvalidRefreshToken);
    }

    let next = RefreshToken::generate(session.id)?;
    let rotate = Update::new("SET #hash = :next, #lastUsedAt = :now, #expiresAt = :expires")
        .name("#hash", "tokenHash")
        .name("#lastUsedAt", "lastUsedAt")
        .name("#expiresAt", "expiresAt")
        .value(":next", s(next.hash()))
        .value(":now", s(now.to_string()))
        .value(":expires", n(session_expiry(now)))
        .when(
            Condition::new("#hash = :presented AND attribute_not_exists(#revokedAt)")
                .name("#revokedAt", "revokedAt")
                .value(":presented", s(presented.hash())),
        );
    match state
        .store
        .update::<SessionRecord>(&session.id.to_string(), rotate)
        .await
    {
        Ok(_) => {}
        // Another refresh with the same token won the race: this one is a reuse.
        Err(StoreError::ConditionFailed(_)) => {
            revoke(state, &session, now).await?;
            return Err(ApiError::InvalidRefreshToken);
        }
        Err(other) => return Err(other.into()),
    }
    let caller = Caller::load(&state.store, user).await?;
    json(StatusCode::OK, &tokens_for(state, caller, &next)?)
}

/// The session `presented` belongs to, if it is live and `presented` is its current token.
/// A token that is not current revokes the session: someone kept a copy of it.
pub(super) async fn live_session(
    state: &AppState,
    presented: &RefreshToken,
    now: Timestamp,
) -> Result<SessionRecord, ApiError> {
    let session = state
        .store
        .get::<SessionRecord>(&presented.session.to_string(), Read::Strong)
        .await?
        .filter(|session| session.is_live(now))
        .ok_or(ApiError::InvalidRefreshToken)?;
    if session.token_hash != presented.hash() {
        revoke(state, &session, now).await?;
        tracing::warn!(session.id = %session.id,
            "an already rotated refresh token was presented; session revoked");
        return Err(ApiError::InvalidRefreshToken);
    }
    Ok(session)
}

/// Ends `session` (idempotent).
pub(super) async fn revoke(
    state: &AppState,
    session: &SessionRecord,
    now: Timestamp,
) -> Result<(), ApiError> {
    let revoke = Update::new("SET #revokedAt = if_not_exists(#revokedAt, :now)")
        .name("#revokedAt", "revokedAt")
        .value(":now", s(now.to_string()));
    state
        .store
        .update::<SessionRecord>(&session.id.to_string(), revoke)
        .await?;
    Ok(())
}
