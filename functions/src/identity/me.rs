//! `GET /me` and `PATCH /me`: the caller's own account.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::http::{ApiError, json, parse_json_body};
use shared::identity::{Caller, NotificationPreferences, UserRecord, profile};
use shared::store::{AttributeValue, Update, s, to_attribute};

use super::view::UserView;
use crate::AppState;

/// The caller's account with their effective roles and permissions.
#[utoipa::path(
    get,
    path = "/me",
    tag = "identity",
    operation_id = "getMe",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's account.", body = UserView),
        (status = 401, description = "No valid token.", body = shared::http::Problem),
        (status = 403, description = "`ACCOUNT_DISABLED`.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_me(state: &AppState, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    caller.require("profile:read:own")?;
    json(StatusCode::OK, &UserView::from(caller))
}

/// Profile fields only; `null` clears an optional one. Anything else (roles, status,
/// permissions, email) is refused with a 422.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProfileUpdate {
    /// 1 to 80 characters.
    #[serde(
        default,
        deserialize_with = "shared::http::checked_option::<profile::DisplayName, _>"
    )]
    pub display_name: Option<String>,
    /// 1 to 80 characters.
    #[serde(
        default,
        deserialize_with = "shared::http::checked_nullable::<profile::NamePart, _>"
    )]
    #[schema(value_type = Option<String>)]
    pub given_name: Option<Option<String>>,
    /// 1 to 80 characters.
    #[serde(
        default,
        deserialize_with = "shared::http::checked_nullable::<profile::NamePart, _>"
    )]
    #[schema(value_type = Option<String>)]
    pub family_name: Option<Option<String>>,
    /// 1 to 80 characters.
    #[serde(
        default,
        deserialize_with = "shared::http::checked_nullable::<profile::NamePart, _>"
    )]
    #[schema(value_type = Option<String>)]
    pub nick_name: Option<Option<String>>,
    /// An https URL.
    #[serde(
        default,
        deserialize_with = "shared::http::checked_nullable::<profile::Picture, _>"
    )]
    #[schema(value_type = Option<String>)]
    pub picture: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "shared::http::checked_nullable::<profile::Phone, _>"
    )]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// An IANA time zone.
    #[serde(
        default,
        deserialize_with = "shared::http::checked_nullable::<profile::TimeZone, _>"
    )]
    #[schema(value_type = Option<String>)]
    pub time_zone: Option<Option<String>>,
    pub notification_preferences: Option<NotificationPreferences>,
}

/// Updates the caller's profile.
#[utoipa::path(
    patch,
    path = "/me",
    tag = "identity",
    operation_id = "patchMe",
    security(("bearer" = [])),
    request_body = ProfileUpdate,
    responses(
        (status = 200, description = "The updated account.", body = UserView),
        (status = 401, description = "No valid token.", body = shared::http::Problem),
        (status = 422, description = "Invalid or read-only fields.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn patch_me(state: &AppState, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    caller.require("profile:update:own")?;
    let changes: ProfileUpdate = parse_json_body(&request)?;
    let update = profile_update(changes, state.clock.now().to_string())?;
    // Only the named fields change, so a login counter updated meanwhile is never undone.
    let updated: UserRecord = state.store.update(&caller.id().to_string(), update).await?;
    let caller = Caller::load(&state.store, updated).await?;
    json(StatusCode::OK, &UserView::from(caller))
}

/// The update expression for `changes` (whose fields their rules checked as they were parsed).
fn profile_update(changes: ProfileUpdate, now: String) -> Result<Update, ApiError> {
    let optional = [
        ("givenName", changes.given_name),
        ("familyName", changes.family_name),
        ("nickName", changes.nick_name),
        ("picture", changes.picture),
        ("phone", changes.phone),
        ("timeZone", changes.time_zone),
    ];
    let mut set = vec![("updatedAt", s(now))];
    let mut remove = Vec::new();
    if let Some(name) = changes.display_name {
        set.push(("displayName", s(name)));
    }
    for (field, change) in optional {
        match change {
            None => {}
            Some(None) => remove.push(field),
            Some(Some(value)) => set.push((field, s(value))),
        }
    }
    if let Some(preferences) = changes.notification_preferences {
        let value: AttributeValue = to_attribute(&preferences)?;
        set.push(("notificationPreferences", value));
    }
    Ok(Update::fields(set, &remove))
}
