//! `POST /auctions/join`: a bidder joins a private auction with its code and gets a bidder
//! number, unique in the auction even when many join at once.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use shared::catalog::{
    AuctionCode, AuctionCodeRecord, AuctionRecord, BidderCounterRecord, MembershipRecord,
    MembershipRole, MembershipStatus,
};
use shared::domain::{AuctionId, Timestamp, UserId};
use shared::http::{ApiError, json, parse_json_body};
use shared::identity::UserRecord;
use shared::store::{AttributeValue, Collection, Read, Store, StoreError, Update, n};

use crate::AppState;

/// The first bidder number of every auction.
const FIRST_BIDDER_NUMBER: u32 = 100;

/// The detail of the `404` for a code that opens no auction.
const UNKNOWN_CODE: &str = "No auction has this code.";

/// An auction code, as a bidder types it (case and spaces do not matter).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JoinRequest {
    pub auction_code: String,
}

/// The caller's membership of the auction.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MembershipView {
    pub auction_id: AuctionId,
    pub user_id: UserId,
    pub role: MembershipRole,
    pub bidder_number: Option<u32>,
    pub status: MembershipStatus,
}

impl From<MembershipRecord> for MembershipView {
    fn from(membership: MembershipRecord) -> Self {
        Self {
            auction_id: membership.auction_id,
            user_id: membership.user_id,
            role: membership.role.narrowed_by(membership.role_override),
            bidder_number: membership.bidder_number,
            status: membership.status,
        }
    }
}

/// Joins a private auction by its code (joining again answers the same membership).
#[utoipa::path(
    post,
    path = "/auctions/join",
    tag = "catalog",
    operation_id = "joinAuction",
    security(("bearer" = [])),
    request_body = JoinRequest,
    responses(
        (status = 200, description = "The caller's membership.", body = MembershipView),
        (status = 403, description = "`MEMBERSHIP_REVOKED`, or the caller may not join auctions.", body = shared::http::Problem),
        (status = 404, description = "`NOT_FOUND`: no auction has this code (`detail` says so).", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_auctions_join(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    caller.require("auction:join")?;
    let body: JoinRequest = parse_json_body(&request)?;
    // A code that is not one, one no auction holds (any more) and one of a draft: one answer.
    let unknown = || ApiError::NotFoundSaying(UNKNOWN_CODE);
    let code = AuctionCode::parse(&body.auction_code).ok_or_else(unknown)?;
    let claim = state
        .store
        .get::<AuctionCodeRecord>(code.as_str(), Read::Strong)
        .await?
        .ok_or_else(unknown)?;
    let auction = state
        .store
        .get::<AuctionRecord>(&claim.auction_id.to_string(), Read::Strong)
        .await?
        .filter(|auction| auction.status.is_published())
        .ok_or_else(unknown)?;
    let membership = join(&state.store, auction.id, caller.id(), state.clock.now()).await?;
    json(StatusCode::OK, &MembershipView::from(membership))
}

/// The membership of `user` in `auction`, made with the next bidder number if there is none.
/// Also used when a bidder's first bid in a public auction makes them a member.
pub async fn join(
    store: &Store,
    auction: AuctionId,
    user: UserId,
    now: Timestamp,
) -> Result<MembershipRecord, ApiError> {
    let key = MembershipRecord::key(auction, user);
    if let Some(existing) = store.get::<MembershipRecord>(&key, Read::Strong).await? {
        return settled(existing);
    }
    // The counter hands out each number once; a number whose membership then loses a race to
    // a concurrent join of the same user is simply never used.
    let next = Update::new("SET #last = if_not_exists(#last, :before) + :one")
        .name("#last", "last")
        .value(":before", n(FIRST_BIDDER_NUMBER - 1))
        .value(":one", n(1))
        .upsert();
    let counter: BidderCounterRecord = store.update(&auction.to_string(), next).await?;
    let membership = MembershipRecord {
        id: key.clone(),
        auction_id: auction,
        user_id: user,
        role: MembershipRole::Bidder,
        role_override: None,
        status: MembershipStatus::Active,
        bidder_number: Some(counter.last),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    // The number rides on the user record too (which the guard reads on every request), so a
    // bid needs no read of the membership.
    let joined = store.transaction().create(&membership)?.update(
        Collection::Users,
        &user.to_string(),
        cache_bidder_number(auction, counter.last),
    )?;
    match store.transact(joined).await {
        Ok(()) => Ok(membership),
        Err(StoreError::ConditionFailed(failed))
            if failed.collection == Collection::AuctionMemberships =>
        {
            settled(
                failed
                    .current::<MembershipRecord>()?
                    .ok_or(ApiError::NotFound)?,
            )
        }
        Err(StoreError::ConditionFailed(_)) => Err(ApiError::Unauthenticated),
        Err(other) => Err(other.into()),
    }
}

/// Adds `number` in `auction` to the user's cached bidder numbers.
pub fn cache_bidder_number(auction: AuctionId, number: u32) -> Update {
    Update::new("ADD #numbers :entry")
        .name("#numbers", "bidderNumbers")
        .value(
            ":entry",
            AttributeValue::Ss(vec![UserRecord::bidder_number_entry(auction, number)]),
        )
}

fn settled(membership: MembershipRecord) -> Result<MembershipRecord, ApiError> {
    match membership.status {
        MembershipStatus::Active => Ok(membership),
        MembershipStatus::Revoked => Err(ApiError::Forbidden {
            code: "MEMBERSHIP_REVOKED",
            detail: "Your membership of this auction was revoked.".into(),
        }),
    }
}
