//! `GET /me/bids` and `GET /me/totals`: the caller's own bids (with whether they lead each
//! item) and their totals, optionally in one auction.

use std::collections::BTreeMap;

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::bidding::{BidRecord, BidStatus, TotalsRecord};
use shared::catalog::{AuctionRecord, ItemRecord};
use shared::domain::{AuctionId, BidId, CurrencyAmount, ItemId, Timestamp};
use shared::http::{
    ApiError, FieldError, check_cursor, json, page_parameters_into, query_parameter, refused_query,
};
use shared::store::{Condition, Index, Query, Read, s};

use super::totals::{TotalsList, TotalsView};
use crate::AppState;

/// One of the caller's bids. Their own maximum is theirs to see.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MyBidView {
    pub id: BidId,
    pub item_id: ItemId,
    pub auction_id: AuctionId,
    pub amount: CurrencyAmount,
    /// The caller's own maximum for this bid (for a plain bid, the amount they asked);
    /// `null` for a buy-now, which has none (its `amount` is the price paid), and for the
    /// automatic bids the engine placed from their maximum.
    pub max_amount: Option<CurrencyAmount>,
    pub placed_at: Timestamp,
    pub bidder_number: u32,
    pub is_automatic: bool,
    pub status: BidStatus,
    /// Whether the caller leads (or won) the item now.
    pub leading: bool,
}

/// A page of the caller's bids.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MyBids {
    pub items: Vec<MyBidView>,
    pub next_cursor: Option<String>,
}

/// `?auctionId=` (if given), `?limit=` and `?cursor=`, with the errors of those at fault (the
/// handler adds the cursor's, once it has the query, and answers them all in one `422`).
pub(crate) fn list_parameters(
    request: &Request,
) -> (Option<AuctionId>, u32, Option<String>, Vec<FieldError>) {
    let mut errors = Vec::new();
    let filter = query_parameter(request, "auctionId").and_then(|text| {
        AuctionId::parse(text)
            .map_err(|_| errors.push(FieldError::new("auctionId", "must be a UUID")))
            .ok()
    });
    let (limit, cursor) = page_parameters_into(request, &mut errors);
    (filter, limit, cursor, errors)
}

/// The caller's bids, newest first.
#[utoipa::path(
    get,
    path = "/me/bids",
    tag = "bidding",
    operation_id = "listMyBids",
    security(("bearer" = [])),
    params(
        ("auctionId" = Option<String>, Query, description = "Only this auction's bids."),
        ("limit" = Option<u32>, Query, description = "At most this many (default 20, max 100)."),
        ("cursor" = Option<String>, Query, description = "Where the previous page ended."),
    ),
    responses(
        (status = 200, description = "A page of the caller's bids.", body = MyBids),
        (status = 401, description = "Not signed in.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_me_bids(state: &AppState, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    caller.require("bid:read:own")?;
    let (filter, limit, cursor, mut errors) = list_parameters(&request);
    let query = Query::index(Index::BIDS_BY_BIDDER, s(caller.id().to_string()))
        .descending()
        .limit(limit)
        .after(cursor.as_deref());
    check_cursor(&query, &mut errors);
    refused_query(errors)?;
    let page = state.store.query::<BidRecord>(query).await?;
    let bids: Vec<&BidRecord> = page
        .items
        .iter()
        .filter(|bid| filter.is_none_or(|auction| bid.auction_id == auction))
        .collect();
    let item_keys: Vec<String> = bids.iter().map(|b| b.item_id.to_string()).collect();
    let items: BTreeMap<ItemId, ItemRecord> = state
        .store
        .get_many::<ItemRecord>(&item_keys, Read::Strong)
        .await?
        .into_iter()
        .map(|item| (item.id, item))
        .collect();
    let auctions = auctions_of(state, bids.iter().map(|b| b.auction_id)).await?;
    let mut views = Vec::with_capacity(bids.len());
    for bid in bids {
        let (Some(item), Some(auction)) = (items.get(&bid.item_id), auctions.get(&bid.auction_id))
        else {
            continue;
        };
        let terms = super::terms_of(item, auction);
        views.push(MyBidView {
            id: bid.id,
            item_id: bid.item_id,
            auction_id: bid.auction_id,
            amount: super::shown(bid.amount, &terms)?,
            // A buy-now is stored with a maximum of 0, which is no maximum at all.
            max_amount: bid
                .maximum
                .filter(|_| !bid.buy_now)
                .map(|m| super::shown(m, &terms))
                .transpose()?,
            placed_at: bid.placed_at,
            bidder_number: bid.bidder_number,
            is_automatic: bid.automatic,
            status: bid.status,
            leading: item
                .bidding
                .leader
                .as_ref()
                .is_some_and(|leader| leader.bidder == caller.id()),
        });
    }
    json(
        StatusCode::OK,
        &MyBids {
            items: views,
            next_cursor: page.next_cursor,
        },
    )
}

/// The auctions with these ids, by id (one batch read).
pub(crate) async fn auctions_of(
    state: &AppState,
    ids: impl Iterator<Item = AuctionId>,
) -> Result<BTreeMap<AuctionId, AuctionRecord>, ApiError> {
    let keys: Vec<String> = ids.map(|id| id.to_string()).collect();
    Ok(state
        .store
        .get_many::<AuctionRecord>(&keys, Read::Eventual)
        .await?
        .into_iter()
        .map(|auction| (auction.id, auction))
        .collect())
}

/// The caller's totals, per auction.
#[utoipa::path(
    get,
    path = "/me/totals",
    tag = "bidding",
    operation_id = "listMyTotals",
    security(("bearer" = [])),
    params(
        ("auctionId" = Option<String>, Query, description = "Only this auction's totals."),
        ("limit" = Option<u32>, Query, description = "At most this many (default 20, max 100)."),
        ("cursor" = Option<String>, Query, description = "Where the previous page ended."),
    ),
    responses(
        (status = 200, description = "A page of the caller's totals.", body = TotalsList),
        (status = 401, description = "Not signed in.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_me_totals(state: &AppState, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    caller.require("totals:read:own")?;
    let (filter, limit, cursor, mut errors) = list_parameters(&request);
    let mut query = Query::index(Index::TOTALS_BY_BIDDER, s(caller.id().to_string()))
        .limit(limit)
        .after(cursor.as_deref());
    if let Some(auction) = filter {
        query = query
            .sort(Condition::new("#sort = :auction").value(":auction", s(auction.to_string())));
    }
    check_cursor(&query, &mut errors);
    refused_query(errors)?;
    let page = state.store.query::<TotalsRecord>(query).await?;
    let auctions = auctions_of(state, page.items.iter().map(|t| t.auction_id)).await?;
    let items = page
        .items
        .iter()
        .filter_map(|totals| Some(TotalsView::new(totals, auctions.get(&totals.auction_id)?)))
        .collect::<Result<_, _>>()?;
    json(
        StatusCode::OK,
        &TotalsList {
            items,
            next_cursor: page.next_cursor,
        },
    )
}
