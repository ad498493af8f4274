//! `POST /auth/register`: self-service accounts for bidders (`userRole: user`, group
//! `auction_user`). The account, its email and username claims and its first session are one
//! transaction, so two registrations of one email cannot both win.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::http::{ApiError, json, parse_json_body};
use shared::identity::{Caller, GlobalRole, Secret, profile};

use super::accounts::{self, NewAccount};
use super::session::{AuthTokens, new_session, tokens_for};
use crate::AppState;

/// The group every self-registered account joins.
const SELF_SERVICE_GROUP: &str = "auction_user";

/// A registration. Roles, status and permissions are not the registrant's to choose.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Registration {
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
    let account = NewAccount {
        email: registration.email,
        username: registration.username,
        display_name: registration.display_name,
        password: registration.password,
    };
    let now = state.clock.now();
    let user = account.into_record(GlobalRole::User, vec![SELF_SERVICE_GROUP.into()], now)?;
    let (session, refresh) = new_session(&user, &request, now)?;
    accounts::create(
        &state.store,
        accounts::creation(&state.store, &user)?.create(&session)?,
    )
    .await?;
    tracing::info!("account registered");
    let caller = Caller::load(&state.store, user).await?;
    json(StatusCode::CREATED, &tokens_for(state, caller, &refresh)?)
}
