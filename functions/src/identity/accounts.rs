//! Creating accounts, shared by self-service registration and administrators: the field rules,
//! the record, and the claims that keep email and username unique.

use shared::domain::{Timestamp, UserId};
use shared::http::{ApiError, FieldError};
use shared::identity::{
    EmailIndexRecord, GlobalRole, PasswordHash, UserRecord, UserStatus, UsernameIndexRecord,
    profile,
};
use shared::store::{Collection, Store, StoreError, Transaction};

/// A new account's fields, checked.
pub(super) struct NewAccount {
    email: String,
    username: String,
    display_name: String,
    password: String,
}

impl NewAccount {
    /// Checks every field at once, so a client learns of all its mistakes in one answer.
    pub(super) fn parse(
        email: &str,
        username: &str,
        password: &str,
        display_name: &str,
    ) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let mut check = |field: &str, outcome: Result<String, &str>| {
            outcome
                .map_err(|message| errors.push(FieldError::new(field, message)))
                .unwrap_or_default()
        };
        let account = Self {
            email: check("email", profile::email(email)),
            username: check("username", profile::username(username)),
            display_name: check("displayName", profile::display_name(display_name)),
            password: check(
                "password",
                profile::new_password(password).map(str::to_string),
            ),
        };
        if errors.is_empty() {
            Ok(account)
        } else {
            Err(ApiError::Validation(errors))
        }
    }

    /// The account's record, with its password hashed.
    pub(super) fn into_record(
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
            password_hash: PasswordHash::create(&self.password)?,
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
pub(super) fn creation(store: &Store, user: &UserRecord) -> Result<Transaction, StoreError> {
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
pub(super) async fn create(store: &Store, transaction: Transaction) -> Result<(), ApiError> {
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
