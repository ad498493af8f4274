//! The one guard every function authorises through: who is calling (from the bearer token)
//! and what they may do (their effective permissions). It reads the account, its groups and
//! roles on every request, so a disabled account or an edited role takes effect at once,
//! not when the token expires.

use std::collections::BTreeSet;

use lambda_http::Request;
use lambda_http::http::header::AUTHORIZATION;

use super::records::{GlobalRole, GroupRecord, RoleRecord, UserRecord, UserStatus};
use super::sessions::SessionRecord;
use super::tokens::{AccessTokens, TokenError};
use crate::domain::{SessionId, Timestamp, UserId};
use crate::http::ApiError;
use crate::store::{Read, Store, StoreError};

/// An authenticated caller and what they may do.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user: UserRecord,
    /// The user's own role and the roles their groups grant.
    pub roles: BTreeSet<GlobalRole>,
    /// The union of those roles' permissions.
    pub permissions: BTreeSet<String>,
    /// The session the access token was issued for.
    pub session: Option<SessionId>,
}

impl Caller {
    /// Works out `user`'s effective roles and permissions from the current role and group maps.
    pub async fn load(store: &Store, user: UserRecord) -> Result<Self, StoreError> {
        let groups: Vec<GroupRecord> = store.get_many(&user.groups, Read::Strong).await?;
        // Every account holds the baseline `user` role (its own profile, sessions, bids),
        // whatever its `userRole`.
        let mut roles = BTreeSet::from([GlobalRole::User, user.user_role]);
        roles.extend(groups.iter().flat_map(|group| group.roles.iter().copied()));
        let names: Vec<String> = roles.iter().map(|role| role.as_str().to_string()).collect();
        let grants: Vec<RoleRecord> = store.get_many(&names, Read::Strong).await?;
        let permissions = grants
            .into_iter()
            .flat_map(|role| role.permissions)
            .collect();
        Ok(Self {
            user,
            roles,
            permissions,
            session: None,
        })
    }

    pub fn id(&self) -> UserId {
        self.user.id
    }

    /// Whether the caller holds `permission`.
    pub fn can(&self, permission: &str) -> bool {
        self.permissions.contains(permission)
    }

    /// `403 FORBIDDEN` unless the caller holds `permission`.
    pub fn require(&self, permission: &str) -> Result<(), ApiError> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(ApiError::Forbidden {
                code: "FORBIDDEN",
                detail: "You are not allowed to do this.".into(),
            })
        }
    }
}

/// The caller, or `401` when the request carries no valid token.
pub async fn authenticate(
    store: &Store,
    tokens: &AccessTokens,
    now: Timestamp,
    request: &Request,
) -> Result<Caller, ApiError> {
    caller(store, tokens, now, request)
        .await?
        .ok_or(ApiError::Unauthenticated)
}

/// The caller if the request carries a token, `None` for an anonymous request. A token that
/// is present but not valid is a `401`, never a silent fall back to anonymous.
pub async fn caller(
    store: &Store,
    tokens: &AccessTokens,
    now: Timestamp,
    request: &Request,
) -> Result<Option<Caller>, ApiError> {
    let Some(header) = request.headers().get(AUTHORIZATION) else {
        return Ok(None);
    };
    let token = header
        .to_str()
        .ok()
        .and_then(bearer_token)
        .ok_or(ApiError::Unauthenticated)?;
    let claims = tokens.verify(token, now).map_err(|reason| {
        tracing::info!(%reason, "access token refused");
        match reason {
            // Only a token we signed gets this far: saying it expired reveals nothing.
            TokenError::Expired => ApiError::AccessTokenExpired,
            _ => ApiError::Unauthenticated,
        }
    })?;
    let user_id = UserId::parse(&claims.sub).map_err(|_| ApiError::Unauthenticated)?;
    let user = store
        .get::<UserRecord>(&user_id.to_string(), Read::Strong)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    require_active(&user)?;
    // The token's session must still be on: logging out, ending a session, changing the
    // password or purging the account stops its access tokens at once, not in 15 minutes.
    let session_id = SessionId::parse(&claims.sid).map_err(|_| ApiError::Unauthenticated)?;
    store
        .get::<SessionRecord>(&session_id.to_string(), Read::Strong)
        .await?
        .filter(|s| s.user_id == user.id && s.is_current(now, user.credentials_version))
        .ok_or(ApiError::Unauthenticated)?;
    let mut caller = Caller::load(store, user).await?;
    caller.session = Some(session_id);
    Ok(Some(caller))
}

/// The token of an `Authorization: Bearer <token>` header value. The scheme is
/// case-insensitive (RFC 9110 §11.1): `bearer` and `BEARER` are `Bearer` too.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("Bearer") && !token.is_empty()).then_some(token)
}

/// `403 ACCOUNT_DISABLED` for a disabled account, `401` for a purged one (it no longer exists
/// for anyone), nothing for an active one.
pub fn require_active(user: &UserRecord) -> Result<(), ApiError> {
    match user.status {
        UserStatus::Active => Ok(()),
        UserStatus::Disabled => Err(ApiError::Forbidden {
            code: "ACCOUNT_DISABLED",
            detail: "This account is disabled.".into(),
        }),
        UserStatus::Purged => Err(ApiError::Unauthenticated),
    }
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for value in ["Bearer abc", "bearer abc", "BEARER abc", "bEaReR   abc "] {
            assert_eq!(bearer_token(value), Some("abc"), "{value}");
        }
        for value in ["Basic abc", "Bearer", "Bearer ", "Bearerabc", "abc"] {
            assert_eq!(bearer_token(value), None, "{value}");
        }
    }
}
