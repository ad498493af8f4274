//! `POST /auth/register`: self-service accounts for bidders (`userRole: user`, group
//! `auction_user`). The account, its email and username claims and its first session are one
//! transaction, so two registrations of one email cannot both win.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::domain::UserId;
use shared::http::{ApiError, FieldError, json, parse_json_body};
use shared::identity::{
    Caller, EmailIndexRecord, GlobalRole, PasswordHash, UserRecord, UserStatus,
    UsernameIndexRecord, profile,
};
use shared::store::{Collection, StoreError};

use super::session::{AuthTokens, new_session, tokens_for};
use crate::AppState;

/// The group every self-registered account joins.
const SELF_SERVICE_GROUP: &str = "auction_user";

/// A registration. Roles, status and permissions are not the registrant's to choose.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Registration {
    pub email: String,
    pub username: String,
    /// At least 8 characters.
    pub password: String,
    pub display_name: String,
}

/// Creates an account and signs it in.
#[utoipa::path(
    post,
    path = "/auth/register",
    tag = "identity",
    operation_id = "register",
    request_body = Registration,
    responses(
        (status = 201, description = "The account, signed in.", body = AuthTokens),
        (status = 409, description = "`EMAIL_TAKEN` or `USERNAME_TAKEN`.", body = shared::http::Problem),
        (status = 422, description = "Invalid fields.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_auth_register(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let registration: Registration = parse_json_body(&request)?;
    let mut errors = Vec::new();
    let mut check = |field: &str, outcome: Result<String, &str>| {
        outcome
            .map_err(|message| errors.push(FieldError::new(field, message)))
            .unwrap_or_default()
    };
    let email = check("email", profile::email(&registration.email));
    let username = check("username", profile::username(&registration.username));
    let display_name = check(
        "displayName",
        profile::display_name(&registration.display_name),
    );
    let password = check(
        "password",
        profile::new_password(&registration.password).map(str::to_string),
    );
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }

    let now = state.clock.now();
    let user = UserRecord {
        id: UserId::new(),
        entity: UserRecord::ENTITY.into(),
        email,
        username,
        display_name,
        given_name: None,
        family_name: None,
        nick_name: None,
        picture: None,
        phone: None,
        time_zone: None,
        user_role: GlobalRole::User,
        groups: vec![SELF_SERVICE_GROUP.into()],
        status: UserStatus::Active,
        password_hash: PasswordHash::create(&password)?,
        failed_logins: 0,
        locked_until: None,
        notification_preferences: Default::default(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let (session, refresh) = new_session(user.id, &request, now)?;
    let transaction = state
        .store
        .transaction()
        .create(&EmailIndexRecord {
            email: user.email.clone(),
            user_id: user.id,
        })?
        .create(&UsernameIndexRecord {
            username: user.username.clone(),
            user_id: user.id,
        })?
        .create(&user)?
        .create(&session)?;
    match state.store.transact(transaction).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed(failed)) => {
            return Err(match failed.collection {
                Collection::EmailIndex => {
                    ApiError::conflict("EMAIL_TAKEN", "An account with this email already exists.")
                }
                Collection::UsernameIndex => {
                    ApiError::conflict("USERNAME_TAKEN", "This username is taken.")
                }
                _ => StoreError::ConditionFailed(failed).into(),
            });
        }
        Err(other) => return Err(other.into()),
    }
    tracing::info!(user.id = %user.id, "account registered");
    let caller = Caller::load(&state.store, user).await?;
    json(StatusCode::CREATED, &tokens_for(state, caller, &refresh)?)
}
