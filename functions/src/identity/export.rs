//! `GET /me/export`: everything stored about the caller, in one JSON document.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use serde_json::Value;
use shared::domain::Timestamp;
use shared::http::{ApiError, json};
use shared::store::{Index, Query, s};

use super::view::UserView;
use crate::AppState;

/// Everything stored about one account (secrets such as hashes are left out).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonalData {
    pub exported_at: Timestamp,
    pub profile: UserView,
    #[schema(value_type = Vec<Object>)]
    pub sessions: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub memberships: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub bids: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub totals: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub notifications: Vec<Value>,
}

/// Exports the caller's personal data.
#[utoipa::path(
    get,
    path = "/me/export",
    tag = "identity",
    operation_id = "exportMe",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Everything stored about the caller.", body = PersonalData),
        (status = 401, description = "No valid token.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_me_export(state: &AppState, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    caller.require("profile:export:own")?;
    let id = caller.id().to_string();
    let all = |index: Index| everything(state, index, &id);
    let mut sessions = all(Index::SESSIONS_BY_USER).await?;
    for session in &mut sessions {
        if let Value::Object(fields) = session {
            fields.remove("tokenHash");
        }
    }
    let data = PersonalData {
        exported_at: state.clock.now(),
        sessions,
        memberships: all(Index::MEMBERSHIPS_BY_USER).await?,
        bids: all(Index::BIDS_BY_BIDDER).await?,
        totals: all(Index::TOTALS_BY_BIDDER).await?,
        notifications: all(Index::NOTIFICATIONS_BY_USER).await?,
        profile: caller.into(),
    };
    json(StatusCode::OK, &data)
}

/// Every record of `index`'s partition `key`, as JSON, following pages to the end.
async fn everything(state: &AppState, index: Index, key: &str) -> Result<Vec<Value>, ApiError> {
    let mut records = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = Query::index(index, s(key))
            .limit(100)
            .after(cursor.as_deref());
        let page = state.store.query_json(query).await?;
        records.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(records),
        }
    }
}
