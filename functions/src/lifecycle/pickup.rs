//! Pickup: `POST /items/{itemId}/pickup` (a clerk or manager records that a paid item left
//! with its winner, or sets it back) and `GET /auctions/{auctionId}/pickup` (what is paid and
//! still waiting, or what has gone).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use shared::audit::{AuditAction, AuditRecord};
use shared::catalog::access::Power;
use shared::catalog::{ItemRecord, ItemStatus};
use shared::domain::{ItemId, Timestamp};
use shared::http::{
    ApiError, FieldError, check_cursor, json, page_parameters_into, parse_json_body,
    query_parameter, refused_query,
};
use shared::lifecycle::{PaymentStatus, PickupStatus, Sale};
use shared::store::{Collection, Condition, Index, Query, StoreError, Update, n, s, to_attribute};

use super::invoices::display_names;
use crate::AppState;
use crate::catalog::auctions::visible_auction;
use crate::catalog::items::visible_item;

/// The pickup status to record.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PickupInput {
    pub status: PickupStatus,
}

/// A paid item and where it is.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PickupView {
    pub item_id: ItemId,
    pub lot_number: u32,
    pub name: String,
    /// The winner's bidder number; `null` for a live winner entered by name.
    pub bidder_number: Option<u32>,
    /// The winner's display name, or the name the clerk entered.
    pub winner_name: Option<String>,
    pub pickup_status: PickupStatus,
    pub picked_up_at: Option<Timestamp>,
}

impl PickupView {
    fn new(item: &ItemRecord, sale: &Sale, winner_name: Option<String>) -> Self {
        Self {
            item_id: item.id,
            lot_number: item.lot_number,
            name: item.name.clone(),
            bidder_number: sale.bidder_number,
            winner_name: winner_name.or_else(|| sale.manual_name.clone()),
            pickup_status: sale.pickup_status.unwrap_or(PickupStatus::NotPickedUp),
            picked_up_at: sale.picked_up_at,
        }
    }
}

/// A page of paid items.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PickupList {
    pub items: Vec<PickupView>,
    pub next_cursor: Option<String>,
}

/// The sold item's sale once it is paid.
fn paid_sale(item: &ItemRecord) -> Option<&Sale> {
    item.sale.as_ref().filter(|sale| {
        item.status == ItemStatus::Sold && sale.payment_status == PaymentStatus::Paid
    })
}

/// Records whether a paid item has left with its winner. The same status again changes
/// nothing and writes nothing.
#[utoipa::path(
    post,
    path = "/items/{itemId}/pickup",
    tag = "event",
    operation_id = "recordPickup",
    security(("bearer" = [])),
    params(("itemId" = String, Path, description = "The item's id.")),
    request_body = PickupInput,
    responses(
        (status = 200, description = "The item's pickup status as it now stands.", body = PickupView),
        (status = 401, description = "Not signed in.", body = shared::http::Problem),
        (status = 403, description = "Neither a clerk nor a manager of the auction.", body = shared::http::Problem),
        (status = 404, description = "No such item the caller may see.", body = shared::http::Problem),
        (status = 409, description = "`NOT_PAID`: only paid items are picked up.", body = shared::http::Problem),
        (status = 422, description = "A bad status.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_items_item_pickup(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let (mut item, auction, access) = visible_item(state, &request, Some(&caller)).await?;
    access.require(&auction, Power::RecordPickup)?;
    let input: PickupInput = parse_json_body(&request)?;
    for _ in 0..8 {
        let Some(sale) = paid_sale(&item) else {
            return Err(ApiError::conflict(
                "NOT_PAID",
                "Only a paid item is picked up: record its payment first.",
            ));
        };
        let names = display_names(state, sale.winner.into_iter()).await?;
        let winner_name = sale.winner.and_then(|id| names.get(&id).cloned());
        let from = sale.pickup_status.unwrap_or(PickupStatus::NotPickedUp);
        if from == input.status {
            return json(StatusCode::OK, &PickupView::new(&item, sale, winner_name));
        }
        let now = state.clock.now();
        let mut after = sale.clone();
        after.pickup_status = Some(input.status);
        after.picked_up_at = (input.status == PickupStatus::PickedUp).then_some(now);
        let mut audit = AuditRecord::new(AuditAction::PickupStatusChanged, Some(caller.id()), now)
            .target(item.id)
            .detail("lot", item.lot_number)
            .detail("bidderNumber", sale.bidder_number)
            .detail("from", from.as_str())
            .detail("to", input.status.as_str());
        audit.auction_id = Some(auction.id);
        let transaction = state
            .store
            .transaction()
            .update(
                Collection::Items,
                &item.id.to_string(),
                pickup_update(&item, &after, now)?,
            )?
            .create(&audit)?;
        match state.store.transact(transaction).await {
            Ok(()) => {
                tracing::info!(item.id = %item.id, to = input.status.as_str(), "pickup recorded");
                return json(StatusCode::OK, &PickupView::new(&item, &after, winner_name));
            }
            // The item moved meanwhile (a payment set back, another clerk): read it again.
            Err(StoreError::ConditionFailed(_) | StoreError::TransactionConflict) => {
                item = state
                    .store
                    .get::<ItemRecord>(&item.id.to_string(), shared::store::Read::Strong)
                    .await?
                    .ok_or(ApiError::NotFound)?;
            }
            Err(other) => return Err(other.into()),
        }
    }
    Err(ApiError::Unavailable {
        retry_after_secs: 1,
    })
}

/// The item's sale set to `after`, if the item is still as read.
fn pickup_update(item: &ItemRecord, after: &Sale, now: Timestamp) -> Result<Update, StoreError> {
    Ok(
        Update::new("SET #sale = :sale, #updatedAt = :now ADD #version :one")
            .name("#sale", "sale")
            .name("#updatedAt", "updatedAt")
            .name("#version", "version")
            .value(":sale", to_attribute(after)?)
            .value(":now", s(now.to_string()))
            .value(":one", n(1))
            .when(Condition::version_is("version", item.version)),
    )
}

/// The auction's paid items by lot: those still waiting (`?status=notPickedUp`, the default),
/// those gone (`pickedUp`) or both (`all`), with their winners' numbers and names.
#[utoipa::path(
    get,
    path = "/auctions/{auctionId}/pickup",
    tag = "event",
    operation_id = "listPickup",
    security(("bearer" = [])),
    params(
        ("auctionId" = String, Path, description = "The auction's id."),
        ("status" = Option<String>, Query, description = "`notPickedUp` (the default), `pickedUp` or `all`."),
        ("limit" = Option<u32>, Query, description = "At most this many (default 20, max 100)."),
        ("cursor" = Option<String>, Query, description = "Where the previous page ended."),
    ),
    responses(
        (status = 200, description = "A page of paid items.", body = PickupList),
        (status = 401, description = "Not signed in.", body = shared::http::Problem),
        (status = 403, description = "Neither a clerk nor a manager of the auction.", body = shared::http::Problem),
        (status = 404, description = "No such auction the caller may see.", body = shared::http::Problem),
        (status = 422, description = "A bad `status`, `limit` or `cursor`.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_auctions_auction_pickup(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let (auction, access) = visible_auction(state, &request, Some(&caller)).await?;
    access.require(&auction, Power::RecordPickup)?;
    let mut errors = Vec::new();
    let wanted = match query_parameter(&request, "status") {
        None | Some("notPickedUp") => Some(PickupStatus::NotPickedUp),
        Some("pickedUp") => Some(PickupStatus::PickedUp),
        Some("all") => None,
        Some(_) => {
            errors.push(FieldError::new(
                "status",
                "must be notPickedUp, pickedUp or all",
            ));
            None
        }
    };
    let (limit, cursor) = page_parameters_into(&request, &mut errors);
    let query = Query::index(Index::ITEMS_BY_AUCTION, s(auction.id.to_string()))
        .filter(paid_filter(wanted)?)
        .limit(limit)
        .after(cursor.as_deref());
    check_cursor(&query, &mut errors);
    refused_query(errors)?;
    let page = state.store.query::<ItemRecord>(query).await?;
    let paid: Vec<(&ItemRecord, &Sale)> = page
        .items
        .iter()
        .filter_map(|item| Some((item, paid_sale(item)?)))
        .collect();
    let names = display_names(state, paid.iter().filter_map(|(_, sale)| sale.winner)).await?;
    let items = paid
        .into_iter()
        .map(|(item, sale)| {
            let name = sale.winner.and_then(|id| names.get(&id).cloned());
            PickupView::new(item, sale, name)
        })
        .collect();
    json(
        StatusCode::OK,
        &PickupList {
            items,
            next_cursor: page.next_cursor,
        },
    )
}

/// Sold and paid, and picked up or not as `wanted` says (`None`: either).
fn paid_filter(wanted: Option<PickupStatus>) -> Result<Condition, StoreError> {
    let paid = Condition::new("#status = :sold AND #sale.#paymentStatus = :paid")
        .name("#status", "status")
        .name("#sale", "sale")
        .name("#paymentStatus", "paymentStatus")
        .value(":sold", to_attribute(&ItemStatus::Sold)?)
        .value(":paid", to_attribute(&PaymentStatus::Paid)?);
    Ok(match wanted {
        None => paid,
        Some(PickupStatus::PickedUp) => paid.and(
            Condition::new("#sale.#pickupStatus = :pickedUp")
                .name("#pickupStatus", "pickupStatus")
                .value(":pickedUp", to_attribute(&PickupStatus::PickedUp)?),
        ),
        Some(PickupStatus::NotPickedUp) => paid.and(
            Condition::new("#sale.#pickupStatus <> :pickedUp")
                .name("#pickupStatus", "pickupStatus")
                .value(":pickedUp", to_attribute(&PickupStatus::PickedUp)?)
                .or(Condition::new("attribute_not_exists(#sale.#pickupStatus)")),
        ),
    })
}
