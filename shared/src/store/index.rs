//! The global secondary indexes the queries use. The template defines them; this list names
//! them for code (a test checks the two agree), and tells a cursor which key it must hold.

use super::collection::Collection;

/// The type of a key attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyType {
    S,
    N,
}

/// A global secondary index of one collection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Index {
    pub collection: Collection,
    pub name: &'static str,
    /// The partition-key attribute (always a string here).
    pub partition: &'static str,
    /// The sort-key attribute and its type, if the index has one.
    pub sort: Option<(&'static str, KeyType)>,
}

const fn index(
    collection: Collection,
    name: &'static str,
    partition: &'static str,
    sort: (&'static str, KeyType),
) -> Index {
    Index {
        collection,
        name,
        partition,
        sort: Some(sort),
    }
}

use Collection as C;
use KeyType::{N, S};

impl Index {
    pub const AUCTIONS_BY_OWNER: Index = index(C::Auctions, "byOwner", "ownerId", ("createdAt", S));
    pub const AUCTIONS_BY_STATUS: Index = index(C::Auctions, "byStatus", "status", ("startsAt", S));
    pub const USERS_BY_ENTITY: Index = index(C::Users, "byEntity", "entity", ("createdAt", S));
    pub const SESSIONS_BY_USER: Index = index(C::Sessions, "byUser", "userId", ("createdAt", S));
    pub const ROLES_BY_ENTITY: Index = index(C::Roles, "byEntity", "entity", ("name", S));
    pub const GROUPS_BY_ENTITY: Index = index(C::Groups, "byEntity", "entity", ("name", S));
    pub const PERMISSIONS_BY_ENTITY: Index =
        index(C::Permissions, "byEntity", "entity", ("name", S));
    pub const MEMBERSHIPS_BY_USER: Index =
        index(C::AuctionMemberships, "byUser", "userId", ("auctionId", S));
    pub const MEMBERSHIPS_BY_AUCTION: Index = index(
        C::AuctionMemberships,
        "byAuction",
        "auctionId",
        ("userId", S),
    );
    /// Sparse: only memberships with a bidder number (the floor's "paddle 104").
    pub const MEMBERSHIPS_BY_NUMBER: Index = index(
        C::AuctionMemberships,
        "byBidderNumber",
        "auctionId",
        ("bidderNumber", N),
    );
    pub const ITEMS_BY_AUCTION: Index = index(C::Items, "byAuction", "auctionId", ("lotNumber", N));
    pub const IMAGES_BY_ITEM: Index = index(C::Images, "byItem", "itemId", ("position", N));
    pub const BIDS_BY_ITEM: Index = index(C::Bids, "byItem", "itemId", ("position", N));
    pub const BIDS_BY_BIDDER: Index = index(C::Bids, "byBidder", "bidderId", ("placedAt", S));
    pub const AUDIT_BY_AUCTION: Index = index(C::AuditLogs, "byAuction", "auctionId", ("at", S));
    pub const TOTALS_BY_AUCTION: Index =
        index(C::Totals, "byAuction", "auctionId", ("bidderNumber", N));
    pub const TOTALS_BY_BIDDER: Index = index(C::Totals, "byBidder", "bidderId", ("auctionId", S));
    pub const NOTIFICATIONS_BY_USER: Index =
        index(C::Notifications, "byUser", "userId", ("createdAt", S));
    /// Sparse: a notification is in it while unread (`unreadBy` holds its user until then).
    pub const NOTIFICATIONS_UNREAD_BY_USER: Index = index(
        C::Notifications,
        "unreadByUser",
        "unreadBy",
        ("createdAt", S),
    );
    /// Sparse: only subscription records carry `auctionId` (see `shared::realtime`).
    pub const CONNECTIONS_BY_AUCTION: Index = index(
        C::Connections,
        "byAuction",
        "auctionId",
        ("connectionId", S),
    );

    pub const OFFERS_BY_BIDDER: Index = index(C::Offers, "byBidder", "bidderId", ("createdAt", S));
    pub const PAYMENTS_BY_AUCTION: Index =
        index(C::Payments, "byAuction", "auctionId", ("recordedAt", S));

    /// Every index, for checking against the template.
    pub const ALL: [Index; 22] = [
        Self::AUCTIONS_BY_OWNER,
        Self::AUCTIONS_BY_STATUS,
        Self::USERS_BY_ENTITY,
        Self::SESSIONS_BY_USER,
        Self::ROLES_BY_ENTITY,
        Self::GROUPS_BY_ENTITY,
        Self::PERMISSIONS_BY_ENTITY,
        Self::MEMBERSHIPS_BY_USER,
        Self::MEMBERSHIPS_BY_AUCTION,
        Self::MEMBERSHIPS_BY_NUMBER,
        Self::ITEMS_BY_AUCTION,
        Self::IMAGES_BY_ITEM,
        Self::BIDS_BY_ITEM,
        Self::BIDS_BY_BIDDER,
        Self::AUDIT_BY_AUCTION,
        Self::TOTALS_BY_AUCTION,
        Self::TOTALS_BY_BIDDER,
        Self::NOTIFICATIONS_BY_USER,
        Self::NOTIFICATIONS_UNREAD_BY_USER,
        Self::CONNECTIONS_BY_AUCTION,
        Self::OFFERS_BY_BIDDER,
        Self::PAYMENTS_BY_AUCTION,
    ];

    /// The attributes a start key (cursor) of a query on this index holds, with their types.
    pub(crate) fn start_key_attributes(&self) -> Vec<(&'static str, KeyType)> {
        let mut attributes = vec![(self.collection.key_attribute(), S), (self.partition, S)];
        attributes.extend(self.sort);
        attributes.sort();
        attributes.dedup();
        attributes
    }
}
