//! `POST /auctions/{auctionId}/publish`: `setup` → `ready`. Freezes prices and lot order,
//! gives each lot its staggered close, and issues a private auction its code, all in one
//! transaction with its audit entry.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::audit::{AuditAction, AuditRecord};
use shared::bidding::BiddingTerms;
use shared::catalog::access::Power;
use shared::catalog::{
    AuctionCode, AuctionCodeRecord, AuctionRecord, AuctionStatus, EventType, ItemRecord,
};
use shared::domain::Timestamp;
use shared::http::ApiError;
use shared::lifecycle::Transition;
use shared::store::{Collection, Condition, Index, Query, StoreError, Update, n, s, to_attribute};

use super::auctions::visible_auction;
use super::view::AuctionView;
use crate::AppState;

/// Lots one auction may hold: publishing writes them all in one transaction of at most 100
/// writes, with the auction, its code and its audit entry.
pub const MAX_LOTS: usize = 96;

/// How often a code collision is retried with a fresh code (about 2^39 codes exist).
const CODE_ATTEMPTS: usize = 3;

/// Publishes an auction (its owner or an administrator).
///
/// The auction's owner may, while they hold `auction:publish:own` (the artist role), and so
/// may anyone holding `auction:publish:any` (administrators). Managers and platform staff
/// may not.
#[utoipa::path(
    post,
    path = "/auctions/{auctionId}/publish",
    tag = "catalog",
    operation_id = "publishAuction",
    security(("bearer" = [])),
    params(("auctionId" = String, Path, description = "The auction's id.")),
    responses(
        (status = 200, description = "The auction, now `ready`.", body = AuctionView),
        (status = 403, description = "Not the auction's owner or an administrator.", body = shared::http::Problem),
        (status = 404, description = "No such auction the caller may see.", body = shared::http::Problem),
        (status = 409, description = "`ILLEGAL_TRANSITION` (not in setup), `NO_ITEMS`, `TOO_MANY_ITEMS` or `SCHEDULE_PASSED`.", body = shared::http::Problem),
        (status = 503, description = "The item index is catching up; retry.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_auctions_auction_publish(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let (auction, access) = visible_auction(state, &request, Some(&caller)).await?;
    access.require(&auction, Power::Publish)?;
    if auction.status != AuctionStatus::Setup {
        return Err(ApiError::conflict(
            "ILLEGAL_TRANSITION",
            "Only an auction in setup can be published.",
        ));
    }
    let items = lots(state, &auction).await?;
    if items.is_empty() {
        return Err(ApiError::conflict(
            "NO_ITEMS",
            "Add at least one item before publishing.",
        ));
    }
    if items.len() > MAX_LOTS {
        return Err(ApiError::conflict(
            "TOO_MANY_ITEMS",
            format!("An auction holds at most {MAX_LOTS} lots."),
        ));
    }
    // The item index lags writes a little: publish only what the auction counts, all of it.
    if items.len() != auction.item_count as usize {
        return Err(ApiError::Unavailable {
            retry_after_secs: 1,
        });
    }
    if auction.ends_at <= state.clock.now() {
        return Err(ApiError::conflict(
            "SCHEDULE_PASSED",
            "The auction's end has passed; move endsAt before publishing.",
        ));
    }

    for _ in 0..CODE_ATTEMPTS {
        let now = state.clock.now();
        let code = (auction.event_type == EventType::Private).then(AuctionCode::generate);
        let mut expression =
            "SET #status = :ready, #itemCount = :count, #updatedAt = :now".to_string();
        if code.is_some() {
            expression.push_str(", #code = :code");
        }
        expression.push_str(" ADD #version :one");
        let mut publish = Update::new(expression)
            .name("#status", "status")
            .name("#itemCount", "itemCount")
            .name("#updatedAt", "updatedAt")
            .name("#version", "version")
            .value(":ready", s("ready"))
            .value(":count", n(items.len()))
            .value(":now", s(now.to_string()))
            .value(":one", n(1))
            .when(
                Condition::version_is("version", auction.version).and(
                    // An item added meanwhile changes these, and the publish starts over.
                    Condition::new("#itemCount = :expectedCount AND #lotsAssigned = :expectedLots")
                        .name("#lotsAssigned", "lotsAssigned")
                        .value(":expectedCount", n(auction.item_count))
                        .value(":expectedLots", n(auction.lots_assigned)),
                ),
            );
        if let Some(code) = &code {
            publish = publish
                .name("#code", "auctionCode")
                .value(":code", s(code.as_str()));
        }
        let mut transaction = state.store.transaction().update(
            Collection::Auctions,
            &auction.id.to_string(),
            publish,
        )?;
        // Each lot is updated in the fields publishing sets, never rewritten whole: 96 lots
        // at their largest would pass DynamoDB's 4 MB per transaction.
        for (lot, item) in items.iter().enumerate() {
            let lot_number = u32::try_from(lot).map_err(anyhow::Error::new)?;
            transaction = transaction.update(
                Collection::Items,
                &item.id.to_string(),
                frozen_lot(&auction, item, lot_number, now)?,
            )?;
        }
        if let Some(code) = &code {
            transaction = transaction.create(&AuctionCodeRecord {
                auction_code: code.clone(),
                auction_id: auction.id,
            })?;
        }
        let mut audit = AuditRecord::new(AuditAction::AuctionPhaseChanged, Some(caller.id()), now)
            .target(auction.id)
            .detail("from", "setup")
            .detail("to", "ready");
        audit.auction_id = Some(auction.id);
        match state.store.transact(transaction.create(&audit)?).await {
            Ok(()) => {
                let published = AuctionRecord {
                    status: AuctionStatus::Ready,
                    item_count: u32::try_from(items.len()).map_err(anyhow::Error::new)?,
                    auction_code: code.map(|c| c.as_str().to_string()),
                    updated_at: now,
                    version: auction.version + 1,
                    ..auction.clone()
                };
                tracing::info!(auction.id = %auction.id, lots = items.len(), "auction published");
                arm_schedules(state, &published, &items).await;
                return shared::http::json(
                    StatusCode::OK,
                    &AuctionView::new(&published, &access, now)?,
                );
            }
            // Another auction holds this code already: draw another.
            Err(StoreError::ConditionFailed(failed))
                if failed.collection == Collection::AuctionCodeIndex => {}
            Err(other) => return Err(other.into()),
        }
    }
    Err(ApiError::Unavailable {
        retry_after_secs: 1,
    })
}

/// Schedules the auction's opening, its "ending soon" reminder (unless it sends none) and
/// each lot's close (at most 8 requests in flight). One that fails is logged: the sweeper
/// runs the step anyway.
async fn arm_schedules(state: &AppState, auction: &AuctionRecord, items: &[ItemRecord]) {
    use futures_util::StreamExt;
    let opening = Transition::AuctionOpen {
        auction_id: auction.id,
    };
    crate::lifecycle::arm(state, &opening, auction.starts_at).await;
    // Publishing needs the end ahead, and the reminder comes before it: never already late.
    if let Some(at) = auction.ending_soon_at() {
        let reminder = Transition::AuctionEndingSoon {
            auction_id: auction.id,
        };
        crate::lifecycle::arm(state, &reminder, at).await;
    }
    let closes: Vec<(Transition, Timestamp)> = (0u32..)
        .zip(items)
        .map(|(lot, item)| {
            let close = Transition::ItemClose { item_id: item.id };
            (close, auction.lot_closes_at(lot))
        })
        .collect();
    futures_util::stream::iter(closes)
        .for_each_concurrent(8, |(close, at)| async move {
            crate::lifecycle::arm(state, &close, at).await;
        })
        .await;
}

/// Publishing's change to one lot: its number, its close (the auction's end plus the
/// stagger) and the frozen bidding terms, guarded by the version the lot was read at.
fn frozen_lot(
    auction: &AuctionRecord,
    item: &ItemRecord,
    lot_number: u32,
    now: Timestamp,
) -> Result<Update, ApiError> {
    let terms = BiddingTerms::of(auction, lot_number);
    let ends_at = terms.scheduled_close;
    Ok(Update::new(
        "SET #lotNumber = :lot, #endsAt = :endsAt, #terms = :terms, #updatedAt = :now \
         ADD #version :one",
    )
    .name("#lotNumber", "lotNumber")
    .name("#endsAt", "endsAt")
    .name("#terms", "terms")
    .name("#updatedAt", "updatedAt")
    .name("#version", "version")
    .value(":lot", n(lot_number))
    .value(":endsAt", s(ends_at.to_string()))
    .value(":terms", to_attribute(&terms)?)
    .value(":now", s(now.to_string()))
    .value(":one", n(1))
    .when(Condition::version_is("version", item.version)))
}

/// The auction's items in lot order (all of them, up to one more than the limit).
async fn lots(state: &AppState, auction: &AuctionRecord) -> Result<Vec<ItemRecord>, ApiError> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = Query::index(Index::ITEMS_BY_AUCTION, s(auction.id.to_string()))
            .limit(100)
            .after(cursor.as_deref());
        let page = state.store.query::<ItemRecord>(query).await?;
        items.extend(page.items);
        match page.next_cursor {
            Some(next) if items.len() <= MAX_LOTS => cursor = Some(next),
            _ => return Ok(items),
        }
    }
}
