//! Accounts, logins and sessions: `/auth/*` and `/me`.

pub mod login;
pub mod logout;
pub mod me;
pub mod my_sessions;
pub mod password;
pub mod refresh;
pub mod register;
mod session;
mod view;

pub use session::AuthTokens;
pub use view::UserView;
