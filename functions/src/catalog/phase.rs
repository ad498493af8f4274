//! `POST /auctions/{auctionId}/phase` (the owner or an administrator moves the phase one legal
//! step) and `POST /auctions/{auctionId}/code` (rotating a private auction's code).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use shared::audit::{AuditAction, AuditRecord};
use shared::catalog::access::Power;
use shared::catalog::{AuctionCode, AuctionCodeRecord, AuctionRecord, AuctionStatus, EventType};
use shared::http::{ApiError, json, parse_json_body};
use shared::store::{Collection, Condition, StoreError, Update, n, s, to_attribute};

use super::auctions::visible_auction;
use super::view::AuctionView;
use crate::AppState;

/// The phase to move to.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PhaseChange {
    pub status: AuctionStatus,
}

/// A private auction's new code.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CodeView {
    pub auction_code: String,
}

/// Moves the auction one step along its phases (owner or administrator). From then on, time
/// no longer moves it.
#[utoipa::path(
    post,
    path = "/auctions/{auctionId}/phase",
    tag = "catalog",
    operation_id = "changeAuctionPhase",
    security(("bearer" = [])),
    params(("auctionId" = String, Path, description = "The auction's id.")),
    request_body = PhaseChange,
    responses(
        (status = 200, description = "The auction in its new phase.", body = AuctionView),
        (status = 403, description = "Not the owner or an administrator.", body = shared::http::Problem),
        (status = 404, description = "No such auction the caller may see.", body = shared::http::Problem),
        (status = 409, description = "`ILLEGAL_TRANSITION`.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_auctions_auction_phase(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let (auction, access) = visible_auction(state, &request, Some(&caller)).await?;
    access.require(&auction, Power::ChangePhase)?;
    let change: PhaseChange = parse_json_body(&request)?;
    let now = state.clock.now();
    let current = auction.effective_status(now);
    if current == AuctionStatus::Setup {
        return Err(ApiError::conflict(
            "ILLEGAL_TRANSITION",
            "An auction in setup is published with POST /auctions/{auctionId}/publish.",
        ));
    }
    if !current.can_move_to(change.status) {
        return Err(ApiError::conflict(
            "ILLEGAL_TRANSITION",
            format!(
                "An auction that is {} cannot become {}.",
                current.as_str(),
                change.status.as_str()
            ),
        ));
    }
    let update =
        Update::new("SET #status = :next, #manual = :true, #updatedAt = :now ADD #version :one")
            .name("#status", "status")
            .name("#manual", "manualPhase")
            .name("#updatedAt", "updatedAt")
            .name("#version", "version")
            .value(":next", s(change.status.as_str()))
            .value(":true", to_attribute(&true)?)
            .value(":now", s(now.to_string()))
            .value(":one", n(1))
            .when(Condition::version_is("version", auction.version));
    let mut audit = AuditRecord::new(AuditAction::AuctionPhaseChanged, Some(caller.id()), now)
        .target(auction.id)
        .detail("from", current.as_str())
        .detail("to", change.status.as_str());
    audit.auction_id = Some(auction.id);
    let transaction = state
        .store
        .transaction()
        .update(Collection::Auctions, &auction.id.to_string(), update)?
        .create(&audit)?;
    state.store.transact(transaction).await?;
    crate::lifecycle::publish_after(
        state,
        &[shared::lifecycle::LifecycleEvent::AuctionPhaseChanged {
            auction_id: auction.id,
            from: current,
            to: change.status,
        }],
    )
    .await;
    let moved = AuctionRecord {
        status: change.status,
        manual_phase: true,
        updated_at: now,
        version: auction.version + 1,
        ..auction
    };
    json(StatusCode::OK, &AuctionView::new(&moved, &access, now)?)
}

/// Gives a private auction a new code; the old one stops working at once (owner, managers,
/// staff).
#[utoipa::path(
    post,
    path = "/auctions/{auctionId}/code",
    tag = "catalog",
    operation_id = "rotateAuctionCode",
    security(("bearer" = [])),
    params(("auctionId" = String, Path, description = "The auction's id.")),
    responses(
        (status = 200, description = "The new code.", body = CodeView),
        (status = 403, description = "Not the auction's owner, a manager or staff.", body = shared::http::Problem),
        (status = 404, description = "No such auction the caller may see.", body = shared::http::Problem),
        (status = 409, description = "`NOT_PRIVATE` or `NOT_PUBLISHED`.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_auctions_auction_code(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let (auction, access) = visible_auction(state, &request, Some(&caller)).await?;
    access.require(&auction, Power::RotateCode)?;
    if auction.event_type != EventType::Private {
        return Err(ApiError::conflict(
            "NOT_PRIVATE",
            "Only private auctions have a code.",
        ));
    }
    let Some(old) = auction.auction_code.clone() else {
        return Err(ApiError::conflict(
            "NOT_PUBLISHED",
            "The code is issued when the auction is published.",
        ));
    };
    for _ in 0..3 {
        let code = AuctionCode::generate();
        let now = state.clock.now();
        let replace = Update::new("SET #code = :new, #updatedAt = :now ADD #version :one")
            .name("#code", "auctionCode")
            .name("#updatedAt", "updatedAt")
            .name("#version", "version")
            .value(":new", s(code.as_str()))
            .value(":now", s(now.to_string()))
            .value(":one", n(1))
            .when(Condition::new("#code = :old").value(":old", s(&old)));
        let held_by_auction = Condition::new("#auctionId = :auction")
            .name("#auctionId", "auctionId")
            .value(":auction", s(auction.id.to_string()));
        let mut audit = AuditRecord::new(AuditAction::AuctionCodeChanged, Some(caller.id()), now)
            .target(auction.id);
        audit.auction_id = Some(auction.id);
        let transaction = state
            .store
            .transaction()
            .update(Collection::Auctions, &auction.id.to_string(), replace)?
            .delete(Collection::AuctionCodeIndex, &old, Some(held_by_auction))?
            .create(&AuctionCodeRecord {
                auction_code: code.clone(),
                auction_id: auction.id,
            })?
            .create(&audit)?;
        match state.store.transact(transaction).await {
            Ok(()) => {
                return json(
                    StatusCode::OK,
                    &CodeView {
                        auction_code: code.as_str().to_string(),
                    },
                );
            }
            Err(StoreError::ConditionFailed(failed))
                if failed.collection == Collection::AuctionCodeIndex && failed.operation == 2 => {}
            Err(other) => return Err(other.into()),
        }
    }
    Err(ApiError::Unavailable {
        retry_after_secs: 1,
    })
}
