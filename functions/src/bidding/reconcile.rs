//! `GET /auctions/{auctionId}/reconcile`: replays every item's bids through the rules and
//! compares the result with each item's stored summary and bid entries, and with every
//! bidder's totals. A clean report lists no differences. It comes a bounded page at a time,
//! so no request runs past the function's timeout however many bids an auction holds.

use std::collections::{BTreeMap, BTreeSet};

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use shared::bidding::TotalsRecord;
use shared::catalog::access::Power;
use shared::catalog::{AuctionRecord, ItemRecord, ItemStatus};
use shared::domain::{AuctionId, UserId};
use shared::http::sealed::{open, seal};
use shared::http::{ApiError, json, page_parameters};
use shared::lifecycle::{
    LiveWinnerRecord, OfferRecord, OfferStatus, PaymentRecord, PaymentStatus, SaleKind,
};
use shared::store::{Index, Query, Read, Store, s};

use super::replay::{MAX_REPLAYED_BIDS, item_bids, replay_item, stored_matches};
use crate::AppState;
use crate::catalog::auctions::visible_auction;
use crate::catalog::publish::MAX_LOTS;

/// Where a lot's sale does not follow from its bids: the first sale goes to the leader at the
/// price (a buy-now's too); a second-chance sale goes to the bidder of an accepted offer of
/// that round, at their own highest bid.
async fn sale_differences(
    store: &Store,
    item: &ItemRecord,
    bids: &[shared::bidding::BidRecord],
) -> Result<Vec<String>, ApiError> {
    let mut found = Vec::new();
    let Some(sale) = &item.sale else {
        if item.status == ItemStatus::Sold {
            found.push(format!("item {}: sold without a sale", item.id));
        }
        return Ok(found);
    };
    if sale.kind == SaleKind::Live {
        let entered = store
            .get::<LiveWinnerRecord>(&item.id.to_string(), Read::Strong)
            .await?;
        if !entered.is_some_and(|live| {
            live.bidder_id == sale.winner
                && live.manual_name == sale.manual_name
                && live.hammer_price == sale.amount
        }) {
            found.push(format!(
                "item {}: its sale is not the live winner entered for it",
                item.id
            ));
        }
        return Ok(found);
    }
    let Some(winner) = sale.winner else {
        found.push(format!("item {}: an online sale without a winner", item.id));
        return Ok(found);
    };
    if sale.round == 0 {
        let leader = item.bidding.leader.as_ref().map(|l| l.bidder);
        if leader != Some(winner) || item.bidding.price != Some(sale.amount) {
            found.push(format!(
                "item {}: its sale ({}) is not its leader at its price",
                item.id, sale.amount
            ));
        }
        return Ok(found);
    }
    let offer = store
        .get::<OfferRecord>(
            &OfferRecord::id_of(item.id, sale.round).to_string(),
            Read::Strong,
        )
        .await?;
    let highest = bids
        .iter()
        .filter(|b| b.bidder_id == winner && b.status == shared::bidding::BidStatus::Active)
        .map(|b| b.amount)
        .max();
    match offer {
        Some(offer)
            if offer.status == OfferStatus::Accepted
                && offer.bidder_id == winner
                && offer.amount == sale.amount
                && highest == Some(sale.amount) => {}
        _ => found.push(format!(
            "item {}: its round {} sale is not an accepted offer at the bidder's highest bid",
            item.id, sale.round
        )),
    }
    Ok(found)
}

/// What a bidder must hold in an auction's totals.
#[derive(Debug, Default)]
struct Held {
    number: u32,
    subtotal: Decimal,
    leading: BTreeSet<String>,
    won: BTreeSet<String>,
}

/// What one page of a reconcile found.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReconcileReport {
    pub auction_id: AuctionId,
    /// Items replayed in this page.
    pub items: usize,
    /// Bid entries replayed in this page.
    pub bids: usize,
    /// Each difference between the store and the replay (never a maximum's value).
    pub differences: Vec<String>,
    /// Where the next page starts; `null` when the whole auction is checked.
    pub next_cursor: Option<String>,
}

/// Bid entries one page replays (it always takes at least one whole item).
pub const PAGE_BIDS: usize = 2_000;

/// Where a page starts: the next lot to replay, then the bidders' totals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Position {
    Lots { next: usize },
    Totals { inner: Option<String> },
}

/// Replays the auction's bids and reports what the store holds differently.
#[utoipa::path(
    get,
    path = "/auctions/{auctionId}/reconcile",
    tag = "bidding",
    operation_id = "reconcileAuction",
    security(("bearer" = [])),
    params(
        ("auctionId" = String, Path, description = "The auction's id."),
        ("cursor" = Option<String>, Query, description = "Where the previous page ended."),
    ),
    responses(
        (status = 200, description = "One page of the report: the lots it replayed (up to about 2,000 bid entries) or the totals it compared; `differences` is empty when all agrees, `nextCursor` continues.", body = ReconcileReport),
        (status = 403, description = "Only those who run the auction, and staff.", body = shared::http::Problem),
        (status = 404, description = "No such auction the caller may see.", body = shared::http::Problem),
        (status = 422, description = "`cursor` is not one this report issued.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_auctions_auction_reconcile(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let (auction, access) = visible_auction(state, &request, Some(&caller)).await?;
    access.require(&auction, Power::Reconcile)?;
    let (_, cursor) = page_parameters(&request)?;
    let key = state.cursor_key()?;
    let position = match cursor {
        None => Position::Lots { next: 0 },
        Some(cursor) => serde_json::from_slice(&open(key, &cursor)?)
            .map_err(|_| ApiError::invalid("cursor", "is not a cursor this report issued"))?,
    };
    let (mut report, next) = reconcile_page(&state.store, &auction, position).await?;
    if !report.differences.is_empty() {
        tracing::warn!(auction.id = %auction.id, differences = report.differences.len(), "reconcile found differences");
    }
    // Sealed: a totals cursor names a bidder.
    report.next_cursor = next
        .map(|position| {
            let plain = serde_json::to_vec(&position).map_err(anyhow::Error::new)?;
            seal(key, &plain)
        })
        .transpose()?;
    json(StatusCode::OK, &report)
}

/// Replays every item of `auction` and compares, page after page (the tests' check after each
/// test; a request reads one page).
pub async fn reconcile(
    store: &Store,
    auction: &AuctionRecord,
) -> Result<ReconcileReport, ApiError> {
    let mut whole = ReconcileReport {
        auction_id: auction.id,
        ..ReconcileReport::default()
    };
    let mut position = Some(Position::Lots { next: 0 });
    while let Some(at) = position {
        let (page, next) = reconcile_page(store, auction, at).await?;
        whole.items += page.items;
        whole.bids += page.bids;
        whole.differences.extend(page.differences);
        position = next;
    }
    Ok(whole)
}

/// One bounded page: lots from `position` until [`PAGE_BIDS`] entries are replayed, or one
/// page of the bidders' totals.
async fn reconcile_page(
    store: &Store,
    auction: &AuctionRecord,
    position: Position,
) -> Result<(ReconcileReport, Option<Position>), ApiError> {
    // At most 96 lots; a page of bids never needs more.
    let items: Vec<ItemRecord> = store
        .query_at_most(Index::ITEMS_BY_AUCTION, &auction.id.to_string(), MAX_LOTS)
        .await?
        .ok_or_else(|| anyhow::anyhow!("auction {} holds more lots than it may", auction.id))?;
    let mut report = ReconcileReport {
        auction_id: auction.id,
        ..ReconcileReport::default()
    };
    let next = match position {
        Position::Lots { next } => {
            let mut lot = next;
            while let Some(item) = items.get(lot) {
                if report.items > 0 && report.bids >= PAGE_BIDS {
                    break;
                }
                replay_lot(store, auction, item, &mut report).await?;
                lot += 1;
            }
            Some(if lot < items.len() {
                Position::Lots { next: lot }
            } else {
                Position::Totals { inner: None }
            })
        }
        Position::Totals { inner } => {
            compare_totals(store, auction, &items, inner, &mut report).await?
        }
    };
    Ok((report, next))
}

/// Replays one lot and notes where its summary or entries differ from the store.
async fn replay_lot(
    store: &Store,
    auction: &AuctionRecord,
    item: &ItemRecord,
    report: &mut ReconcileReport,
) -> Result<(), ApiError> {
    report.items += 1;
    let terms = super::terms_of(item, auction);
    let Some(bids) = item_bids(store, item).await? else {
        report.differences.push(format!(
            "item {}: more than {MAX_REPLAYED_BIDS} bid entries; not replayed",
            item.id
        ));
        return Ok(());
    };
    report.bids += bids.len();
    let replayed = replay_item(item, &terms, &bids, item.updated_at);
    if !stored_matches(item, &replayed.summary) {
        report.differences.push(format!(
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
    report
        .differences
        .extend(sale_differences(store, item, &bids).await?);
    for bid in &replayed.changed {
        report.differences.push(format!(
            "item {}: bid {} (sequence {}) is stored differently from the replay",
            item.id, bid.id, bid.sequence
        ));
    }
    Ok(())
}

/// Payments one reconcile adds up: far more than an auction of [`MAX_LOTS`] lots records.
const MAX_PAYMENTS: usize = 10_000;

/// What each bidder paid in the auction, reversals taken off; `None` past [`MAX_PAYMENTS`].
async fn paid_in(
    store: &Store,
    auction: &AuctionRecord,
) -> Result<Option<BTreeMap<UserId, Decimal>>, ApiError> {
    let Some(payments) = store
        .query_at_most::<PaymentRecord>(
            Index::PAYMENTS_BY_AUCTION,
            &auction.id.to_string(),
            MAX_PAYMENTS,
        )
        .await?
    else {
        return Ok(None);
    };
    let mut paid = BTreeMap::new();
    for payment in &payments {
        if let Some(bidder) = payment.bidder_id {
            *paid.entry(bidder).or_default() += payment.signed_amount();
        }
    }
    Ok(Some(paid))
}

/// What the totals must hold, from the lots as they stand: each open lot's leader leads it
/// (and carries its price), each sold lot's current winner won it (at the sale's amount,
/// unless it went overdue and waits on an offer); unsold lots are no one's. On the first totals
/// page every such bidder's totals are read and compared; then each page of stored totals is
/// checked for bidders who hold nothing but still carry something, and for an amount paid
/// that is not the sum of the bidder's payments.
async fn compare_totals(
    store: &Store,
    auction: &AuctionRecord,
    items: &[ItemRecord],
    inner: Option<String>,
    report: &mut ReconcileReport,
) -> Result<Option<Position>, ApiError> {
    let mut expected: BTreeMap<UserId, Held> = BTreeMap::new();
    for item in items {
        match (&item.status, &item.sale) {
            (ItemStatus::Upcoming | ItemStatus::Open, _) => {
                if let (Some(leader), Some(price)) = (&item.bidding.leader, item.bidding.price) {
                    let held = expected.entry(leader.bidder).or_default();
                    held.number = leader.bidder_number;
                    held.subtotal += price.amount();
                    held.leading.insert(item.id.to_string());
                }
            }
            (ItemStatus::Sold, Some(sale)) if sale.payment_status != PaymentStatus::Overdue => {
                let (Some(winner), Some(number)) = (sale.winner, sale.bidder_number) else {
                    continue; // a live winner entered by name: no totals
                };
                let held = expected.entry(winner).or_default();
                held.number = number;
                held.subtotal += sale.amount.amount();
                held.won.insert(item.id.to_string());
            }
            _ => {}
        }
    }
    let differs = |stored: Option<&TotalsRecord>, held: &Held| {
        let (stored_subtotal, stored_leading, stored_won) = stored
            .map(|t| (t.subtotal.amount(), t.items.clone(), t.won.clone()))
            .unwrap_or_default();
        (held.subtotal != stored_subtotal || held.leading != stored_leading || held.won != stored_won).then(|| {
            format!(
                "totals of bidder number {}: stored {stored_subtotal} leading {} and won {}, replay {} leading {} and won {}",
                held.number,
                stored_leading.len(),
                stored_won.len(),
                held.subtotal,
                held.leading.len(),
                held.won.len()
            )
        })
    };
    if inner.is_none() {
        let keys: Vec<String> = expected
            .keys()
            .map(|bidder| TotalsRecord::key(auction.id, *bidder))
            .collect();
        let stored: BTreeMap<UserId, TotalsRecord> = store
            .get_many::<TotalsRecord>(&keys, Read::Strong)
            .await?
            .into_iter()
            .map(|t| (t.bidder_id, t))
            .collect();
        for (bidder, held) in &expected {
            report.differences.extend(differs(stored.get(bidder), held));
        }
    }
    let query = Query::index(Index::TOTALS_BY_AUCTION, s(auction.id.to_string()))
        .limit(100)
        .after(inner.as_deref());
    let page = store.query::<TotalsRecord>(query).await?;
    match paid_in(store, auction).await? {
        Some(paid_in) => {
            for totals in &page.items {
                let payments = paid_in.get(&totals.bidder_id).copied().unwrap_or_default();
                if totals.amount_paid.amount() != payments {
                    report.differences.push(format!(
                        "ledger of bidder number {}: amount paid {}, payments recorded {payments}",
                        totals.bidder_number, totals.amount_paid
                    ));
                }
            }
        }
        None => report.differences.push(format!(
            "more than {MAX_PAYMENTS} payments: the ledgers were not checked"
        )),
    }
    for totals in page
        .items
        .iter()
        .filter(|t| !expected.contains_key(&t.bidder_id))
    {
        let nothing = Held {
            number: totals.bidder_number,
            ..Held::default()
        };
        report.differences.extend(differs(Some(totals), &nothing));
    }
    Ok(page
        .next_cursor
        .map(|inner| Position::Totals { inner: Some(inner) }))
}
