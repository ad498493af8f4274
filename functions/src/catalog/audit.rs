//! `GET /auctions/{auctionId}/audit`: the auction's audit log, newest first (owner, managers,
//! staff), of one `action` and within a time range when asked.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::audit::{AuditAction, AuditRecord};
use shared::catalog::access::Power;
use shared::domain::{Timestamp, UserId};
use shared::http::{
    ApiError, FieldError, check_cursor, json, page_parameters_into, query_parameter, refused_query,
};
use shared::store::{Condition, Index, Query, s, to_attribute};

use super::auctions::visible_auction;
use crate::AppState;

/// One audit entry.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: String,
    pub at: Timestamp,
    pub actor_id: Option<UserId>,
    pub action: AuditAction,
    pub target_id: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Map<String, serde_json::Value>,
}

impl From<AuditRecord> for AuditEntry {
    fn from(entry: AuditRecord) -> Self {
        Self {
            id: entry.id,
            at: entry.at,
            actor_id: entry.actor_id,
            action: entry.action,
            target_id: entry.target_id,
            details: entry.details,
        }
    }
}

/// A page of the audit log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditList {
    pub items: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

/// The auction's audit log, newest first.
#[utoipa::path(
    get,
    path = "/auctions/{auctionId}/audit",
    tag = "catalog",
    operation_id = "listAuctionAudit",
    security(("bearer" = [])),
    params(
        ("auctionId" = String, Path, description = "The auction's id."),
        ("action" = Option<AuditAction>, Query, description = "Only entries of this action (a page may then hold fewer than `limit`; follow `nextCursor`)."),
        ("from" = Option<String>, Query, description = "Only entries at or after this time (RFC 3339)."),
        ("to" = Option<String>, Query, description = "Only entries at or before this time (RFC 3339)."),
        ("limit" = Option<u32>, Query, description = "1 to 100, default 20."),
        ("cursor" = Option<String>, Query, description = "From the previous page."),
    ),
    responses(
        (status = 200, description = "A page of entries.", body = AuditList),
        (status = 422, description = "An unknown `action`, a `from` or `to` that is not a time, `from` after `to`.", body = shared::http::Problem),
        (status = 403, description = "Not the auction's owner, a manager or staff.", body = shared::http::Problem),
        (status = 404, description = "No such auction the caller may see.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_auctions_auction_audit(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let (auction, access) = visible_auction(state, &request, Some(&caller)).await?;
    access.require(&auction, Power::ReadAudit)?;
    let mut errors = Vec::new();
    let (limit, cursor) = page_parameters_into(&request, &mut errors);
    let mut time = |name: &'static str| {
        query_parameter(&request, name).and_then(|text| {
            Timestamp::parse(text)
                .map_err(|_| errors.push(FieldError::new(name, "must be an RFC 3339 time")))
                .ok()
        })
    };
    let (from, to) = (time("from"), time("to"));
    let action = query_parameter(&request, "action").and_then(|text| {
        serde_json::from_value::<AuditAction>(serde_json::Value::String(text.into()))
            .map_err(|_| errors.push(FieldError::new("action", "is not an audit action")))
            .ok()
    });
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        errors.push(FieldError::new("from", "must not be after to"));
    }
    let mut query = Query::index(Index::AUDIT_BY_AUCTION, s(auction.id.to_string()))
        .descending()
        .limit(limit)
        .after(cursor.as_deref());
    let range = match (from, to) {
        (Some(from), Some(to)) => Some(
            Condition::new("#sort BETWEEN :from AND :to")
                .value(":from", s(from.to_string()))
                .value(":to", s(to.to_string())),
        ),
        (Some(from), None) => {
            Some(Condition::new("#sort >= :from").value(":from", s(from.to_string())))
        }
        (None, Some(to)) => Some(Condition::new("#sort <= :to").value(":to", s(to.to_string()))),
        (None, None) => None,
    };
    if let Some(range) = range {
        query = query.sort(range);
    }
    if let Some(action) = action {
        query = query.filter(
            Condition::new("#action = :action")
                .name("#action", "action")
                .value(":action", to_attribute(&action)?),
        );
    }
    check_cursor(&query, &mut errors);
    refused_query(errors)?;
    let page = state.store.query::<AuditRecord>(query).await?;
    let list = AuditList {
        next_cursor: page.next_cursor,
        items: page.items.into_iter().map(AuditEntry::from).collect(),
    };
    json(StatusCode::OK, &list)
}
