//! Lifecycle events on the EventBridge bus: what changed in an auction's life, for the
//! consumers that tell the people concerned. An event names records, never a person: a
//! consumer reads who is concerned from the store. Its `eventId` follows from what happened,
//! so an event published twice (a retried transition) is one event to its consumers.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalog::{AuctionStatus, ItemStatus};
use crate::domain::{AuctionId, ItemId, OfferId, Timestamp};

/// The `source` of every lifecycle event (the bus's rules match on it).
pub const EVENT_SOURCE: &str = "auction-platform.lifecycle";

/// One lifecycle event: its `detail` on the bus is this, as JSON, with `eventId`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum LifecycleEvent {
    AuctionPhaseChanged {
        auction_id: AuctionId,
        from: AuctionStatus,
        to: AuctionStatus,
    },
    /// The first lot still open closes at `ends_at`, `endingSoonSec` from now (told once per
    /// auction).
    AuctionEndingSoon {
        auction_id: AuctionId,
        ends_at: Timestamp,
    },
    /// `sold` (sale `round` 0) or `unsold`: at the close, or once the last second-chance
    /// offer came to nothing.
    ItemClosed {
        auction_id: AuctionId,
        item_id: ItemId,
        status: ItemStatus,
    },
    /// Sale `round` of the item awaits its payment.
    PaymentDue {
        auction_id: AuctionId,
        item_id: ItemId,
        round: u32,
        due_at: Timestamp,
    },
    PaymentReminder {
        auction_id: AuctionId,
        item_id: ItemId,
        round: u32,
        due_at: Timestamp,
    },
    /// Sale `round`'s deadline passed unpaid.
    PaymentOverdue {
        auction_id: AuctionId,
        item_id: ItemId,
        round: u32,
    },
    OfferMade {
        auction_id: AuctionId,
        item_id: ItemId,
        offer_id: OfferId,
        expires_at: Timestamp,
    },
    OfferExpired {
        auction_id: AuctionId,
        item_id: ItemId,
        offer_id: OfferId,
    },
}

/// An event as the bus delivers it: its id beside its fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventDetail {
    pub event_id: Uuid,
    #[serde(flatten)]
    pub event: LifecycleEvent,
}

impl LifecycleEvent {
    /// The `detail-type` on the bus (`item.closed`).
    pub fn detail_type(&self) -> &'static str {
        match self {
            LifecycleEvent::AuctionPhaseChanged { .. } => "auction.phase_changed",
            LifecycleEvent::AuctionEndingSoon { .. } => "auction.ending_soon",
            LifecycleEvent::ItemClosed { .. } => "item.closed",
            LifecycleEvent::PaymentDue { .. } => "payment.due",
            LifecycleEvent::PaymentReminder { .. } => "payment.reminder",
            LifecycleEvent::PaymentOverdue { .. } => "payment.overdue",
            LifecycleEvent::OfferMade { .. } => "offer.made",
            LifecycleEvent::OfferExpired { .. } => "offer.expired",
        }
    }

    /// Every `detail-type`, as the template's rule lists them.
    pub const DETAIL_TYPES: [&'static str; 8] = [
        "auction.phase_changed",
        "auction.ending_soon",
        "item.closed",
        "payment.due",
        "payment.reminder",
        "payment.overdue",
        "offer.made",
        "offer.expired",
    ];

    /// The id of what happened: the same for the same change, however often it is told.
    pub fn event_id(&self) -> Uuid {
        let name = match self {
            LifecycleEvent::AuctionPhaseChanged { auction_id, to, .. } => {
                format!("{auction_id}:{}", to.as_str())
            }
            // Once per auction, whatever close it names.
            LifecycleEvent::AuctionEndingSoon { auction_id, .. } => auction_id.to_string(),
            // An item closes `sold` or `unsold` once each at most: `unsold` again after its
            // sale passed on to no one.
            LifecycleEvent::ItemClosed {
                item_id, status, ..
            } => format!("{item_id}:{status:?}"),
            LifecycleEvent::PaymentDue { item_id, round, .. }
            | LifecycleEvent::PaymentReminder { item_id, round, .. }
            | LifecycleEvent::PaymentOverdue { item_id, round, .. } => format!("{item_id}:{round}"),
            LifecycleEvent::OfferMade { offer_id, .. }
            | LifecycleEvent::OfferExpired { offer_id, .. } => offer_id.to_string(),
        };
        let name = format!("{}:{name}", self.detail_type());
        Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes())
    }

    /// The auction it happened in.
    pub fn auction_id(&self) -> AuctionId {
        match self {
            LifecycleEvent::AuctionPhaseChanged { auction_id, .. }
            | LifecycleEvent::AuctionEndingSoon { auction_id, .. }
            | LifecycleEvent::ItemClosed { auction_id, .. }
            | LifecycleEvent::PaymentDue { auction_id, .. }
            | LifecycleEvent::PaymentReminder { auction_id, .. }
            | LifecycleEvent::PaymentOverdue { auction_id, .. }
            | LifecycleEvent::OfferMade { auction_id, .. }
            | LifecycleEvent::OfferExpired { auction_id, .. } => *auction_id,
        }
    }

    /// The `detail` JSON.
    pub fn detail(&self) -> String {
        let detail = EventDetail {
            event_id: self.event_id(),
            event: self.clone(),
        };
        serde_json::to_string(&detail).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_round_trip_with_a_stable_id_and_name_no_one() {
        let event = LifecycleEvent::PaymentDue {
            auction_id: AuctionId::new(),
            item_id: ItemId::new(),
            round: 0,
            due_at: Timestamp::parse("2026-12-04T12:00:00Z").unwrap(),
        };
        let detail = event.detail();
        assert!(detail.contains(r#""type":"payment_due""#), "{detail}");
        let back: EventDetail = serde_json::from_str(&detail).unwrap();
        assert_eq!(back.event, event);
        assert_eq!(back.event_id, event.event_id());
        assert_eq!(event.event_id(), event.clone().event_id());
        assert!(LifecycleEvent::DETAIL_TYPES.contains(&event.detail_type()));
    }

    #[test]
    fn an_auction_ends_soon_once_whatever_close_it_names() {
        let auction_id = AuctionId::new();
        let soon = |ends_at: &str| LifecycleEvent::AuctionEndingSoon {
            auction_id,
            ends_at: Timestamp::parse(ends_at).unwrap(),
        };
        let (first, moved) = (soon("2026-12-04T12:00:00Z"), soon("2026-12-04T12:02:00Z"));
        assert_eq!(first.event_id(), moved.event_id());
        assert_eq!(first.detail_type(), "auction.ending_soon");
        let detail = first.detail();
        assert!(
            detail.contains(r#""type":"auction_ending_soon""#),
            "{detail}"
        );
        assert!(
            detail.contains(r#""endsAt":"2026-12-04T12:00:00"#),
            "{detail}"
        );
        assert!(LifecycleEvent::DETAIL_TYPES.contains(&first.detail_type()));
    }

    #[test]
    fn an_item_sold_at_its_close_and_unsold_later_closes_twice() {
        let (auction_id, item_id) = (AuctionId::new(), ItemId::new());
        let closed = |status| LifecycleEvent::ItemClosed {
            auction_id,
            item_id,
            status,
        };
        assert_ne!(
            closed(ItemStatus::Sold).event_id(),
            closed(ItemStatus::Unsold).event_id()
        );
        assert_eq!(
            closed(ItemStatus::Sold).event_id(),
            closed(ItemStatus::Sold).event_id()
        );
    }
}
