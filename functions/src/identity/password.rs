//! `POST /me/password`: a new password, which also ends every other session of the caller.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::domain::Timestamp;
use shared::http::{ApiError, no_content, parse_json_body};
use shared::identity::{AttemptKey, Caller, Lockout, PasswordHash, Secret, profile};
use shared::store::{Collection, Condition, Update, n, s};

use crate::AppState;

/// The current password, to prove it is the owner, and the new one.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PasswordChange {
    pub current_password: Secret,
    /// 8 to 128 characters.
    #[serde(deserialize_with = "shared::http::checked::<profile::NewPassword, _>")]
    pub new_password: Secret,
}

/// Changes the caller's password and signs out their other sessions.
#[utoipa::path(
    post,
    path = "/me/password",
    tag = "identity",
    operation_id = "changeMyPassword",
    security(("bearer" = [])),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; other sessions are over."),
        (status = 401, description = "No valid token.", body = shared::http::Problem),
        (status = 403, description = "The caller may not change their profile.", body = shared::http::Problem),
        (status = 422, description = "Wrong current password or unacceptable new one.", body = shared::http::Problem),
        (status = 429, description = "`TOO_MANY_ATTEMPTS`: too many wrong passwords from this account's sessions; `Retry-After` says when to try again.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_me_password(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    caller.require("profile:update:own")?;
    let change: PasswordChange = parse_json_body(&request)?;
    let now = state.clock.now();
    confirm_password(
        state,
        &caller,
        &change.current_password,
        "currentPassword",
        now,
    )
    .await?;
    let hash = PasswordHash::create(change.new_password.expose())?;
    // A new credentials version ends every other session at once; this one is carried over.
    let credentials = caller.user.credentials_version + 1;
    let update = Update::new(
        "SET #hash = :hash, #updatedAt = :now, #credentials = :credentials ADD #version :one",
    )
    .name("#hash", "passwordHash")
    .name("#updatedAt", "updatedAt")
    .name("#credentials", "credentialsVersion")
    .name("#version", "version")
    .value(":hash", s(hash.phc()))
    .value(":now", s(now.to_string()))
    .value(":credentials", n(credentials))
    .value(":one", n(1))
    .when(Condition::version_is("version", caller.user.version));
    let mut transaction =
        state
            .store
            .transaction()
            .update(Collection::Users, &caller.id().to_string(), update)?;
    if let Some(session) = caller.session {
        let carry = Update::new("SET #credentials = :credentials")
            .name("#credentials", "credentialsVersion")
            .value(":credentials", n(credentials));
        transaction = transaction.update(Collection::Sessions, &session.to_string(), carry)?;
    }
    // Every other session of the account, however many, ended with the old credentials
    // version: no request walks through them.
    state.store.transact(transaction).await?;
    tracing::info!("password changed; other sessions revoked");
    no_content()
}

/// Proves the signed-in caller knows their password before a change that needs it (a new
/// password, a purge). Wrong answers are counted per account, apart from logins: a lock on
/// the account's logins, which anyone can cause, does not stop its owner here.
pub(super) async fn confirm_password(
    state: &AppState,
    caller: &Caller,
    password: &Secret,
    field: &'static str,
    now: Timestamp,
) -> Result<(), ApiError> {
    if profile::given_password(password.expose()).is_err() {
        return Err(ApiError::invalid(field, "is not the current password"));
    }
    let lockout = Lockout::new(&state.config.auth);
    let attempt = lockout
        .claim(&state.store, AttemptKey::account(caller.id()), now)
        .await?;
    if caller.user.password_hash.verify(password.expose()) {
        lockout.succeeded(&state.store, attempt, now).await
    } else {
        lockout.failed(&state.store, attempt, now).await?;
        Err(ApiError::invalid(field, "is not the current password"))
    }
}
