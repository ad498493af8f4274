//! The timed steps of an auction's life, as a one-time schedule's input names them. Each is
//! run by the function `schedule-transition`, and by the sweeper when its schedule was lost;
//! each is conditional on the state it expects, so running one twice changes nothing twice.

use serde::{Deserialize, Serialize};

use crate::domain::{AuctionId, ItemId, OfferId, Timestamp};

/// What a schedule asks for (the JSON its target receives).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "transition",
    rename_all = "snake_case",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum Transition {
    /// `ready` → `open` at `startsAt`.
    AuctionOpen { auction_id: AuctionId },
    /// `endingSoonSec` before the first lot closes: its bidders are told, once.
    AuctionEndingSoon { auction_id: AuctionId },
    /// The lot closes at its effective `endsAt`.
    ItemClose { item_id: ItemId },
    /// Half-way through the payment window of sale `round`.
    PaymentReminder { item_id: ItemId, round: u32 },
    /// The payment deadline of sale `round`.
    PaymentDeadline { item_id: ItemId, round: u32 },
    /// A second-chance offer's window ends.
    OfferExpiry { offer_id: OfferId },
}

impl Transition {
    /// The schedule's name: the same for the same step, so creating it twice is harmless (at
    /// most 64 characters). A close names its time too: a close that re-arms itself for a
    /// soft-close extension makes a new schedule while its own is still running.
    pub fn schedule_name(&self, at: Timestamp) -> String {
        match self {
            Transition::AuctionOpen { auction_id } => format!("open-{auction_id}"),
            Transition::AuctionEndingSoon { auction_id } => format!("soon-{auction_id}"),
            Transition::ItemClose { item_id } => format!("close-{item_id}-{}", at.epoch_seconds()),
            Transition::PaymentReminder { item_id, round } => format!("remind-{item_id}-{round}"),
            Transition::PaymentDeadline { item_id, round } => format!("due-{item_id}-{round}"),
            Transition::OfferExpiry { offer_id } => format!("offer-{offer_id}"),
        }
    }

    /// The input the schedule delivers to its target.
    pub fn to_json(&self) -> String {
        // Ids and numbers only: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// What it is, for logs.
    pub fn label(&self) -> &'static str {
        match self {
            Transition::AuctionOpen { .. } => "auction_open",
            Transition::AuctionEndingSoon { .. } => "auction_ending_soon",
            Transition::ItemClose { .. } => "item_close",
            Transition::PaymentReminder { .. } => "payment_reminder",
            Transition::PaymentDeadline { .. } => "payment_deadline",
            Transition::OfferExpiry { .. } => "offer_expiry",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_deterministic_and_fit_schedulers_limit() {
        let at = Timestamp::parse("2026-12-04T10:00:00Z").unwrap();
        let item_id = ItemId::new();
        let close = Transition::ItemClose { item_id };
        assert_eq!(close.schedule_name(at), close.schedule_name(at));
        assert_ne!(
            close.schedule_name(at),
            close.schedule_name(at.plus(chrono::TimeDelta::seconds(120)))
        );
        for transition in [
            close,
            Transition::AuctionOpen {
                auction_id: AuctionId::new(),
            },
            Transition::AuctionEndingSoon {
                auction_id: AuctionId::new(),
            },
            Transition::PaymentReminder {
                item_id,
                round: 999,
            },
            Transition::PaymentDeadline {
                item_id,
                round: 999,
            },
            Transition::OfferExpiry {
                offer_id: OfferId::new(),
            },
        ] {
            let name = transition.schedule_name(at);
            assert!(name.len() <= 64, "{name}");
            assert!(
                name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "{name}"
            );
            let input = transition.to_json();
            assert_eq!(
                serde_json::from_str::<Transition>(&input).unwrap(),
                transition
            );
        }
        assert_eq!(
            Transition::PaymentDeadline { item_id, round: 1 }.to_json(),
            format!(r#"{{"transition":"payment_deadline","itemId":"{item_id}","round":1}}"#)
        );
        let auction_id = AuctionId::new();
        let soon = Transition::AuctionEndingSoon { auction_id };
        assert_eq!(soon.schedule_name(at), format!("soon-{auction_id}"));
        assert_eq!(
            soon.to_json(),
            format!(r#"{{"transition":"auction_ending_soon","auctionId":"{auction_id}"}}"#)
        );
    }
}
