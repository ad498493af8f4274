//! The auction's life in time (`docs/rules.md`, "Phases", "Closing, payment and second
//! chance"): the transitions one-time schedules run (function `schedule-transition`), the
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
pub mod offers;
pub mod open;
pub mod payment;
pub mod payments;
pub mod phase;
pub mod sweep;
pub mod transition;

use shared::domain::Timestamp;
use shared::lifecycle::{BusError, LifecycleEvent, Transition};
use shared::store::StoreError;

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
