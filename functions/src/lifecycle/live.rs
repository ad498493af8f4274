//! Live items: `POST /items/{itemId}/live-winner` (a clerk or manager enters the floor winner,
//! by bidder number or by name, and the hammer price) and `PUT` (a manager corrects it). The
//! entry is the item's sale, with the payment window and events of an online sale, in one
//! transaction with the `live_winners` record, the winner's totals and the audit entry.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use shared::audit::{AuditAction, AuditRecord};
use shared::bidding::{Holding as Change, TotalsChange, TotalsRecord};
use shared::catalog::access::Power;
use shared::catalog::draft::AboveZero;
use shared::catalog::{
    AuctionRecord, ItemRecord, ItemStatus, ItemType, MembershipRecord, MembershipRole,
    MembershipStatus,
};
use shared::domain::{CurrencyAmount, ItemId, Money, Timestamp, UserId};
use shared::http::{ApiError, json, parse_json_body};
use shared::lifecycle::{LiveWinnerRecord, PaymentStatus, Sale, SaleKind};
use shared::store::{Collection, Condition, Index, Query, StoreError, Update, n, s, to_attribute};

use super::close::announce_sale;
use super::{Holding, audited_amount, totals_move};
use crate::AppState;
use crate::bidding::place::totals_update;
use crate::catalog::auctions::require_running;
use crate::catalog::items::visible_item;
use crate::catalog::view::shown;

/// The floor result: exactly one of `bidderNumber` and `manualName`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LiveWinnerInput {
    /// An active bidder of this auction.
    pub bidder_number: Option<u32>,
    /// Someone without an account (no totals); 1 to 100 characters.
    pub manual_name: Option<String>,
    /// Above 0.
    #[serde(deserialize_with = "shared::http::checked::<AboveZero, _>")]
    #[schema(value_type = String, example = "450.00")]
    pub hammer_price: Money,
}

/// A live item's winner as entered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LiveWinnerView {
    pub item_id: ItemId,
    pub bidder_number: Option<u32>,
    pub manual_name: Option<String>,
    pub hammer_price: CurrencyAmount,
    pub due_at: Timestamp,
    pub payment_status: PaymentStatus,
    pub assigned_at: Timestamp,
}

/// The winner the input names.
struct Winner {
    bidder: Option<(UserId, u32)>,
    manual_name: Option<String>,
}

/// Enters a live item's floor winner (the owner with `live_winner:assign:own`, its managers
/// and clerks, staff with `live_winner:assign:any`).
#[utoipa::path(
    post,
    path = "/items/{itemId}/live-winner",
    tag = "event",
    operation_id = "assignLiveWinner",
    security(("bearer" = [])),
    params(("itemId" = String, Path, description = "The live item's id.")),
    request_body = LiveWinnerInput,
    responses(
        (status = 201, description = "The winner, the item sold to them.", body = LiveWinnerView),
        (status = 403, description = "Not the owner, a manager or clerk of the auction, or permitted staff.", body = shared::http::Problem),
        (status = 404, description = "No such item the caller may see.", body = shared::http::Problem),
        (status = 409, description = "`NOT_A_LIVE_ITEM`, `LIVE_WINNER_EXISTS` (correct it with PUT), `AUCTION_NOT_RUNNING` (not published yet, or complete).", body = shared::http::Problem),
        (status = 422, description = "Neither or both of `bidderNumber` and `manualName`, an unknown bidder number, a bad price.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_items_item_live_winner(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    enter(state, &request, false).await
}

/// Corrects a live item's winner (managers, and those the owner's and staff's permissions
/// allow; not clerks). The old and new values are audited; totals move with it.
#[utoipa::path(
    put,
    path = "/items/{itemId}/live-winner",
    tag = "event",
    operation_id = "correctLiveWinner",
    security(("bearer" = [])),
    params(("itemId" = String, Path, description = "The live item's id.")),
    request_body = LiveWinnerInput,
    responses(
        (status = 200, description = "The corrected winner.", body = LiveWinnerView),
        (status = 403, description = "Not the owner, a manager of the auction, or permitted staff.", body = shared::http::Problem),
        (status = 404, description = "No such item the caller may see.", body = shared::http::Problem),
        (status = 409, description = "`NOT_A_LIVE_ITEM`, `NO_LIVE_WINNER` (enter one with POST), `SALE_PAID` (a paid sale stands), `AUCTION_NOT_RUNNING`, `CONCURRENT_UPDATE`.", body = shared::http::Problem),
        (status = 422, description = "As for POST.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn put_items_item_live_winner(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    enter(state, &request, true).await
}

async fn enter(
    state: &AppState,
    request: &Request,
    correcting: bool,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(request).await?;
    let (item, auction, access) = visible_item(state, request, Some(&caller)).await?;
    access.require(
        &auction,
        if correcting {
            Power::CorrectLiveWinner
        } else {
            Power::AssignLiveWinner
        },
    )?;
    let input: LiveWinnerInput = parse_json_body(request)?;
    input
        .hammer_price
        .for_currency(auction.currency)
        .map_err(|e| ApiError::invalid("hammerPrice", e.to_string()))?;
    if item.item_type != ItemType::Live {
        return Err(ApiError::conflict(
            "NOT_A_LIVE_ITEM",
            "Only live items have a floor winner; silent items are sold online.",
        ));
    }
    require_running(&auction, "Winners are entered")?;
    let winner = winner_of(state, &auction, &input).await?;
    let existing = state
        .store
        .get::<LiveWinnerRecord>(&item.id.to_string(), shared::store::Read::Strong)
        .await?;
    let now = state.clock.now();
    let (record, sale) = match (&existing, correcting) {
        (Some(_), false) => {
            return Err(ApiError::conflict(
                "LIVE_WINNER_EXISTS",
                "This item has its winner; a manager may correct it (PUT).",
            ));
        }
        (None, true) => {
            return Err(ApiError::conflict(
                "NO_LIVE_WINNER",
                "This item has no winner yet; enter one (POST).",
            ));
        }
        (None, false) => {
            if item.sale.is_some() {
                return Err(ApiError::conflict(
                    "LIVE_WINNER_EXISTS",
                    "This item is sold already.",
                ));
            }
            let record = LiveWinnerRecord {
                item_id: item.id,
                auction_id: auction.id,
                bidder_id: winner.bidder.map(|(id, _)| id),
                bidder_number: winner.bidder.map(|(_, number)| number),
                manual_name: winner.manual_name.clone(),
                hammer_price: input.hammer_price,
                assigned_by: caller.id(),
                assigned_at: now,
                updated_at: now,
                version: 1,
            };
            let sale = Sale {
                winner: record.bidder_id,
                bidder_number: record.bidder_number,
                manual_name: record.manual_name.clone(),
                amount: input.hammer_price,
                sold_at: now,
                due_at: now.plus(chrono::TimeDelta::seconds(i64::from(
                    auction.settings.payment_window_sec,
                ))),
                payment_status: PaymentStatus::Unpaid,
                round: 0,
                kind: SaleKind::Live,
                reminded: false,
                paid_at: None,
                pickup_status: None,
                picked_up_at: None,
            };
            (record, sale)
        }
        (Some(before), true) => {
            let Some(sold) = item.sale.clone().filter(|s| s.kind == SaleKind::Live) else {
                return Err(ApiError::conflict(
                    "NO_LIVE_WINNER",
                    "This item's sale is no longer its live winner's.",
                ));
            };
            if sold.payment_status == PaymentStatus::Paid {
                return Err(ApiError::conflict(
                    "SALE_PAID",
                    "This sale is paid; record it unpaid first to correct its winner.",
                ));
            }
            let record = LiveWinnerRecord {
                bidder_id: winner.bidder.map(|(id, _)| id),
                bidder_number: winner.bidder.map(|(_, number)| number),
                manual_name: winner.manual_name.clone(),
                hammer_price: input.hammer_price,
                updated_at: now,
                version: before.version + 1,
                ..before.clone()
            };
            // The payment window runs on from the first entry: a correction is the same sale.
            let sale = Sale {
                winner: record.bidder_id,
                bidder_number: record.bidder_number,
                manual_name: record.manual_name.clone(),
                amount: input.hammer_price,
                ..sold
            };
            (record, sale)
        }
    };
    let transaction = writes(
        state,
        &item,
        existing.as_ref(),
        &record,
        &sale,
        caller.id(),
        now,
    )?;
    match state.store.transact(transaction).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed(_) | StoreError::TransactionConflict) => {
            return Err(ApiError::conflict(
                "CONCURRENT_UPDATE",
                "The item changed meanwhile; read it again and retry.",
            ));
        }
        Err(other) => return Err(other.into()),
    }
    tracing::info!(item.id = %item.id, correcting, "live winner entered");
    if existing.is_none() {
        announce_sale(state, &item, &sale).await;
    }
    let view = LiveWinnerView {
        item_id: item.id,
        bidder_number: record.bidder_number,
        manual_name: record.manual_name,
        hammer_price: shown(record.hammer_price, auction.currency)?,
        due_at: sale.due_at,
        payment_status: sale.payment_status,
        assigned_at: record.assigned_at,
    };
    json(
        if correcting {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        },
        &view,
    )
}

/// The winner the input names: an active bidder of the auction by number, or a name.
async fn winner_of(
    state: &AppState,
    auction: &AuctionRecord,
    input: &LiveWinnerInput,
) -> Result<Winner, ApiError> {
    match (
        input.bidder_number,
        input.manual_name.as_deref().map(str::trim),
    ) {
        (Some(number), None) => {
            let found = state
                .store
                .query::<MembershipRecord>(
                    Query::index(Index::MEMBERSHIPS_BY_NUMBER, s(auction.id.to_string()))
                        .sort(Condition::new("#sort = :number").value(":number", n(number)))
                        .limit(2),
                )
                .await?;
            let member = found
                .items
                .into_iter()
                .find(|m| m.status == MembershipStatus::Active && m.role == MembershipRole::Bidder);
            match member {
                Some(member) => Ok(Winner {
                    bidder: Some((member.user_id, number)),
                    manual_name: None,
                }),
                None => Err(ApiError::invalid(
                    "bidderNumber",
                    "is not an active bidder of this auction",
                )),
            }
        }
        (None, Some(name)) if (1..=100).contains(&name.chars().count()) => Ok(Winner {
            bidder: None,
            manual_name: Some(name.to_string()),
        }),
        (None, Some(_)) => Err(ApiError::invalid(
            "manualName",
            "must be 1 to 100 characters",
        )),
        _ => Err(ApiError::invalid(
            "bidderNumber",
            "give either bidderNumber or manualName",
        )),
    }
}

/// The entry's writes: the live winner record (created, or replaced at its version), the
/// item sold with the sale, the totals of whoever gains or loses it, the audit entry.
fn writes(
    state: &AppState,
    item: &ItemRecord,
    before: Option<&LiveWinnerRecord>,
    record: &LiveWinnerRecord,
    sale: &Sale,
    actor: UserId,
    now: Timestamp,
) -> Result<shared::store::Transaction, ApiError> {
    let mut transaction = state.store.transaction();
    transaction = match before {
        None => transaction.create(record)?,
        Some(before) => transaction.replace_if_version(record, before.version)?,
    };
    let item_update = Update::new(
        "SET #status = :sold, #sale = :sale, #closedAt = if_not_exists(#closedAt, :now), \
         #updatedAt = :now ADD #version :one",
    )
    .name("#status", "status")
    .name("#sale", "sale")
    .name("#closedAt", "closedAt")
    .name("#updatedAt", "updatedAt")
    .name("#version", "version")
    .value(":sold", to_attribute(&ItemStatus::Sold)?)
    .value(":sale", to_attribute(sale)?)
    .value(":now", s(now.to_string()))
    .value(":one", n(1))
    .when(Condition::version_is("version", item.version));
    transaction = transaction.update(Collection::Items, &item.id.to_string(), item_update)?;
    let old = before.and_then(|b| Some((b.bidder_id?, b.hammer_price)));
    let new = match (record.bidder_id, record.bidder_number) {
        (Some(bidder), Some(number)) => Some((bidder, number)),
        _ => None,
    };
    if let Some((old_bidder, old_price)) = old
        && new.is_none_or(|(bidder, _)| bidder != old_bidder)
    {
        transaction = transaction.update(
            Collection::Totals,
            &TotalsRecord::key(item.auction_id, old_bidder),
            totals_move(item, -old_price.amount(), Some(Holding::Won), None, now),
        )?;
    }
    if let Some((bidder, number)) = new {
        // The same bidder corrected keeps the item: only the price moves (one write: a
        // transaction touches a record once).
        let kept = old.filter(|(old_bidder, _)| *old_bidder == bidder);
        let change = TotalsChange {
            bidder,
            bidder_number: number,
            delta: record.hammer_price.amount() - kept.map_or(Money::ZERO, |(_, p)| p).amount(),
            holding: if kept.is_some() {
                Change::Kept
            } else {
                Change::Gained
            },
        };
        transaction = transaction.update(
            Collection::Totals,
            &TotalsRecord::key(item.auction_id, bidder),
            totals_update(item, &change, true, now),
        )?;
    }
    let described = |r: &LiveWinnerRecord| {
        serde_json::json!({
            "bidderNumber": r.bidder_number,
            "manualName": r.manual_name,
            "hammerPrice": audited_amount(item, r.hammer_price),
        })
    };
    let mut audit = AuditRecord::new(AuditAction::LiveWinnerAssigned, Some(actor), now)
        .target(item.id)
        .detail("to", described(record));
    if let Some(before) = before {
        audit = audit.detail("from", described(before));
    }
    audit.auction_id = Some(item.auction_id);
    Ok(transaction.create(&audit)?)
}
