//! `ready` → `open` at the auction's `startsAt`. Bids never waited for this: they are taken
//! from `startsAt` whatever the stored phase says (the bid's write checks the time); opening
//! makes the phase say so, and tells the auction's watchers.

use shared::catalog::{AuctionRecord, AuctionStatus};
use shared::domain::AuctionId;
use shared::lifecycle::{LifecycleEvent, Transition};

use super::{TransitionError, arm, find_auction, phase, publish};
use crate::AppState;

/// Opens `auction_id` if it is `ready`, nobody set its phase and `startsAt` has passed; one
/// that fired early is re-armed for its time.
pub async fn open_auction(state: &AppState, auction_id: AuctionId) -> Result<(), TransitionError> {
    let Some(auction) = find_auction(state, auction_id).await? else {
        return Ok(());
    };
    if auction.manual_phase {
        return Ok(());
    }
    match auction.status {
        AuctionStatus::Ready if state.clock.now() < auction.starts_at => {
            arm(
                state,
                &Transition::AuctionOpen { auction_id },
                auction.starts_at,
            )
            .await;
            Ok(())
        }
        AuctionStatus::Ready => {
            phase::move_phase(state, &auction, AuctionStatus::Ready, AuctionStatus::Open).await
        }
        // Opened by an earlier firing: tell it again in case that one could not.
        AuctionStatus::Open => Ok(publish(
            state,
            &[LifecycleEvent::AuctionPhaseChanged {
                auction_id,
                from: AuctionStatus::Ready,
                to: AuctionStatus::Open,
            }],
        )
        .await?),
        _ => Ok(()),
    }
}

/// Whether `auction` waits for its opening.
pub fn awaits_opening(auction: &AuctionRecord) -> bool {
    auction.status == AuctionStatus::Ready && !auction.manual_phase
}
