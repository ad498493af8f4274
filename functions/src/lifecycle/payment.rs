//! The payment window: the reminder half-way, and the deadline. A deadline that passes unpaid
//! marks the winner non-paying for the item and offers it to the next-highest distinct bidder
//! at their own highest bid (second chance), down the list; with no one left it is `unsold`.
//! Each step moves the totals in its own transaction and is audited.

use std::collections::HashMap;
use std::time::Duration;

use chrono::TimeDelta;
use shared::audit::{AuditAction, AuditRecord};
use shared::bidding::{BidStatus, TotalsRecord};
use shared::catalog::{AuctionRecord, ItemRecord, ItemStatus};
use shared::domain::{ItemId, Money, Timestamp, UserId};
use shared::lifecycle::{
    LifecycleEvent, OfferRecord, OfferStatus, PaymentStatus, PendingOffer, Transition,
};
use shared::store::{
    AttributeValue, Collection, Condition, StoreError, Transaction, Update, n, s, to_attribute,
};

use super::{
    Holding, TransitionError, arm, audited_amount, phase, publish, read_auction, read_item,
    totals_move, wait_until,
};
use crate::AppState;
use crate::bidding::replay::item_bids;

/// A step that fired this close to its time waits for it; one further off is re-armed.
pub const LONGEST_WAIT: Duration = Duration::from_secs(90);

/// Sends the half-way reminder of sale `round`, once.
pub async fn remind(state: &AppState, item_id: ItemId, round: u32) -> Result<(), TransitionError> {
    loop {
        let Some(item) = read_item(state, item_id).await? else {
            return Ok(());
        };
        let Some(sale) = item.sale.as_ref().filter(|s| s.round == round) else {
            return Ok(()); // passed on, or gone unsold
        };
        if sale.payment_status != PaymentStatus::Unpaid {
            return Ok(());
        }
        let event = LifecycleEvent::PaymentReminder {
            auction_id: item.auction_id,
            item_id,
            round,
            due_at: sale.due_at,
        };
        if sale.reminded {
            return Ok(publish(state, &[event]).await?);
        }
        let at = sale.reminder_at();
        if !wait_until(
            state,
            &Transition::PaymentReminder { item_id, round },
            at,
            LONGEST_WAIT,
        )
        .await
        {
            return Ok(());
        }
        let update = Update::new("SET #sale.#reminded = :true ADD #version :one")
            .name("#sale", "sale")
            .name("#reminded", "reminded")
            .name("#version", "version")
            .value(":true", AttributeValue::Bool(true))
            .value(":one", n(1))
            .when(Condition::version_is("version", item.version));
        match state
            .store
            .update::<ItemRecord>(&item_id.to_string(), update)
            .await
        {
            Ok(_) => return Ok(publish(state, &[event]).await?),
            Err(StoreError::ConditionFailed(_)) => continue,
            Err(other) => return Err(other.into()),
        }
    }
}

/// Runs the deadline of sale `round`: unpaid, it becomes `overdue` and the item goes to the
/// next bidder.
pub async fn deadline(
    state: &AppState,
    item_id: ItemId,
    round: u32,
) -> Result<(), TransitionError> {
    for _ in 0..8 {
        let Some(item) = read_item(state, item_id).await? else {
            return Ok(());
        };
        let Some(sale) = item.sale.clone().filter(|s| s.round == round) else {
            return Ok(());
        };
        match sale.payment_status {
            PaymentStatus::Paid => return Ok(()),
            PaymentStatus::Overdue => {
                // Passed on already: tell it again.
                return Ok(publish(state, &passed_on_events(&item, round)).await?);
            }
            PaymentStatus::Unpaid => {}
        }
        let transition = Transition::PaymentDeadline { item_id, round };
        if !wait_until(state, &transition, sale.due_at, LONGEST_WAIT).await {
            return Ok(());
        }
        let now = state.clock.now();
        let auction = read_auction(state, &item).await?;
        let non_paying: Vec<UserId> = sale.winner.into_iter().collect();
        let next = next_offer(state, &item, &auction, &non_paying, round + 1, now).await?;
        let mut passed_over = item.passed_over.clone();
        passed_over.extend(sale.winner);
        let mut audit = AuditRecord::new(AuditAction::PaymentOverdue, None, now)
            .target(item.id)
            .detail("round", round)
            .detail("bidderNumber", sale.bidder_number)
            .detail("amount", audited_amount(&item, sale.amount));
        audit.auction_id = Some(item.auction_id);
        let mut transaction = state.store.transaction();
        // A live winner entered by name has no account and no totals.
        if let Some(winner) = sale.winner {
            transaction = transaction.update(
                Collection::Totals,
                &TotalsRecord::key(item.auction_id, winner),
                totals_move(&item, -sale.amount.amount(), Some(Holding::Won), None, now),
            )?;
        }
        let transaction = transaction.create(&audit)?;
        let transaction = hand_on(transaction, &item, &passed_over, next.as_ref(), true, now)?;
        match state.store.transact(transaction).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed(_) | StoreError::TransactionConflict) => continue,
            Err(other) => return Err(other.into()),
        }
        tracing::info!(item.id = %item_id, round, offered = next.is_some(), "payment overdue");
        return after_hand_on(state, &item, round, next.as_ref(), true).await;
    }
    Err(TransitionError::Unexpected(format!(
        "the deadline of item {item_id} lost every race"
    )))
}

/// Passes the item on from `offer`'s bidder (declined, or let the offer lapse): to the next
/// bidder, or `unsold` with no one left.
pub async fn pass_on(
    state: &AppState,
    offer: &OfferRecord,
    outcome: OfferStatus,
    actor: Option<UserId>,
) -> Result<PassedOn, TransitionError> {
    for _ in 0..8 {
        let Some(item) = read_item(state, offer.item_id).await? else {
            return Ok(PassedOn::Stale);
        };
        if item.offer.as_ref().is_none_or(|o| o.offer_id != offer.id) {
            return Ok(PassedOn::Stale);
        }
        let now = state.clock.now();
        let auction = read_auction(state, &item).await?;
        let mut passed_over = item.passed_over.clone();
        passed_over.push(offer.bidder_id);
        let next = next_offer(state, &item, &auction, &passed_over, offer.round + 1, now).await?;
        let action = match outcome {
            OfferStatus::Declined => AuditAction::OfferDeclined,
            _ => AuditAction::OfferExpired,
        };
        let mut audit = AuditRecord::new(action, actor, now)
            .target(item.id)
            .detail("offerId", offer.id.to_string())
            .detail("round", offer.round)
            .detail("bidderNumber", offer.bidder_number);
        audit.auction_id = Some(item.auction_id);
        let settle = Update::new("SET #status = :outcome, #updatedAt = :now")
            .name("#status", "status")
            .name("#updatedAt", "updatedAt")
            .value(":outcome", s(outcome.as_str()))
            .value(":now", s(now.to_string()))
            .when(
                Condition::new("#status = :pending")
                    .name("#status", "status")
                    .value(":pending", s("pending")),
            );
        let transaction = state
            .store
            .transaction()
            .update(Collection::Offers, &offer.id.to_string(), settle)?
            .create(&audit)?;
        let transaction = hand_on(transaction, &item, &passed_over, next.as_ref(), false, now)?;
        match state.store.transact(transaction).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed(failed)) if failed.collection == Collection::Offers => {
                return Ok(PassedOn::Stale);
            }
            Err(StoreError::ConditionFailed(_) | StoreError::TransactionConflict) => continue,
            Err(other) => return Err(other.into()),
        }
        tracing::info!(item.id = %item.id, round = offer.round, outcome = outcome.as_str(), offered = next.is_some(), "offer settled");
        let mut events = Vec::new();
        if outcome == OfferStatus::Expired {
            events.push(LifecycleEvent::OfferExpired {
                auction_id: item.auction_id,
                item_id: item.id,
                offer_id: offer.id,
            });
        }
        publish(state, &events).await?;
        after_hand_on(state, &item, offer.round, next.as_ref(), false).await?;
        return Ok(PassedOn::Done);
    }
    Err(TransitionError::Unexpected(format!(
        "passing on item {} lost every race",
        offer.item_id
    )))
}

/// What [`pass_on`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum PassedOn {
    Done,
    /// The offer was settled already (answered, expired, withdrawn or accepted).
    Stale,
}

/// The item's half of handing it on: the next offer (and its record), or `unsold`; guarded
/// by the version it was read at. `overdue` marks the sale so (a deadline), else the sale
/// stays overdue as it was.
fn hand_on(
    transaction: Transaction,
    item: &ItemRecord,
    passed_over: &[UserId],
    next: Option<&OfferRecord>,
    overdue: bool,
    now: Timestamp,
) -> Result<Transaction, TransitionError> {
    let guard = Condition::version_is("version", item.version).and(
        Condition::new("#status = :sold")
            .name("#status", "status")
            .value(":sold", s("sold")),
    );
    let update = match next {
        Some(offer) => {
            let pending = PendingOffer {
                offer_id: offer.id,
                bidder: offer.bidder_id,
                round: offer.round,
                expires_at: offer.expires_at,
            };
            let overdue_set = if overdue {
                ", #sale.#paymentStatus = :overdue"
            } else {
                ""
            };
            let mut update = Update::new(format!(
                "SET #offer = :offer, #passedOver = :passed{overdue_set}, #updatedAt = :now \
                 ADD #version :one"
            ))
            .name("#offer", "offer")
            .value(":offer", to_attribute(&pending)?);
            if overdue {
                update = update
                    .name("#sale", "sale")
                    .name("#paymentStatus", "paymentStatus")
                    .value(":overdue", s("overdue"));
            }
            update
        }
        None => Update::new(
            "SET #status = :unsold, #passedOver = :passed, #updatedAt = :now \
             REMOVE #sale, #offer ADD #version :one",
        )
        .name("#status", "status")
        .name("#sale", "sale")
        .name("#offer", "offer")
        .value(":unsold", s("unsold")),
    };
    let update = update
        .name("#passedOver", "passedOver")
        .name("#updatedAt", "updatedAt")
        .name("#version", "version")
        .value(":passed", to_attribute(&passed_over)?)
        .value(":now", s(now.to_string()))
        .value(":one", n(1))
        .when(guard);
    let mut transaction = transaction.update(Collection::Items, &item.id.to_string(), update)?;
    if let Some(offer) = next {
        let mut audit = AuditRecord::new(AuditAction::SecondChanceOffered, None, now)
            .target(item.id)
            .detail("offerId", offer.id.to_string())
            .detail("round", offer.round)
            .detail("bidderNumber", offer.bidder_number)
            .detail("amount", audited_amount(item, offer.amount))
            .detail("expiresAt", offer.expires_at.to_string());
        audit.auction_id = Some(item.auction_id);
        transaction = transaction.create(offer)?.create(&audit)?;
    }
    Ok(transaction)
}

/// After the item was handed on: its events, the offer's expiry schedule, and the auction's
/// phase when the item went unsold.
async fn after_hand_on(
    state: &AppState,
    item: &ItemRecord,
    round: u32,
    next: Option<&OfferRecord>,
    overdue: bool,
) -> Result<(), TransitionError> {
    let mut events = Vec::new();
    if overdue {
        events.push(LifecycleEvent::PaymentOverdue {
            auction_id: item.auction_id,
            item_id: item.id,
            round,
        });
    }
    match next {
        Some(offer) => {
            events.push(LifecycleEvent::OfferMade {
                auction_id: item.auction_id,
                item_id: item.id,
                offer_id: offer.id,
                expires_at: offer.expires_at,
            });
            publish(state, &events).await?;
            arm(
                state,
                &Transition::OfferExpiry { offer_id: offer.id },
                offer.expires_at,
            )
            .await;
        }
        None => {
            events.push(LifecycleEvent::ItemClosed {
                auction_id: item.auction_id,
                item_id: item.id,
                status: ItemStatus::Unsold,
            });
            publish(state, &events).await?;
            phase::advance(state, item.auction_id).await?;
        }
    }
    Ok(())
}

/// What an overdue sale of `round` told: `payment.overdue` and the offer it made.
fn passed_on_events(item: &ItemRecord, round: u32) -> Vec<LifecycleEvent> {
    let mut events = vec![LifecycleEvent::PaymentOverdue {
        auction_id: item.auction_id,
        item_id: item.id,
        round,
    }];
    if let Some(offer) = item.offer.as_ref().filter(|o| o.round == round + 1) {
        events.push(LifecycleEvent::OfferMade {
            auction_id: item.auction_id,
            item_id: item.id,
            offer_id: offer.offer_id,
            expires_at: offer.expires_at,
        });
    }
    events
}

/// The offer to the next-highest distinct bidder not in `excluded` (or passed over before),
/// at their own highest active bid; `None` when no one is left.
async fn next_offer(
    state: &AppState,
    item: &ItemRecord,
    auction: &AuctionRecord,
    excluded: &[UserId],
    round: u32,
    now: Timestamp,
) -> Result<Option<OfferRecord>, TransitionError> {
    let bids = item_bids(&state.store, item).await?.ok_or_else(|| {
        TransitionError::Unexpected(format!("item {} has too many bids", item.id))
    })?;
    let Some((bidder, number, amount)) = next_bidder(item, &bids, excluded) else {
        return Ok(None);
    };
    Ok(Some(OfferRecord {
        id: OfferRecord::id_of(item.id, round),
        item_id: item.id,
        auction_id: item.auction_id,
        bidder_id: bidder,
        bidder_number: number,
        amount,
        round,
        status: OfferStatus::Pending,
        expires_at: now.plus(TimeDelta::seconds(i64::from(
            auction.settings.offer_window(),
        ))),
        created_at: now,
        updated_at: now,
    }))
}

/// The bidder next in line: the highest active bid of each distinct bidder (their own or one
/// their maximum placed), highest first, the earlier on equal amounts; those passed over,
/// `excluded` and the winners of earlier rounds skipped.
pub fn next_bidder(
    item: &ItemRecord,
    bids: &[shared::bidding::BidRecord],
    excluded: &[UserId],
) -> Option<(UserId, u32, Money)> {
    let mut best: HashMap<UserId, (Money, Timestamp, u32)> = HashMap::new();
    for bid in bids
        .iter()
        .filter(|b| b.status == BidStatus::Active && !b.buy_now)
    {
        let entry =
            best.entry(bid.bidder_id)
                .or_insert((bid.amount, bid.placed_at, bid.bidder_number));
        if bid.amount > entry.0 {
            *entry = (bid.amount, bid.placed_at, bid.bidder_number);
        }
    }
    let current = item.sale.as_ref().and_then(|sale| sale.winner);
    let mut ranked: Vec<(UserId, (Money, Timestamp, u32))> = best
        .into_iter()
        .filter(|(bidder, _)| {
            !excluded.contains(bidder)
                && !item.passed_over.contains(bidder)
                && Some(*bidder) != current
        })
        .collect();
    ranked.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.1.1.cmp(&b.1.1)));
    ranked
        .first()
        .map(|(bidder, (amount, _, number))| (*bidder, *number, *amount))
}
