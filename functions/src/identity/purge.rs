//! Purging personal data (`DELETE /me`, and administrators' `DELETE /users/{userId}`): the
//! account keeps its id, so its bids stay consistent, but loses everything that identifies a
//! person, its email and username become free again, and it can no longer sign in.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::audit::{AuditAction, AuditRecord};
use shared::domain::UserId;
use shared::http::{ApiError, no_content, parse_json_body};
use shared::identity::{PasswordHash, RefreshToken, Secret, UserRecord};
use shared::realtime::NotificationRecord;
use shared::store::{Collection, Condition, Index, Query, Update, n, s};

use super::password::confirm_password;
use crate::AppState;

/// The account's password: purging cannot be undone, so a borrowed access token alone is not
/// enough.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PurgeConfirmation {
    pub password: Secret,
}

/// Purges the caller's own personal data.
#[utoipa::path(
    delete,
    path = "/me",
    tag = "identity",
    operation_id = "deleteMe",
    security(("bearer" = [])),
    request_body = PurgeConfirmation,
    responses(
        (status = 204, description = "Purged; this account can no longer sign in."),
        (status = 401, description = "No valid token.", body = shared::http::Problem),
        (status = 403, description = "The caller may not delete their account (administrators are purged by another administrator).", body = shared::http::Problem),
        (status = 422, description = "`password` is not the current password.", body = shared::http::Problem),
        (status = 429, description = "`TOO_MANY_ATTEMPTS`: too many wrong passwords from this account's sessions.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn delete_me(state: &AppState, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    caller.require("profile:delete:own")?;
    super::users::refuse_purging_an_administrator_s_own_account(&caller, &caller.user)?;
    let confirmation: PurgeConfirmation = parse_json_body(&request)?;
    let now = state.clock.now();
    confirm_password(state, &caller, &confirmation.password, "password", now).await?;
    purge(state, &caller.user, caller.id()).await?;
    no_content()
}

/// Removes `user`'s personal data, releases its email and username, ends its sessions, and
/// records `pii_purged` by `actor`, all or nothing (sessions after).
pub(super) async fn purge(
    state: &AppState,
    user: &UserRecord,
    actor: UserId,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    // A hash of a secret nobody ever saw: no password can match it.
    let unusable = PasswordHash::create(&RefreshToken::generate(Default::default())?.text())?;
    let erase = Update::new(
        "SET #status = :purged, #email = :email, #username = :username, #displayName = :name, \
         #passwordHash = :hash, #updatedAt = :now \
         REMOVE #givenName, #familyName, #nickName, #picture, #phone, #timeZone \
         ADD #version :one, #credentials :one",
    )
    .name("#status", "status")
    .name("#email", "email")
    .name("#username", "username")
    .name("#displayName", "displayName")
    .name("#passwordHash", "passwordHash")
    .name("#updatedAt", "updatedAt")
    .name("#givenName", "givenName")
    .name("#familyName", "familyName")
    .name("#nickName", "nickName")
    .name("#picture", "picture")
    .name("#phone", "phone")
    .name("#timeZone", "timeZone")
    .name("#version", "version")
    .name("#credentials", "credentialsVersion")
    .value(":purged", s("purged"))
    .value(":email", s(format!("purged-{}@invalid", user.id)))
    .value(":username", s(format!("purged-{}", user.id)))
    .value(":name", s("Former user"))
    .value(":hash", s(unusable.phc()))
    .value(":now", s(now.to_string()))
    .value(":one", n(1))
    .when(Condition::version_is("version", user.version));
    let claimed_by_user = || {
        Condition::new("#userId = :userId")
            .name("#userId", "userId")
            .value(":userId", s(user.id.to_string()))
    };
    let audit = AuditRecord::new(AuditAction::PiiPurged, Some(actor), now).target(user.id);
    let transaction = state
        .store
        .transaction()
        .update(Collection::Users, &user.id.to_string(), erase)?
        .delete(Collection::EmailIndex, &user.email, Some(claimed_by_user()))?
        .delete(
            Collection::UsernameIndex,
            &user.username,
            Some(claimed_by_user()),
        )?
        .create(&audit)?;
    // Notifications first: if the purge then fails, a retry finds them gone and purges.
    delete_notifications(state, user.id).await?;
    // The raised credentials version ends every session of the account at once.
    state.store.transact(transaction).await?;
    // No ids in the log: the audit entry says whose data it was and who purged it.
    tracing::info!("personal data purged");
    Ok(())
}

/// Deletes every notification of `user` (their texts name what they bid on), a page (one
/// transaction) at a time.
async fn delete_notifications(state: &AppState, user: UserId) -> Result<(), ApiError> {
    loop {
        let query = Query::index(Index::NOTIFICATIONS_BY_USER, s(user.to_string())).limit(100);
        let page = state.store.query::<NotificationRecord>(query).await?;
        if page.items.is_empty() {
            return Ok(());
        }
        let mut transaction = state.store.transaction();
        for notification in &page.items {
            transaction = transaction.delete(
                Collection::Notifications,
                &notification.id.to_string(),
                None,
            )?;
        }
        state.store.transact(transaction).await?;
    }
}
