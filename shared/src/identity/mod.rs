//! Identity: accounts, global roles, groups and permissions, and password hashing.

pub mod password;
mod records;

pub use password::PasswordHash;
pub use records::{
    EmailIndexRecord, GlobalRole, GroupRecord, PermissionRecord, RoleRecord, UserRecord,
    UserStatus, UsernameIndexRecord,
};
