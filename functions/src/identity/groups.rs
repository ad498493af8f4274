//! `GET /groups`, `PUT /groups/{groupName}`: which roles each group grants, edited by
//! administrators at run time (audited `role_changed`).

use std::collections::BTreeSet;

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use shared::audit::{AuditAction, AuditRecord};
use shared::domain::Timestamp;
use shared::http::{
    ApiError, check_cursor, json, page_parameters_into, parse_json_body, path_parameter,
    refused_query,
};
use shared::identity::{GlobalRole, GroupRecord};
use shared::store::{Index, Query, Read, s};

use super::roles::checked_description;
use crate::AppState;

/// A group and the roles it grants.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupView {
    pub name: String,
    pub description: String,
    pub roles: Vec<GlobalRole>,
    pub updated_at: Timestamp,
}

impl From<GroupRecord> for GroupView {
    fn from(group: GroupRecord) -> Self {
        Self {
            name: group.name,
            description: group.description,
            roles: group.roles,
            updated_at: group.updated_at,
        }
    }
}

/// Every group.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupList {
    pub items: Vec<GroupView>,
    pub next_cursor: Option<String>,
}

/// The roles a group grants (the whole set), and optionally its description.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GroupUpdate {
    pub description: Option<String>,
    pub roles: Vec<GlobalRole>,
}

/// Lists the groups (staff and administrators).
///
/// Needs `group:read`, which staff and administrators hold.
#[utoipa::path(
    get,
    path = "/groups",
    tag = "administration",
    operation_id = "listGroups",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every group.", body = GroupList),
        (status = 403, description = "The caller lacks `group:read` (staff and administrators hold it).", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_groups(state: &AppState, request: Request) -> Result<Response<Body>, ApiError> {
    state.caller(&request).await?.require("group:read")?;
    let mut errors = Vec::new();
    let (limit, cursor) = page_parameters_into(&request, &mut errors);
    let query = Query::index(Index::GROUPS_BY_ENTITY, s(GroupRecord::ENTITY))
        .limit(limit)
        .after(cursor.as_deref());
    check_cursor(&query, &mut errors);
    refused_query(errors)?;
    let page = state.store.query::<GroupRecord>(query).await?;
    let list = GroupList {
        next_cursor: page.next_cursor,
        items: page.items.into_iter().map(GroupView::from).collect(),
    };
    json(StatusCode::OK, &list)
}

/// Creates a group or replaces the roles it grants (administrators).
///
/// Needs `group:manage`, which administrators hold; staff only read groups.
#[utoipa::path(
    put,
    path = "/groups/{groupName}",
    tag = "administration",
    operation_id = "putGroup",
    security(("bearer" = [])),
    params(("groupName" = String, Path, description = "Lower-case letters, digits, '-' or '_'.")),
    request_body = GroupUpdate,
    responses(
        (status = 200, description = "The group as it is now.", body = GroupView),
        (status = 403, description = "The caller lacks `group:manage` (administrators hold it; staff only read groups).", body = shared::http::Problem),
        (status = 422, description = "Invalid name, description or roles.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn put_groups_group_name(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    caller.require("group:manage")?;
    let name: String = path_parameter(&request, "groupName")?;
    let name = shared::identity::profile::username(&name)
        .map_err(|_| ApiError::invalid("groupName", shared::identity::profile::USERNAME_RULE))?;
    let update: GroupUpdate = parse_json_body(&request)?;
    let roles: BTreeSet<GlobalRole> = update.roles.into_iter().collect();
    // Only the account's own userRole makes an administrator, never a group.
    if roles.contains(&GlobalRole::Admin) {
        return Err(ApiError::invalid(
            "roles",
            "a group cannot grant the admin role",
        ));
    }
    let now = state.clock.now();
    let current = state.store.get::<GroupRecord>(&name, Read::Strong).await?;
    let description = match (&update.description, &current) {
        (Some(text), _) => checked_description(text)?,
        (None, Some(group)) => group.description.clone(),
        (None, None) => format!(
            "Grants {}.",
            roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let before: BTreeSet<GlobalRole> = current
        .iter()
        .flat_map(|g| g.roles.iter().copied())
        .collect();
    let updated = GroupRecord {
        name: name.clone(),
        entity: GroupRecord::ENTITY.into(),
        description,
        roles: roles.iter().copied().collect(),
        updated_at: now,
        version: current.as_ref().map_or(1, |g| g.version + 1),
    };
    let role_names =
        |set: &BTreeSet<GlobalRole>| set.iter().map(|r| r.as_str()).collect::<Vec<_>>();
    let audit = AuditRecord::new(AuditAction::RoleChanged, Some(caller.id()), now)
        .target(format!("group:{name}"))
        .detail(
            "added",
            role_names(&roles.difference(&before).copied().collect()),
        )
        .detail(
            "removed",
            role_names(&before.difference(&roles).copied().collect()),
        );
    let transaction = state.store.transaction();
    let transaction = match &current {
        Some(group) => transaction.replace_if_version(&updated, group.version)?,
        None => transaction.create(&updated)?,
    };
    state.store.transact(transaction.create(&audit)?).await?;
    json(StatusCode::OK, &GroupView::from(updated))
}
