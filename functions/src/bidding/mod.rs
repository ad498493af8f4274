//! Bidding routes: placing bids and buy-nows, reading histories and totals, removing and
//! restoring bids, and the reconcile check that replays an auction's bids.

pub mod bids;
pub mod buy_now;
pub(crate) mod idempotency;
pub mod mine;
pub(crate) mod place;
pub mod reconcile;
pub mod removal;
pub(crate) mod replay;
pub mod totals;

use shared::bidding::BiddingTerms;
use shared::catalog::{AuctionRecord, ItemRecord};
use shared::domain::{CurrencyAmount, Money};
use shared::http::ApiError;

pub use place::{BidView, PlacedBid};

/// `amount` in the terms' currency, as clients see money.
fn shown(amount: Money, terms: &BiddingTerms) -> Result<CurrencyAmount, ApiError> {
    crate::catalog::view::shown(amount, terms.currency)
}

/// The item's bidding terms: copied onto it when its auction was published, or (for a draft)
/// what they would be now.
fn terms_of(item: &ItemRecord, auction: &AuctionRecord) -> BiddingTerms {
    item.terms
        .clone()
        .unwrap_or_else(|| BiddingTerms::of(auction, item.lot_number))
}
