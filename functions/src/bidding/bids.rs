//! `POST /items/{itemId}/bids` (place a bid) and `GET /items/{itemId}/bids` (the history).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use shared::bidding::BidRecord;
use shared::catalog::draft::AboveZero;
use shared::domain::Money;
use shared::http::sealed::{open_cursor, seal_cursor};
use shared::http::{ApiError, FieldError, json, page_parameters, parse_json_fields};
use shared::store::{Index, Query, s};

use super::place::{Ask, BidView, PlacedBid, place};
use crate::AppState;
use crate::catalog::items::visible_item;

/// A bid: `amount` now, and optionally a maximum the engine bids up to for the bidder.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BidInput {
    /// Above 0.
    #[serde(deserialize_with = "shared::http::checked::<AboveZero, _>")]
    #[schema(example = "150.00")]
    pub amount: Money,
    #[schema(example = "400.00")]
    pub max_amount: Option<Money>,
}

/// Places a bid (a proxy bid with `maxAmount`). The artist, those who run the auction,
/// platform staff and revoked members may not bid (403); to non-members of a private
/// auction its items do not exist (404).
#[utoipa::path(
    post,
    path = "/items/{itemId}/bids",
    tag = "bidding",
    operation_id = "placeBid",
    security(("bearer" = [])),
    params(
        ("itemId" = String, Path, description = "The item's id."),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key within 24 hours get the first response back."),
    ),
    request_body = BidInput,
    responses(
        (status = 201, description = "The bid was accepted. `outcome` says what it did: `placed` (a new bid), or `maximum_raised` when the leader raised their own maximum (the price stays unless the new maximum reaches the reserve, nothing new shows in the bid history, and the maximum is never echoed).", body = PlacedBid),
        (status = 401, description = "Not signed in.", body = shared::http::Problem),
        (status = 403, description = "`NOT_ALLOWED_TO_BID`.", body = shared::http::Problem),
        (status = 404, description = "No such item the caller may see (a private auction's items, to those outside it).", body = shared::http::Problem),
        (status = 409, description = "`BID_TOO_LOW` (with `minimumBid`), `AUCTION_NOT_OPEN`, `ITEM_CLOSED`, `MAXIMUM_NOT_RAISED`, `IDEMPOTENCY_KEY_REUSED`.", body = shared::http::Problem),
        (status = 422, description = "A bad amount: not above 0, too many decimals, or `maxAmount` below `amount`.", body = shared::http::Problem),
        (status = 503, description = "Too many bids at once on this item; retry after `Retry-After`.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_items_item_bids(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    // Anonymous callers learn they must sign in before anything about the body.
    let caller = state.caller(&request).await?;
    let (input, mut errors) = parse_json_fields::<BidInput>(&request)?;
    let maximum = input.max_amount.unwrap_or(input.amount);
    if maximum < input.amount {
        errors.push(FieldError::new("maxAmount", "must be at least the amount"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let ask = Ask::Bid {
        amount: input.amount,
        maximum,
    };
    place(state, &request, caller, ask).await
}

/// An item's bids, newest first: amounts and bidder numbers, never names or maxima.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BidHistory {
    pub items: Vec<BidView>,
    pub next_cursor: Option<String>,
}

/// The item's bid history, for anyone who may see the item.
#[utoipa::path(
    get,
    path = "/items/{itemId}/bids",
    tag = "bidding",
    operation_id = "listItemBids",
    params(
        ("itemId" = String, Path, description = "The item's id."),
        ("limit" = Option<u32>, Query, description = "At most this many (default 20, max 100)."),
        ("cursor" = Option<String>, Query, description = "Where the previous page ended."),
    ),
    responses(
        (status = 200, description = "The history, newest first.", body = BidHistory),
        (status = 404, description = "No such item the caller may see.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_items_item_bids(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.optional_caller(&request).await?;
    let (item, auction, _) = visible_item(state, &request, caller.as_ref()).await?;
    let terms = super::terms_of(&item, &auction);
    let (limit, cursor) = page_parameters(&request)?;
    // Sealed: the store's cursor names the bid it stopped at, and bids are not listed by id.
    let cursor = open_cursor(state.cursor_key()?, cursor.as_deref())?;
    let query = Query::index(Index::BIDS_BY_ITEM, s(item.id.to_string()))
        .descending()
        .limit(limit)
        .after(cursor.as_deref());
    let page = state.store.query::<BidRecord>(query).await?;
    let items = page
        .items
        .iter()
        .filter(|bid| bid.shown())
        .map(|bid| BidView::new(bid, &terms))
        .collect::<Result<_, _>>()?;
    json(
        StatusCode::OK,
        &BidHistory {
            items,
            next_cursor: seal_cursor(state.cursor_key()?, page.next_cursor)?,
        },
    )
}
