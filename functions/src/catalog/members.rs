//! `GET /auctions/{auctionId}/members` and `PATCH /auctions/{auctionId}/members/{userId}`:
//! who takes part in an auction, in which role, run by its owner, managers and staff; with
//! `?q=`, a bidder found by number, email or name (clerks too, at the door and the floor).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use shared::audit::{self, AuditAction, AuditRecord, audited_update};
use shared::catalog::access::Power;
use shared::catalog::{MembershipRecord, MembershipRole, MembershipStatus};
use shared::domain::{AuctionId, Timestamp, UserId};
use shared::http::{
    ApiError, FieldError, check_cursor, json, page_parameters_into, parse_json_body,
    path_parameter, query_parameter, refused_query,
};
use shared::identity::{EmailIndexRecord, UserRecord};
use shared::store::{Condition, Index, Query, Read, Update, n, s, to_attribute};

use super::auctions::visible_auction;
use crate::AppState;

/// Runs any auction's members (administrators hold it; staff do not).
const MANAGE_ANY: &str = "membership:manage:any";
const MANAGE_OWN: &str = "membership:manage:own";

/// A member of an auction.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberView {
    pub user_id: UserId,
    pub role: MembershipRole,
    pub role_override: Option<MembershipRole>,
    /// The role in force: the role narrowed by the override.
    pub effective_role: MembershipRole,
    pub status: MembershipStatus,
    pub bidder_number: Option<u32>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// In the answers to a search (`q`) only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl MemberView {
    /// The member with their account's name and email (what a search shows).
    fn with_account(membership: MembershipRecord, user: &UserRecord) -> Self {
        Self {
            display_name: Some(user.display_name.clone()),
            email: Some(user.email.clone()),
            ..Self::from(membership)
        }
    }
}

impl From<MembershipRecord> for MemberView {
    fn from(m: MembershipRecord) -> Self {
        Self {
            user_id: m.user_id,
            effective_role: m.role.narrowed_by(m.role_override),
            role: m.role,
            role_override: m.role_override,
            status: m.status,
            bidder_number: m.bidder_number,
            created_at: m.created_at,
            updated_at: m.updated_at,
            display_name: None,
            email: None,
        }
    }
}

/// A page of members.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberList {
    pub items: Vec<MemberView>,
    pub next_cursor: Option<String>,
}

/// A change of a member's role, override (`null` removes it) or status.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MemberChange {
    pub role: Option<MembershipRole>,
    #[serde(default, deserialize_with = "shared::http::nullable")]
    #[schema(value_type = Option<MembershipRole>)]
    pub role_override: Option<Option<MembershipRole>>,
    pub status: Option<MembershipStatus>,
}

/// Lists an auction's members (owner, managers, staff).
#[utoipa::path(
    get,
    path = "/auctions/{auctionId}/members",
    tag = "catalog",
    operation_id = "listMembers",
    security(("bearer" = [])),
    params(
        ("auctionId" = String, Path, description = "The auction's id."),
        ("q" = Option<String>, Query, description = "Find bidders: a bidder number (`104`), an email (exactly), or part of a name (any case; a page reads `limit` members and keeps those whose name matches, so follow `nextCursor`). Answers carry `displayName` and `email`; clerks may search too."),
        ("limit" = Option<u32>, Query, description = "1 to 100, default 20."),
        ("cursor" = Option<String>, Query, description = "From the previous page."),
    ),
    responses(
        (status = 200, description = "A page of members.", body = MemberList),
        (status = 422, description = "A `q` of more than 100 characters, or a bad `limit` or `cursor`.", body = shared::http::Problem),
        (status = 403, description = "Not the auction's owner, a manager or staff.", body = shared::http::Problem),
        (status = 404, description = "No such auction the caller may see.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_auctions_auction_members(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let (auction, access) = visible_auction(state, &request, Some(&caller)).await?;
    if let Some(q) = query_parameter(&request, "q") {
        access.require(&auction, Power::FindBidders)?;
        return json(StatusCode::OK, &find(state, &request, auction.id, q).await?);
    }
    access.require(&auction, Power::ReadMembers)?;
    let mut errors = Vec::new();
    let (limit, cursor) = page_parameters_into(&request, &mut errors);
    let query = Query::index(Index::MEMBERSHIPS_BY_AUCTION, s(auction.id.to_string()))
        .limit(limit)
        .after(cursor.as_deref());
    check_cursor(&query, &mut errors);
    refused_query(errors)?;
    let page = state.store.query::<MembershipRecord>(query).await?;
    let list = MemberList {
        next_cursor: page.next_cursor,
        items: page.items.into_iter().map(MemberView::from).collect(),
    };
    json(StatusCode::OK, &list)
}

/// The members `q` names: the bidder of that number, the member of that email, or a page of
/// members whose name holds it.
async fn find(
    state: &AppState,
    request: &Request,
    auction: AuctionId,
    q: &str,
) -> Result<MemberList, ApiError> {
    let q = q.trim();
    let mut errors = Vec::new();
    let (limit, cursor) = page_parameters_into(request, &mut errors);
    if q.is_empty() || q.chars().count() > 100 {
        errors.push(FieldError::new("q", "must be 1 to 100 characters"));
    }
    let by_name = Query::index(Index::MEMBERSHIPS_BY_AUCTION, s(auction.to_string()))
        .limit(limit)
        .after(cursor.as_deref());
    check_cursor(&by_name, &mut errors);
    refused_query(errors)?;
    let members: Vec<MembershipRecord> = if let Ok(number) = q.parse::<u32>() {
        state
            .store
            .query::<MembershipRecord>(
                Query::index(Index::MEMBERSHIPS_BY_NUMBER, s(auction.to_string()))
                    .sort(Condition::new("#sort = :number").value(":number", n(number)))
                    .limit(2),
            )
            .await?
            .items
    } else if q.contains('@') {
        let claim = state
            .store
            .get::<EmailIndexRecord>(&q.to_lowercase(), Read::Strong)
            .await?;
        match claim {
            Some(claim) => state
                .store
                .get::<MembershipRecord>(
                    &MembershipRecord::key(auction, claim.user_id),
                    Read::Strong,
                )
                .await?
                .into_iter()
                .collect(),
            None => Vec::new(),
        }
    } else {
        let page = state.store.query::<MembershipRecord>(by_name).await?;
        let accounts = accounts_of(state, &page.items).await?;
        let wanted = q.to_lowercase();
        let items = page
            .items
            .into_iter()
            .filter_map(|m| {
                let user = accounts.iter().find(|u| u.id == m.user_id)?;
                user.display_name
                    .to_lowercase()
                    .contains(&wanted)
                    .then(|| MemberView::with_account(m, user))
            })
            .collect();
        return Ok(MemberList {
            items,
            next_cursor: page.next_cursor,
        });
    };
    let accounts = accounts_of(state, &members).await?;
    let items = members
        .into_iter()
        .filter_map(|m| {
            let user = accounts.iter().find(|u| u.id == m.user_id)?;
            Some(MemberView::with_account(m, user))
        })
        .collect();
    Ok(MemberList {
        items,
        next_cursor: None,
    })
}

/// The accounts of `members`, in one batched read.
async fn accounts_of(
    state: &AppState,
    members: &[MembershipRecord],
) -> Result<Vec<UserRecord>, ApiError> {
    let keys: Vec<String> = members.iter().map(|m| m.user_id.to_string()).collect();
    Ok(state
        .store
        .get_many::<UserRecord>(&keys, Read::Eventual)
        .await?)
}

/// Changes a member's role, override or status (owner, managers, administrators). The
/// owner's own membership is not changed here, and no one is made owner.
///
/// The auction's owner (while they hold `membership:manage:own`), its managers, and anyone
/// holding `membership:manage:any` (administrators) may; platform staff may not. Only the
/// owner and administrators appoint managers or change a manager's membership.
#[utoipa::path(
    patch,
    path = "/auctions/{auctionId}/members/{userId}",
    tag = "catalog",
    operation_id = "updateMember",
    security(("bearer" = [])),
    params(
        ("auctionId" = String, Path, description = "The auction's id."),
        ("userId" = String, Path, description = "The member's user id."),
    ),
    request_body = MemberChange,
    responses(
        (status = 200, description = "The membership as it is now.", body = MemberView),
        (status = 403, description = "Not the auction's owner, a manager or an administrator.", body = shared::http::Problem),
        (status = 404, description = "No such auction or member.", body = shared::http::Problem),
        (status = 422, description = "The owner's membership, or a role of owner.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn patch_auctions_auction_members_user(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let (auction, access) = visible_auction(state, &request, Some(&caller)).await?;
    access.require(&auction, Power::ManageMembers)?;
    let user: UserId = path_parameter(&request, "userId")?;
    let change: MemberChange = parse_json_body(&request)?;
    let member = state
        .store
        .get::<MembershipRecord>(&MembershipRecord::key(auction.id, user), Read::Strong)
        .await?
        .ok_or(ApiError::NotFound)?;
    if member.role == MembershipRole::Owner {
        return Err(ApiError::invalid(
            "role",
            "the owner's membership cannot be changed",
        ));
    }
    if change.role == Some(MembershipRole::Owner)
        || change.role_override == Some(Some(MembershipRole::Owner))
    {
        return Err(ApiError::invalid(
            "role",
            "an auction has one owner, its creator",
        ));
    }
    // Managers run bidders and clerks; only the owner and administrators appoint managers.
    let appoints_manager =
        change.role == Some(MembershipRole::Manager) || member.role == MembershipRole::Manager;
    if appoints_manager
        && !(access.owns_with(MANAGE_OWN) || access.permissions.contains(MANAGE_ANY))
    {
        return Err(ApiError::Forbidden {
            code: "FORBIDDEN",
            detail: "Only the owner or an administrator appoints or changes managers.".into(),
        });
    }

    let now = state.clock.now();
    let mut set = vec![("updatedAt", s(now.to_string()))];
    let mut remove = Vec::new();
    let mut audits = Vec::new();
    let audit = |action| {
        let mut entry = AuditRecord::new(action, Some(caller.id()), now).target(user);
        entry.auction_id = Some(auction.id);
        entry
    };
    if let Some(role) = change.role.filter(|role| *role != member.role) {
        set.push(("role", to_attribute(&role)?));
        audits.push(
            audit(AuditAction::MembershipRoleChanged)
                .detail("role", audit::change(&member.role, &role)),
        );
    }
    match change.role_override {
        Some(Some(narrower)) if Some(narrower) != member.role_override => {
            set.push(("roleOverride", to_attribute(&narrower)?));
            audits.push(audit(AuditAction::MembershipRoleChanged).detail(
                "roleOverride",
                audit::change(&member.role_override, &narrower),
            ));
        }
        Some(None) if member.role_override.is_some() => {
            remove.push("roleOverride");
            audits.push(audit(AuditAction::MembershipRoleChanged).detail(
                "roleOverride",
                audit::change(&member.role_override, &serde_json::Value::Null),
            ));
        }
        _ => {}
    }
    if let Some(status) = change.status.filter(|status| *status != member.status) {
        set.push(("status", to_attribute(&status)?));
        audits.push(
            audit(AuditAction::MembershipStatusChanged)
                .detail("status", audit::change(&member.status, &status)),
        );
    }
    let update =
        Update::fields(set, &remove).when(Condition::version_is("version", member.version));
    let updated: MembershipRecord = audited_update(&state.store, &member.id, update, &audits)
        .await?
        .ok_or(ApiError::NotFound)?;
    json(StatusCode::OK, &MemberView::from(updated))
}
