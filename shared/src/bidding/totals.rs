//! How bidders' totals move with an item's leader and price: the leader carries the item's
//! price in their subtotal, and no one else does.

use rust_decimal::Decimal;

use super::decision::BidSummary;
use crate::domain::UserId;

/// Whether a bidder's totals gain, lose or keep the item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holding {
    Gained,
    Lost,
    Kept,
}

/// One bidder's totals change for one item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TotalsChange {
    pub bidder: UserId,
    pub bidder_number: u32,
    /// Added to their subtotal (negative when they lose the item).
    pub delta: Decimal,
    pub holding: Holding,
}

/// The totals changes that move an item from `before` to `after` (none when nothing moved).
pub fn totals_changes(before: &BidSummary, after: &BidSummary) -> Vec<TotalsChange> {
    let held = |summary: &BidSummary| {
        summary
            .leader
            .as_ref()
            .zip(summary.price)
            .map(|(leader, price)| (leader.bidder, leader.bidder_number, price.amount()))
    };
    match (held(before), held(after)) {
        (Some((was, number, old)), Some((now, _, new))) if was == now => (old != new)
            .then(|| TotalsChange {
                bidder: was,
                bidder_number: number,
                delta: new - old,
                holding: Holding::Kept,
            })
            .into_iter()
            .collect(),
        (before, after) => before
            .map(|(bidder, bidder_number, price)| TotalsChange {
                bidder,
                bidder_number,
                delta: -price,
                holding: Holding::Lost,
            })
            .into_iter()
            .chain(after.map(|(bidder, bidder_number, price)| TotalsChange {
                bidder,
                bidder_number,
                delta: price,
                holding: Holding::Gained,
            }))
            .collect(),
    }
}
