//! The target of every one-time schedule (function `schedule-transition`): runs the step its
//! input names. An error makes Scheduler retry it (and, once it gives up, send it to the
//! dead-letter queue); the sweeper runs the step meanwhile.

use shared::lifecycle::Transition;

use super::close::{close_item, longest_wait};
use super::{TransitionError, ending_soon, offers, open, payment};
use crate::AppState;

#[tracing::instrument(skip_all, fields(transition = transition.label()))]
pub async fn schedule_transition(
    state: &AppState,
    transition: Transition,
) -> Result<(), TransitionError> {
    let started = state.clock.now();
    let outcome = match transition {
        Transition::AuctionOpen { auction_id } => open::open_auction(state, auction_id).await,
        Transition::AuctionEndingSoon { auction_id } => {
            ending_soon::ending_soon(state, auction_id).await
        }
        Transition::ItemClose { item_id } => close_item(state, item_id, longest_wait(state)).await,
        Transition::PaymentReminder { item_id, round } => {
            payment::remind(state, item_id, round).await
        }
        Transition::PaymentDeadline { item_id, round } => {
            payment::deadline(state, item_id, round).await
        }
        Transition::OfferExpiry { offer_id } => offers::expire(state, offer_id).await,
    };
    match &outcome {
        Ok(()) => tracing::info!(
            ms = state.clock.now().millis() - started.millis(),
            "transition run"
        ),
        Err(error) => tracing::warn!(%error, "transition failed; it will be retried"),
    }
    outcome
}
