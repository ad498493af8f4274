//! Per-auction memberships and the counter that hands out bidder numbers.

use serde::{Deserialize, Serialize};

use crate::domain::{AuctionId, Timestamp, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MembershipRole {
    Owner,
    Manager,
    Clerk,
    Bidder,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MembershipStatus {
    Active,
    Revoked,
}

/// A user's place in one auction; keyed `auctionId:userId`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MembershipRecord {
    pub id: String,
    pub auction_id: AuctionId,
    pub user_id: UserId,
    pub role: MembershipRole,
    /// Narrows (never widens) what the role allows in this auction.
    pub role_override: Option<MembershipRole>,
    pub status: MembershipStatus,
    /// Unique per auction, from 100; given on joining or on a first bid.
    pub bidder_number: Option<u32>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

impl MembershipRecord {
    /// The key of `user_id`'s membership of `auction_id`.
    pub fn key(auction_id: AuctionId, user_id: UserId) -> String {
        format!("{auction_id}:{user_id}")
    }
}

crate::record!(MembershipRecord, AuctionMemberships, id, versioned);

/// The last bidder number handed out in an auction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BidderCounterRecord {
    pub auction_id: AuctionId,
    pub last: u32,
}

crate::record!(BidderCounterRecord, AuctionBidderCounters, auction_id);
