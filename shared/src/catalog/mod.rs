//! The catalog: auction events, their items (artworks) and per-auction memberships.

mod auction;
mod code;
mod item;
mod membership;

pub use auction::{
    AuctionRecord, AuctionSettings, AuctionStatus, EventType, IncrementStep, default_increments,
};
pub use code::{AuctionCode, AuctionCodeRecord};
pub use item::{ItemRecord, ItemStatus, ItemType};
pub use membership::{BidderCounterRecord, MembershipRecord, MembershipRole, MembershipStatus};
