//! Items (artworks) as stored.

use serde::{Deserialize, Serialize};

use crate::bidding::{BidState, BiddingTerms};
use crate::domain::{AuctionId, ItemId, Money, Timestamp, UserId};
use crate::lifecycle::{PendingOffer, Sale};
use crate::store::number::{money, money_option};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ItemType {
    Silent,
    Live,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ItemStatus {
    Upcoming,
    Open,
    Closed,
    Sold,
    Unsold,
}

/// An artwork offered in an auction. Prices are Numbers so conditions compare them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemRecord {
    pub id: ItemId,
    pub auction_id: AuctionId,
    pub owner_id: UserId,
    /// Position in the auction (0-based), which also staggers its close.
    pub lot_number: u32,
    pub name: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub item_type: ItemType,
    #[serde(with = "money")]
    pub starting_price: Money,
    /// Private to the owner, managers and staff.
    #[serde(with = "money_option", default)]
    pub reserve_price: Option<Money>,
    #[serde(with = "money_option", default)]
    pub buy_now_price: Option<Money>,
    /// What the item is worth, for charity events' receipts: what a winner pays above it is
    /// the tax-deductible part of their invoice line.
    #[serde(with = "money_option", default)]
    pub fair_market_value: Option<Money>,
    pub primary_photo: Option<String>,
    #[serde(default)]
    pub gallery: Vec<String>,
    pub status: ItemStatus,
    /// Effective close: the auction's end plus the stagger, moved by soft-close extensions.
    pub ends_at: Timestamp,
    /// The price, leader and counts that accepted bids leave.
    #[serde(default)]
    pub bidding: BidState,
    /// The auction's bidding rules, set when it is published.
    #[serde(default)]
    pub terms: Option<BiddingTerms>,
    /// When it closed (sold or unsold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
    /// Its sale once sold: locked to the winner until paid or passed on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale: Option<Sale>,
    /// The second-chance offer an overdue sale waits on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<PendingOffer>,
    /// Bidders passed over for it (did not pay, declined or let an offer lapse): never
    /// offered it again. Private.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passed_over: Vec<UserId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

crate::record!(ItemRecord, Items, id, versioned);
