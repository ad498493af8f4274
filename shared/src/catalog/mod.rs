//! The catalog: auction events, their items (artworks) and per-auction memberships.

pub mod access;
mod auction;
mod code;
pub mod draft;
mod item;
mod membership;
mod phase;
pub mod views;

pub use access::AuctionAccess;
pub use auction::{
    AuctionNotifications, AuctionRecord, AuctionSettings, AuctionStatus, EventType, IncrementStep,
    default_increments,
};
pub use code::{AuctionCode, AuctionCodeRecord};
pub use item::{ItemRecord, ItemStatus, ItemType};
pub use membership::{BidderCounterRecord, MembershipRecord, MembershipRole, MembershipStatus};
