//! `GET /me/sessions` and `DELETE /me/sessions/{sessionId}`: the caller's sign-ins.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::domain::{SessionId, Timestamp};
use shared::http::{
    ApiError, check_cursor, json, no_content, page_parameters_into, path_parameter, refused_query,
};
use shared::identity::SessionRecord;
use shared::store::{Index, Query, Read, s};

use super::refresh::revoke;
use crate::AppState;

/// One live sign-in of the caller.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub id: SessionId,
    pub user_agent: Option<String>,
    pub source_ip: Option<String>,
    pub created_at: Timestamp,
    pub last_used_at: Timestamp,
    /// The session of the token making this request.
    pub current: bool,
}

/// The caller's live sessions, most recent first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionList {
    pub items: Vec<SessionView>,
    pub next_cursor: Option<String>,
}

/// Lists the caller's live sessions.
#[utoipa::path(
    get,
    path = "/me/sessions",
    tag = "identity",
    operation_id = "listMySessions",
    security(("bearer" = [])),
    params(
        ("limit" = Option<u32>, Query, description = "At most this many (default 20, max 100)."),
        ("cursor" = Option<String>, Query, description = "Where the previous page ended."),
    ),
    responses(
        (status = 200, description = "Live sessions, newest first, a page at a time.", body = SessionList),
        (status = 401, description = "No valid token.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_me_sessions(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    caller.require("session:manage:own")?;
    let now = state.clock.now();
    let mut errors = Vec::new();
    let (limit, cursor) = page_parameters_into(&request, &mut errors);
    let query = Query::index(Index::SESSIONS_BY_USER, s(caller.id().to_string()))
        .descending()
        .limit(limit)
        .after(cursor.as_deref());
    check_cursor(&query, &mut errors);
    refused_query(errors)?;
    let page = state.store.query::<SessionRecord>(query).await?;
    // Ended, expired and superseded sessions (a password change) are left out, so a page
    // may hold fewer than `limit` while `nextCursor` says there is more.
    let items = page
        .items
        .into_iter()
        .filter(|session| session.is_current(now, caller.user.credentials_version))
        .map(|session| SessionView {
            current: Some(session.id) == caller.session,
            id: session.id,
            user_agent: session.user_agent,
            source_ip: session.source_ip,
            created_at: session.created_at,
            last_used_at: session.last_used_at,
        })
        .collect();
    json(
        StatusCode::OK,
        &SessionList {
            items,
            next_cursor: page.next_cursor,
        },
    )
}

/// Ends one of the caller's sessions.
#[utoipa::path(
    delete,
    path = "/me/sessions/{sessionId}",
    tag = "identity",
    operation_id = "revokeMySession",
    security(("bearer" = [])),
    params(("sessionId" = String, Path, description = "The session to end.")),
    responses(
        (status = 204, description = "The session is over."),
        (status = 404, description = "No such session of the caller.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn delete_me_sessions_session(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    caller.require("session:manage:own")?;
    let id: SessionId = path_parameter(&request, "sessionId")?;
    // Someone else's session answers exactly like a session that does not exist.
    let session = state
        .store
        .get::<SessionRecord>(&id.to_string(), Read::Strong)
        .await?
        .filter(|session| session.user_id == caller.id())
        .ok_or(ApiError::NotFound)?;
    revoke(state, &session, state.clock.now()).await?;
    no_content()
}
