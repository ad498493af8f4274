//! The consumer of lifecycle events (function `event-lifecycle-fan-out`, fed by the bus's
//! rule): turns each into the WebSocket events of the auction's watchers (`item_closed`,
//! `auction_phase_changed`), the concerned bidders' own (`payment_due`,
//! `second_chance_offer`, `ending_soon`) and their in-app notifications. Events name records, not people:
//! who is concerned is read here. A notification's id follows from the event, so an event
//! delivered twice writes one. Its pushes are sent once too: a delivery first claims the
//! event's id (in `idempotency_keys`, kept a day), and a delivery that finds it claimed writes
//! the notifications (again harmlessly) but pushes nothing (a transition run again publishes
//! its events again, in case the first run stopped between its write and its publish). A
//! delivery that fails gives its claim back, so the bus's retry pushes what it did not; one
//! cut off by its timeout leaves the claim, and its retry writes what is missing but pushes
//! nothing more: a client that missed a push re-reads the auction.

use std::collections::HashSet;

use futures_util::StreamExt;
use shared::bidding::IdempotencyRecord;
use shared::catalog::{
    AuctionRecord, ItemRecord, ItemStatus, MembershipRecord, MembershipRole, MembershipStatus,
};
use shared::domain::{AuctionId, Timestamp, UserId};
use shared::lifecycle::events::EventDetail;
use shared::lifecycle::{LifecycleEvent, OfferRecord};
use shared::realtime::{NotificationKind, NotificationRecord, Pusher, ServerEvent};
use shared::store::{Collection, Index, Query, Read, StoreError, s};

use super::TransitionError;
use crate::AppState;
use crate::catalog::view::shown;
use crate::realtime::fan_out::{Delivery, notify};

/// How long a delivered event's id is remembered (the bus retries within the hour, a
/// transition runs again within minutes).
const CLAIM_SECS: i64 = 24 * 60 * 60;

/// Notifications one event writes at once (an auction's reminder goes to all its bidders).
const WRITES_IN_FLIGHT: usize = 8;

/// Delivers one event from the bus (its envelope as EventBridge sends it to Lambda).
#[tracing::instrument(skip_all)]
pub async fn event_lifecycle_fan_out(
    state: &AppState,
    pusher: &Pusher,
    envelope: serde_json::Value,
) -> Result<(), TransitionError> {
    let detail: EventDetail = match serde_json::from_value(envelope["detail"].clone()) {
        Ok(detail) => detail,
        Err(error) => {
            // Retrying would fail the same way.
            tracing::error!(%error, "a bus event is not a lifecycle event");
            return Ok(());
        }
    };
    let claim = IdempotencyRecord {
        id: format!("event:lifecycle:{}", detail.event_id),
        fingerprint: detail.event.detail_type().to_string(),
        status: 200,
        body: String::new(),
        created_at: state.clock.now(),
        expires_at: state.clock.now().epoch_seconds() + CLAIM_SECS,
    };
    let claimed = match state.store.create(&claim).await {
        Ok(()) => true,
        Err(StoreError::ConditionFailed(_)) => {
            tracing::info!(event = detail.event.detail_type(), event.id = %detail.event_id, "lifecycle event pushed before: notifications only");
            false
        }
        Err(other) => return Err(other.into()),
    };
    let mut delivery = claimed.then(|| Delivery::new(state, pusher));
    let told = tell(state, &mut delivery, &detail.event).await;
    let Some(delivery) = delivery else {
        return told;
    };
    delivery.forget_gone().await;
    if let Err(error) = told {
        if let Err(unclaimed) = state
            .store
            .delete(Collection::IdempotencyKeys, &claim.id, None)
            .await
        {
            tracing::warn!(error = %unclaimed, "the event's claim was not given back; its retry will send nothing");
        }
        return Err(error);
    }
    tracing::info!(
        event = detail.event.detail_type(),
        event.id = %detail.event_id,
        "lifecycle event delivered"
    );
    Ok(())
}

async fn tell(
    state: &AppState,
    delivery: &mut Option<Delivery<'_>>,
    event: &LifecycleEvent,
) -> Result<(), TransitionError> {
    match event {
        LifecycleEvent::AuctionPhaseChanged { auction_id, to, .. } => {
            let pushed = ServerEvent::AuctionPhaseChanged {
                auction_id: *auction_id,
                status: *to,
            };
            push(delivery, *auction_id, None, &pushed).await?;
        }
        LifecycleEvent::AuctionEndingSoon {
            auction_id,
            ends_at,
        } => {
            let Some(auction) = state
                .store
                .get::<AuctionRecord>(&auction_id.to_string(), Read::Strong)
                .await?
            else {
                return Ok(());
            };
            let bidders = bidders_of(state, *auction_id).await?;
            let pushed = ServerEvent::EndingSoon {
                auction_id: *auction_id,
                ends_at: *ends_at,
            };
            if let Some(delivery) = delivery {
                delivery
                    .tell_users(*auction_id, &bidders, &pushed)
                    .await
                    .map_err(|error| TransitionError::Unexpected(error.to_string()))?;
            }
            // The live page's event goes anyway, as `outbid`'s does; the notification only
            // where the auction sends this one.
            if auction.notifications.closing_soon && auction.notifications.in_app_enabled {
                let message = format!(
                    "\u{201c}{}\u{201d} ends soon: its first lot closes at {}.",
                    auction.name,
                    shown_time(*ends_at, &auction)
                );
                let now = state.clock.now();
                let written: Vec<Result<(), StoreError>> =
                    futures_util::stream::iter(bidders.iter().copied())
                        .map(|bidder| {
                            let record = NotificationRecord::about_auction(
                                NotificationKind::EndingSoon,
                                bidder,
                                *auction_id,
                                message.clone(),
                                now,
                            );
                            async move { notify(state, &record).await }
                        })
                        .buffer_unordered(WRITES_IN_FLIGHT)
                        .collect()
                        .await;
                written.into_iter().collect::<Result<(), _>>()?;
            }
            tracing::info!(auction.id = %auction_id, bidders = bidders.len(), "ending soon told");
        }
        LifecycleEvent::ItemClosed {
            auction_id,
            item_id,
            status,
        } => {
            let Some((item, auction)) = item_and_auction(state, *item_id).await? else {
                return Ok(());
            };
            let sold = item.sale.as_ref().filter(|_| *status == ItemStatus::Sold);
            let amount = sold
                .map(|sale| shown(sale.amount, auction.currency))
                .transpose()?;
            let pushed = ServerEvent::ItemClosed {
                auction_id: *auction_id,
                item_id: *item_id,
                status: *status,
                amount,
                sequence: item.bidding.accepted,
            };
            push(delivery, *auction_id, None, &pushed).await?;
            if let (Some(sale), Some(amount)) = (sold.filter(|s| s.round == 0), amount) {
                let message = format!(
                    "You won \u{201c}{}\u{201d} at {amount} {}. Please pay by {}.",
                    item.name,
                    auction.currency.code(),
                    shown_time(sale.due_at, &auction)
                );
                if let Some(winner) = sale.winner {
                    write(
                        state,
                        &auction,
                        NotificationKind::ItemWon,
                        &format!("{item_id}:0"),
                        winner,
                        &item,
                        message,
                    )
                    .await?;
                }
            }
        }
        LifecycleEvent::PaymentDue {
            auction_id,
            item_id,
            round,
            due_at,
        } => {
            let Some((item, auction)) = item_and_auction(state, *item_id).await? else {
                return Ok(());
            };
            let Some(sale) = item.unpaid_sale(*round) else {
                return Ok(()); // paid or passed on since
            };
            let pushed = ServerEvent::PaymentDue {
                auction_id: *auction_id,
                item_id: *item_id,
                amount: shown(sale.amount, auction.currency)?,
                due_at: *due_at,
            };
            if sale.winner.is_some() {
                push(delivery, *auction_id, sale.winner, &pushed).await?;
            }
        }
        LifecycleEvent::PaymentReminder {
            item_id,
            round,
            due_at,
            ..
        } => {
            let Some((item, auction)) = item_and_auction(state, *item_id).await? else {
                return Ok(());
            };
            let Some(sale) = item.unpaid_sale(*round) else {
                return Ok(());
            };
            if let (true, Some(winner)) = (auction.notifications.payment_reminders, sale.winner) {
                let message = format!(
                    "Reminder: \u{201c}{}\u{201d} is yours once paid; the payment is due by {}.",
                    item.name,
                    shown_time(*due_at, &auction)
                );
                write(
                    state,
                    &auction,
                    NotificationKind::PaymentReminder,
                    &format!("{item_id}:{round}"),
                    winner,
                    &item,
                    message,
                )
                .await?;
            }
        }
        LifecycleEvent::PaymentOverdue { item_id, round, .. } => {
            let Some((item, auction)) = item_and_auction(state, *item_id).await? else {
                return Ok(());
            };
            // The non-paying winner is the last one passed over.
            let Some(winner) = item.passed_over.last().copied() else {
                return Ok(());
            };
            let message = format!(
                "The payment for \u{201c}{}\u{201d} was not made in time; the item has been offered to another bidder.",
                item.name
            );
            write(
                state,
                &auction,
                NotificationKind::PaymentOverdue,
                &format!("{item_id}:{round}"),
                winner,
                &item,
                message,
            )
            .await?;
        }
        LifecycleEvent::OfferMade {
            auction_id,
            item_id,
            offer_id,
            expires_at,
        } => {
            let Some(offer) = state
                .store
                .get::<OfferRecord>(&offer_id.to_string(), Read::Strong)
                .await?
            else {
                return Ok(());
            };
            let Some((item, auction)) = item_and_auction(state, *item_id).await? else {
                return Ok(());
            };
            let amount = shown(offer.amount, auction.currency)?;
            let pushed = ServerEvent::SecondChanceOffer {
                offer_id: *offer_id,
                auction_id: *auction_id,
                item_id: *item_id,
                amount,
                expires_at: *expires_at,
            };
            push(delivery, *auction_id, Some(offer.bidder_id), &pushed).await?;
            let message = format!(
                "Second chance: \u{201c}{}\u{201d} can be yours at your bid of {amount} {}; answer by {}.",
                item.name,
                auction.currency.code(),
                shown_time(*expires_at, &auction)
            );
            write(
                state,
                &auction,
                NotificationKind::SecondChanceOffer,
                &offer_id.to_string(),
                offer.bidder_id,
                &item,
                message,
            )
            .await?;
        }
        LifecycleEvent::OfferExpired { .. } => {}
    }
    Ok(())
}

/// Pushes `event` when this delivery holds the event's claim.
async fn push(
    delivery: &mut Option<Delivery<'_>>,
    auction: AuctionId,
    only_user: Option<UserId>,
    event: &ServerEvent,
) -> Result<(), TransitionError> {
    let Some(delivery) = delivery else {
        return Ok(());
    };
    delivery
        .tell(auction, only_user, event)
        .await
        .map(|_| ())
        .map_err(|error| TransitionError::Unexpected(error.to_string()))
}

/// The auction's active bidders: its members with a bidder number (given on joining or on a
/// first bid, so everyone who bid is one), whose membership stands.
async fn bidders_of(state: &AppState, auction: AuctionId) -> Result<HashSet<UserId>, StoreError> {
    let mut bidders = HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = Query::index(Index::MEMBERSHIPS_BY_NUMBER, s(auction.to_string()))
            .limit(1000)
            .after(cursor.as_deref());
        let page = state.store.query::<MembershipRecord>(query).await?;
        bidders.extend(
            page.items
                .into_iter()
                .filter(|m| {
                    m.status == MembershipStatus::Active
                        && m.role == MembershipRole::Bidder
                        && m.bidder_number.is_some()
                })
                .map(|m| m.user_id),
        );
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(bidders),
        }
    }
}

async fn item_and_auction(
    state: &AppState,
    item_id: shared::domain::ItemId,
) -> Result<Option<(ItemRecord, AuctionRecord)>, TransitionError> {
    let Some(item) = state
        .store
        .get::<ItemRecord>(&item_id.to_string(), Read::Strong)
        .await?
    else {
        return Ok(None);
    };
    let auction = state
        .store
        .get::<AuctionRecord>(&item.auction_id.to_string(), Read::Eventual)
        .await?;
    Ok(auction.map(|auction| (item, auction)))
}

/// Writes a notification once, if the auction writes in-app notifications.
async fn write(
    state: &AppState,
    auction: &AuctionRecord,
    kind: NotificationKind,
    occurrence: &str,
    user: UserId,
    item: &ItemRecord,
    message: String,
) -> Result<(), TransitionError> {
    if !auction.notifications.in_app_enabled {
        return Ok(());
    }
    let record = NotificationRecord::about_item(
        kind,
        occurrence,
        user,
        auction.id,
        item.id,
        message,
        state.clock.now(),
    );
    notify(state, &record).await?;
    Ok(())
}

/// `at` in the auction's time zone (`4 Dec 2026, 14:05 Europe/London`).
fn shown_time(at: Timestamp, auction: &AuctionRecord) -> String {
    match auction.time_zone.parse::<chrono_tz::Tz>() {
        Ok(zone) => format!(
            "{} {}",
            at.datetime()
                .with_timezone(&zone)
                .format("%-d %b %Y, %H:%M"),
            auction.time_zone
        ),
        Err(_) => format!("{} UTC", at.datetime().format("%-d %b %Y, %H:%M")),
    }
}
