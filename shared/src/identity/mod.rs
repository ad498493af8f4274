//! Identity: accounts, global roles, groups and permissions, and password hashing.

pub mod guard;
pub mod lockout;
pub mod password;
pub mod profile;
mod records;
mod secret;
pub mod sessions;
pub mod tokens;

pub use guard::{Caller, authenticate, caller, require_active};
pub use lockout::{AttemptKey, Lockout, LoginAttemptRecord};
pub use password::PasswordHash;
pub use records::{
    EmailIndexRecord, GlobalRole, GroupRecord, NotificationPreferences, PermissionRecord,
    RoleRecord, UserRecord, UserStatus, UsernameIndexRecord,
};
pub use secret::Secret;
pub use sessions::{RefreshToken, SessionRecord};
pub use tokens::{AccessTokens, Claims, TokenError};
