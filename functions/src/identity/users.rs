//! `GET|POST /users`, `GET|PATCH|DELETE /users/{userId}`: accounts created and managed by
//! administrators. Every change is audited (`user_created`, `user_updated`, `role_changed`,
//! `pii_purged`) in the same transaction.

use std::collections::BTreeSet;

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use shared::audit::{self, AuditAction, AuditRecord, audited_update};
use shared::domain::{Timestamp, UserId};
use shared::http::{
    ApiError, check_cursor, json, no_content, page_parameters_into, parse_json_body,
    path_parameter, refused_query,
};
use shared::identity::{Caller, GlobalRole, GroupRecord, Secret, UserRecord, UserStatus, profile};
use shared::store::{Condition, Index, Query, Read, Update, s, to_attribute};

use super::accounts::{self, NewAccount};
use super::purge::purge;
use super::view::UserView;
use crate::AppState;

/// Creating and changing accounts (administrators); reading them takes `user:read:any`,
/// which staff hold too.
const USER_MANAGE: &str = "user:manage";
const USER_READ: &str = "user:read:any";

/// An account in a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserSummary {
    pub id: UserId,
    pub email: String,
    pub username: String,
    pub display_name: String,
    pub user_role: GlobalRole,
    pub groups: Vec<String>,
    pub status: UserStatus,
    pub created_at: Timestamp,
}

/// A page of accounts, oldest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserList {
    pub items: Vec<UserSummary>,
    pub next_cursor: Option<String>,
}

/// An account an administrator creates.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewUser {
    #[serde(deserialize_with = "shared::http::checked::<profile::Email, _>")]
    pub email: String,
    /// 3 to 30 characters: lower-case letters, digits, `-` or `_`, starting with a letter.
    #[serde(deserialize_with = "shared::http::checked::<profile::Username, _>")]
    pub username: String,
    /// 1 to 80 characters.
    #[serde(deserialize_with = "shared::http::checked::<profile::DisplayName, _>")]
    pub display_name: String,
    /// 8 to 128 characters.
    #[serde(deserialize_with = "shared::http::checked::<profile::NewPassword, _>")]
    pub password: Secret,
    /// Default `user`.
    pub user_role: Option<GlobalRole>,
    /// Default `["auction_user"]`; every group must exist.
    pub groups: Option<Vec<String>>,
}

/// What an administrator may change on an account.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserChanges {
    /// `active` or `disabled` (purging is `DELETE`).
    pub status: Option<UserStatus>,
    pub user_role: Option<GlobalRole>,
    pub groups: Option<Vec<String>>,
    /// 1 to 80 characters.
    #[serde(
        default,
        deserialize_with = "shared::http::checked_option::<profile::DisplayName, _>"
    )]
    pub display_name: Option<String>,
}

/// Lists accounts (staff and administrators).
///
/// Needs `user:read:any`, which staff and administrators hold.
#[utoipa::path(
    get,
    path = "/users",
    tag = "administration",
    operation_id = "listUsers",
    security(("bearer" = [])),
    params(
        ("limit" = Option<u32>, Query, description = "1 to 100, default 20."),
        ("cursor" = Option<String>, Query, description = "From the previous page."),
    ),
    responses(
        (status = 200, description = "A page of accounts.", body = UserList),
        (status = 403, description = "The caller lacks `user:read:any` (staff and administrators hold it).", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_users(state: &AppState, request: Request) -> Result<Response<Body>, ApiError> {
    state.caller(&request).await?.require(USER_READ)?;
    let mut errors = Vec::new();
    let (limit, cursor) = page_parameters_into(&request, &mut errors);
    let query = Query::index(Index::USERS_BY_ENTITY, s(UserRecord::ENTITY))
        .limit(limit)
        .after(cursor.as_deref());
    check_cursor(&query, &mut errors);
    refused_query(errors)?;
    let page = state.store.query::<UserRecord>(query).await?;
    let list = UserList {
        next_cursor: page.next_cursor,
        items: page
            .items
            .into_iter()
            .map(|user| UserSummary {
                id: user.id,
                email: user.email,
                username: user.username,
                display_name: user.display_name,
                user_role: user.user_role,
                groups: user.groups,
                status: user.status,
                created_at: user.created_at,
            })
            .collect(),
    };
    json(StatusCode::OK, &list)
}

/// Creates an account with chosen roles and groups (administrators).
///
/// Needs `user:manage`, which administrators hold; staff only read accounts. Only an
/// administrator (`userRole: admin`) makes another one.
#[utoipa::path(
    post,
    path = "/users",
    tag = "administration",
    operation_id = "createUser",
    security(("bearer" = [])),
    request_body = NewUser,
    responses(
        (status = 201, description = "The account.", body = UserView),
        (status = 403, description = "The caller lacks `user:manage` (administrators hold it; staff only read accounts), or is not an administrator and asked for `userRole: admin`.", body = shared::http::Problem),
        (status = 409, description = "`EMAIL_TAKEN` or `USERNAME_TAKEN`.", body = shared::http::Problem),
        (status = 422, description = "Invalid fields or unknown groups.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_users(state: &AppState, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    caller.require(USER_MANAGE)?;
    let new_user: NewUser = parse_json_body(&request)?;
    let account = NewAccount {
        email: new_user.email,
        username: new_user.username,
        display_name: new_user.display_name,
        password: new_user.password,
    };
    let groups = existing_groups(
        state,
        new_user
            .groups
            .unwrap_or_else(|| vec!["auction_user".into()]),
    )
    .await?;
    let role = new_user.user_role.unwrap_or(GlobalRole::User);
    only_admins_grant_admin(&caller, role)?;
    let now = state.clock.now();
    let user = account.into_record(role, groups.clone(), now)?;
    let audit = AuditRecord::new(AuditAction::UserCreated, Some(caller.id()), now)
        .target(user.id)
        .detail("userRole", role.as_str())
        .detail("groups", groups);
    accounts::create(
        &state.store,
        accounts::creation(&state.store, &user)?.create(&audit)?,
    )
    .await?;
    let created = Caller::load(&state.store, user).await?;
    json(StatusCode::CREATED, &UserView::from(created))
}

/// One account with its effective permissions (staff and administrators).
///
/// Needs `user:read:any`, which staff and administrators hold.
#[utoipa::path(
    get,
    path = "/users/{userId}",
    tag = "administration",
    operation_id = "getUser",
    security(("bearer" = [])),
    params(("userId" = String, Path, description = "The account's id.")),
    responses(
        (status = 200, description = "The account.", body = UserView),
        (status = 403, description = "The caller lacks `user:read:any` (staff and administrators hold it).", body = shared::http::Problem),
        (status = 404, description = "No such account.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_users_user(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    state.caller(&request).await?.require(USER_READ)?;
    let user = target_user(state, &request).await?;
    json(
        StatusCode::OK,
        &UserView::from(Caller::load(&state.store, user).await?),
    )
}

/// Disables or enables an account, changes its role, groups or name (administrators).
///
/// Needs `user:manage`, which administrators hold; staff only read accounts. Only an
/// administrator (`userRole: admin`) makes, changes or disables an administrator.
#[utoipa::path(
    patch,
    path = "/users/{userId}",
    tag = "administration",
    operation_id = "updateUser",
    security(("bearer" = [])),
    params(("userId" = String, Path, description = "The account's id.")),
    request_body = UserChanges,
    responses(
        (status = 200, description = "The account as it is now.", body = UserView),
        (status = 403, description = "The caller lacks `user:manage` (administrators hold it; staff only read accounts), or is not an administrator and the change makes or touches one.", body = shared::http::Problem),
        (status = 404, description = "No such account.", body = shared::http::Problem),
        (status = 422, description = "Invalid changes.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn patch_users_user(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    caller.require(USER_MANAGE)?;
    let user = target_user(state, &request).await?;
    let changes: UserChanges = parse_json_body(&request)?;
    only_admins_touch_admins(&caller, &user)?;
    if user.status == UserStatus::Purged {
        return Err(ApiError::NotFound);
    }
    if changes.status == Some(UserStatus::Purged) {
        return Err(ApiError::invalid(
            "status",
            "must be active or disabled (DELETE purges)",
        ));
    }
    // An administrator cannot lock themselves out of administration.
    if user.id == caller.id()
        && (changes.status == Some(UserStatus::Disabled)
            || changes
                .user_role
                .is_some_and(|role| role != GlobalRole::Admin))
    {
        return Err(ApiError::invalid(
            "userRole",
            "you cannot remove your own administrator access",
        ));
    }
    if let Some(role) = changes.user_role {
        only_admins_grant_admin(&caller, role)?;
    }
    let groups = match changes.groups {
        Some(groups) => Some(existing_groups(state, groups).await?),
        None => None,
    };
    let display_name = changes.display_name;

    let now = state.clock.now();
    let mut set = vec![("updatedAt", s(now.to_string()))];
    let mut user_updated =
        AuditRecord::new(AuditAction::UserUpdated, Some(caller.id()), now).target(user.id);
    let mut role_changed =
        AuditRecord::new(AuditAction::RoleChanged, Some(caller.id()), now).target(user.id);
    if let Some(status) = changes.status.filter(|status| *status != user.status) {
        set.push(("status", to_attribute(&status)?));
        user_updated = user_updated.detail("status", audit::change(&user.status, &status));
    }
    if let Some(name) = display_name.filter(|name| *name != user.display_name) {
        user_updated = user_updated.detail("displayName", audit::change(&user.display_name, &name));
        set.push(("displayName", s(name)));
    }
    if let Some(role) = changes.user_role.filter(|role| *role != user.user_role) {
        set.push(("userRole", s(role.as_str())));
        role_changed = role_changed.detail("userRole", audit::change(&user.user_role, &role));
    }
    if let Some(groups) = groups.filter(|groups| *groups != user.groups) {
        set.push(("groups", to_attribute(&groups)?));
        role_changed = role_changed.detail("groups", audit::change(&user.groups, &groups));
    }
    let update = Update::fields(set, &[]).when(Condition::version_is("version", user.version));
    let audits: Vec<AuditRecord> = [user_updated, role_changed]
        .into_iter()
        .filter(|audit| !audit.details.is_empty())
        .collect();
    let updated: UserRecord = audited_update(&state.store, &user.id.to_string(), update, &audits)
        .await?
        .ok_or(ApiError::NotFound)?;
    json(
        StatusCode::OK,
        &UserView::from(Caller::load(&state.store, updated).await?),
    )
}

/// Purges an account's personal data (administrators); its bids stay, anonymised.
///
/// Needs `pii:purge`, which administrators hold; staff may not. Only an administrator
/// (`userRole: admin`) purges an administrator.
#[utoipa::path(
    delete,
    path = "/users/{userId}",
    tag = "administration",
    operation_id = "purgeUser",
    security(("bearer" = [])),
    params(("userId" = String, Path, description = "The account's id.")),
    responses(
        (status = 204, description = "Purged; the account can no longer sign in."),
        (status = 403, description = "The caller lacks `pii:purge` (administrators hold it; staff may not), or is not an administrator and the account is one.", body = shared::http::Problem),
        (status = 404, description = "No such account.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn delete_users_user(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    caller.require("pii:purge")?;
    let user = target_user(state, &request).await?;
    refuse_purging_an_administrator_s_own_account(&caller, &user)?;
    only_admins_touch_admins(&caller, &user)?;
    if user.status != UserStatus::Purged {
        purge(state, &user, caller.id()).await?;
    }
    no_content()
}

/// Making an administrator takes one: `user:manage` alone does not.
fn only_admins_grant_admin(caller: &Caller, role: GlobalRole) -> Result<(), ApiError> {
    if role == GlobalRole::Admin && caller.user.user_role != GlobalRole::Admin {
        return Err(ApiError::Forbidden {
            code: "FORBIDDEN",
            detail: "Only an administrator may make an administrator.".into(),
        });
    }
    Ok(())
}

/// Only an administrator demotes, disables or purges an administrator: `user:manage` or
/// `pii:purge` granted to operators does not reach the platform's owners.
fn only_admins_touch_admins(caller: &Caller, user: &UserRecord) -> Result<(), ApiError> {
    if user.user_role == GlobalRole::Admin && caller.user.user_role != GlobalRole::Admin {
        return Err(ApiError::Forbidden {
            code: "FORBIDDEN",
            detail: "Only an administrator may change or purge an administrator.".into(),
        });
    }
    Ok(())
}

/// An administrator does not purge their own account: that could leave the platform without
/// one. Another administrator can.
pub(super) fn refuse_purging_an_administrator_s_own_account(
    caller: &Caller,
    user: &UserRecord,
) -> Result<(), ApiError> {
    if user.id == caller.id() && caller.user.user_role == GlobalRole::Admin {
        return Err(ApiError::conflict(
            "ADMINISTRATOR_SELF_PURGE",
            "An administrator's account is purged by another administrator.",
        ));
    }
    Ok(())
}

/// The account named by the path, or 404.
async fn target_user(state: &AppState, request: &Request) -> Result<UserRecord, ApiError> {
    let id: UserId = path_parameter(request, "userId")?;
    state
        .store
        .get::<UserRecord>(&id.to_string(), Read::Strong)
        .await?
        .ok_or(ApiError::NotFound)
}

/// `groups`, deduplicated, if every one exists; otherwise a 422 naming the unknown ones.
async fn existing_groups(state: &AppState, groups: Vec<String>) -> Result<Vec<String>, ApiError> {
    let wanted: BTreeSet<String> = groups.into_iter().collect();
    let found: BTreeSet<String> = state
        .store
        .get_many::<GroupRecord>(&wanted.iter().cloned().collect::<Vec<_>>(), Read::Strong)
        .await?
        .into_iter()
        .map(|group| group.name)
        .collect();
    let unknown: Vec<&str> = wanted.difference(&found).map(String::as_str).collect();
    if unknown.is_empty() {
        Ok(wanted.into_iter().collect())
    } else {
        Err(ApiError::invalid(
            "groups",
            format!("do not exist: {}", unknown.join(", ")),
        ))
    }
}
