//! The auction's life in time (`docs/rules.md`, "Phases", "Ending soon", "Closing, payment and
//! second chance"): the transitions one-time schedules run (function `schedule-transition`), the
//! sweeper that runs whatever a lost schedule missed (`schedule-sweep`), the consumer of the
//! lifecycle events (`event-lifecycle-fan-out`), and the routes of payments and offers.
//!
//! Every transition is conditional on the state it expects, so a late, early, repeated or
//! concurrent firing changes nothing twice. Its events are published after its transaction
//! commits; a transition that finds its work done already publishes them again (their ids
//! follow from what happened, so consumers see one event), which is how an event whose
//! publishing failed is told on the schedule's retry.

pub mod announce;
pub mod close;
pub mod ending_soon;
pub mod invoices;
pub mod live;
pub mod offers;
pub mod open;
pub mod payment;
pub mod payments;
pub mod phase;
pub mod pickup;
pub mod reports;
pub mod sweep;
pub mod transition;

use std::time::Duration;

use rust_decimal::Decimal;
use shared::catalog::{AuctionRecord, ItemRecord};
use shared::domain::{AuctionId, ItemId, Money, Timestamp};
use shared::lifecycle::{BusError, LifecycleEvent, Transition};
use shared::store::{AttributeValue, Read, StoreError, Update, n, s};

use crate::AppState;

/// Why a transition did not finish (its schedule retries it; the sweeper would too).
#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Bus(#[from] BusError),
    #[error("{0}")]
    Unexpected(String),
}

impl From<shared::http::ApiError> for TransitionError {
    fn from(error: shared::http::ApiError) -> Self {
        TransitionError::Unexpected(error.to_string())
    }
}

/// Publishes `events` on the bus (nothing where the function has no bus).
pub async fn publish(state: &AppState, events: &[LifecycleEvent]) -> Result<(), BusError> {
    match &state.lifecycle.bus {
        Some(bus) if !events.is_empty() => {
            bus.publish(events).await?;
            for event in events {
                tracing::info!(
                    event = event.detail_type(),
                    auction.id = %event.auction_id(),
                    "lifecycle event published"
                );
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Publishes after a change a request made: the change stands whatever happens here (a
/// failure is logged; the sweeper or the step's schedule tells it again).
pub async fn publish_after(state: &AppState, events: &[LifecycleEvent]) {
    if let Err(error) = publish(state, events).await {
        tracing::warn!(%error, "lifecycle events were not published");
    }
}

/// Creates the schedule of `transition`, due `at`. A failure is logged, not raised: the
/// sweeper runs the step within its period anyway.
pub async fn arm(state: &AppState, transition: &Transition, at: Timestamp) {
    let Some(schedules) = &state.lifecycle.schedules else {
        return;
    };
    match schedules.arm(transition, at, state.clock.now()).await {
        Ok(()) => tracing::info!(
            transition = transition.label(),
            at = %at,
            "schedule armed"
        ),
        Err(error) => tracing::warn!(%error, "a schedule was not created; the sweeper will run it"),
    }
}

/// Whether `transition`, due `at`, may run now. Up to `longest` early, it waits for its time;
/// further off (a soft-close extension, a schedule that fired too early) it is re-armed for
/// then and does not run.
pub async fn wait_until(
    state: &AppState,
    transition: &Transition,
    at: Timestamp,
    longest: Duration,
) -> bool {
    let left = at.millis() - state.clock.now().millis();
    let Ok(left) = u64::try_from(left) else {
        return true;
    };
    let left = Duration::from_millis(left);
    if left.is_zero() {
        return true;
    }
    if left <= longest {
        tokio::time::sleep(left).await;
        return true;
    }
    arm(state, transition, at).await;
    false
}

/// Which of a bidder's item sets in their totals an item leaves or joins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holding {
    /// `items`: the lots they lead.
    Leading,
    /// `won`: the lots locked to them.
    Won,
}

impl Holding {
    fn attribute(self) -> &'static str {
        match self {
            Holding::Leading => "items",
            Holding::Won => "won",
        }
    }
}

/// A bidder's totals as the item moves `from` one of their sets `to` another (either may be
/// none), their subtotal moving by `delta`.
pub fn totals_move(
    item: &ItemRecord,
    delta: Decimal,
    from: Option<Holding>,
    to: Option<Holding>,
    now: Timestamp,
) -> Update {
    let mut add = Vec::new();
    if !delta.is_zero() {
        add.push("#subtotal :delta");
    }
    if to.is_some() {
        add.push("#to :item");
    }
    let mut expression = String::new();
    if !add.is_empty() {
        expression.push_str(&format!("ADD {} ", add.join(", ")));
    }
    if from.is_some() {
        expression.push_str("DELETE #from :item ");
    }
    expression.push_str("SET #updatedAt = :now");
    // A newly won item is unpaid: the invoice is not paid in full any more.
    let newly_won = to == Some(Holding::Won);
    if newly_won {
        expression.push_str(", #paid = :unpaid");
    }
    let mut update = Update::new(expression)
        .name("#updatedAt", "updatedAt")
        .value(":now", s(now.to_string()));
    if newly_won {
        update = update
            .name("#paid", "paid")
            .value(":unpaid", AttributeValue::Bool(false));
    }
    if !delta.is_zero() {
        update = update
            .name("#subtotal", "subtotal")
            .value(":delta", n(delta));
    }
    if from.is_some() || to.is_some() {
        update = update.value(":item", AttributeValue::Ss(vec![item.id.to_string()]));
    }
    if let Some(from) = from {
        update = update.name("#from", from.attribute());
    }
    if let Some(to) = to {
        update = update.name("#to", to.attribute());
    }
    update
}

/// The item, read strongly; `None` once deleted.
pub async fn read_item(
    state: &AppState,
    item_id: ItemId,
) -> Result<Option<ItemRecord>, StoreError> {
    state
        .store
        .get::<ItemRecord>(&item_id.to_string(), Read::Strong)
        .await
}

/// The auction, read strongly; `None` once deleted.
pub async fn find_auction(
    state: &AppState,
    auction_id: AuctionId,
) -> Result<Option<AuctionRecord>, StoreError> {
    state
        .store
        .get::<AuctionRecord>(&auction_id.to_string(), Read::Strong)
        .await
}

/// The item's auction, read strongly.
pub async fn read_auction(
    state: &AppState,
    item: &ItemRecord,
) -> Result<AuctionRecord, TransitionError> {
    find_auction(state, item.auction_id)
        .await?
        .ok_or_else(|| TransitionError::Unexpected(format!("item {} has no auction", item.id)))
}

/// `amount` as the audit log shows money: in the item's currency (`20.00`), as bids do.
pub(crate) fn audited_amount(item: &ItemRecord, amount: Money) -> String {
    item.terms
        .as_ref()
        .and_then(|terms| amount.in_currency(terms.currency).ok())
        .map_or_else(|| amount.to_string(), |shown| shown.to_string())
}
