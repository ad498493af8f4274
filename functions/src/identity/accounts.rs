//! Creating accounts, shared by self-service registration and administrators: the field rules,
//! the record, and the claims that keep email and username unique.

use shared::domain::{Timestamp, UserId};
use shared::http::ApiError;
use shared::identity::{
    EmailIndexRecord, GlobalRole, PasswordHash, Secret, UserRecord, UserStatus, UsernameIndexRecord,
};
use shared::store::{Collection, Store, StoreError, Transaction};

/// A new account's fields, each checked by its rule as the request body was parsed
/// (`profile::Email`, `Username`, `DisplayName`, `NewPassword`), so a client learns of all
/// its mistakes in one answer.
pub(crate) struct NewAccount {
    pub(crate) email: String,
    pub(crate) username: String,
    pub(crate) display_name: String,
    pub(crate) password: Secret,
}

impl NewAccount {
    /// The account's record, with its password hashed.
    pub(crate) fn into_record(
        self,
        role: GlobalRole,
        groups: Vec<String>,
        now: Timestamp,
    ) -> Result<UserRecord, ApiError> {
        Ok(UserRecord {
            id: UserId::new(),
            entity: UserRecord::ENTITY.into(),
            email: self.email,
            username: self.username,
            display_name: self.display_name,
            given_name: None,
            family_name: None,
            nick_name: None,
            picture: None,
            phone: None,
            time_zone: None,
            user_role: role,
            groups,
            status: UserStatus::Active,
            password_hash: PasswordHash::create(self.password.expose())?,
            credentials_version: 0,
            notification_preferences: Default::default(),
            bidder_numbers: Default::default(),
            created_at: now,
            updated_at: now,
            version: 1,
        })
    }
}

/// A transaction creating `user` with its email and username claims.
pub(crate) fn creation(store: &Store, user: &UserRecord) -> Result<Transaction, StoreError> {
    store
        .transaction()
        .create(&EmailIndexRecord {
            email: user.email.clone(),
            user_id: user.id,
        })?
        .create(&UsernameIndexRecord {
            username: user.username.clone(),
            user_id: user.id,
        })?
        .create(user)
}

/// Runs a [`creation`] (plus whatever was added to it), answering a taken claim as a 409.
pub(crate) async fn create(store: &Store, transaction: Transaction) -> Result<(), ApiError> {
    match store.transact(transaction).await {
        Ok(()) => Ok(()),
        Err(StoreError::ConditionFailed(failed)) => Err(match failed.collection {
            Collection::EmailIndex => {
                ApiError::conflict("EMAIL_TAKEN", "An account with this email already exists.")
            }
            Collection::UsernameIndex => {
                ApiError::conflict("USERNAME_TAKEN", "This username is taken.")
            }
            _ => StoreError::ConditionFailed(failed).into(),
        }),
        Err(other) => Err(other.into()),
    }
}
