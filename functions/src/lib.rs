//! Route handlers: plain async functions over [`AppState`] that the binaries in `src/bin/`
//! run on Lambda and the tests call directly. Folders follow the domain.

pub mod bidding;
pub mod catalog;
pub mod identity;
pub mod images;
pub mod lifecycle;
pub mod openapi;
pub mod platform;
pub mod realtime;
mod state;

pub use state::AppState;
