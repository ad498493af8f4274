//! Auction events as stored, with their per-auction settings.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::{AuctionId, Currency, Money, Timestamp, UserId};
use crate::store::number::money;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EventType {
    // What stands in for a refused `eventType` while the rest of the body is checked.
    #[default]
    Public,
    Private,
}

/// An auction's phases, in order (`docs/rules.md`, "Phases").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuctionStatus {
    Setup,
    Ready,
    Open,
    Pending,
    Complete,
    Closed,
}

/// One rung of the increment ladder: from `from` on, bids rise by `increment`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncrementStep {
    #[serde(with = "money")]
    pub from: Money,
    #[serde(with = "money")]
    pub increment: Money,
}

/// The default ladder (after Artsy's, extended downwards for small artists).
pub fn default_increments() -> Vec<IncrementStep> {
    const LADDER: [(i64, i64); 12] = [
        (0, 1),
        (20, 2),
        (100, 5),
        (250, 10),
        (500, 25),
        (1_000, 50),
        (2_000, 100),
        (5_000, 250),
        (10_000, 500),
        (20_000, 1_000),
        (50_000, 2_500),
        (100_000, 5_000),
    ];
    LADDER
        .iter()
        .map(|&(from, increment)| IncrementStep {
            from: Money::from_decimal(Decimal::from(from)).unwrap_or(Money::ZERO),
            increment: Money::from_decimal(Decimal::from(increment)).unwrap_or(Money::ZERO),
        })
        .collect()
}

/// Per-auction rules, with the defaults `docs/rules.md` states ("Increments", "Soft close",
/// "Payment window").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuctionSettings {
    pub soft_close_window_sec: u32,
    pub soft_close_extension_sec: u32,
    pub stagger_sec: u32,
    pub payment_window_sec: u32,
    /// How long a second-chance offer stands; the payment window when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_window_sec: Option<u32>,
    pub buyer_premium_percent: Decimal,
    pub increments: Vec<IncrementStep>,
    /// How long before the first lot closes its bidders are told it ends soon; 0: never.
    #[serde(default = "default_ending_soon_sec")]
    pub ending_soon_sec: u32,
}

/// Fifteen minutes (also what auctions stored before the setting existed have).
fn default_ending_soon_sec() -> u32 {
    900
}

impl AuctionSettings {
    /// How long a second-chance offer stands.
    pub fn offer_window(&self) -> u32 {
        self.offer_window_sec.unwrap_or(self.payment_window_sec)
    }
}

impl Default for AuctionSettings {
    fn default() -> Self {
        Self {
            soft_close_window_sec: 120,
            soft_close_extension_sec: 120,
            stagger_sec: 60,
            payment_window_sec: 7_200,
            offer_window_sec: None,
            buyer_premium_percent: Decimal::ZERO,
            increments: default_increments(),
            ending_soon_sec: default_ending_soon_sec(),
        }
    }
}

/// Which notifications an auction sends its bidders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuctionNotifications {
    /// Tell a bidder when they are outbid.
    pub outbid: bool,
    /// Tell watchers when a lot is about to close.
    pub closing_soon: bool,
    /// Remind winners before their payment window ends.
    pub payment_reminders: bool,
    /// Write these in the app (`GET /me/notifications`), besides the live page's events.
    #[serde(default = "enabled")]
    pub in_app_enabled: bool,
}

fn enabled() -> bool {
    true
}

impl Default for AuctionNotifications {
    fn default() -> Self {
        Self {
            outbid: true,
            closing_soon: true,
            payment_reminders: true,
            in_app_enabled: true,
        }
    }
}

/// An auction event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuctionRecord {
    pub id: AuctionId,
    pub owner_id: UserId,
    pub name: String,
    pub event_type: EventType,
    pub description: Option<String>,
    pub thumbnail: Option<String>,
    pub status: AuctionStatus,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// IANA time zone the auction is shown in.
    pub time_zone: String,
    pub currency: Currency,
    pub payment_url: Option<String>,
    pub settings: AuctionSettings,
    #[serde(default)]
    pub notifications: AuctionNotifications,
    pub item_count: u32,
    /// Lot numbers handed out in setup (only grows, so a deleted item's number is never
    /// reused); publishing renumbers the lots from 0.
    #[serde(default)]
    pub lots_assigned: u32,
    /// Private auctions only: the code bidders join with (owner, managers and staff see it).
    pub auction_code: Option<String>,
    /// Set once someone moved the phase by hand: time no longer moves it.
    #[serde(default)]
    pub manual_phase: bool,
    /// When its bidders were told it ends soon (set once, by the reminder's conditional write).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ending_soon_sent_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

crate::record!(AuctionRecord, Auctions, id, versioned);
