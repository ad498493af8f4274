//! Second-chance offers: when a winner does not pay in time, the item is offered to the
//! next-highest distinct bidder at their own highest bid, with its own window, down the list.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{AuctionId, ItemId, Money, OfferId, Timestamp, UserId};
use crate::store::number::money;

/// Where an offer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum OfferStatus {
    Pending,
    /// Became the item's sale.
    Accepted,
    Declined,
    /// Its window passed unanswered.
    Expired,
    /// The winner paid after all, before it was accepted.
    Withdrawn,
}

impl OfferStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OfferStatus::Pending => "pending",
            OfferStatus::Accepted => "accepted",
            OfferStatus::Declined => "declined",
            OfferStatus::Expired => "expired",
            OfferStatus::Withdrawn => "withdrawn",
        }
    }
}

/// One offer of an item to one bidder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferRecord {
    pub id: OfferId,
    pub item_id: ItemId,
    pub auction_id: AuctionId,
    pub bidder_id: UserId,
    pub bidder_number: u32,
    /// The bidder's own highest bid on the item.
    #[serde(with = "money")]
    pub amount: Money,
    /// The sale round it would make (1 for the first offer).
    pub round: u32,
    pub status: OfferStatus,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

crate::record!(OfferRecord, Offers, id);

impl OfferRecord {
    /// The id of `item`'s offer of round `round`: the same however often the deadline that
    /// makes it is run.
    pub fn id_of(item: ItemId, round: u32) -> OfferId {
        let name = format!("offer:{item}:{round}");
        OfferId::from_uuid(Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes()))
    }
}
