//! WebSocket connections and what they follow, in the `connections` collection: one record
//! per connection (keyed by API Gateway's connection id) and one per (connection, auction)
//! subscription. Only subscriptions carry `auctionId`, so the sparse `byAuction` index lists an
//! auction's subscribers and nothing else. Both expire with API Gateway's 2-hour limit.

use serde::{Deserialize, Serialize};

use crate::domain::{AuctionId, SessionId, Timestamp, UserId};
use crate::store::{AttributeValue, Collection, Condition, s};

/// API Gateway ends every WebSocket connection after 2 hours.
pub const CONNECTION_SECS: i64 = 2 * 60 * 60;

/// Auctions one connection may follow at once.
pub const MAX_SUBSCRIPTIONS: usize = 10;

/// An open connection: who opened it (nobody, for an anonymous one) and what it follows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionRecord {
    /// API Gateway's connection id.
    pub id: String,
    pub user_id: Option<UserId>,
    pub session_id: Option<SessionId>,
    pub connected_at: Timestamp,
    /// The auctions it is subscribed to (each also has its [`SubscriptionRecord`]).
    #[serde(default)]
    pub auctions: Vec<AuctionId>,
    /// Epoch seconds; DynamoDB's TTL removes what `$disconnect` did not.
    pub expires_at: i64,
}

crate::record!(ConnectionRecord, Connections, id);

impl ConnectionRecord {
    pub fn new(id: &str, user: Option<UserId>, session: Option<SessionId>, now: Timestamp) -> Self {
        Self {
            id: id.to_string(),
            user_id: user,
            session_id: session,
            connected_at: now,
            auctions: Vec::new(),
            expires_at: now.epoch_seconds() + CONNECTION_SECS,
        }
    }

    /// The record still exists with the list of auctions it was read with: what a change of
    /// its subscriptions, or its deletion, is conditioned on (messages of one connection, and
    /// its `$disconnect`, may run side by side).
    pub fn unchanged(&self) -> Condition {
        let listed = self.auctions.iter().map(|a| s(a.to_string())).collect();
        Condition::exists(Collection::Connections)
            .and(Condition::new("auctions = :listed").value(":listed", AttributeValue::L(listed)))
    }
}

/// Why a connection may follow an auction, as decided when it subscribed. The fan-out checks
/// it again on every batch, so a revoked membership, an ended session or a disabled account
/// stops the events within one batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Standing {
    /// A published public auction: anyone may follow it.
    Public,
    /// A private auction, through an active membership.
    Member,
    /// Its owner or platform staff.
    Privileged,
}

/// A connection following one auction: what the fan-out reads to reach the auction's
/// subscribers, and to find the previous leader's own connections among them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionRecord {
    /// `<connectionId>:<auctionId>` (see [`SubscriptionRecord::key`]).
    pub id: String,
    pub auction_id: AuctionId,
    pub connection_id: String,
    pub user_id: Option<UserId>,
    pub session_id: Option<SessionId>,
    pub standing: Standing,
    pub subscribed_at: Timestamp,
    pub expires_at: i64,
}

crate::record!(SubscriptionRecord, Connections, id);

impl SubscriptionRecord {
    pub fn new(
        connection: &ConnectionRecord,
        auction: AuctionId,
        standing: Standing,
        now: Timestamp,
    ) -> Self {
        Self {
            id: Self::key(&connection.id, auction),
            auction_id: auction,
            connection_id: connection.id.clone(),
            user_id: connection.user_id,
            session_id: connection.session_id,
            standing,
            subscribed_at: now,
            expires_at: connection.expires_at,
        }
    }

    /// Connection ids are base64, which has no `:`, so the key is unambiguous and never the
    /// key of a connection record.
    pub fn key(connection: &str, auction: AuctionId) -> String {
        format!("{connection}:{auction}")
    }

    pub fn is_live(&self, now: Timestamp) -> bool {
        now.epoch_seconds() < self.expires_at
    }
}
