//! Identity records as stored.

use serde::{Deserialize, Serialize};

use super::password::PasswordHash;
use std::collections::BTreeSet;

use crate::domain::{AuctionId, Timestamp, UserId};

/// The global roles; their names are fixed by the product owner.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum GlobalRole {
    Admin,
    Staff,
    User,
    Customer,
    AuctionUser,
    AuctionArtist,
}

impl std::fmt::Display for GlobalRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for GlobalRole {
    type Err = ();
    fn from_str(name: &str) -> Result<Self, ()> {
        [
            Self::Admin,
            Self::Staff,
            Self::User,
            Self::Customer,
            Self::AuctionUser,
            Self::AuctionArtist,
        ]
        .into_iter()
        .find(|role| role.as_str() == name)
        .ok_or(())
    }
}

impl GlobalRole {
    /// The role's name as stored and shown (`auction_artist`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Staff => "staff",
            Self::User => "user",
            Self::Customer => "customer",
            Self::AuctionUser => "auction_user",
            Self::AuctionArtist => "auction_artist",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    Disabled,
    /// Personal data removed on request; the account can no longer be used.
    Purged,
}

/// Which notifications a user wants, and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NotificationPreferences {
    /// Being outbid on an item.
    pub outbid: bool,
    /// Winning an item, payment due and reminders.
    pub won: bool,
    /// Auctions one follows opening or closing.
    pub auction_updates: bool,
    /// Also by email (in-app notifications are always kept).
    pub email: bool,
}

impl Default for NotificationPreferences {
    fn default() -> Self {
        Self {
            outbid: true,
            won: true,
            auction_updates: true,
            email: true,
        }
    }
}

/// An account. `entity` is always `"user"`: the partition of the `byEntity` index that
/// lists accounts without a Scan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRecord {
    pub id: UserId,
    pub entity: String,
    /// Trimmed and lower-cased.
    pub email: String,
    pub username: String,
    pub display_name: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub nick_name: Option<String>,
    pub picture: Option<String>,
    pub phone: Option<String>,
    pub time_zone: Option<String>,
    pub user_role: GlobalRole,
    pub groups: Vec<String>,
    pub status: UserStatus,
    pub password_hash: PasswordHash,
    /// Raised when the password changes or the account is purged: sessions started under an
    /// older value (and their access tokens) stop working at once.
    #[serde(default)]
    pub credentials_version: u64,
    #[serde(default)]
    pub notification_preferences: NotificationPreferences,
    /// The user's bidder numbers, as `auctionId:number` (a string set): the guard reads this
    /// record anyway, so a bid needs no read of the membership to know its number.
    #[serde(
        with = "serde_dynamo::string_set",
        default,
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub bidder_numbers: BTreeSet<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

impl UserRecord {
    pub const ENTITY: &'static str = "user";

    /// The entry of [`Self::bidder_numbers`] for `number` in `auction`.
    pub fn bidder_number_entry(auction: AuctionId, number: u32) -> String {
        format!("{auction}:{number}")
    }

    /// The user's bidder number in `auction`, if they hold one.
    pub fn bidder_number(&self, auction: AuctionId) -> Option<u32> {
        let prefix = format!("{auction}:");
        self.bidder_numbers
            .iter()
            .find_map(|entry| entry.strip_prefix(&prefix)?.parse().ok())
    }
}

crate::record!(UserRecord, Users, id, versioned);

/// Claims an email for one account: created in the same transaction as the account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailIndexRecord {
    pub email: String,
    pub user_id: UserId,
}

crate::record!(EmailIndexRecord, EmailIndex, email);

/// Claims a username for one account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsernameIndexRecord {
    pub username: String,
    pub user_id: UserId,
}

crate::record!(UsernameIndexRecord, UsernameIndex, username);

/// A role and the permissions it grants (editable by admins).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleRecord {
    pub name: GlobalRole,
    pub entity: String,
    pub description: String,
    pub permissions: Vec<String>,
    pub updated_at: Timestamp,
    pub version: u64,
}

impl RoleRecord {
    pub const ENTITY: &'static str = "role";
}

crate::record!(RoleRecord, Roles, name, versioned);

/// A group and the roles it grants (editable by admins).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupRecord {
    pub name: String,
    pub entity: String,
    pub description: String,
    pub roles: Vec<GlobalRole>,
    pub updated_at: Timestamp,
    pub version: u64,
}

impl GroupRecord {
    pub const ENTITY: &'static str = "group";
}

crate::record!(GroupRecord, Groups, name, versioned);

/// One permission of the catalog (`resource:action[:scope]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionRecord {
    pub name: String,
    pub entity: String,
    pub description: String,
}

impl PermissionRecord {
    pub const ENTITY: &'static str = "permission";
}

crate::record!(PermissionRecord, Permissions, name);
