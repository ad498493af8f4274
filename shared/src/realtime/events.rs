//! What a WebSocket client receives: answers to its messages and the events of the auctions it
//! follows, as JSON text frames with `type` first. No event carries a maximum, a reserve, a user
//! id or a name: bidders are their bidder numbers. Every item event carries the item's
//! `sequence` (its count of accepted bid requests; an `item_extended` has the sequence of the
//! bid that caused it), so a client drops an event whose type and sequence it has seen and
//! re-reads the item when it sees a gap.

use serde::Serialize;

use crate::catalog::{AuctionStatus, ItemStatus};
use crate::domain::{AuctionId, CurrencyAmount, ItemId, OfferId, Timestamp};

/// An item as a subscriber first sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemSnapshot {
    pub item_id: ItemId,
    pub status: ItemStatus,
    pub current_bid: Option<CurrencyAmount>,
    pub bid_count: u32,
    pub next_minimum_bid: Option<CurrencyAmount>,
    pub ends_at: Timestamp,
    pub leader_bidder_number: Option<u32>,
    pub sequence: u64,
}

/// Why a client message was not done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// No such auction, or not one this connection may see (never a hint which).
    NotFound,
    /// The frame is not a JSON object with a known `action`.
    BadMessage,
    UnknownAction,
    /// A field is missing or not what it must be (`auctionId` not an id).
    InvalidField,
    /// The connection already follows [`super::MAX_SUBSCRIPTIONS`] auctions.
    TooManySubscriptions,
    /// The account was disabled or the session ended since the connection opened.
    Unauthenticated,
    /// Something failed on our side; the client may try again.
    Unavailable,
}

/// One frame to a client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum ServerEvent {
    Subscribed {
        auction_id: AuctionId,
        status: AuctionStatus,
        items: Vec<ItemSnapshot>,
    },
    Unsubscribed {
        auction_id: AuctionId,
    },
    Pong,
    Error {
        code: ErrorCode,
        message: String,
    },
    /// An accepted bid (or buy-now) moved the item's price or lead.
    BidPlaced {
        auction_id: AuctionId,
        item_id: ItemId,
        amount: CurrencyAmount,
        bidder_number: u32,
        bid_count: u32,
        /// `null` once the item takes no more bids (bought).
        next_minimum_bid: Option<CurrencyAmount>,
        ends_at: Timestamp,
        placed_at: Timestamp,
        sequence: u64,
    },
    /// To the previous leader's own connections only.
    Outbid {
        auction_id: AuctionId,
        item_id: ItemId,
        amount: CurrencyAmount,
        next_minimum_bid: Option<CurrencyAmount>,
        sequence: u64,
    },
    /// Soft close moved the item's close.
    ItemExtended {
        auction_id: AuctionId,
        item_id: ItemId,
        ends_at: Timestamp,
        sequence: u64,
    },
    /// The item closed: `sold` (at `amount`) or `unsold` (`amount` is `null`).
    ItemClosed {
        auction_id: AuctionId,
        item_id: ItemId,
        status: ItemStatus,
        amount: Option<CurrencyAmount>,
        sequence: u64,
    },
    /// The auction moved to another phase.
    AuctionPhaseChanged {
        auction_id: AuctionId,
        status: AuctionStatus,
    },
    /// To the auction's bidders: its first lot still open closes at `ends_at`.
    EndingSoon {
        auction_id: AuctionId,
        ends_at: Timestamp,
    },
    /// To the winner: what they owe and by when.
    PaymentDue {
        auction_id: AuctionId,
        item_id: ItemId,
        amount: CurrencyAmount,
        due_at: Timestamp,
    },
    /// To the bidder offered an item its winner did not pay for, at their own highest bid.
    SecondChanceOffer {
        offer_id: OfferId,
        auction_id: AuctionId,
        item_id: ItemId,
        amount: CurrencyAmount,
        expires_at: Timestamp,
    },
}

impl ServerEvent {
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Error {
            code,
            message: message.into(),
        }
    }

    /// The frame's text.
    pub fn to_json(&self) -> String {
        // Plain data with string keys: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| r#"{"type":"error"}"#.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_lead_with_their_type_and_use_camel_case() {
        let event = ServerEvent::ItemExtended {
            auction_id: AuctionId::new(),
            item_id: ItemId::new(),
            ends_at: Timestamp::parse("2026-12-03T10:00:00Z").unwrap(),
            sequence: 7,
        };
        let text = event.to_json();
        assert!(
            text.starts_with(r#"{"type":"item_extended","auctionId":"#),
            "{text}"
        );
        assert!(text.contains(r#""endsAt":"2026-12-03T10:00:00"#), "{text}");
        assert_eq!(ServerEvent::Pong.to_json(), r#"{"type":"pong"}"#);
        let error = ServerEvent::error(ErrorCode::NotFound, "No such auction.").to_json();
        assert_eq!(
            error,
            r#"{"type":"error","code":"NOT_FOUND","message":"No such auction."}"#
        );
    }
}
