//! What an item's close leaves on it: the sale (its winner, the amount, the payment deadline,
//! the payment status) and, once a winner did not pay, the offer to the next bidder.

use serde::{Deserialize, Serialize};

use crate::domain::{Money, OfferId, Timestamp, UserId};
use crate::store::number::money;

/// Where a sale's payment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum PaymentStatus {
    Unpaid,
    Paid,
    /// The deadline passed unpaid: the item is offered to the next bidder.
    Overdue,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Unpaid => "unpaid",
            PaymentStatus::Paid => "paid",
            PaymentStatus::Overdue => "overdue",
        }
    }
}

/// Whether a paid item has left with its winner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum PickupStatus {
    NotPickedUp,
    PickedUp,
}

impl PickupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PickupStatus::NotPickedUp => "notPickedUp",
            PickupStatus::PickedUp => "pickedUp",
        }
    }
}

/// How the item was won.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum SaleKind {
    /// The leader when the item closed.
    Online,
    /// Bought at the buy-now price, which closed the item at once.
    BuyNow,
    /// Accepted from a second-chance offer.
    SecondChance,
    /// Hammered on the floor: a live item's winner as the clerk entered it.
    Live,
}

/// The item's sale: locked to `winner` until it is paid, or passed on once the deadline
/// passes unpaid. `round` counts the sales of the item (0 for the close's own).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sale {
    /// Private: shown to no one but those who run the auction as a bidder number. `None` for
    /// a live item's winner entered by name (someone without an account).
    pub winner: Option<UserId>,
    pub bidder_number: Option<u32>,
    /// A live item's winner entered by name instead of bidder number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_name: Option<String>,
    #[serde(with = "money")]
    pub amount: Money,
    pub sold_at: Timestamp,
    pub due_at: Timestamp,
    pub payment_status: PaymentStatus,
    pub round: u32,
    pub kind: SaleKind,
    /// The half-way reminder was sent.
    #[serde(default)]
    pub reminded: bool,
    #[serde(default)]
    pub paid_at: Option<Timestamp>,
    /// Set once paid: `notPickedUp` until the winner takes the item away.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pickup_status: Option<PickupStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picked_up_at: Option<Timestamp>,
}

impl Sale {
    /// When the half-way reminder is due.
    pub fn reminder_at(&self) -> Timestamp {
        let half = (self.due_at.millis() - self.sold_at.millis()) / 2;
        self.sold_at.plus(chrono::TimeDelta::milliseconds(half))
    }
}

impl crate::catalog::ItemRecord {
    /// The item's sale of `round` while it waits for its payment.
    pub fn unpaid_sale(&self, round: u32) -> Option<&Sale> {
        self.sale
            .as_ref()
            .filter(|sale| sale.round == round && sale.payment_status == PaymentStatus::Unpaid)
    }
}

/// The second-chance offer an overdue sale is waiting on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingOffer {
    pub offer_id: OfferId,
    pub bidder: UserId,
    pub round: u32,
    pub expires_at: Timestamp,
}
