//! A live item's floor result, as the clerk entered it: one record per item (`live_winners`,
//! keyed by the item), the winner by bidder number (a member of the auction) or by name (no
//! account, no totals), and the hammer price. The item's sale follows from it.

use serde::{Deserialize, Serialize};

use crate::domain::{AuctionId, ItemId, Money, Timestamp, UserId};
use crate::store::number::money;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveWinnerRecord {
    pub item_id: ItemId,
    pub auction_id: AuctionId,
    /// The winning bidder's account, when entered by bidder number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bidder_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bidder_number: Option<u32>,
    /// The winner's name, when entered by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_name: Option<String>,
    #[serde(with = "money")]
    pub hammer_price: Money,
    pub assigned_by: UserId,
    pub assigned_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

crate::record!(LiveWinnerRecord, LiveWinners, item_id, versioned);
