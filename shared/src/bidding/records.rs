//! What bidding stores: the terms and bid state on each item, the bids themselves (the source
//! of truth), per-bidder totals and the responses kept for idempotent retries.

use std::collections::BTreeSet;

use chrono::TimeDelta;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::decision::{BidRequest, BidSummary, Decision, ItemRules, Leader};
use crate::catalog::{AuctionRecord, EventType, IncrementStep, ItemRecord};
use crate::domain::{AuctionId, BidId, Currency, ItemId, Money, Timestamp, UserId};
use crate::store::number::{money, money_option};

/// The auction's rules an item's bids follow, copied onto the item when the auction is
/// published (they are frozen from then on), so placing a bid reads the item alone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BiddingTerms {
    pub auction_owner: UserId,
    pub event_type: EventType,
    pub currency: Currency,
    pub increments: Vec<IncrementStep>,
    pub soft_close_window_sec: u32,
    pub soft_close_extension_sec: u32,
    pub buyer_premium_percent: Decimal,
    /// The lot's scheduled close, before any soft-close extension (where a replay starts).
    pub scheduled_close: Timestamp,
}

impl BiddingTerms {
    /// The terms of lot `lot_number` of `auction`.
    pub fn of(auction: &AuctionRecord, lot_number: u32) -> Self {
        Self {
            auction_owner: auction.owner_id,
            event_type: auction.event_type,
            currency: auction.currency,
            increments: auction.settings.increments.clone(),
            soft_close_window_sec: auction.settings.soft_close_window_sec,
            soft_close_extension_sec: auction.settings.soft_close_extension_sec,
            buyer_premium_percent: auction.settings.buyer_premium_percent,
            scheduled_close: auction.lot_closes_at(lot_number),
        }
    }
}

/// An item's bid state; with the item's effective `endsAt` it is the decision's summary.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BidState {
    #[serde(with = "money_option", default)]
    pub price: Option<Money>,
    /// Holds the leader's private maximum: never shown to anyone else.
    pub leader: Option<Leader>,
    pub bid_count: u32,
    /// The sequence number of the last accepted bid (it only grows, removals included).
    pub accepted: u64,
    pub bought: bool,
}

impl BidState {
    pub fn from_summary(summary: &BidSummary) -> Self {
        Self {
            price: summary.price,
            leader: summary.leader.clone(),
            bid_count: summary.bid_count,
            accepted: summary.accepted,
            bought: summary.bought,
        }
    }
}

impl ItemRecord {
    /// The item's bid summary, as a decision starts from.
    pub fn summary(&self) -> BidSummary {
        BidSummary {
            price: self.bidding.price,
            leader: self.bidding.leader.clone(),
            bid_count: self.bidding.bid_count,
            ends_at: self.ends_at,
            accepted: self.bidding.accepted,
            bought: self.bidding.bought,
        }
    }

    /// The rules its bids follow under `terms`.
    pub fn rules<'a>(&self, terms: &'a BiddingTerms) -> ItemRules<'a> {
        ItemRules {
            starting_price: self.starting_price,
            reserve: self.reserve_price,
            increments: &terms.increments,
            soft_close_window_sec: terms.soft_close_window_sec,
            soft_close_extension_sec: terms.soft_close_extension_sec,
            buy_now: self.buy_now_price,
        }
    }

    /// Whether the reserve is met: `None` when the item has none.
    pub fn reserve_met(&self) -> Option<bool> {
        self.reserve_price
            .map(|reserve| self.bidding.price.is_some_and(|price| price >= reserve))
    }
}

/// Where a bid stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum BidStatus {
    /// Counts.
    Active,
    /// Removed by the owner, a manager or staff (it can be restored).
    Removed,
    /// No longer passes the rules once an earlier bid was removed (a restore may revive it).
    Superseded,
}

/// One entry of an item's bids: a bidder's own bid, or an automatic bid the engine placed for
/// a leader whose maximum answered. Append-only, except for removal and a replay's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BidRecord {
    pub id: BidId,
    pub item_id: ItemId,
    pub auction_id: AuctionId,
    pub bidder_id: UserId,
    pub bidder_number: u32,
    /// The amount shown in the history.
    #[serde(with = "money")]
    pub amount: Money,
    /// The amount the bidder asked for (own bids only), which a replay decides again.
    #[serde(with = "money_option", default)]
    pub requested: Option<Money>,
    /// The bidder's maximum (own bids only): private to them.
    #[serde(with = "money_option", default)]
    pub maximum: Option<Money>,
    pub placed_at: Timestamp,
    /// The accepted request this entry belongs to (1, 2, ...): the order a replay follows.
    pub sequence: u64,
    /// Sorts the item's history: the sequence, then the entry within it.
    pub position: u64,
    pub automatic: bool,
    /// Shown in the history (a leader raising only their maximum is not).
    pub visible: bool,
    #[serde(default)]
    pub buy_now: bool,
    pub status: BidStatus,
    /// Why a manager removed it.
    pub removal_reason: Option<String>,
    pub updated_at: Timestamp,
}

crate::record!(BidRecord, Bids, id);

/// Room in [`BidRecord::position`] for the entries of one accepted bid.
const ENTRIES_PER_BID: u64 = 4;

impl BidRecord {
    /// The request this own bid was, for a replay; `None` for an automatic entry.
    pub fn request(&self) -> Option<BidRequest> {
        if self.automatic {
            return None;
        }
        let amount = self.requested.unwrap_or(self.amount);
        Some(BidRequest {
            id: self.id,
            bidder: self.bidder_id,
            bidder_number: self.bidder_number,
            amount,
            maximum: self.maximum.unwrap_or(amount),
            placed_at: self.placed_at,
            buy_now: self.buy_now,
        })
    }

    /// The entries `decision` (of `request` on `item`) adds to the item's bids.
    pub fn from_decision(
        item: &ItemRecord,
        request: &BidRequest,
        decision: &Decision,
        now: Timestamp,
    ) -> Vec<BidRecord> {
        decision
            .entries
            .iter()
            .zip(0u64..)
            .map(|(entry, index)| {
                let own = !entry.automatic;
                BidRecord {
                    id: entry.id,
                    item_id: item.id,
                    auction_id: item.auction_id,
                    bidder_id: entry.bidder,
                    bidder_number: entry.bidder_number,
                    amount: entry.amount,
                    requested: own.then_some(request.amount),
                    maximum: own.then_some(request.maximum),
                    placed_at: request.placed_at,
                    sequence: decision.sequence,
                    position: decision.sequence * ENTRIES_PER_BID + index,
                    automatic: entry.automatic,
                    visible: entry.visible,
                    buy_now: own && request.buy_now,
                    status: BidStatus::Active,
                    removal_reason: None,
                    updated_at: now,
                }
            })
            .collect()
    }

    /// Shown in the history now.
    pub fn shown(&self) -> bool {
        self.visible && self.status == BidStatus::Active
    }
}

/// A bidder's running totals in one auction: the items they lead (or won) and their prices.
/// Kept by the same transactions that move an item's price or leader.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TotalsRecord {
    pub id: String,
    pub auction_id: AuctionId,
    pub bidder_id: UserId,
    pub bidder_number: u32,
    #[serde(with = "money")]
    pub subtotal: Money,
    /// The items they lead, as a string set (an empty set is not stored).
    #[serde(
        with = "serde_dynamo::string_set",
        default,
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub items: BTreeSet<String>,
    /// The items they won (closed and locked to them), as a string set.
    #[serde(
        with = "serde_dynamo::string_set",
        default,
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub won: BTreeSet<String>,
    /// Every item they won is paid.
    #[serde(default)]
    pub paid: bool,
    /// What they paid towards their invoice: the sum of their `payments`.
    #[serde(with = "money", default)]
    pub amount_paid: Money,
    pub updated_at: Timestamp,
}

crate::record!(TotalsRecord, Totals, id);

impl TotalsRecord {
    /// The key of `bidder`'s totals in `auction`.
    pub fn key(auction: AuctionId, bidder: UserId) -> String {
        format!("{auction}:{bidder}")
    }

    /// The buyer's premium on the subtotal, in `currency`'s precision (half up).
    pub fn premium(&self, percent: Decimal, currency: Currency) -> Money {
        let premium = (self.subtotal.amount() * percent / Decimal::ONE_HUNDRED)
            .round_dp_with_strategy(
                currency.minor_units(),
                rust_decimal::RoundingStrategy::MidpointAwayFromZero,
            );
        Money::from_decimal(premium).unwrap_or(Money::ZERO)
    }
}

/// The first response to a request sent with an `Idempotency-Key`, replayed to its retries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdempotencyRecord {
    /// `userId:key`: keys are per user.
    pub id: String,
    /// What was asked (route, item, amounts): the same key for another request is refused.
    pub fingerprint: String,
    pub status: u16,
    pub body: String,
    pub created_at: Timestamp,
    /// Epoch seconds; TTL deletes it after that (lazily, so reads check it too).
    pub expires_at: i64,
}

crate::record!(IdempotencyRecord, IdempotencyKeys, id);

impl IdempotencyRecord {
    /// How long a response is replayed.
    pub const LIFETIME: TimeDelta = TimeDelta::hours(24);

    pub fn key(user: UserId, key: &str) -> String {
        format!("{user}:{key}")
    }

    pub fn live(&self, now: Timestamp) -> bool {
        self.expires_at > now.epoch_seconds()
    }
}
