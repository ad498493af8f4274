//! The sweeper (function `schedule-sweep`, every 5 minutes): finds every step whose time has
//! passed and runs it, so a lost or failed schedule delays nothing by more than the sweep's
//! period. It reads the state, not the schedules: auctions `ready` past their `startsAt`,
//! auctions whose "ending soon" reminder is due and not sent, and the lots of auctions
//! `ready`, `open` and `pending` (closes due, reminders and deadlines passed, offers lapsed).

use serde::Serialize;
use shared::catalog::{AuctionRecord, AuctionStatus, ItemStatus};
use shared::lifecycle::PaymentStatus;
use shared::store::{Index, Query, s};

use super::close::close_item;
use super::{TransitionError, ending_soon, offers, open, payment, phase};
use crate::AppState;

/// What one sweep found and ran.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    pub auctions: usize,
    pub opened: usize,
    /// Auctions whose bidders were told they end soon.
    pub ending_soon: usize,
    pub closed: usize,
    pub reminded: usize,
    pub deadlines: usize,
    pub offers_expired: usize,
    /// Steps that failed (logged; the next sweep tries again).
    pub failed: usize,
}

#[tracing::instrument(skip_all)]
pub async fn schedule_sweep(state: &AppState) -> Result<SweepReport, TransitionError> {
    let mut report = SweepReport::default();
    for status in [
        AuctionStatus::Ready,
        AuctionStatus::Open,
        AuctionStatus::Pending,
    ] {
        let mut cursor: Option<String> = None;
        loop {
            let query = Query::index(Index::AUCTIONS_BY_STATUS, s(status.as_str()))
                .limit(100)
                .after(cursor.as_deref());
            let page = state.store.query::<AuctionRecord>(query).await?;
            for auction in &page.items {
                report.auctions += 1;
                sweep_auction(state, auction, &mut report).await;
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
    }
    tracing::info!(
        auctions = report.auctions,
        opened = report.opened,
        ending_soon = report.ending_soon,
        closed = report.closed,
        reminded = report.reminded,
        deadlines = report.deadlines,
        offers_expired = report.offers_expired,
        failed = report.failed,
        "sweep done"
    );
    Ok(report)
}

async fn sweep_auction(state: &AppState, auction: &AuctionRecord, report: &mut SweepReport) {
    let now = state.clock.now();
    let count = |outcome: Result<(), TransitionError>, done: &mut usize, failed: &mut usize| {
        match outcome {
            Ok(()) => *done += 1,
            Err(error) => {
                tracing::warn!(auction.id = %auction.id, %error, "a swept step failed");
                *failed += 1;
            }
        }
    };
    if open::awaits_opening(auction) && now >= auction.starts_at {
        count(
            open::open_auction(state, auction.id).await,
            &mut report.opened,
            &mut report.failed,
        );
    }
    // Read strongly: the index lags, the items themselves say whether a step is due.
    let items = match phase::items_of(state, auction).await {
        Ok(items) => items,
        Err(error) => {
            tracing::warn!(auction.id = %auction.id, %error, "the lots were not read");
            report.failed += 1;
            return;
        }
    };
    // Before the closes: a lot this sweep closes would make the reminder too late.
    if ending_soon::is_due(auction, &items, now) {
        count(
            ending_soon::ending_soon(state, auction.id).await,
            &mut report.ending_soon,
            &mut report.failed,
        );
    }
    for item in items {
        if matches!(item.status, ItemStatus::Upcoming | ItemStatus::Open) {
            if item.terms.is_some() && now >= item.ends_at {
                count(
                    close_item(state, item.id, std::time::Duration::ZERO).await,
                    &mut report.closed,
                    &mut report.failed,
                );
            }
            continue;
        }
        let Some(sale) = &item.sale else { continue };
        if sale.payment_status == PaymentStatus::Unpaid {
            if now >= sale.due_at {
                count(
                    payment::deadline(state, item.id, sale.round).await,
                    &mut report.deadlines,
                    &mut report.failed,
                );
            } else if !sale.reminded && now >= sale.reminder_at() {
                count(
                    payment::remind(state, item.id, sale.round).await,
                    &mut report.reminded,
                    &mut report.failed,
                );
            }
        }
        if let Some(offer) = item.offer.as_ref().filter(|o| now >= o.expires_at) {
            count(
                offers::expire(state, offer.offer_id).await,
                &mut report.offers_expired,
                &mut report.failed,
            );
        }
    }
    if let Err(error) = phase::advance(state, auction.id).await {
        tracing::warn!(auction.id = %auction.id, %error, "the auction's phase was not advanced");
        report.failed += 1;
    }
}
