//! `POST /auctions/{auctionId}/items`, `GET /auctions/{auctionId}/items`, `GET /items/{itemId}`.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::audit::{AuditAction, AuditRecord};
use shared::bidding::BidState;
use shared::catalog::access::Power;
use shared::catalog::draft::{self, Checks, NewItem};
use shared::catalog::{AuctionAccess, AuctionRecord, AuctionStatus, ItemRecord, ItemStatus, views};
use shared::domain::ItemId;
use shared::http::{
    ApiError, check_cursor, json, page_parameters_into, parse_json_fields, path_parameter,
    refused_query,
};
use shared::store::{Collection, Condition, Index, Query, Read, StoreError, Update, n, s};

use super::auctions::visible_auction;
use super::view::ItemView;
use crate::AppState;

/// A page of items in lot order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemList {
    pub items: Vec<ItemView>,
    pub next_cursor: Option<String>,
}

/// How often adding an item retries when another item was added at the same moment.
const LOT_RETRIES: usize = 5;

/// Adds an item (artwork) to an auction in setup (owner, managers, administrators).
///
/// The auction's owner (while they hold `item:create:own`), its managers, and anyone
/// holding `item:create:any` (administrators) may; platform staff may not.
#[utoipa::path(
    post,
    path = "/auctions/{auctionId}/items",
    tag = "catalog",
    operation_id = "createItem",
    security(("bearer" = [])),
    params(("auctionId" = String, Path, description = "The auction's id.")),
    request_body = NewItem,
    responses(
        (status = 201, description = "The item, with the next lot number.", body = ItemView),
        (status = 403, description = "Not the auction's owner, a manager or an administrator.", body = shared::http::Problem),
        (status = 404, description = "No such auction the caller may see.", body = shared::http::Problem),
        (status = 409, description = "`AUCTION_PUBLISHED`: items are added in setup only.", body = shared::http::Problem),
        (status = 422, description = "Invalid fields.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_auctions_auction_items(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let (mut auction, access) = visible_auction(state, &request, Some(&caller)).await?;
    access.require(&auction, Power::CreateItem)?;
    // What the fields' own rules refused comes with the body; whether the prices hang
    // together and fit the auction's currency is listed with it.
    let (input, refused) = parse_json_fields::<NewItem>(&request)?;
    let mut checks = Checks(refused);
    draft::prices(
        input.starting_price,
        input.reserve_price,
        input.buy_now_price,
        auction.currency,
        &mut checks,
    );
    draft::fair_market_value(input.fair_market_value, auction.currency, &mut checks);
    if !checks.is_empty() {
        return Err(ApiError::Validation(checks.0));
    }
    let NewItem {
        name,
        description,
        primary_photo,
        gallery,
        ..
    } = input;
    let gallery = gallery.unwrap_or_default();

    for _ in 0..LOT_RETRIES {
        if auction.status != AuctionStatus::Setup {
            return Err(ApiError::conflict(
                "AUCTION_PUBLISHED",
                "Items can only be added while the auction is in setup.",
            ));
        }
        if auction.item_count as usize >= super::publish::MAX_LOTS {
            return Err(ApiError::conflict(
                "TOO_MANY_ITEMS",
                format!(
                    "An auction holds at most {} lots.",
                    super::publish::MAX_LOTS
                ),
            ));
        }
        let now = state.clock.now();
        let item = ItemRecord {
            id: ItemId::new(),
            auction_id: auction.id,
            owner_id: auction.owner_id,
            lot_number: auction.lots_assigned,
            name: name.clone(),
            description: description.clone(),
            item_type: input.item_type,
            starting_price: input.starting_price,
            reserve_price: input.reserve_price,
            buy_now_price: input.buy_now_price,
            fair_market_value: input.fair_market_value,
            primary_photo: primary_photo.clone(),
            gallery: gallery.clone(),
            status: ItemStatus::Upcoming,
            ends_at: auction.ends_at,
            bidding: BidState::default(),
            terms: None,
            closed_at: None,
            sale: None,
            offer: None,
            passed_over: Vec::new(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        // The lot number is the count of numbers handed out that the decision was made on: a
        // concurrent addition fails this condition, and the loop takes the next number.
        let count = Update::new("ADD #itemCount :one, #lots :one SET #updatedAt = :now")
            .name("#itemCount", "itemCount")
            .name("#lots", "lotsAssigned")
            .name("#updatedAt", "updatedAt")
            .value(":one", n(1))
            .value(":now", s(now.to_string()))
            .when(
                Condition::new("#status = :setup AND #lots = :assigned")
                    .name("#status", "status")
                    .value(":setup", s("setup"))
                    .value(":assigned", n(auction.lots_assigned)),
            );
        let mut audit = AuditRecord::new(AuditAction::ItemCreated, Some(caller.id()), now)
            .target(item.id)
            .detail("name", item.name.clone());
        audit.auction_id = Some(auction.id);
        let transaction = state
            .store
            .transaction()
            .update(Collection::Auctions, &auction.id.to_string(), count)?
            .create(&item)?
            .create(&audit)?;
        match state.store.transact(transaction).await {
            Ok(()) => {
                return json(
                    StatusCode::CREATED,
                    &ItemView::new(
                        &item,
                        &auction,
                        &access,
                        Some(caller.id()),
                        state.clock.now(),
                    )?,
                );
            }
            Err(StoreError::ConditionFailed(failed))
                if failed.collection == Collection::Auctions =>
            {
                auction = failed
                    .current::<AuctionRecord>()?
                    .ok_or(ApiError::NotFound)?;
            }
            Err(other) => return Err(other.into()),
        }
    }
    Err(ApiError::Unavailable {
        retry_after_secs: 1,
    })
}

/// The items of an auction in lot order, if the caller may see the auction.
#[utoipa::path(
    get,
    path = "/auctions/{auctionId}/items",
    tag = "catalog",
    operation_id = "listItems",
    params(
        ("auctionId" = String, Path, description = "The auction's id."),
        ("limit" = Option<u32>, Query, description = "1 to 100, default 20."),
        ("cursor" = Option<String>, Query, description = "From the previous page."),
    ),
    responses(
        (status = 200, description = "A page of items.", body = ItemList),
        (status = 404, description = "No such auction the caller may see.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_auctions_auction_items(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.optional_caller(&request).await?;
    let (auction, access) = visible_auction(state, &request, caller.as_ref()).await?;
    let mut errors = Vec::new();
    let (limit, cursor) = page_parameters_into(&request, &mut errors);
    let query = Query::index(Index::ITEMS_BY_AUCTION, s(auction.id.to_string()))
        .limit(limit)
        .after(cursor.as_deref());
    check_cursor(&query, &mut errors);
    refused_query(errors)?;
    let page = state.store.query::<ItemRecord>(query).await?;
    let subjects: Vec<String> = page
        .items
        .iter()
        .map(|i| views::item_subject(i.id))
        .collect();
    let counts = views::views_of(&state.store, &subjects).await?;
    let items = page
        .items
        .iter()
        .zip(&subjects)
        .map(|(item, subject)| {
            let mut view = ItemView::new(
                item,
                &auction,
                &access,
                caller.as_ref().map(|c| c.id()),
                state.clock.now(),
            )?;
            view.views = Some(counts.get(subject).copied().unwrap_or(0));
            Ok(view)
        })
        .collect::<Result<_, ApiError>>()?;
    json(
        StatusCode::OK,
        &ItemList {
            items,
            next_cursor: page.next_cursor,
        },
    )
}

/// One item, if the caller may see its auction.
#[utoipa::path(
    get,
    path = "/items/{itemId}",
    tag = "catalog",
    operation_id = "getItem",
    params(("itemId" = String, Path, description = "The item's id.")),
    responses(
        (status = 200, description = "The item.", body = ItemView),
        (status = 404, description = "No such item the caller may see.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_items_item(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.optional_caller(&request).await?;
    let (item, auction, access) = visible_item(state, &request, caller.as_ref()).await?;
    let mut view = ItemView::new(
        &item,
        &auction,
        &access,
        caller.as_ref().map(|c| c.id()),
        state.clock.now(),
    )?;
    view.views =
        Some(views::seen_by(&state.store, &views::item_subject(item.id), access.owner).await?);
    json(StatusCode::OK, &view)
}

/// The item of the path's `itemId`, its auction and the caller's standing; 404 unless the
/// caller may see the auction.
pub(crate) async fn visible_item(
    state: &AppState,
    request: &Request,
    caller: Option<&shared::identity::Caller>,
) -> Result<(ItemRecord, AuctionRecord, AuctionAccess), ApiError> {
    let id: ItemId = path_parameter(request, "itemId")?;
    let item = state
        .store
        .get::<ItemRecord>(&id.to_string(), Read::Strong)
        .await?
        .ok_or(ApiError::NotFound)?;
    let auction = state
        .store
        .get::<AuctionRecord>(&item.auction_id.to_string(), Read::Strong)
        .await?
        .ok_or(ApiError::NotFound)?;
    let access = AuctionAccess::of(&state.store, caller, &auction).await?;
    access.require_view(&auction)?;
    Ok((item, auction, access))
}
