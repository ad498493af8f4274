//! `POST /auth/logout`: ends the session of a refresh token.

use lambda_http::{Body, Request, Response};
use shared::http::{ApiError, no_content, parse_json_body};
use shared::identity::RefreshToken;

use super::refresh::{RefreshRequest, live_session, revoke};
use crate::AppState;

/// Ends the session. Answers 204 whatever the token, so it reveals nothing.
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "identity",
    operation_id = "logout",
    request_body = RefreshRequest,
    responses((status = 204, description = "The session is over.")),
)]
#[tracing::instrument(skip_all)]
pub async fn post_auth_logout(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let body: RefreshRequest = parse_json_body(&request)?;
    let Some(presented) = RefreshToken::parse(body.refresh_token.expose()) else {
        return no_content();
    };
    let now = state.clock.now();
    // A stale token revokes the session inside `live_session`; a current one is revoked here.
    match live_session(state, &presented, now).await {
        Ok(session) => revoke(state, &session, now).await?,
        Err(ApiError::InvalidRefreshToken) => {}
        Err(other) => return Err(other),
    }
    no_content()
}
