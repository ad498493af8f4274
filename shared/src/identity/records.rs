//! Identity records as stored.

use serde::{Deserialize, Serialize};

use super::password::PasswordHash;
use crate::domain::{Timestamp, UserId};
use crate::store::{Collection, Record, Versioned};

/// The global roles; their names are fixed by the product owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GlobalRole {
    Admin,
    Staff,
    User,
    Customer,
    AuctionUser,
    AuctionArtist,
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
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

impl UserRecord {
    pub const ENTITY: &'static str = "user";
}

impl Record for UserRecord {
    const COLLECTION: Collection = Collection::Users;
    fn key_value(&self) -> String {
        self.id.to_string()
    }
}

impl Versioned for UserRecord {
    fn version(&self) -> u64 {
        self.version
    }
}

/// Claims an email for one account: created in the same transaction as the account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailIndexRecord {
    pub email: String,
    pub user_id: UserId,
}

impl Record for EmailIndexRecord {
    const COLLECTION: Collection = Collection::EmailIndex;
    fn key_value(&self) -> String {
        self.email.clone()
    }
}

/// Claims a username for one account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsernameIndexRecord {
    pub username: String,
    pub user_id: UserId,
}

impl Record for UsernameIndexRecord {
    const COLLECTION: Collection = Collection::UsernameIndex;
    fn key_value(&self) -> String {
        self.username.clone()
    }
}

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

impl Record for RoleRecord {
    const COLLECTION: Collection = Collection::Roles;
    fn key_value(&self) -> String {
        self.name.as_str().to_string()
    }
}

impl Versioned for RoleRecord {
    fn version(&self) -> u64 {
        self.version
    }
}

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

impl Record for GroupRecord {
    const COLLECTION: Collection = Collection::Groups;
    fn key_value(&self) -> String {
        self.name.clone()
    }
}

impl Versioned for GroupRecord {
    fn version(&self) -> u64 {
        self.version
    }
}

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

impl Record for PermissionRecord {
    const COLLECTION: Collection = Collection::Permissions;
    fn key_value(&self) -> String {
        self.name.clone()
    }
}
