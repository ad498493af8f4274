//! `DELETE /bids/{bidId}` and `POST /bids/{bidId}/restore`: managers and staff take a bid out
//! (or put it back), with a reason. The item's summary, its entries and the totals are what a
//! replay of the bids that count gives, written in one transaction guarded by the item's
//! version.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::audit::{AuditAction, AuditRecord};
use shared::bidding::{BidRecord, BidStatus, TotalsRecord, totals_changes};
use shared::catalog::access::Power;
use shared::catalog::{AuctionAccess, AuctionRecord, ItemRecord, ItemStatus};
use shared::domain::BidId;
use shared::http::{ApiError, json, parse_json_body, path_parameter};
use shared::store::{Collection, MAX_WRITES, Read, StoreError};

use super::place::{BidView, summary_update, totals_update};
use super::replay::{item_bids, replay_item};
use crate::AppState;

/// Why the bid is removed (or restored): kept in the audit log.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RemovalReason {
    pub reason: String,
}

/// Restoring may say why.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RestoreReason {
    pub reason: Option<String>,
}

const REASON_LIMIT: usize = 500;

fn checked_reason(reason: Option<String>, required: bool) -> Result<Option<String>, ApiError> {
    let reason = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    match &reason {
        None if required => Err(ApiError::invalid("reason", "is required")),
        Some(r) if r.chars().count() > REASON_LIMIT => Err(ApiError::invalid(
            "reason",
            format!("must be at most {REASON_LIMIT} characters"),
        )),
        _ => Ok(reason),
    }
}

/// Removes a bid: the item is re-decided from the bids that remain.
#[utoipa::path(
    delete,
    path = "/bids/{bidId}",
    tag = "bidding",
    operation_id = "removeBid",
    security(("bearer" = [])),
    params(("bidId" = String, Path, description = "The bid's id.")),
    request_body = RemovalReason,
    responses(
        (status = 200, description = "The bid, now removed.", body = BidView),
        (status = 403, description = "Only managers, the owner and staff remove bids.", body = shared::http::Problem),
        (status = 404, description = "No such bid the caller may see.", body = shared::http::Problem),
        (status = 409, description = "`AUTOMATIC_BID` (remove the bid it answered), `BID_NOT_ACTIVE`, `ITEM_CLOSED`, `CONCURRENT_UPDATE`.", body = shared::http::Problem),
        (status = 422, description = "No reason given.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn delete_bids_bid(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let input: RemovalReason = parse_json_body(&request)?;
    let reason = checked_reason(Some(input.reason), true)?;
    change(state, &request, &caller, Change::Remove, reason).await
}

/// Restores a removed bid: the item is re-decided with it back in place.
#[utoipa::path(
    post,
    path = "/bids/{bidId}/restore",
    tag = "bidding",
    operation_id = "restoreBid",
    security(("bearer" = [])),
    params(("bidId" = String, Path, description = "The bid's id.")),
    request_body(content = Option<RestoreReason>, description = "Optionally, why."),
    responses(
        (status = 200, description = "The bid, back in place.", body = BidView),
        (status = 403, description = "Only managers, the owner and staff restore bids.", body = shared::http::Problem),
        (status = 404, description = "No such bid the caller may see.", body = shared::http::Problem),
        (status = 409, description = "`BID_NOT_REMOVED`, `ITEM_CLOSED`, `CONCURRENT_UPDATE`.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_bids_bid_restore(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let empty = matches!(request.body(), lambda_http::Body::Empty)
        || matches!(request.body(), lambda_http::Body::Text(t) if t.trim().is_empty());
    let input: RestoreReason = if empty {
        RestoreReason::default()
    } else {
        parse_json_body(&request)?
    };
    let reason = checked_reason(input.reason, false)?;
    change(state, &request, &caller, Change::Restore, reason).await
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    Remove,
    Restore,
}

async fn change(
    state: &AppState,
    request: &Request,
    caller: &shared::identity::Caller,
    change: Change,
    reason: Option<String>,
) -> Result<Response<Body>, ApiError> {
    let id: BidId = path_parameter(request, "bidId")?;
    let bid = state
        .store
        .get::<BidRecord>(&id.to_string(), Read::Strong)
        .await?
        .ok_or(ApiError::NotFound)?;
    let auction = state
        .store
        .get::<AuctionRecord>(&bid.auction_id.to_string(), Read::Strong)
        .await?
        .ok_or(ApiError::NotFound)?;
    let access = AuctionAccess::of(&state.store, Some(caller), &auction).await?;
    let permission = match change {
        Change::Remove => Power::RemoveBid,
        Change::Restore => Power::RestoreBid,
    };
    access.require(&auction, permission)?;
    if bid.automatic {
        return Err(ApiError::conflict(
            "AUTOMATIC_BID",
            "This bid was placed by the engine; remove the bid it answered.",
        ));
    }
    match (change, bid.status) {
        (Change::Remove, BidStatus::Removed) => {
            return Err(ApiError::conflict(
                "BID_NOT_ACTIVE",
                "This bid is removed already.",
            ));
        }
        (Change::Restore, BidStatus::Active | BidStatus::Superseded) => {
            return Err(ApiError::conflict(
                "BID_NOT_REMOVED",
                "This bid is not removed.",
            ));
        }
        _ => {}
    }
    let item = state
        .store
        .get::<ItemRecord>(&bid.item_id.to_string(), Read::Strong)
        .await?
        .ok_or(ApiError::NotFound)?;
    let now = state.clock.now();
    // After the hammer (the effective close, extensions and buy-now included) the bids stand
    // as they are: closing records the outcome from them, whatever the stored status says yet.
    if !matches!(item.status, ItemStatus::Upcoming | ItemStatus::Open) || now >= item.ends_at {
        return Err(item_closed());
    }
    let terms = super::terms_of(&item, &auction);

    let mut bids = item_bids(&state.store, &item)
        .await?
        .ok_or_else(too_many_bids)?;
    for entry in bids.iter_mut().filter(|b| b.id == bid.id) {
        entry.status = match change {
            Change::Remove => BidStatus::Removed,
            Change::Restore => BidStatus::Active,
        };
        entry.removal_reason = match change {
            Change::Remove => reason.clone(),
            Change::Restore => None,
        };
    }
    let replayed = replay_item(&item, &terms, &bids, now);
    let mut changed = replayed.changed;
    // The changed bid itself is written even if the replay left its entry as it was.
    if !changed.iter().any(|b| b.id == bid.id) {
        if let Some(entry) = bids.iter().find(|b| b.id == bid.id) {
            changed.push(BidRecord {
                updated_at: now,
                ..entry.clone()
            });
        }
    }
    let totals = totals_changes(&item.summary(), &replayed.summary);
    if changed.len() + totals.len() + 2 > MAX_WRITES {
        return Err(too_many_bids());
    }

    // Guarded like a bid: the same version, and the close still ahead.
    let mut transaction = state.store.transaction().update(
        Collection::Items,
        &item.id.to_string(),
        summary_update(&item, &replayed.summary, None, now, true)?,
    )?;
    for entry in &changed {
        transaction = transaction.put(entry, None)?;
    }
    for change in &totals {
        transaction = transaction.update(
            Collection::Totals,
            &TotalsRecord::key(item.auction_id, change.bidder),
            totals_update(&item, change, false, now),
        )?;
    }
    let action = match change {
        Change::Remove => AuditAction::BidRemoved,
        Change::Restore => AuditAction::BidRestored,
    };
    let mut audit = AuditRecord::new(action, Some(caller.id()), now)
        .target(bid.id)
        .detail("itemId", item.id.to_string())
        .detail("bidderNumber", bid.bidder_number)
        .detail("entriesChanged", changed.len());
    if let Some(reason) = &reason {
        audit = audit.detail("reason", reason.clone());
    }
    audit.auction_id = Some(item.auction_id);
    match state.store.transact(transaction.create(&audit)?).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed(failed)) if failed.collection == Collection::Items => {
            let current: Option<ItemRecord> = failed.current()?;
            return Err(match current {
                Some(current) if current.ends_at > now => ApiError::conflict(
                    "CONCURRENT_UPDATE",
                    "The item changed meanwhile; try again.",
                ),
                _ => item_closed(),
            });
        }
        Err(other) => return Err(other.into()),
    }
    tracing::info!(bid.id = %bid.id, item.id = %item.id, ?change, "bid removal changed");
    let shown = changed
        .iter()
        .find(|b| b.id == bid.id)
        .ok_or_else(|| anyhow::anyhow!("the changed bid is missing from its own replay"))?;
    json(StatusCode::OK, &BidView::new(shown, &terms)?)
}

fn item_closed() -> ApiError {
    ApiError::conflict(
        "ITEM_CLOSED",
        "The item has closed; its bids no longer change.",
    )
}

fn too_many_bids() -> ApiError {
    ApiError::conflict(
        "TOO_MANY_BIDS_TO_REPLAY",
        "Too many of this item's bids would change at once to replay and write them in one step.",
    )
}
