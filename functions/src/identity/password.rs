//! `POST /me/password`: a new password, which also ends every other session of the caller.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::http::{ApiError, no_content, parse_json_body};
use shared::identity::{PasswordHash, profile};
use shared::store::{Collection, Condition, Update, n, s};

use super::my_sessions::live_sessions;
use super::refresh::revoke;
use crate::AppState;

/// The current password, to prove it is the owner, and the new one.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PasswordChange {
    pub current_password: String,
    /// At least 8 characters.
    pub new_password: String,
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
        (status = 422, description = "Wrong current password or unacceptable new one.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_me_password(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let change: PasswordChange = parse_json_body(&request)?;
    if !caller.user.password_hash.verify(&change.current_password) {
        return Err(ApiError::invalid(
            "currentPassword",
            "is not the current password",
        ));
    }
    let new_password = profile::new_password(&change.new_password)
        .map_err(|message| ApiError::invalid("newPassword", message))?;
    let hash = PasswordHash::create(new_password)?;
    let now = state.clock.now();
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
    state.store.transact(transaction).await?;
    for session in live_sessions(state, caller.id(), now).await? {
        if Some(session.id) != caller.session {
            revoke(state, &session, now).await?;
        }
    }
    tracing::info!(user.id = %caller.id(), "password changed; other sessions revoked");
    no_content()
}
