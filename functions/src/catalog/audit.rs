//! `GET /auctions/{auctionId}/audit`: the auction's audit log, newest first (owner, managers,
//! staff).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::audit::{AuditAction, AuditRecord};
use shared::catalog::access::Power;
use shared::domain::{Timestamp, UserId};
use shared::http::{ApiError, check_cursor, json, page_parameters_into, refused_query};
use shared::store::{Index, Query, s};

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
        ("limit" = Option<u32>, Query, description = "1 to 100, default 20."),
        ("cursor" = Option<String>, Query, description = "From the previous page."),
    ),
    responses(
        (status = 200, description = "A page of entries.", body = AuditList),
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
    let query = Query::index(Index::AUDIT_BY_AUCTION, s(auction.id.to_string()))
        .descending()
        .limit(limit)
        .after(cursor.as_deref());
    check_cursor(&query, &mut errors);
    refused_query(errors)?;
    let page = state.store.query::<AuditRecord>(query).await?;
    let list = AuditList {
        next_cursor: page.next_cursor,
        items: page.items.into_iter().map(AuditEntry::from).collect(),
    };
    json(StatusCode::OK, &list)
}
