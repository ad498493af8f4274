//! `GET /auctions/{auctionId}/totals`: every bidder's totals in an auction, for those who run it.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::bidding::TotalsRecord;
use shared::catalog::AuctionRecord;
use shared::catalog::access::Power;
use shared::domain::{AuctionId, CurrencyAmount, UserId};
use shared::http::{ApiError, check_cursor, json, page_parameters_into, refused_query};
use shared::store::{Index, Query, s};

use crate::AppState;
use crate::catalog::auctions::visible_auction;

/// A bidder's totals in one auction: the items they lead or won, and what they owe for them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TotalsView {
    pub auction_id: AuctionId,
    pub bidder_id: UserId,
    pub bidder_number: u32,
    /// The items they lead.
    pub items: Vec<String>,
    /// The items they won.
    pub won: Vec<String>,
    pub subtotal: CurrencyAmount,
    /// The auction's buyer's premium on the subtotal.
    pub buyer_premium: CurrencyAmount,
    pub total: CurrencyAmount,
    pub paid: bool,
}

impl TotalsView {
    pub fn new(totals: &TotalsRecord, auction: &AuctionRecord) -> Result<Self, ApiError> {
        let currency = auction.currency;
        let premium = totals.premium(auction.settings.buyer_premium_percent, currency);
        let total = totals
            .subtotal
            .checked_add(premium)
            .map_err(anyhow::Error::new)?;
        let shown = |amount| crate::catalog::view::shown(amount, currency);
        Ok(Self {
            auction_id: totals.auction_id,
            bidder_id: totals.bidder_id,
            bidder_number: totals.bidder_number,
            items: totals.items.iter().cloned().collect(),
            won: totals.won.iter().cloned().collect(),
            subtotal: shown(totals.subtotal)?,
            buyer_premium: shown(premium)?,
            total: shown(total)?,
            paid: totals.paid,
        })
    }
}

/// A page of totals.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TotalsList {
    pub items: Vec<TotalsView>,
    pub next_cursor: Option<String>,
}

/// Every bidder's totals in the auction, by bidder number (owner, managers, staff).
#[utoipa::path(
    get,
    path = "/auctions/{auctionId}/totals",
    tag = "bidding",
    operation_id = "listAuctionTotals",
    security(("bearer" = [])),
    params(
        ("auctionId" = String, Path, description = "The auction's id."),
        ("limit" = Option<u32>, Query, description = "At most this many (default 20, max 100)."),
        ("cursor" = Option<String>, Query, description = "Where the previous page ended."),
    ),
    responses(
        (status = 200, description = "A page of totals.", body = TotalsList),
        (status = 403, description = "Only those who run the auction, and staff.", body = shared::http::Problem),
        (status = 404, description = "No such auction the caller may see.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_auctions_auction_totals(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let (auction, access) = visible_auction(state, &request, Some(&caller)).await?;
    access.require(&auction, Power::ReadTotals)?;
    let mut errors = Vec::new();
    let (limit, cursor) = page_parameters_into(&request, &mut errors);
    let query = Query::index(Index::TOTALS_BY_AUCTION, s(auction.id.to_string()))
        .limit(limit)
        .after(cursor.as_deref());
    check_cursor(&query, &mut errors);
    refused_query(errors)?;
    let page = state.store.query::<TotalsRecord>(query).await?;
    let items = page
        .items
        .iter()
        .map(|totals| TotalsView::new(totals, &auction))
        .collect::<Result<_, _>>()?;
    json(
        StatusCode::OK,
        &TotalsList {
            items,
            next_cursor: page.next_cursor,
        },
    )
}
