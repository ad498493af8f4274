//! Counting password guesses. Every check of a password (a login, a password change, an
//! account purge) first claims one attempt from a counter, with a conditional write that
//! refuses once the threshold is reached, and only then verifies the hash: a burst of
//! parallel guesses gets no more verifications than a slow one. The counter that reaches the
//! threshold locks its key for a while, and every attempt during a lock gets the same answer,
//! whether its password is right or not.
//!
//! Logins are counted by the normalised login they name, whether or not an account has it,
//! so a lock tells nothing about which accounts exist. Checks made from a signed-in session
//! are counted per account on a key of their own: anyone can lock a login by guessing at it,
//! and that must not lock the account's owner out of the sessions they already hold.

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use crate::config::AuthConfig;
use crate::domain::{Timestamp, UserId};
use crate::http::ApiError;
use crate::store::{Condition, Store, StoreError, Update, n, s};

/// One counter of password attempts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginAttemptRecord {
    /// `login:<normalised login>` or `account:<user id>`.
    pub key: String,
    /// Attempts claimed since the last success or lock.
    #[serde(default)]
    pub attempts: u32,
    /// Attempts are refused until then.
    pub locked_until: Option<Timestamp>,
    /// When DynamoDB may drop the record (epoch seconds): nothing in it matters by then.
    pub expires_at: i64,
}
crate::record!(LoginAttemptRecord, LoginAttempts, key);

/// What a counter counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptKey(String);

impl AttemptKey {
    /// Logins naming `login` (already normalised: trimmed, lower-cased).
    pub fn login(login: &str) -> Self {
        Self(format!("login:{login}"))
    }

    /// Password checks made from a session of `user`.
    pub fn account(user: UserId) -> Self {
        Self(format!("account:{user}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An attempt claimed from a counter, to be settled once the password is checked.
#[derive(Debug)]
#[must_use = "settle the attempt with succeeded() or failed()"]
pub struct Attempt {
    key: AttemptKey,
    /// The count including this attempt.
    count: u32,
}

/// The lockout's rules, from configuration.
#[derive(Clone, Copy, Debug)]
pub struct Lockout {
    threshold: u32,
    window: TimeDelta,
}

impl Lockout {
    pub fn new(config: &AuthConfig) -> Self {
        Self {
            threshold: config.lockout_threshold,
            window: TimeDelta::seconds(i64::from(config.lockout_secs)),
        }
    }

    /// Claims one attempt on `key`, before any password is verified: `429 TOO_MANY_ATTEMPTS`
    /// while the key is locked or its attempts are all claimed.
    pub async fn claim(
        &self,
        store: &Store,
        key: AttemptKey,
        now: Timestamp,
    ) -> Result<Attempt, ApiError> {
        let claim = Update::new("ADD #attempts :one SET #expiresAt = :expires")
            .name("#attempts", "attempts")
            .name("#expiresAt", "expiresAt")
            .value(":one", n(1))
            .value(":expires", n(self.expiry(now)))
            .when(
                unlocked(now).and(
                    Condition::new("attribute_not_exists(#attempts) OR #attempts < :threshold")
                        .name("#attempts", "attempts")
                        .value(":threshold", n(self.threshold)),
                ),
            )
            .upsert();
        match store
            .update::<LoginAttemptRecord>(key.as_str(), claim)
            .await
        {
            Ok(counted) => Ok(Attempt {
                key,
                count: counted.attempts,
            }),
            Err(StoreError::ConditionFailed(failed)) => {
                let current = failed.current::<LoginAttemptRecord>()?;
                let until = match current.and_then(|c| c.locked_until).filter(|u| *u > now) {
                    Some(until) => until,
                    // Every attempt is claimed but the last has not locked the key yet (or
                    // never will: its function died): lock it now.
                    None => self.lock(store, &key, now).await?,
                };
                Err(too_many_attempts(until, now))
            }
            Err(other) => Err(other.into()),
        }
    }

    /// The password was right: the count starts over, unless a lock came into force while
    /// it was being checked (then this attempt is answered like every other during a lock).
    pub async fn succeeded(
        &self,
        store: &Store,
        attempt: Attempt,
        now: Timestamp,
    ) -> Result<(), ApiError> {
        let reset = Update::new("SET #attempts = :zero, #expiresAt = :expires")
            .name("#attempts", "attempts")
            .name("#expiresAt", "expiresAt")
            .value(":zero", n(0))
            .value(":expires", n(self.expiry(now)))
            .when(unlocked(now));
        match store
            .update::<LoginAttemptRecord>(attempt.key.as_str(), reset)
            .await
        {
            Ok(_) => Ok(()),
            Err(StoreError::ConditionFailed(failed)) => {
                let until = failed
                    .current::<LoginAttemptRecord>()?
                    .and_then(|current| current.locked_until)
                    .unwrap_or(now);
                Err(too_many_attempts(until, now))
            }
            Err(other) => Err(other.into()),
        }
    }

    /// The password was wrong: the attempt stays counted, and the one that reached the
    /// threshold locks the key.
    pub async fn failed(
        &self,
        store: &Store,
        attempt: Attempt,
        now: Timestamp,
    ) -> Result<(), ApiError> {
        if attempt.count >= self.threshold {
            self.lock(store, &attempt.key, now).await?;
            tracing::warn!("password attempts locked after repeated failures");
        }
        Ok(())
    }

    /// Locks `key` for the window from `now` and starts its count over; when a lock is
    /// already in force (another request of the same burst set it), that one stands.
    async fn lock(
        &self,
        store: &Store,
        key: &AttemptKey,
        now: Timestamp,
    ) -> Result<Timestamp, ApiError> {
        let until = now.plus(self.window);
        let lock =
            Update::new("SET #lockedUntil = :until, #attempts = :zero, #expiresAt = :expires")
                .name("#lockedUntil", "lockedUntil")
                .name("#attempts", "attempts")
                .name("#expiresAt", "expiresAt")
                .value(":until", s(until.to_string()))
                .value(":zero", n(0))
                .value(":expires", n(self.expiry(until)))
                .when(
                    unlocked(now).and(
                        Condition::new("#attempts >= :threshold")
                            .name("#attempts", "attempts")
                            .value(":threshold", n(self.threshold)),
                    ),
                );
        match store.update::<LoginAttemptRecord>(key.as_str(), lock).await {
            Ok(_) => Ok(until),
            Err(StoreError::ConditionFailed(failed)) => Ok(failed
                .current::<LoginAttemptRecord>()?
                .and_then(|current| current.locked_until)
                .filter(|locked| *locked > now)
                .unwrap_or(until)),
            Err(other) => Err(other.into()),
        }
    }

    /// A counter untouched for a whole window holds nothing that matters any more.
    fn expiry(&self, from: Timestamp) -> i64 {
        from.plus(self.window).epoch_seconds()
    }
}

/// No lock is in force at `now`.
fn unlocked(now: Timestamp) -> Condition {
    Condition::new("attribute_not_exists(#lockedUntil) OR #lockedUntil <= :now")
        .name("#lockedUntil", "lockedUntil")
        .value(":now", s(now.to_string()))
}

/// The one answer to every attempt during a lock.
fn too_many_attempts(until: Timestamp, now: Timestamp) -> ApiError {
    let millis = u64::try_from(until.millis() - now.millis()).unwrap_or(0);
    ApiError::TooManyRequests {
        code: "TOO_MANY_ATTEMPTS",
        detail: "Too many failed password attempts; try again later.".into(),
        retry_after_secs: millis.div_ceil(1000).max(1),
    }
}
