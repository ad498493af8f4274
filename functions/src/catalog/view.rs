//! How auctions and items are shown, to whom: private fields (the auction code, reserve
//! prices) only to those who run the auction.

use serde::Serialize;
use shared::bidding::minimum_next;
use shared::catalog::{
    AuctionAccess, AuctionNotifications, AuctionRecord, AuctionSettings, AuctionStatus, EventType,
    IncrementStep, ItemRecord, ItemStatus, ItemType,
};
use shared::domain::{AuctionId, Currency, CurrencyAmount, ItemId, Money, Timestamp, UserId};
use shared::http::ApiError;
use shared::lifecycle::{PaymentStatus, PickupStatus};

/// `amount` as clients see money in `currency` (a stored amount that does not fit is our bug).
pub(crate) fn shown(amount: Money, currency: Currency) -> Result<CurrencyAmount, ApiError> {
    amount
        .in_currency(currency)
        .map_err(|e| ApiError::Unexpected(anyhow::Error::new(e).context("a stored amount")))
}

/// One rung of the increment ladder.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IncrementView {
    pub from: CurrencyAmount,
    pub increment: CurrencyAmount,
}

/// The auction's rules.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    pub soft_close_window_sec: u32,
    pub soft_close_extension_sec: u32,
    pub stagger_sec: u32,
    pub payment_window_sec: u32,
    /// How long a second-chance offer stands (the payment window unless set).
    pub offer_window_sec: u32,
    pub buyer_premium_percent: String,
    pub increments: Vec<IncrementView>,
    /// How long before the first lot closes bidders are told it ends soon (0: never).
    pub ending_soon_sec: u32,
}

impl SettingsView {
    fn new(settings: &AuctionSettings, currency: Currency) -> Result<Self, ApiError> {
        Ok(Self {
            soft_close_window_sec: settings.soft_close_window_sec,
            soft_close_extension_sec: settings.soft_close_extension_sec,
            stagger_sec: settings.stagger_sec,
            payment_window_sec: settings.payment_window_sec,
            offer_window_sec: settings.offer_window(),
            buyer_premium_percent: settings.buyer_premium_percent.normalize().to_string(),
            increments: settings
                .increments
                .iter()
                .map(|step| {
                    Ok(IncrementView {
                        from: shown(step.from, currency)?,
                        increment: shown(step.increment, currency)?,
                    })
                })
                .collect::<Result<_, ApiError>>()?,
            ending_soon_sec: settings.ending_soon_sec,
        })
    }
}

/// An auction as the caller may see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuctionView {
    pub id: AuctionId,
    pub name: String,
    pub owner_id: UserId,
    pub event_type: EventType,
    pub description: Option<String>,
    pub thumbnail: Option<String>,
    /// The phase in force now (time opens and ends published auctions).
    pub status: AuctionStatus,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub duration_sec: i64,
    pub time_zone: String,
    pub currency: String,
    pub payment_url: Option<String>,
    pub settings: SettingsView,
    pub notifications: AuctionNotifications,
    /// How often others opened the auction: on reads of it (the auction, the lists), not in
    /// the answers to changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visits: Option<u64>,
    pub item_count: u32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Private auctions, for their owner, managers and staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auction_code: Option<String>,
}

impl AuctionView {
    pub fn new(
        auction: &AuctionRecord,
        access: &AuctionAccess,
        now: Timestamp,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            id: auction.id,
            name: auction.name.clone(),
            owner_id: auction.owner_id,
            event_type: auction.event_type,
            description: auction.description.clone(),
            thumbnail: auction.thumbnail.clone(),
            status: auction.effective_status(now),
            starts_at: auction.starts_at,
            ends_at: auction.ends_at,
            duration_sec: (auction.ends_at.millis() - auction.starts_at.millis()) / 1000,
            time_zone: auction.time_zone.clone(),
            currency: auction.currency.code().to_string(),
            payment_url: auction.payment_url.clone(),
            settings: SettingsView::new(&auction.settings, auction.currency)?,
            notifications: auction.notifications,
            visits: None,
            item_count: auction.item_count,
            created_at: auction.created_at,
            updated_at: auction.updated_at,
            auction_code: auction
                .auction_code
                .clone()
                .filter(|_| access.sees_private()),
        })
    }
}

/// An item as the caller may see it, with its bids' state (never the leader's maximum).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemView {
    pub id: ItemId,
    pub auction_id: AuctionId,
    pub owner_id: UserId,
    pub lot_number: u32,
    pub name: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub item_type: ItemType,
    pub starting_price: CurrencyAmount,
    pub buy_now_price: Option<CurrencyAmount>,
    /// What the item is worth, for donors' receipts.
    pub fair_market_value: Option<CurrencyAmount>,
    pub primary_photo: Option<String>,
    pub gallery: Vec<String>,
    /// How often others opened the item: on reads of it (the item, its auction's list), not
    /// in the answers to bids and changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub views: Option<u64>,
    pub status: ItemStatus,
    pub ends_at: Timestamp,
    pub current_bid: Option<CurrencyAmount>,
    pub bid_count: u32,
    /// The least the next bid must be; `null` once the item takes no more bids (`closed`,
    /// `sold` or `unsold`).
    pub next_minimum_bid: Option<CurrencyAmount>,
    /// `null` when the item has no reserve.
    pub reserve_met: Option<bool>,
    pub leader_bidder_number: Option<u32>,
    /// Only for signed-in callers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub you_are_leading: Option<bool>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// For the owner, managers and staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reserve_price: Option<CurrencyAmount>,
    /// A `sold` item's sale: all of it for the winner and those who run the auction, only
    /// its amount for others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sale: Option<SaleView>,
}

/// A sold item's sale, as the caller may see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SaleView {
    pub amount: CurrencyAmount,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bidder_number: Option<u32>,
    /// When the payment is due; past it, the item is offered to the next bidder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_status: Option<PaymentStatus>,
    /// 0 for the close's own sale, one more for each accepted second-chance offer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round: Option<u32>,
    /// Whether the paid item has left the venue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pickup_status: Option<PickupStatus>,
}

impl SaleView {
    /// `item`'s sale, when it is sold, as `shown_as` may see it.
    fn of(item: &ItemRecord, shown_as: &Shown<'_>) -> Result<Option<Self>, ApiError> {
        let Some(sale) = item
            .sale
            .as_ref()
            .filter(|_| shown_as.status == ItemStatus::Sold)
        else {
            return Ok(None);
        };
        let amount = shown(sale.amount, shown_as.currency)?;
        let concerned =
            shown_as.sees_private || (sale.winner.is_some() && shown_as.viewer == sale.winner);
        Ok(Some(if concerned {
            Self {
                amount,
                bidder_number: sale.bidder_number,
                due_at: Some(sale.due_at),
                payment_status: Some(sale.payment_status),
                round: Some(sale.round),
                pickup_status: sale.pickup_status,
            }
        } else {
            Self {
                amount,
                bidder_number: None,
                due_at: None,
                payment_status: None,
                round: None,
                pickup_status: None,
            }
        }))
    }
}

impl ItemView {
    /// `item` of `auction` as `viewer` (`None`: anonymous) may see it at `now`.
    pub fn new(
        item: &ItemRecord,
        auction: &AuctionRecord,
        access: &AuctionAccess,
        viewer: Option<UserId>,
        now: Timestamp,
    ) -> Result<Self, ApiError> {
        let increments = item
            .terms
            .as_ref()
            .map_or(&auction.settings.increments, |terms| &terms.increments);
        Self::shown(
            item,
            Shown {
                currency: auction.currency,
                increments,
                status: item_status(item, auction, now),
                sees_private: access.sees_private(),
                viewer,
            },
        )
    }

    /// `item` as it is shown under `shown`.
    pub fn shown(item: &ItemRecord, shown_as: Shown<'_>) -> Result<Self, ApiError> {
        let currency = shown_as.currency;
        let reserve_price = match item.reserve_price.filter(|_| shown_as.sees_private) {
            Some(reserve) => Some(shown(reserve, currency)?),
            None => None,
        };
        let bidding = &item.bidding;
        let leader = bidding.leader.as_ref();
        let next_minimum = match shown_as.status {
            ItemStatus::Upcoming | ItemStatus::Open => Some(shown(
                minimum_next(shown_as.increments, item.starting_price, bidding.price),
                currency,
            )?),
            ItemStatus::Closed | ItemStatus::Sold | ItemStatus::Unsold => None,
        };
        Ok(Self {
            id: item.id,
            auction_id: item.auction_id,
            owner_id: item.owner_id,
            lot_number: item.lot_number,
            name: item.name.clone(),
            description: item.description.clone(),
            item_type: item.item_type,
            starting_price: shown(item.starting_price, currency)?,
            buy_now_price: item.buy_now_price.map(|p| shown(p, currency)).transpose()?,
            fair_market_value: item
                .fair_market_value
                .map(|v| shown(v, currency))
                .transpose()?,
            primary_photo: item.primary_photo.clone(),
            gallery: item.gallery.clone(),
            views: None,
            status: shown_as.status,
            ends_at: item.ends_at,
            current_bid: bidding.price.map(|p| shown(p, currency)).transpose()?,
            bid_count: bidding.bid_count,
            next_minimum_bid: next_minimum,
            reserve_met: item.reserve_met(),
            leader_bidder_number: leader.map(|l| l.bidder_number),
            you_are_leading: shown_as
                .viewer
                .map(|viewer| leader.is_some_and(|l| l.bidder == viewer)),
            created_at: item.created_at,
            updated_at: item.updated_at,
            reserve_price,
            sale: SaleView::of(item, &shown_as)?,
        })
    }
}

/// How an item is shown: in which currency and ladder, in which state, to whom.
#[derive(Clone, Copy, Debug)]
pub struct Shown<'a> {
    pub currency: Currency,
    pub increments: &'a [IncrementStep],
    pub status: ItemStatus,
    /// Sees the reserve price (owner, managers, staff).
    pub sees_private: bool,
    /// The signed-in caller, told whether they lead.
    pub viewer: Option<UserId>,
}

/// An item's status at `now`: a lot still `upcoming` in store is open while its auction takes
/// bids and its own close (soft-close extensions included) has not passed, and closed after it
/// (until closing records the outcome).
pub fn item_status(item: &ItemRecord, auction: &AuctionRecord, now: Timestamp) -> ItemStatus {
    if !matches!(item.status, ItemStatus::Upcoming | ItemStatus::Open) {
        return item.status;
    }
    let phase = auction.effective_status(now);
    if now >= item.ends_at && matches!(phase, AuctionStatus::Open | AuctionStatus::Pending) {
        return ItemStatus::Closed;
    }
    if now < item.ends_at && auction.takes_bids(now) {
        return ItemStatus::Open;
    }
    item.status
}
