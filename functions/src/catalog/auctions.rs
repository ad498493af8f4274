//! `POST /auctions` and `GET /auctions/{auctionId}`.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::audit::{AuditAction, AuditRecord};
use shared::catalog::draft::{self, Checks, NewAuction};
use shared::catalog::{
    AuctionAccess, AuctionRecord, AuctionSettings, AuctionStatus, MembershipRecord, MembershipRole,
    MembershipStatus, views,
};
use shared::domain::{AuctionId, Currency};
use shared::http::{ApiError, json, parse_json_fields, path_parameter};
use shared::identity::Caller;
use shared::store::Read;

use super::view::AuctionView;
use crate::AppState;

/// Creates an auction in `setup`, owned by the caller (artists and administrators).
#[utoipa::path(
    post,
    path = "/auctions",
    tag = "catalog",
    operation_id = "createAuction",
    security(("bearer" = [])),
    request_body = NewAuction,
    responses(
        (status = 201, description = "The auction, in setup.", body = AuctionView),
        (status = 403, description = "The caller may not create auctions.", body = shared::http::Problem),
        (status = 422, description = "Invalid fields.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_auctions(state: &AppState, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    caller.require("auction:create")?;
    // What the fields' own rules refused comes with the body; the schedule and the settings
    // in the auction's currency are checked too, so one answer lists every mistake.
    let (input, refused) = parse_json_fields::<NewAuction>(&request)?;
    let now = state.clock.now();
    let currency = input.currency.unwrap_or(Currency::USD);
    let mut checks = Checks(refused);
    let spans = &state.config.lifecycle;
    draft::schedule(input.starts_at, input.ends_at, now, spans, &mut checks);
    let settings = draft::settings(
        AuctionSettings::default(),
        input.settings.unwrap_or_default(),
        currency,
        &mut checks,
    );
    if !checks.is_empty() {
        return Err(ApiError::Validation(checks.0));
    }

    let auction = AuctionRecord {
        id: AuctionId::new(),
        owner_id: caller.id(),
        name: input.name,
        event_type: input.event_type,
        description: input.description,
        thumbnail: input.thumbnail,
        status: AuctionStatus::Setup,
        starts_at: input.starts_at,
        ends_at: input.ends_at,
        time_zone: input.time_zone,
        currency,
        payment_url: input.payment_url,
        settings,
        notifications: input.notifications.unwrap_or_default(),
        item_count: 0,
        lots_assigned: 0,
        auction_code: None,
        manual_phase: false,
        ending_soon_sent_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let owner = MembershipRecord {
        id: MembershipRecord::key(auction.id, caller.id()),
        auction_id: auction.id,
        user_id: caller.id(),
        role: MembershipRole::Owner,
        role_override: None,
        status: MembershipStatus::Active,
        bidder_number: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let mut audit = AuditRecord::new(AuditAction::AuctionCreated, Some(caller.id()), now)
        .target(auction.id)
        .detail("name", auction.name.clone())
        .detail(
            "eventType",
            serde_json::to_value(auction.event_type).map_err(anyhow::Error::new)?,
        );
    audit.auction_id = Some(auction.id);
    // The auction, its owner's membership and the entry recording it: all or nothing.
    let transaction = state
        .store
        .transaction()
        .create(&auction)?
        .create(&owner)?
        .create(&audit)?;
    state.store.transact(transaction).await?;
    tracing::info!(auction.id = %auction.id, "auction created");
    let access = AuctionAccess::of(&state.store, Some(&caller), &auction).await?;
    json(
        StatusCode::CREATED,
        &AuctionView::new(&auction, &access, now)?,
    )
}

/// An auction, if the caller may see it (public published ones: anyone, anonymous included).
#[utoipa::path(
    get,
    path = "/auctions/{auctionId}",
    tag = "catalog",
    operation_id = "getAuction",
    params(("auctionId" = String, Path, description = "The auction's id.")),
    responses(
        (status = 200, description = "The auction.", body = AuctionView),
        (status = 404, description = "No such auction, or not one the caller may see.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_auctions_auction(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.optional_caller(&request).await?;
    let (auction, access) = visible_auction(state, &request, caller.as_ref()).await?;
    let mut view = AuctionView::new(&auction, &access, state.clock.now())?;
    let subject = views::auction_subject(auction.id);
    view.visits = Some(views::seen_by(&state.store, &subject, access.owner).await?);
    json(StatusCode::OK, &view)
}

/// `409 AUCTION_NOT_RUNNING` unless the auction is published and not yet complete: the time
/// the event is run (`what` happens then, as the answer says).
pub(crate) fn require_running(auction: &AuctionRecord, what: &str) -> Result<(), ApiError> {
    if auction.status.is_published()
        && !matches!(
            auction.status,
            AuctionStatus::Complete | AuctionStatus::Closed
        )
    {
        return Ok(());
    }
    Err(ApiError::conflict(
        "AUCTION_NOT_RUNNING",
        format!("{what} once the auction is published and until it is complete."),
    ))
}

/// The auction of the path's `auctionId` and the caller's standing in it; 404 unless they may
/// see it.
pub(crate) async fn visible_auction(
    state: &AppState,
    request: &Request,
    caller: Option<&Caller>,
) -> Result<(AuctionRecord, AuctionAccess), ApiError> {
    let id: AuctionId = path_parameter(request, "auctionId")?;
    let auction = state
        .store
        .get::<AuctionRecord>(&id.to_string(), Read::Strong)
        .await?
        .ok_or(ApiError::NotFound)?;
    let access = AuctionAccess::of(&state.store, caller, &auction).await?;
    access.require_view(&auction)?;
    Ok((auction, access))
}
