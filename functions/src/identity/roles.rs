//! `GET /permissions`, `GET /roles`, `PUT /roles/{roleName}`: the permission catalog and the
//! role → permission map, which administrators edit at run time. Every change is audited
//! (`role_changed`) in the same transaction and takes effect on the next request.

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
use shared::identity::{GlobalRole, PermissionRecord, RoleRecord};
use shared::store::{Index, Query, Read, s};

use crate::AppState;

/// Changing roles (administrators); reading them takes `role:read`, which staff hold too.
pub(super) const ROLE_MANAGE: &str = "role:manage";
const ROLE_READ: &str = "role:read";

/// One permission of the catalog.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PermissionView {
    pub name: String,
    pub description: String,
}

/// The permission catalog.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PermissionList {
    pub items: Vec<PermissionView>,
    pub next_cursor: Option<String>,
}

/// A role and the permissions it grants.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleView {
    pub name: GlobalRole,
    pub description: String,
    pub permissions: Vec<String>,
    pub updated_at: Timestamp,
}

impl From<RoleRecord> for RoleView {
    fn from(role: RoleRecord) -> Self {
        Self {
            name: role.name,
            description: role.description,
            permissions: role.permissions,
            updated_at: role.updated_at,
        }
    }
}

/// Every role.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleList {
    pub items: Vec<RoleView>,
    pub next_cursor: Option<String>,
}

/// A role's new description and permissions (the whole set).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RoleUpdate {
    pub description: String,
    pub permissions: Vec<String>,
}

/// Lists the permission catalog (staff and administrators).
///
/// Needs `role:read`, which staff and administrators hold.
#[utoipa::path(
    get,
    path = "/permissions",
    tag = "administration",
    operation_id = "listPermissions",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The catalog.", body = PermissionList),
        (status = 403, description = "The caller lacks `role:read` (staff and administrators hold it).", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_permissions(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    state.caller(&request).await?.require(ROLE_READ)?;
    let mut errors = Vec::new();
    let (limit, cursor) = page_parameters_into(&request, &mut errors);
    let query = Query::index(Index::PERMISSIONS_BY_ENTITY, s(PermissionRecord::ENTITY))
        .limit(limit)
        .after(cursor.as_deref());
    check_cursor(&query, &mut errors);
    refused_query(errors)?;
    let page = state.store.query::<PermissionRecord>(query).await?;
    let list = PermissionList {
        next_cursor: page.next_cursor,
        items: page
            .items
            .into_iter()
            .map(|p| PermissionView {
                name: p.name,
                description: p.description,
            })
            .collect(),
    };
    json(StatusCode::OK, &list)
}

/// Lists the roles and what they grant (staff and administrators).
///
/// Needs `role:read`, which staff and administrators hold.
#[utoipa::path(
    get,
    path = "/roles",
    tag = "administration",
    operation_id = "listRoles",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every role.", body = RoleList),
        (status = 403, description = "The caller lacks `role:read` (staff and administrators hold it).", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_roles(state: &AppState, request: Request) -> Result<Response<Body>, ApiError> {
    state.caller(&request).await?.require(ROLE_READ)?;
    let mut errors = Vec::new();
    let (limit, cursor) = page_parameters_into(&request, &mut errors);
    let query = Query::index(Index::ROLES_BY_ENTITY, s(RoleRecord::ENTITY))
        .limit(limit)
        .after(cursor.as_deref());
    check_cursor(&query, &mut errors);
    refused_query(errors)?;
    let page = state.store.query::<RoleRecord>(query).await?;
    let list = RoleList {
        next_cursor: page.next_cursor,
        items: page.items.into_iter().map(RoleView::from).collect(),
    };
    json(StatusCode::OK, &list)
}

/// Replaces a role's permissions (administrators).
///
/// Needs `role:manage`, which administrators hold; staff only read roles.
#[utoipa::path(
    put,
    path = "/roles/{roleName}",
    tag = "administration",
    operation_id = "putRole",
    security(("bearer" = [])),
    params(("roleName" = String, Path, description = "One of the six roles.")),
    request_body = RoleUpdate,
    responses(
        (status = 200, description = "The role as it is now.", body = RoleView),
        (status = 403, description = "The caller lacks `role:manage` (administrators hold it; staff only read roles).", body = shared::http::Problem),
        (status = 404, description = "No such role.", body = shared::http::Problem),
        (status = 422, description = "Unknown permissions, or the admin role losing `role:manage`.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn put_roles_role_name(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    caller.require(ROLE_MANAGE)?;
    let name: GlobalRole = path_parameter(&request, "roleName")?;
    let update: RoleUpdate = parse_json_body(&request)?;
    let description = checked_description(&update.description)?;
    let permissions: BTreeSet<String> = update.permissions.into_iter().collect();
    let known: BTreeSet<String> = state
        .store
        .get_many::<PermissionRecord>(
            &permissions.iter().cloned().collect::<Vec<_>>(),
            Read::Strong,
        )
        .await?
        .into_iter()
        .map(|p| p.name)
        .collect();
    let unknown: Vec<&str> = permissions.difference(&known).map(String::as_str).collect();
    if !unknown.is_empty() {
        return Err(ApiError::invalid(
            "permissions",
            format!("are not in the catalog: {}", unknown.join(", ")),
        ));
    }
    if name == GlobalRole::Admin && !permissions.contains(ROLE_MANAGE) {
        return Err(ApiError::invalid(
            "permissions",
            "the admin role must keep role:manage, or no one could change roles again",
        ));
    }

    let current = state
        .store
        .get::<RoleRecord>(name.as_str(), Read::Strong)
        .await?
        .ok_or(ApiError::NotFound)?;
    let before: BTreeSet<String> = current.permissions.iter().cloned().collect();
    let now = state.clock.now();
    let updated = RoleRecord {
        description,
        permissions: permissions.iter().cloned().collect(),
        updated_at: now,
        version: current.version + 1,
        ..current.clone()
    };
    let audit = AuditRecord::new(AuditAction::RoleChanged, Some(caller.id()), now)
        .target(format!("role:{}", name.as_str()))
        .detail(
            "added",
            permissions.difference(&before).cloned().collect::<Vec<_>>(),
        )
        .detail(
            "removed",
            before.difference(&permissions).cloned().collect::<Vec<_>>(),
        );
    let transaction = state
        .store
        .transaction()
        .replace_if_version(&updated, current.version)?
        .create(&audit)?;
    state.store.transact(transaction).await?;
    json(StatusCode::OK, &RoleView::from(updated))
}

/// A description of a role or group: 1 to 200 characters.
pub(super) fn checked_description(text: &str) -> Result<String, ApiError> {
    let text = text.trim();
    if (1..=200).contains(&text.chars().count()) {
        Ok(text.to_string())
    } else {
        Err(ApiError::invalid(
            "description",
            "must be 1 to 200 characters",
        ))
    }
}
