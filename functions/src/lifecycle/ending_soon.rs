//! The "ending soon" reminder: `endingSoonSec` before the first lot closes (never before
//! `startsAt`), the auction's bidders are told, once. The reminder is written on the auction
//! (`endingSoonSentAt`, set only where it is absent) before `auction.ending_soon` is
//! published; a firing that finds it set publishes the event again (its id is the auction's,
//! so its consumer writes and pushes nothing twice), in case the first stopped in between.

use shared::catalog::{AuctionRecord, AuctionStatus, ItemRecord, ItemStatus};
use shared::domain::{AuctionId, Timestamp};
use shared::lifecycle::{LifecycleEvent, Transition};
use shared::store::{Condition, StoreError, Update, s};

use super::payment::LONGEST_WAIT;
use super::{TransitionError, find_auction, phase, publish, wait_until};
use crate::AppState;

/// Tells `auction_id`'s bidders its first lot closes soon, if the auction sends reminders,
/// still takes bids and has not told them yet; one that fired early waits or is re-armed.
pub async fn ending_soon(state: &AppState, auction_id: AuctionId) -> Result<(), TransitionError> {
    let Some(auction) = find_auction(state, auction_id).await? else {
        return Ok(());
    };
    let Some(at) = auction.ending_soon_at() else {
        return Ok(()); // the auction sends no reminder
    };
    if !runs(&auction) {
        return Ok(());
    }
    let transition = Transition::AuctionEndingSoon { auction_id };
    if auction.ending_soon_sent_at.is_none()
        && !wait_until(state, &transition, at, LONGEST_WAIT).await
    {
        return Ok(());
    }
    let items = phase::items_of(state, &auction).await?;
    let now = state.clock.now();
    let Some(ends_at) = first_close(&items).filter(|ends_at| now < *ends_at) else {
        return Ok(()); // its first lot has closed: too late to be of use
    };
    let event = LifecycleEvent::AuctionEndingSoon {
        auction_id,
        ends_at,
    };
    if auction.ending_soon_sent_at.is_some() {
        return Ok(publish(state, &[event]).await?);
    }
    // Neither `version` nor `updatedAt` moves: an edit of the auction made at this moment
    // must not fail for a reminder, which no edit touches.
    let update = Update::new("SET #sent = :now")
        .name("#sent", "endingSoonSentAt")
        .value(":now", s(now.to_string()))
        .when(
            Condition::new("attribute_not_exists(#sent) AND #status IN (:ready, :open)")
                .name("#sent", "endingSoonSentAt")
                .name("#status", "status")
                .value(":ready", s(AuctionStatus::Ready.as_str()))
                .value(":open", s(AuctionStatus::Open.as_str())),
        );
    match state
        .store
        .update::<AuctionRecord>(&auction_id.to_string(), update)
        .await
    {
        Ok(_) => {
            tracing::info!(auction.id = %auction_id, ends_at = %ends_at, "ending soon");
        }
        Err(StoreError::ConditionFailed(_)) => {
            // Told by another firing (then told again), or moved on meanwhile.
            let told = find_auction(state, auction_id)
                .await?
                .is_some_and(|a| a.ending_soon_sent_at.is_some() && runs(&a));
            if !told {
                return Ok(());
            }
        }
        Err(other) => return Err(other.into()),
    }
    Ok(publish(state, &[event]).await?)
}

/// Whether the sweeper should run the reminder of `auction` at `now`: due, not told, and
/// before its first lot (of `items`, read strongly) closes.
pub fn is_due(auction: &AuctionRecord, items: &[ItemRecord], now: Timestamp) -> bool {
    auction.ending_soon_sent_at.is_none()
        && runs(auction)
        && auction.ending_soon_at().is_some_and(|at| now >= at)
        && first_close(items).is_some_and(|ends_at| now < ends_at)
}

/// Whether the auction still takes bids as far as its phase goes.
fn runs(auction: &AuctionRecord) -> bool {
    matches!(auction.status, AuctionStatus::Ready | AuctionStatus::Open)
}

/// The earliest effective close of the lots still taking bids (a soft close may have moved
/// the first lot's past the next one's).
fn first_close(items: &[ItemRecord]) -> Option<Timestamp> {
    items
        .iter()
        .filter(|item| {
            item.terms.is_some() && matches!(item.status, ItemStatus::Upcoming | ItemStatus::Open)
        })
        .map(|item| item.ends_at)
        .min()
}
