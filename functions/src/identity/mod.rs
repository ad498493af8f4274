//! Accounts, logins and sessions (`/auth/*`, `/me`), and their administration (`/users`,
//! `/roles`, `/groups`, `/permissions`).

mod accounts;
pub mod export;
pub mod groups;
pub mod login;
pub mod logout;
pub mod me;
pub mod my_sessions;
pub mod password;
pub mod purge;
pub mod refresh;
pub mod register;
pub mod roles;
mod session;
pub mod users;
mod view;

pub use session::AuthTokens;
pub use view::UserView;
