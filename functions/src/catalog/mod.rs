//! Auction events, their items and their members.

pub mod auctions;
pub mod audit;
pub mod checkin;
pub mod edit;
pub mod items;
pub mod join;
pub mod listing;
pub mod members;
pub mod phase;
pub mod publish;
pub mod view;

pub use view::{AuctionView, ItemView};
