//! `POST /auctions/{auctionId}/check-in`: a clerk or manager registers a walk-in bidder at the
//! door, finding their account by email or making one on the spot, and hands out the
//! auction's next bidder number (the one they already hold, if they joined before).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use shared::audit::{AuditAction, AuditRecord};
use shared::catalog::access::Power;
use shared::domain::UserId;
use shared::http::{ApiError, json, parse_json_body};
use shared::identity::{EmailIndexRecord, GlobalRole, Secret, UserRecord, UserStatus, profile};
use shared::store::Read;

use super::auctions::{require_running, visible_auction};
use super::join::join;
use crate::AppState;
use crate::identity::accounts::{self, NewAccount};

/// The group a walk-in's new account joins (a bidder's).
const WALK_IN_GROUP: &str = "auction_user";

/// Who walked in.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CheckIn {
    #[serde(deserialize_with = "shared::http::checked::<profile::Email, _>")]
    pub email: String,
    /// Needed when no account has this email (1 to 80 characters).
    #[serde(default, deserialize_with = "checked_name")]
    pub display_name: Option<String>,
}

fn checked_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    shared::http::checked::<profile::DisplayName, D>(d).map(Some)
}

/// The bidder checked in.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckedIn {
    pub user_id: UserId,
    pub display_name: String,
    pub bidder_number: Option<u32>,
    /// An account was made on the spot (it has no password yet: the bidder bids on the
    /// floor by number).
    pub account_created: bool,
}

/// Checks a walk-in bidder in (the owner with `checkin:run:own`, its managers and clerks,
/// staff with `checkin:run:any`).
#[utoipa::path(
    post,
    path = "/auctions/{auctionId}/check-in",
    tag = "event",
    operation_id = "checkInBidder",
    security(("bearer" = [])),
    params(("auctionId" = String, Path, description = "The auction's id.")),
    request_body = CheckIn,
    responses(
        (status = 200, description = "An existing account, now a bidder of the auction with its number.", body = CheckedIn),
        (status = 201, description = "An account made on the spot, a bidder with the next number.", body = CheckedIn),
        (status = 403, description = "Not one who runs the auction; or `MEMBERSHIP_REVOKED`, `NOT_ALLOWED_TO_BID` (the artist, a disabled account).", body = shared::http::Problem),
        (status = 404, description = "No such auction the caller may see.", body = shared::http::Problem),
        (status = 409, description = "`AUCTION_NOT_RUNNING`: not published, or complete.", body = shared::http::Problem),
        (status = 422, description = "A bad email, or `displayName` missing for a new account.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_auctions_auction_check_in(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let (auction, access) = visible_auction(state, &request, Some(&caller)).await?;
    access.require(&auction, Power::CheckIn)?;
    let body: CheckIn = parse_json_body(&request)?;
    require_running(&auction, "Bidders are checked in")?;
    let now = state.clock.now();
    let existing = match state
        .store
        .get::<EmailIndexRecord>(&body.email, Read::Strong)
        .await?
    {
        Some(claim) => {
            state
                .store
                .get::<UserRecord>(&claim.user_id.to_string(), Read::Strong)
                .await?
        }
        None => None,
    };
    let (user, created) = match existing {
        Some(user) => (user, false),
        None => {
            let display_name = body
                .display_name
                .clone()
                .ok_or_else(|| ApiError::invalid("displayName", "is required for a new account"))?;
            let account = NewAccount {
                username: walk_in_username(&body.email),
                email: body.email.clone(),
                display_name,
                // Nobody knows it: the account signs in once its owner sets a password.
                password: Secret::new(
                    shared::identity::sessions::random_secret().map_err(ApiError::Unexpected)?,
                ),
            };
            let user = account.into_record(GlobalRole::User, vec![WALK_IN_GROUP.into()], now)?;
            let mut audit = AuditRecord::new(AuditAction::UserCreated, Some(caller.id()), now)
                .target(user.id)
                .detail("source", "check-in");
            audit.auction_id = Some(auction.id);
            accounts::create(
                &state.store,
                accounts::creation(&state.store, &user)?.create(&audit)?,
            )
            .await?;
            (user, true)
        }
    };
    if user.status != UserStatus::Active || user.id == auction.owner_id {
        return Err(ApiError::Forbidden {
            code: "NOT_ALLOWED_TO_BID",
            detail: "This account cannot bid in this auction.".into(),
        });
    }
    let membership = join(&state.store, auction.id, user.id, now).await?;
    tracing::info!(auction.id = %auction.id, created, "bidder checked in");
    json(
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        &CheckedIn {
            user_id: user.id,
            display_name: user.display_name,
            bidder_number: membership.bidder_number,
            account_created: created,
        },
    )
}

/// A username for a walk-in: the email's local part made to fit the username rule, with a
/// random suffix so two walk-ins named alike never collide.
fn walk_in_username(email: &str) -> String {
    let local: String = email
        .split('@')
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .take(16)
        .collect();
    let stem = if local.starts_with(|c: char| c.is_ascii_lowercase()) {
        local
    } else {
        format!("guest{local}")
    };
    format!(
        "{}-{:08x}",
        stem.chars().take(20).collect::<String>(),
        fastrand::u32(..)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_in_usernames_follow_the_username_rule() {
        for email in [
            "ada.lovelace@example.com",
            "7@example.com",
            "ÉMILE+x@example.com",
        ] {
            let name = walk_in_username(email);
            assert!(name.len() <= 30, "{name}");
            assert!(name.starts_with(|c: char| c.is_ascii_lowercase()), "{name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'),
                "{name}"
            );
        }
    }
}
