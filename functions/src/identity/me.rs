//! `GET /me` and `PATCH /me`: the caller's own account.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::http::{ApiError, FieldError, json, parse_json_body};
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
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "shared::http::nullable")]
    #[schema(value_type = Option<String>)]
    pub given_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "shared::http::nullable")]
    #[schema(value_type = Option<String>)]
    pub family_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "shared::http::nullable")]
    #[schema(value_type = Option<String>)]
    pub nick_name: Option<Option<String>>,
    /// An https URL.
    #[serde(default, deserialize_with = "shared::http::nullable")]
    #[schema(value_type = Option<String>)]
    pub picture: Option<Option<String>>,
    #[serde(default, deserialize_with = "shared::http::nullable")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// An IANA time zone.
    #[serde(default, deserialize_with = "shared::http::nullable")]
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

/// The update expression for `changes`, or the 422 listing every invalid field.
fn profile_update(changes: ProfileUpdate, now: String) -> Result<Update, ApiError> {
    type Rule = fn(&str) -> Result<String, &'static str>;
    let trimmed: Rule = |text| {
        let text = text.trim();
        if (1..=80).contains(&text.chars().count()) && !text.chars().any(char::is_control) {
            Ok(text.to_string())
        } else {
            Err("must be 1 to 80 characters")
        }
    };
    let optional: [(&str, Option<Option<String>>, Rule); 6] = [
        ("givenName", changes.given_name, trimmed),
        ("familyName", changes.family_name, trimmed),
        ("nickName", changes.nick_name, trimmed),
        ("picture", changes.picture, profile::picture),
        ("phone", changes.phone, profile::phone),
        ("timeZone", changes.time_zone, profile::time_zone),
    ];
    let mut errors = Vec::new();
    let mut set = vec![("updatedAt", s(now))];
    let mut remove = Vec::new();
    if let Some(name) = changes.display_name {
        match profile::display_name(&name) {
            Ok(name) => set.push(("displayName", s(name))),
            Err(message) => errors.push(FieldError::new("displayName", message)),
        }
    }
    for (field, change, rule) in optional {
        match change {
            None => {}
            Some(None) => remove.push(field),
            Some(Some(value)) => match rule(&value) {
                Ok(value) => set.push((field, s(value))),
                Err(message) => errors.push(FieldError::new(field, message)),
            },
        }
    }
    if let Some(preferences) = changes.notification_preferences {
        let value: AttributeValue = to_attribute(&preferences)?;
        set.push(("notificationPreferences", value));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let update = Update::fields(set, &remove);
    Ok(update)
}
