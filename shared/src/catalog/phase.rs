//! Auction phases: which moves are legal, and the phase time brings when no one set it.

use super::auction::{AuctionRecord, AuctionStatus};
use crate::domain::Timestamp;

impl AuctionStatus {
    /// The phases in order.
    pub const ORDER: [AuctionStatus; 6] = [
        AuctionStatus::Setup,
        AuctionStatus::Ready,
        AuctionStatus::Open,
        AuctionStatus::Pending,
        AuctionStatus::Complete,
        AuctionStatus::Closed,
    ];

    /// Whether an auction may move from `self` to `next`: one step forward, never back.
    pub fn can_move_to(self, next: AuctionStatus) -> bool {
        let position = |status| Self::ORDER.iter().position(|s| *s == status);
        matches!((position(self), position(next)), (Some(from), Some(to)) if to == from + 1)
    }

    /// The phase's name as stored and shown (`ready`).
    pub fn as_str(self) -> &'static str {
        match self {
            AuctionStatus::Setup => "setup",
            AuctionStatus::Ready => "ready",
            AuctionStatus::Open => "open",
            AuctionStatus::Pending => "pending",
            AuctionStatus::Complete => "complete",
            AuctionStatus::Closed => "closed",
        }
    }

    /// Published: visible beyond its owner and staff.
    pub fn is_published(self) -> bool {
        self != AuctionStatus::Setup
    }
}

impl AuctionRecord {
    /// The phase in force at `now`. A published auction is open from `startsAt` (bids are
    /// taken from then, before its opening schedule has written it), unless someone set the
    /// phase explicitly; it is `pending` once its last lot has actually closed (soft close
    /// may keep a lot open past the scheduled end), which the close writes.
    pub fn effective_status(&self, now: Timestamp) -> AuctionStatus {
        if self.manual_phase {
            return self.status;
        }
        match self.status {
            AuctionStatus::Ready if now >= self.starts_at => AuctionStatus::Open,
            status => status,
        }
    }

    /// Whether bids are taken now (each lot until its own close): explicitly opened, or
    /// published and past `startsAt` when no one set the phase. Bid writes check the same.
    pub fn takes_bids(&self, now: Timestamp) -> bool {
        if self.manual_phase {
            return self.status == AuctionStatus::Open;
        }
        matches!(self.status, AuctionStatus::Ready | AuctionStatus::Open) && now >= self.starts_at
    }

    /// When lot `lot_number` (0-based) closes, before any soft-close extension: the
    /// auction's end plus the stagger.
    pub fn lot_closes_at(&self, lot_number: u32) -> Timestamp {
        self.ends_at.plus(chrono::TimeDelta::seconds(
            i64::from(lot_number) * i64::from(self.settings.stagger_sec),
        ))
    }

    /// When its bidders are told it ends soon: `endingSoonSec` before the first lot's
    /// scheduled close, never before `startsAt`; `None` when the auction sends no reminder.
    pub fn ending_soon_at(&self) -> Option<Timestamp> {
        let lead = self.settings.ending_soon_sec;
        if lead == 0 {
            return None;
        }
        let at = self
            .lot_closes_at(0)
            .plus(chrono::TimeDelta::seconds(-i64::from(lead)));
        Some(at.max(self.starts_at))
    }
}

#[cfg(test)]
mod tests {
    use super::AuctionStatus::*;
    use crate::catalog::{AuctionRecord, AuctionSettings, EventType};
    use crate::domain::{AuctionId, Currency, Timestamp, UserId};

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn auction(starts: &str, ends: &str, ending_soon_sec: u32) -> AuctionRecord {
        AuctionRecord {
            id: AuctionId::new(),
            owner_id: UserId::new(),
            name: "Harbor".into(),
            event_type: EventType::Public,
            description: None,
            thumbnail: None,
            status: Ready,
            starts_at: at(starts),
            ends_at: at(ends),
            time_zone: "UTC".into(),
            currency: Currency::USD,
            payment_url: None,
            settings: AuctionSettings {
                ending_soon_sec,
                ..AuctionSettings::default()
            },
            notifications: Default::default(),
            item_count: 2,
            lots_assigned: 2,
            auction_code: None,
            manual_phase: false,
            ending_soon_sent_at: None,
            created_at: at("2026-12-01T09:00:00Z"),
            updated_at: at("2026-12-01T09:00:00Z"),
            version: 1,
        }
    }

    #[test]
    fn the_reminder_comes_its_lead_before_the_first_close_but_never_before_the_start() {
        let long = auction("2026-12-04T09:00:00Z", "2026-12-04T18:00:00Z", 900);
        assert_eq!(long.ending_soon_at(), Some(at("2026-12-04T17:45:00Z")));
        let short = auction("2026-12-04T17:50:00Z", "2026-12-04T18:00:00Z", 900);
        assert_eq!(short.ending_soon_at(), Some(short.starts_at));
        let off = auction("2026-12-04T09:00:00Z", "2026-12-04T18:00:00Z", 0);
        assert_eq!(off.ending_soon_at(), None);
    }

    #[test]
    fn phases_move_one_step_forward_only() {
        assert!(Setup.can_move_to(Ready));
        assert!(Ready.can_move_to(Open));
        assert!(Complete.can_move_to(Closed));
        for (from, to) in [
            (Setup, Open),
            (Open, Ready),
            (Closed, Setup),
            (Open, Open),
            (Pending, Closed),
        ] {
            assert!(!from.can_move_to(to), "{from:?} -> {to:?}");
        }
    }
}
