//! `GET /me/export`: everything stored about the caller, in one JSON document.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::domain::Timestamp;
use shared::http::{ApiError, json, page_parameters};
use shared::store::{Index, Query, s};

use super::view::UserView;
use crate::AppState;

/// Everything stored about one account (secrets such as hashes are left out), a page at a
/// time: each page holds the profile and at most [`PAGE_RECORDS`] records, section by section
/// in the order below; `nextCursor` asks for the rest.
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
    /// `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Records in one page of the export, whatever their sections.
pub const PAGE_RECORDS: usize = 500;

/// The sections, in the order they are exported, each a query on the caller's own records.
const SECTIONS: [Index; 5] = [
    Index::SESSIONS_BY_USER,
    Index::MEMBERSHIPS_BY_USER,
    Index::BIDS_BY_BIDDER,
    Index::TOTALS_BY_BIDDER,
    Index::NOTIFICATIONS_BY_USER,
];

/// Where a page of the export starts: a section, and the store's cursor inside it.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Position {
    section: usize,
    inner: Option<String>,
}

/// Exports the caller's personal data.
#[utoipa::path(
    get,
    path = "/me/export",
    tag = "identity",
    operation_id = "exportMe",
    security(("bearer" = [])),
    params(("cursor" = Option<String>, Query, description = "Where the previous page ended.")),
    responses(
        (status = 200, description = "Everything stored about the caller, a page at a time.", body = PersonalData),
        (status = 401, description = "No valid token.", body = shared::http::Problem),
        (status = 422, description = "`cursor` is not one this export issued.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_me_export(state: &AppState, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    caller.require("profile:export:own")?;
    let (_, cursor) = page_parameters(&request)?;
    let mut position = match cursor {
        Some(cursor) => decode(&cursor)?,
        None => Position::default(),
    };
    let id = caller.id().to_string();
    let mut sections: [Vec<Value>; 5] = Default::default();
    let mut taken = 0;
    // Each query fills what the page has left, so a page costs at most one query per
    // section plus one per 100 records.
    while let Some(index) = SECTIONS.get(position.section).copied() {
        let wanted = PAGE_RECORDS - taken;
        if wanted == 0 {
            break;
        }
        let query = Query::index(index, s(&id))
            .limit(u32::try_from(wanted.min(100)).unwrap_or(100))
            .after(position.inner.as_deref());
        let page = state.store.query_json(query).await?;
        taken += page.items.len();
        sections[position.section].extend(page.items);
        position = match page.next_cursor {
            Some(inner) => Position {
                section: position.section,
                inner: Some(inner),
            },
            None => Position {
                section: position.section + 1,
                inner: None,
            },
        };
    }
    for session in &mut sections[0] {
        if let Value::Object(fields) = session {
            fields.remove("tokenHash");
        }
    }
    let next_cursor = (position.section < SECTIONS.len())
        .then(|| encode(&position))
        .transpose()?;
    let [sessions, memberships, bids, totals, notifications] = sections;
    let data = PersonalData {
        exported_at: state.clock.now(),
        sessions,
        memberships,
        bids,
        totals,
        notifications,
        next_cursor,
        profile: caller.into(),
    };
    json(StatusCode::OK, &data)
}

fn invalid_cursor() -> ApiError {
    ApiError::invalid("cursor", "is not a cursor this export issued")
}

/// The cursor of `position` (the store checks the inner cursor stays in the caller's records).
fn encode(position: &Position) -> Result<String, ApiError> {
    let plain = serde_json::to_vec(position).map_err(anyhow::Error::new)?;
    Ok(URL_SAFE_NO_PAD.encode(plain))
}

fn decode(cursor: &str) -> Result<Position, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|plain| serde_json::from_slice::<Position>(&plain).ok())
        .filter(|position| position.section < SECTIONS.len())
        .ok_or_else(invalid_cursor)
}
