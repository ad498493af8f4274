//! `POST /auth/login`: by email or username. An unknown login and a wrong password get the
//! same answer in comparable time, and are counted alike: consecutive failures lock that
//! login for a while (`shared::identity::lockout`).

use std::sync::OnceLock;

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::domain::UserId;
use shared::http::{ApiError, json, parse_json_body};
use shared::identity::{
    AttemptKey, Caller, EmailIndexRecord, Lockout, PasswordHash, Secret, UserRecord,
    UsernameIndexRecord, profile, require_active,
};
use shared::store::Read;

use super::session::{AuthTokens, new_session, tokens_for};
use crate::AppState;

/// Credentials. A login that cannot be a credential names no account: it is a 422 before
/// anything reaches the store.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Credentials {
    /// The account's email or username (normalised as the account stores it).
    #[serde(deserialize_with = "shared::http::checked::<profile::Login, _>")]
    pub login: String,
    #[serde(deserialize_with = "shared::http::checked::<profile::GivenPassword, _>")]
    pub password: Secret,
}

/// Verifying against this when the login is unknown makes both failures cost the same.
fn decoy_hash() -> Option<&'static PasswordHash> {
    static DECOY: OnceLock<Option<PasswordHash>> = OnceLock::new();
    DECOY
        .get_or_init(|| PasswordHash::create("decoy password, never valid").ok())
        .as_ref()
}

/// Signs in.
#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "identity",
    operation_id = "login",
    request_body = Credentials,
    responses(
        (status = 200, description = "Signed in.", body = AuthTokens),
        (status = 401, description = "`INVALID_CREDENTIALS`.", body = shared::http::Problem),
        (status = 403, description = "`ACCOUNT_DISABLED`.", body = shared::http::Problem),
        (status = 429, description = "`TOO_MANY_ATTEMPTS`, with `Retry-After`.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_auth_login(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let credentials: Credentials = parse_json_body(&request)?;
    let login = credentials.login;
    let now = state.clock.now();
    let lockout = Lockout::new(&state.config.auth);
    // The attempt is counted before the hash is checked, so parallel guesses cannot outrun
    // the lock, and an unknown login is counted exactly like a known one.
    let attempt = lockout
        .claim(&state.store, AttemptKey::login(&login), now)
        .await?;
    let user = find_account(state, &login).await?;
    let verified = match &user {
        Some(user) => user.password_hash.verify(credentials.password.expose()),
        // The same work as for a wrong password, so timing does not tell which logins exist.
        None => {
            if let Some(decoy) = decoy_hash() {
                decoy.verify(credentials.password.expose());
            }
            false
        }
    };
    let Some(user) = user.filter(|_| verified) else {
        lockout.failed(&state.store, attempt, now).await?;
        return Err(ApiError::InvalidCredentials);
    };
    lockout.succeeded(&state.store, attempt, now).await?;
    // Only now, with the right password, may the caller learn the account's state; a purged
    // account answers like an unknown one.
    require_active(&user).map_err(|error| match error {
        ApiError::Unauthenticated => ApiError::InvalidCredentials,
        other => other,
    })?;
    let (session, refresh) = new_session(&user, &request, now)?;
    state.store.create(&session).await?;
    tracing::info!(session.id = %session.id, "signed in");
    let caller = Caller::load(&state.store, user).await?;
    json(StatusCode::OK, &tokens_for(state, caller, &refresh)?)
}

/// The account a normalised login names: an email if it has an `@`, else a username. An
/// unknown login still reads an account record, so both cost the same.
async fn find_account(state: &AppState, login: &str) -> Result<Option<UserRecord>, ApiError> {
    let user_id = if login.contains('@') {
        state
            .store
            .get::<EmailIndexRecord>(login, Read::Strong)
            .await?
            .map(|claim| claim.user_id)
    } else {
        state
            .store
            .get::<UsernameIndexRecord>(login, Read::Strong)
            .await?
            .map(|claim| claim.user_id)
    };
    let key = user_id.unwrap_or_else(UserId::new).to_string();
    let user = state.store.get::<UserRecord>(&key, Read::Strong).await?;
    Ok(user.filter(|_| user_id.is_some()))
}
