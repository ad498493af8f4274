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
}

#[cfg(test)]
mod tests {
    use super::AuctionStatus::*;

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
