//! `POST /items/{itemId}/buy-now`: buying an item at its buy-now price closes it at once with
//! the buyer as winner (while no bid has reached that price).

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::http::{ApiError, parse_json_body};

use super::place::{Ask, PlacedBid, place};
use crate::AppState;

/// Buys the item now, at its buy-now price.
#[utoipa::path(
    post,
    path = "/items/{itemId}/buy-now",
    tag = "bidding",
    operation_id = "buyNow",
    security(("bearer" = [])),
    params(
        ("itemId" = String, Path, description = "The item's id."),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key within 24 hours get the first response back."),
    ),
    responses(
        (status = 201, description = "Bought (`outcome: bought`): the item is sold to the caller.", body = PlacedBid),
        (status = 401, description = "Not signed in.", body = shared::http::Problem),
        (status = 403, description = "`NOT_ALLOWED_TO_BID`.", body = shared::http::Problem),
        (status = 404, description = "No such item the caller may see.", body = shared::http::Problem),
        (status = 422, description = "The route takes no body (none, or `{}`): each field sent is listed as not a field of this request.", body = shared::http::Problem),
        (status = 409, description = "`BUY_NOW_UNAVAILABLE`, `AUCTION_NOT_OPEN`, `ITEM_CLOSED`, `IDEMPOTENCY_KEY_REUSED`.", body = shared::http::Problem),
        (status = 503, description = "Too many bids at once on this item; retry after `Retry-After`.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_items_item_buy_now(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    no_fields(&request)?;
    place(state, &request, caller, Ask::BuyNow).await
}

/// The body of a route that takes none: it has no fields.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NoFields {}

/// Nothing when the request has no body (or `{}`); otherwise the `400` or `422` a body with
/// no fields gets, every field sent listed as not a field of this request.
fn no_fields(request: &Request) -> Result<(), ApiError> {
    let bytes: &[u8] = match request.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => b"",
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    parse_json_body::<NoFields>(request).map(|NoFields {}| ())
}
