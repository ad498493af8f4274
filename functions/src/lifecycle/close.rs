//! Closing a lot at its effective `endsAt`, in one transaction: `sold` to the leader when the
//! reserve is met (or there is none), with the sale and its payment deadline, `unsold`
//! otherwise; the totals move from "leading" to "won" (or lose the item). From then on the
//! item is locked: bids and buy-now are refused by their own write conditions (the item is no
//! longer `upcoming` or `open`).

use std::time::Duration;

use chrono::TimeDelta;
use rust_decimal::Decimal;
use shared::audit::{AuditAction, AuditRecord};
use shared::bidding::TotalsRecord;
use shared::catalog::{AuctionRecord, ItemRecord, ItemStatus};
use shared::domain::{ItemId, Timestamp};
use shared::lifecycle::{LifecycleEvent, PaymentStatus, Sale, SaleKind, Transition};
use shared::store::{Collection, Condition, StoreError, Update, n, s, to_attribute};

use super::{
    Holding, TransitionError, arm, audited_amount, phase, publish, publish_after, read_auction,
    read_item, totals_move, wait_until,
};
use crate::AppState;

/// How long a close that fired early waits for its lot's `endsAt` before it re-arms itself
/// instead (a soft-close extension moved the close further).
pub fn longest_wait(state: &AppState) -> Duration {
    Duration::from_secs(u64::from(state.config.lifecycle.close_lead_secs) + 90)
}

/// Closes `item_id` once its effective `endsAt` has passed: waits for it when that is at
/// most `longest` away (none for the sweeper, which closes only what is due), re-arms its
/// schedule for the new time when a soft-close extension moved it further.
pub async fn close_item(
    state: &AppState,
    item_id: ItemId,
    longest: Duration,
) -> Result<(), TransitionError> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let Some(item) = read_item(state, item_id).await? else {
            return Ok(()); // deleted with its auction
        };
        if !matches!(item.status, ItemStatus::Upcoming | ItemStatus::Open) {
            // Closed already (by another firing, the sweeper or a buy-now): tell it again, in
            // case the run that closed it could not.
            publish(state, &closed_events(&item)).await?;
            phase::advance(state, item.auction_id).await?;
            return Ok(());
        }
        if item.terms.is_none() {
            return Ok(()); // its auction is not published: nothing closes
        }
        if state.clock.now() < item.ends_at {
            let close = Transition::ItemClose { item_id };
            if wait_until(state, &close, item.ends_at, longest).await {
                continue; // a late bid may have moved it again
            }
            tracing::info!(item.id = %item.id, ends_at = %item.ends_at, "close re-armed for the lot's new end");
            return Ok(());
        }
        let now = state.clock.now();
        let auction = read_auction(state, &item).await?;
        let sale = sale_at_close(&item, &auction, now);
        match state
            .store
            .transact(close_writes(state, &item, sale.as_ref(), now)?)
            .await
        {
            Ok(()) => {}
            // A bid landed between the read and the write (it extended the lot, or came in
            // just before the cutoff): decide again from the item as it is now.
            Err(StoreError::ConditionFailed(_) | StoreError::TransactionConflict)
                if attempts < 8 =>
            {
                continue;
            }
            Err(other) => return Err(other.into()),
        }
        let closed = ItemRecord {
            status: if sale.is_some() {
                ItemStatus::Sold
            } else {
                ItemStatus::Unsold
            },
            sale: sale.clone(),
            closed_at: Some(now),
            ..item
        };
        tracing::info!(
            item.id = %item_id,
            status = ?closed.status,
            late_ms = now.millis() - closed.ends_at.millis(),
            "item closed"
        );
        if let Some(sale) = &sale {
            arm_payment(state, item_id, sale).await;
        }
        publish(state, &closed_events(&closed)).await?;
        phase::advance(state, closed.auction_id).await?;
        return Ok(());
    }
}

/// The sale a close makes: to the leader at the price, when the reserve is met or there is
/// none; `None` (unsold) otherwise.
pub fn sale_at_close(item: &ItemRecord, auction: &AuctionRecord, now: Timestamp) -> Option<Sale> {
    let (leader, price) = (item.bidding.leader.as_ref()?, item.bidding.price?);
    if item.reserve_met() == Some(false) {
        return None;
    }
    Some(Sale {
        winner: Some(leader.bidder),
        bidder_number: Some(leader.bidder_number),
        manual_name: None,
        amount: price,
        sold_at: now,
        due_at: now.plus(TimeDelta::seconds(i64::from(
            auction.settings.payment_window_sec,
        ))),
        payment_status: PaymentStatus::Unpaid,
        round: 0,
        kind: SaleKind::Online,
        reminded: false,
        paid_at: None,
        pickup_status: None,
        picked_up_at: None,
    })
}

/// The close's writes: the item (only if unchanged since read, still open and past its
/// cutoff), the leader's totals and the audit entry.
fn close_writes(
    state: &AppState,
    item: &ItemRecord,
    sale: Option<&Sale>,
    now: Timestamp,
) -> Result<shared::store::Transaction, TransitionError> {
    let status = if sale.is_some() {
        ItemStatus::Sold
    } else {
        ItemStatus::Unsold
    };
    let sets = if sale.is_some() {
        ", #sale = :sale"
    } else {
        ""
    };
    let mut update = Update::new(format!(
        "SET #status = :status{sets}, #closedAt = :now, #updatedAt = :now ADD #version :one"
    ))
    .name("#status", "status")
    .name("#closedAt", "closedAt")
    .name("#updatedAt", "updatedAt")
    .name("#version", "version")
    .value(":status", to_attribute(&status)?)
    .value(":now", s(now.to_string()))
    .value(":one", n(1))
    .when(
        Condition::version_is("version", item.version).and(
            Condition::new("#endsAt <= :now AND #status IN (:upcoming, :open)")
                .name("#endsAt", "endsAt")
                .name("#status", "status")
                .value(":now", s(now.to_string()))
                .value(":upcoming", s("upcoming"))
                .value(":open", s("open")),
        ),
    );
    if let Some(sale) = sale {
        update = update
            .name("#sale", "sale")
            .value(":sale", to_attribute(sale)?);
    }
    let mut transaction =
        state
            .store
            .transaction()
            .update(Collection::Items, &item.id.to_string(), update)?;
    if let (Some(leader), Some(price)) = (&item.bidding.leader, item.bidding.price) {
        let totals = match sale {
            Some(_) => totals_move(
                item,
                Decimal::ZERO,
                Some(Holding::Leading),
                Some(Holding::Won),
                now,
            ),
            None => totals_move(item, -price.amount(), Some(Holding::Leading), None, now),
        };
        transaction = transaction.update(
            Collection::Totals,
            &TotalsRecord::key(item.auction_id, leader.bidder),
            totals,
        )?;
    }
    let mut audit = AuditRecord::new(AuditAction::ItemClosed, None, now)
        .target(item.id)
        .detail("status", if sale.is_some() { "sold" } else { "unsold" })
        .detail("endsAt", item.ends_at.to_string());
    if let Some(sale) = sale {
        audit = audit
            .detail("bidderNumber", sale.bidder_number)
            .detail("amount", audited_amount(item, sale.amount))
            .detail("dueAt", sale.due_at.to_string());
    }
    audit.auction_id = Some(item.auction_id);
    Ok(transaction.create(&audit)?)
}

/// After a sale made at once (a buy-now, a live winner entered): its payment schedules, its
/// events and the auction's phase. The sale stands whatever fails here (logged; the
/// sweeper catches up).
pub async fn announce_sale(state: &AppState, item: &ItemRecord, sale: &Sale) {
    let closed = ItemRecord {
        status: ItemStatus::Sold,
        sale: Some(sale.clone()),
        ..item.clone()
    };
    arm_payment(state, item.id, sale).await;
    publish_after(state, &closed_events(&closed)).await;
    if let Err(error) = phase::advance(state, item.auction_id).await {
        tracing::warn!(%error, "the auction's phase was not advanced; the sweeper will");
    }
}

/// Schedules the sale's reminder (half-way) and deadline.
pub async fn arm_payment(state: &AppState, item_id: ItemId, sale: &Sale) {
    let round = sale.round;
    arm(
        state,
        &Transition::PaymentReminder { item_id, round },
        sale.reminder_at(),
    )
    .await;
    arm(
        state,
        &Transition::PaymentDeadline { item_id, round },
        sale.due_at,
    )
    .await;
}

/// What a closed item's close told: `item.closed`, and `payment.due` while its first sale
/// waits for its payment.
pub fn closed_events(item: &ItemRecord) -> Vec<LifecycleEvent> {
    let mut events = vec![LifecycleEvent::ItemClosed {
        auction_id: item.auction_id,
        item_id: item.id,
        status: item.status,
    }];
    if let Some(sale) = item.unpaid_sale(0) {
        events.push(LifecycleEvent::PaymentDue {
            auction_id: item.auction_id,
            item_id: item.id,
            round: sale.round,
            due_at: sale.due_at,
        });
    }
    events
}
