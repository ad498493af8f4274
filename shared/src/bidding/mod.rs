//! The bidding engine's rules, as pure code over plain types (`docs/rules.md`, "Increments",
//! "Proxy bidding", "Soft close", "Reserve"): no I/O, so every rule is tested on its own and
//! replaying an item's bids reproduces its summary.

mod decision;
mod ladder;
mod records;
mod totals;

pub use decision::{
    BidEntry, BidRequest, BidSummary, Decision, ItemRules, Leader, Outcome, Rejection, decide,
    replay, replay_each,
};
pub use ladder::{increment_at, minimum_next};
pub use records::{BidRecord, BidState, BidStatus, BiddingTerms, IdempotencyRecord, TotalsRecord};
pub use totals::{Holding, TotalsChange, totals_changes};
