//! The phases time moves: `ready` → `open` at `startsAt` (see [`super::open`]), `open` →
//! `pending` when the last lot has closed, `pending` → `complete` when every item is paid or
//! unsold. Each move is one conditional write on the old phase with its audit entry, then
//! `auction.phase_changed`; an auction whose phase someone set by hand is left to them.

use shared::audit::{AuditAction, AuditRecord};
use shared::catalog::{AuctionRecord, AuctionStatus, ItemRecord, ItemStatus};
use shared::domain::{AuctionId, Timestamp};
use shared::lifecycle::{LifecycleEvent, PaymentStatus};
use shared::store::{AttributeValue, Collection, Condition, Index, Read, StoreError, Update, n, s};

use super::{TransitionError, find_auction, publish};
use crate::AppState;
use crate::catalog::publish::MAX_LOTS;

/// Moves `auction_id` on as far as its items allow: to `pending` once no lot is open, to
/// `complete` once every item is paid or unsold.
pub async fn advance(state: &AppState, auction_id: AuctionId) -> Result<(), TransitionError> {
    let Some(auction) = find_auction(state, auction_id).await? else {
        return Ok(());
    };
    if auction.manual_phase
        || !matches!(
            auction.status,
            AuctionStatus::Ready | AuctionStatus::Open | AuctionStatus::Pending
        )
    {
        return Ok(());
    }
    let items = items_of(state, &auction).await?;
    let all_closed = items
        .iter()
        .all(|item| !matches!(item.status, ItemStatus::Upcoming | ItemStatus::Open));
    if !all_closed {
        return Ok(());
    }
    let mut status = auction.status;
    if matches!(status, AuctionStatus::Ready | AuctionStatus::Open) {
        move_phase(state, &auction, status, AuctionStatus::Pending).await?;
        status = AuctionStatus::Pending;
    }
    let settled = items.iter().all(|item| match item.status {
        ItemStatus::Unsold => true,
        ItemStatus::Sold => item
            .sale
            .as_ref()
            .is_some_and(|sale| sale.payment_status == PaymentStatus::Paid),
        _ => false,
    });
    if settled && status == AuctionStatus::Pending {
        move_phase(
            state,
            &auction,
            AuctionStatus::Pending,
            AuctionStatus::Complete,
        )
        .await?;
    }
    Ok(())
}

/// The auction's lots, read strongly (the index only names them: it lags their writes).
pub(super) async fn items_of(
    state: &AppState,
    auction: &AuctionRecord,
) -> Result<Vec<ItemRecord>, TransitionError> {
    let listed: Vec<ItemRecord> = state
        .store
        .query_at_most(Index::ITEMS_BY_AUCTION, &auction.id.to_string(), MAX_LOTS)
        .await?
        .ok_or_else(|| {
            TransitionError::Unexpected(format!("auction {} holds too many lots", auction.id))
        })?;
    let keys: Vec<String> = listed.iter().map(|item| item.id.to_string()).collect();
    Ok(state
        .store
        .get_many::<ItemRecord>(&keys, Read::Strong)
        .await?)
}

/// Writes `from` → `to` once (conditional on `from`, and on no one having set the phase by
/// hand), audited as the system's, then tells it. Already moved: told again.
pub async fn move_phase(
    state: &AppState,
    auction: &AuctionRecord,
    from: AuctionStatus,
    to: AuctionStatus,
) -> Result<(), TransitionError> {
    let now = state.clock.now();
    match state
        .store
        .transact(phase_writes(state, auction, from, to, now)?)
        .await
    {
        Ok(()) => {
            tracing::info!(auction.id = %auction.id, from = from.as_str(), to = to.as_str(), "auction phase changed");
        }
        Err(StoreError::ConditionFailed(_)) => {
            // Moved already (by another firing) or set by hand: told again only if it is in
            // the phase this move makes.
            let current = state
                .store
                .get::<AuctionRecord>(&auction.id.to_string(), Read::Strong)
                .await?;
            if current.is_none_or(|a| a.status != to) {
                return Ok(());
            }
        }
        Err(other) => return Err(other.into()),
    }
    publish(
        state,
        &[LifecycleEvent::AuctionPhaseChanged {
            auction_id: auction.id,
            from,
            to,
        }],
    )
    .await?;
    Ok(())
}

fn phase_writes(
    state: &AppState,
    auction: &AuctionRecord,
    from: AuctionStatus,
    to: AuctionStatus,
    now: Timestamp,
) -> Result<shared::store::Transaction, TransitionError> {
    let update = Update::new("SET #status = :to, #updatedAt = :now ADD #version :one")
        .name("#status", "status")
        .name("#updatedAt", "updatedAt")
        .name("#version", "version")
        .value(":to", s(to.as_str()))
        .value(":now", s(now.to_string()))
        .value(":one", n(1))
        .when(
            Condition::new(
                "#status = :from AND (attribute_not_exists(#manual) OR #manual = :false)",
            )
            .name("#status", "status")
            .name("#manual", "manualPhase")
            .value(":from", s(from.as_str()))
            .value(":false", AttributeValue::Bool(false)),
        );
    let mut audit = AuditRecord::new(AuditAction::AuctionPhaseChanged, None, now)
        .target(auction.id)
        .detail("from", from.as_str())
        .detail("to", to.as_str());
    audit.auction_id = Some(auction.id);
    Ok(state
        .store
        .transaction()
        .update(Collection::Auctions, &auction.id.to_string(), update)?
        .create(&audit)?)
}
