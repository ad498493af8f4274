//! `POST /auth/login`: by email or username. An unknown login and a wrong password get the
//! same answer in comparable time; consecutive failures lock the account's logins for a while.

use std::sync::OnceLock;

use chrono::TimeDelta;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::domain::{Timestamp, UserId};
use shared::http::{ApiError, json, parse_json_body};
use shared::identity::{
    Caller, EmailIndexRecord, PasswordHash, UserRecord, UsernameIndexRecord, require_active,
};
use shared::store::{Condition, Read, Update, n, s};

use super::session::{AuthTokens, new_session, tokens_for};
use crate::AppState;

/// Credentials.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Credentials {
    /// The account's email or username.
    pub login: String,
    pub password: String,
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
    let now = state.clock.now();
    let Some(user) = find_account(state, &credentials.login).await? else {
        // The same work as for a wrong password: a read of an account, a hash, and a failure
        // count (on an id that exists nowhere, so the update's condition fails and writes
        // nothing). Timing must not tell which accounts exist.
        let nobody = UserId::new().to_string();
        state.store.get::<UserRecord>(&nobody, Read::Strong).await?;
        if let Some(decoy) = decoy_hash() {
            decoy.verify(&credentials.password);
        }
        match state
            .store
            .update::<UserRecord>(&nobody, count_failure())
            .await
        {
            Ok(_) | Err(shared::store::StoreError::ConditionFailed(_)) => {}
            Err(other) => return Err(other.into()),
        }
        return Err(ApiError::InvalidCredentials);
    };
    if let Some(until) = user.locked_until.filter(|until| *until > now) {
        return Err(too_many_attempts(until, now));
    }
    if !user.password_hash.verify(&credentials.password) {
        record_failure(state, &user, now).await?;
        return Err(ApiError::InvalidCredentials);
    }
    // Only now, with the right password, may the caller learn the account's state; a purged
    // account answers like an unknown one.
    require_active(&user).map_err(|error| match error {
        ApiError::Unauthenticated => ApiError::InvalidCredentials,
        other => other,
    })?;
    // The atomic gate: the reset holds only if no lock is in force now, so failures counted
    // in parallel (which may have just locked the account) cannot be wiped by this success.
    let reset = Update::new("SET #failed = :zero REMOVE #lockedUntil")
        .name("#failed", "failedLogins")
        .name("#lockedUntil", "lockedUntil")
        .value(":zero", n(0))
        .when(
            Condition::new("attribute_not_exists(#lockedUntil) OR #lockedUntil <= :now")
                .value(":now", s(now.to_string())),
        );
    match state
        .store
        .update::<UserRecord>(&user.id.to_string(), reset)
        .await
    {
        Ok(_) => {}
        Err(shared::store::StoreError::ConditionFailed(failed)) => {
            let until = failed
                .current::<UserRecord>()?
                .and_then(|current| current.locked_until)
                .unwrap_or(now);
            return Err(too_many_attempts(until, now));
        }
        Err(other) => return Err(other.into()),
    }
    let (session, refresh) = new_session(&user, &request, now)?;
    state.store.create(&session).await?;
    tracing::info!(user.id = %user.id, session.id = %session.id, "signed in");
    let caller = Caller::load(&state.store, user).await?;
    json(StatusCode::OK, &tokens_for(state, caller, &refresh)?)
}

fn too_many_attempts(until: Timestamp, now: Timestamp) -> ApiError {
    let millis = u64::try_from(until.millis() - now.millis()).unwrap_or(0);
    ApiError::TooManyRequests {
        code: "TOO_MANY_ATTEMPTS",
        detail: "Too many failed logins; try again later.".into(),
        retry_after_secs: millis.div_ceil(1000).max(1),
    }
}

/// The account a login names: an email if it has an `@`, else a username.
async fn find_account(state: &AppState, login: &str) -> Result<Option<UserRecord>, ApiError> {
    let login = login.trim().to_lowercase();
    let user_id = if login.contains('@') {
        state
            .store
            .get::<EmailIndexRecord>(&login, Read::Strong)
            .await?
            .map(|claim| claim.user_id)
    } else {
        state
            .store
            .get::<UsernameIndexRecord>(&login, Read::Strong)
            .await?
            .map(|claim| claim.user_id)
    };
    let Some(user_id) = user_id else {
        return Ok(None);
    };
    Ok(state
        .store
        .get::<UserRecord>(&user_id.to_string(), Read::Strong)
        .await?)
}

/// One more consecutive failure (only on an existing account: updates require one).
fn count_failure() -> Update {
    Update::new("ADD #failed :one")
        .name("#failed", "failedLogins")
        .value(":one", n(1))
}

/// Counts a failure atomically; the one that reaches the threshold locks logins.
async fn record_failure(
    state: &AppState,
    user: &UserRecord,
    now: Timestamp,
) -> Result<(), ApiError> {
    let key = user.id.to_string();
    let counted: UserRecord = state.store.update(&key, count_failure()).await?;
    let threshold = state.config.auth.lockout_threshold;
    if counted.failed_logins >= threshold {
        let until = now.plus(TimeDelta::seconds(i64::from(
            state.config.auth.lockout_secs,
        )));
        let lock = Update::new("SET #lockedUntil = :until, #failed = :zero")
            .name("#lockedUntil", "lockedUntil")
            .name("#failed", "failedLogins")
            .value(":until", s(until.to_string()))
            .value(":zero", n(0))
            .when(Condition::new("#failed >= :threshold").value(":threshold", n(threshold)));
        match state.store.update::<UserRecord>(&key, lock).await {
            // Another failure of the same burst already locked it.
            Ok(_) | Err(shared::store::StoreError::ConditionFailed(_)) => {}
            Err(other) => return Err(other.into()),
        }
        tracing::warn!(user.id = %user.id, "logins locked after repeated failures");
    }
    Ok(())
}
