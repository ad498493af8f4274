//! `GET /auctions/{auctionId}/reconcile`: replays every item's bids through the rules and
//! compares the result with each item's stored summary and bid entries, and with every
//! bidder's totals. A clean report lists no differences.

use std::collections::{BTreeMap, BTreeSet};

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use rust_decimal::Decimal;
use serde::Serialize;
use shared::bidding::TotalsRecord;
use shared::catalog::{AuctionRecord, ItemRecord};
use shared::domain::{AuctionId, UserId};
use shared::http::{ApiError, json};
use shared::store::{Index, Store};

use super::replay::{item_bids, replay_item, stored_matches};
use crate::AppState;
use crate::catalog::auctions::visible_auction;

/// What a reconcile found.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReconcileReport {
    pub auction_id: AuctionId,
    pub items: usize,
    pub bids: usize,
    /// Each difference between the store and the replay (never a maximum's value).
    pub differences: Vec<String>,
}

/// Replays the auction's bids and reports what the store holds differently.
#[utoipa::path(
    get,
    path = "/auctions/{auctionId}/reconcile",
    tag = "bidding",
    operation_id = "reconcileAuction",
    security(("bearer" = [])),
    params(("auctionId" = String, Path, description = "The auction's id.")),
    responses(
        (status = 200, description = "The report; `differences` is empty when all agrees.", body = ReconcileReport),
        (status = 403, description = "Only those who run the auction, and staff.", body = shared::http::Problem),
        (status = 404, description = "No such auction the caller may see.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_auctions_auction_reconcile(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let (auction, access) = visible_auction(state, &request, Some(&caller)).await?;
    access.require(&auction, "reconcile:run")?;
    let report = reconcile(&state.store, &auction).await?;
    if !report.differences.is_empty() {
        tracing::warn!(auction.id = %auction.id, differences = report.differences.len(), "reconcile found differences");
    }
    json(StatusCode::OK, &report)
}

/// Replays every item of `auction` and compares (also the tests' check after each test).
pub async fn reconcile(
    store: &Store,
    auction: &AuctionRecord,
) -> Result<ReconcileReport, ApiError> {
    let items: Vec<ItemRecord> = store
        .query_all(Index::ITEMS_BY_AUCTION, &auction.id.to_string())
        .await?;
    let mut differences = Vec::new();
    let mut bid_count = 0;
    // What each bidder's totals must hold: the items they lead and the sum of their prices.
    let mut expected: BTreeMap<UserId, (Decimal, BTreeSet<String>)> = BTreeMap::new();
    for item in &items {
        let terms = super::terms_of(item, auction);
        let bids = item_bids(store, item).await?;
        bid_count += bids.len();
        let replayed = replay_item(item, &terms, &bids, item.updated_at);
        if !stored_matches(item, &replayed.summary) {
            differences.push(format!(
                "item {}: stored summary (price {:?}, leader {:?}, {} bids, ends {}) differs from the replay (price {:?}, leader {:?}, {} bids, ends {})",
                item.id,
                item.bidding.price.map(|p| p.to_string()),
                item.bidding.leader.as_ref().map(|l| l.bidder_number),
                item.bidding.bid_count,
                item.ends_at,
                replayed.summary.price.map(|p| p.to_string()),
                replayed.summary.leader.as_ref().map(|l| l.bidder_number),
                replayed.summary.bid_count,
                replayed.summary.ends_at,
            ));
        }
        for bid in &replayed.changed {
            differences.push(format!(
                "item {}: bid {} (sequence {}) is stored differently from the replay",
                item.id, bid.id, bid.sequence
            ));
        }
        if let (Some(leader), Some(price)) = (&item.bidding.leader, item.bidding.price) {
            let held = expected.entry(leader.bidder).or_default();
            held.0 += price.amount();
            held.1.insert(item.id.to_string());
        }
    }
    let stored: BTreeMap<UserId, TotalsRecord> = store
        .query_all::<TotalsRecord>(Index::TOTALS_BY_AUCTION, &auction.id.to_string())
        .await?
        .into_iter()
        .map(|t| (t.bidder_id, t))
        .collect();
    let bidders: BTreeSet<UserId> = expected.keys().chain(stored.keys()).copied().collect();
    for bidder in bidders {
        let (subtotal, items) = expected.remove(&bidder).unwrap_or_default();
        let (stored_subtotal, stored_items) = stored
            .get(&bidder)
            .map(|t| (t.subtotal.amount(), t.items.clone()))
            .unwrap_or_default();
        if subtotal != stored_subtotal || items != stored_items {
            differences.push(format!(
                "totals of bidder {bidder}: stored {stored_subtotal} for {} items, replay {subtotal} for {} items",
                stored_items.len(),
                items.len()
            ));
        }
    }
    Ok(ReconcileReport {
        auction_id: auction.id,
        items: items.len(),
        bids: bid_count,
        differences,
    })
}
