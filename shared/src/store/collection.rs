//! The flat collections, one DynamoDB table each. Their definitions live once, in
//! `template.yaml`; this list names them for code and is checked against the template.

/// A collection (table) of the platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Collection {
    Auctions,
    Users,
    EmailIndex,
    UsernameIndex,
    Sessions,
    LoginAttempts,
    Roles,
    Groups,
    Permissions,
    AuctionMemberships,
    AuctionBidderCounters,
    AuctionCodeIndex,
    Items,
    ViewCounts,
    Images,
    Bids,
    LiveWinners,
    AuditLogs,
    Totals,
    Notifications,
    IdempotencyKeys,
    Connections,
    RealtimeTickets,
    Offers,
    Payments,
}

impl Collection {
    pub const ALL: [Collection; 25] = [
        Self::Auctions,
        Self::Users,
        Self::EmailIndex,
        Self::UsernameIndex,
        Self::Sessions,
        Self::LoginAttempts,
        Self::Roles,
        Self::Groups,
        Self::Permissions,
        Self::AuctionMemberships,
        Self::AuctionBidderCounters,
        Self::AuctionCodeIndex,
        Self::Items,
        Self::ViewCounts,
        Self::Images,
        Self::Bids,
        Self::LiveWinners,
        Self::AuditLogs,
        Self::Totals,
        Self::Notifications,
        Self::IdempotencyKeys,
        Self::Connections,
        Self::RealtimeTickets,
        Self::Offers,
        Self::Payments,
    ];

    /// The collection's name: its table name without the stage prefix.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auctions => "auctions",
            Self::Users => "users",
            Self::EmailIndex => "email_index",
            Self::UsernameIndex => "username_index",
            Self::Sessions => "sessions",
            Self::LoginAttempts => "login_attempts",
            Self::Roles => "roles",
            Self::Groups => "groups",
            Self::Permissions => "permissions",
            Self::AuctionMemberships => "auction_memberships",
            Self::AuctionBidderCounters => "auction_bidder_counters",
            Self::AuctionCodeIndex => "auction_code_index",
            Self::Items => "items",
            Self::ViewCounts => "view_counts",
            Self::Images => "images",
            Self::Bids => "bids",
            Self::LiveWinners => "live_winners",
            Self::AuditLogs => "audit_logs",
            Self::Totals => "totals",
            Self::Notifications => "notifications",
            Self::IdempotencyKeys => "idempotency_keys",
            Self::Connections => "connections",
            Self::RealtimeTickets => "realtime_tickets",
            Self::Offers => "offers",
            Self::Payments => "payments",
        }
    }

    /// The partition-key attribute (every table has a single string key).
    pub fn key_attribute(self) -> &'static str {
        match self {
            Self::EmailIndex => "email",
            Self::LoginAttempts => "key",
            Self::UsernameIndex => "username",
            Self::Roles | Self::Groups | Self::Permissions => "name",
            Self::AuctionBidderCounters => "auctionId",
            Self::AuctionCodeIndex => "auctionCode",
            Self::LiveWinners => "itemId",
            Self::ViewCounts => "subject",
            _ => "id",
        }
    }
}

/// Table names for one deployment stage: the configured prefix plus the collection name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tables {
    prefix: String,
}

impl Tables {
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn name(&self, collection: Collection) -> String {
        format!("{}{}", self.prefix, collection.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_prefixed() {
        let tables = Tables::new("dev-");
        let mut names: Vec<_> = Collection::ALL.iter().map(|c| tables.name(*c)).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Collection::ALL.len());
        assert_eq!(tables.name(Collection::AuditLogs), "dev-audit_logs");
    }
}
