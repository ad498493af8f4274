//! Second-chance offers: `GET /me/offers`, `POST /offers/{offerId}/accept` (the offer becomes
//! the item's sale, with a new payment deadline) and `POST /offers/{offerId}/decline` (the
//! next bidder is offered); and the expiry of an offer left unanswered.

use chrono::TimeDelta;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::audit::{AuditAction, AuditRecord};
use shared::bidding::TotalsRecord;
use shared::catalog::{AuctionRecord, ItemRecord};
use shared::domain::{AuctionId, CurrencyAmount, ItemId, OfferId, Timestamp};
use shared::http::{
    ApiError, check_cursor, json, page_parameters_into, path_parameter, refused_query,
};
use shared::lifecycle::{LifecycleEvent, OfferRecord, OfferStatus, PaymentStatus, Sale, SaleKind};
use shared::store::{
    Collection, Condition, Index, Query, Read, StoreError, Update, n, s, to_attribute,
};

use super::close::arm_payment;
use super::payment::{LONGEST_WAIT, PassedOn, pass_on};
use super::{Holding, TransitionError, audited_amount, publish_after, totals_move};
use crate::AppState;

/// An offer as the bidder it was made to sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfferView {
    pub id: OfferId,
    pub auction_id: AuctionId,
    pub item_id: ItemId,
    pub item_name: String,
    /// Their own highest bid on the item.
    pub amount: CurrencyAmount,
    pub status: OfferStatus,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
}

/// A page of the caller's offers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfferList {
    pub items: Vec<OfferView>,
    pub next_cursor: Option<String>,
}

async fn view(state: &AppState, offer: &OfferRecord) -> Result<OfferView, ApiError> {
    let item = state
        .store
        .get::<ItemRecord>(&offer.item_id.to_string(), Read::Eventual)
        .await?;
    let currency = item
        .as_ref()
        .and_then(|i| i.terms.as_ref())
        .map(|t| t.currency)
        .unwrap_or_default();
    Ok(OfferView {
        id: offer.id,
        auction_id: offer.auction_id,
        item_id: offer.item_id,
        item_name: item.map(|i| i.name).unwrap_or_default(),
        amount: crate::catalog::view::shown(offer.amount, currency)?,
        status: offer.status,
        expires_at: offer.expires_at,
        created_at: offer.created_at,
    })
}

/// The caller's second-chance offers, newest first.
#[utoipa::path(
    get,
    path = "/me/offers",
    tag = "lifecycle",
    operation_id = "listMyOffers",
    security(("bearer" = [])),
    params(
        ("limit" = Option<u32>, Query, description = "At most this many (default 20, max 100)."),
        ("cursor" = Option<String>, Query, description = "Where the previous page ended."),
    ),
    responses(
        (status = 200, description = "Offers made to the caller, newest first.", body = OfferList),
        (status = 401, description = "No valid token.", body = shared::http::Problem),
        (status = 422, description = "A bad `limit` or `cursor`.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_me_offers(state: &AppState, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    caller.require("offer:respond:own")?;
    let mut errors = Vec::new();
    let (limit, cursor) = page_parameters_into(&request, &mut errors);
    let query = Query::index(Index::OFFERS_BY_BIDDER, s(caller.id().to_string()))
        .descending()
        .limit(limit)
        .after(cursor.as_deref());
    check_cursor(&query, &mut errors);
    refused_query(errors)?;
    let page = state.store.query::<OfferRecord>(query).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for offer in &page.items {
        items.push(view(state, offer).await?);
    }
    json(
        StatusCode::OK,
        &OfferList {
            items,
            next_cursor: page.next_cursor,
        },
    )
}

/// The caller's own pending offer of the path, or why not.
async fn own_offer(
    state: &AppState,
    request: &Request,
) -> Result<(shared::identity::Caller, OfferRecord), ApiError> {
    let caller = state.caller(request).await?;
    let offer_id: OfferId = path_parameter(request, "offerId")?;
    let offer = state
        .store
        .get::<OfferRecord>(&offer_id.to_string(), Read::Strong)
        .await?
        .filter(|offer| offer.bidder_id == caller.id())
        .ok_or(ApiError::NotFound)?;
    caller.require("offer:respond:own")?;
    if offer.status != OfferStatus::Pending || state.clock.now() >= offer.expires_at {
        return Err(ApiError::conflict(
            "OFFER_CLOSED",
            "This offer is no longer open.",
        ));
    }
    Ok((caller, offer))
}

/// Accepts an offer: the item is the caller's at the offer's amount, with a new payment window.
#[utoipa::path(
    post,
    path = "/offers/{offerId}/accept",
    tag = "lifecycle",
    operation_id = "acceptOffer",
    security(("bearer" = [])),
    params(("offerId" = String, Path, description = "The offer's id.")),
    responses(
        (status = 200, description = "The offer, accepted: the item is the caller's sale.", body = OfferView),
        (status = 401, description = "No valid token.", body = shared::http::Problem),
        (status = 404, description = "No such offer made to the caller.", body = shared::http::Problem),
        (status = 409, description = "`OFFER_CLOSED`: answered, expired or withdrawn.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_offers_offer_accept(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let (caller, offer) = own_offer(state, &request).await?;
    let item = state
        .store
        .get::<ItemRecord>(&offer.item_id.to_string(), Read::Strong)
        .await?
        .ok_or(ApiError::NotFound)?;
    let auction = state
        .store
        .get::<AuctionRecord>(&offer.auction_id.to_string(), Read::Strong)
        .await?
        .ok_or(ApiError::NotFound)?;
    let now = state.clock.now();
    let sale = Sale {
        winner: Some(offer.bidder_id),
        bidder_number: Some(offer.bidder_number),
        manual_name: None,
        amount: offer.amount,
        sold_at: now,
        due_at: now.plus(TimeDelta::seconds(i64::from(
            auction.settings.payment_window_sec,
        ))),
        payment_status: PaymentStatus::Unpaid,
        round: offer.round,
        kind: SaleKind::SecondChance,
        reminded: false,
        paid_at: None,
        pickup_status: None,
        picked_up_at: None,
    };
    let accept = Update::new("SET #status = :accepted, #updatedAt = :now")
        .name("#status", "status")
        .name("#updatedAt", "updatedAt")
        .value(":accepted", s("accepted"))
        .value(":now", s(now.to_string()))
        .when(
            Condition::new("#status = :pending AND #expiresAt > :now")
                .name("#expiresAt", "expiresAt")
                .value(":pending", s("pending")),
        );
    let sell = Update::new("SET #sale = :sale, #updatedAt = :now REMOVE #offer ADD #version :one")
        .name("#sale", "sale")
        .name("#offer", "offer")
        .name("#updatedAt", "updatedAt")
        .name("#version", "version")
        .value(":sale", to_attribute(&sale)?)
        .value(":now", s(now.to_string()))
        .value(":one", n(1))
        .when(
            Condition::new("#offer.#offerId = :offer AND #status = :sold")
                .name("#offerId", "offerId")
                .name("#status", "status")
                .value(":offer", s(offer.id.to_string()))
                .value(":sold", s("sold")),
        );
    let mut audit = AuditRecord::new(AuditAction::OfferAccepted, Some(caller.id()), now)
        .target(item.id)
        .detail("offerId", offer.id.to_string())
        .detail("round", offer.round)
        .detail("bidderNumber", offer.bidder_number)
        .detail("amount", audited_amount(&item, offer.amount))
        .detail("dueAt", sale.due_at.to_string());
    audit.auction_id = Some(item.auction_id);
    let transaction = state
        .store
        .transaction()
        .update(Collection::Offers, &offer.id.to_string(), accept)?
        .update(Collection::Items, &item.id.to_string(), sell)?
        .update(
            Collection::Totals,
            &TotalsRecord::key(item.auction_id, offer.bidder_id),
            totals_move(&item, offer.amount.amount(), None, Some(Holding::Won), now),
        )?
        .create(&audit)?;
    match state.store.transact(transaction).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed(_)) => {
            return Err(ApiError::conflict(
                "OFFER_CLOSED",
                "This offer is no longer open.",
            ));
        }
        Err(other) => return Err(other.into()),
    }
    tracing::info!(item.id = %item.id, round = offer.round, "offer accepted");
    arm_payment(state, item.id, &sale).await;
    publish_after(
        state,
        &[LifecycleEvent::PaymentDue {
            auction_id: item.auction_id,
            item_id: item.id,
            round: sale.round,
            due_at: sale.due_at,
        }],
    )
    .await;
    let accepted = OfferRecord {
        status: OfferStatus::Accepted,
        updated_at: now,
        ..offer
    };
    json(StatusCode::OK, &view(state, &accepted).await?)
}

/// Declines an offer: the item is offered to the next bidder, or goes unsold.
#[utoipa::path(
    post,
    path = "/offers/{offerId}/decline",
    tag = "lifecycle",
    operation_id = "declineOffer",
    security(("bearer" = [])),
    params(("offerId" = String, Path, description = "The offer's id.")),
    responses(
        (status = 200, description = "The offer, declined.", body = OfferView),
        (status = 401, description = "No valid token.", body = shared::http::Problem),
        (status = 404, description = "No such offer made to the caller.", body = shared::http::Problem),
        (status = 409, description = "`OFFER_CLOSED`: answered, expired or withdrawn.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_offers_offer_decline(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let (caller, offer) = own_offer(state, &request).await?;
    match pass_on(state, &offer, OfferStatus::Declined, Some(caller.id())).await {
        Ok(PassedOn::Done) => {}
        Ok(PassedOn::Stale) => {
            return Err(ApiError::conflict(
                "OFFER_CLOSED",
                "This offer is no longer open.",
            ));
        }
        Err(error) => return Err(ApiError::Unexpected(anyhow::anyhow!(error.to_string()))),
    }
    let declined = OfferRecord {
        status: OfferStatus::Declined,
        updated_at: state.clock.now(),
        ..offer
    };
    json(StatusCode::OK, &view(state, &declined).await?)
}

/// An offer's window ended: if it is still pending, the item goes to the next bidder.
pub async fn expire(state: &AppState, offer_id: OfferId) -> Result<(), TransitionError> {
    let Some(offer) = state
        .store
        .get::<OfferRecord>(&offer_id.to_string(), Read::Strong)
        .await?
    else {
        return Ok(());
    };
    if offer.status != OfferStatus::Pending {
        return Ok(());
    }
    let transition = shared::lifecycle::Transition::OfferExpiry { offer_id };
    if !super::wait_until(state, &transition, offer.expires_at, LONGEST_WAIT).await {
        return Ok(());
    }
    pass_on(state, &offer, OfferStatus::Expired, None).await?;
    Ok(())
}
