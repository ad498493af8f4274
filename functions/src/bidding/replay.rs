//! Replaying an item's bids through the rules (`docs/rules.md`, "Atomicity"): what its summary
//! and each bid entry must be, given the bids that count. Removal and restore write the result;
//! reconcile compares it with what is stored.

use std::collections::BTreeMap;

use shared::bidding::{
    BidRecord, BidRequest, BidState, BidStatus, BidSummary, BiddingTerms, replay_each,
};
use shared::catalog::ItemRecord;
use shared::domain::{BidId, Timestamp};
use shared::store::{Index, Store, StoreError};

/// An item's bids as a replay leaves them.
#[derive(Debug)]
pub(super) struct Replayed {
    pub summary: BidSummary,
    /// The entries whose stored form differs from the replay's (new ones included).
    pub changed: Vec<BidRecord>,
}

/// The most bid entries of one item a request replays: reading them is 100 queries, well
/// within a function's time.
pub const MAX_REPLAYED_BIDS: usize = 10_000;

/// Every bid entry of `item`, in the order they were accepted; `None` when it has more than
/// [`MAX_REPLAYED_BIDS`].
pub(crate) async fn item_bids(
    store: &Store,
    item: &ItemRecord,
) -> Result<Option<Vec<BidRecord>>, StoreError> {
    store
        .query_at_most(Index::BIDS_BY_ITEM, &item.id.to_string(), MAX_REPLAYED_BIDS)
        .await
}

/// Replays `stored` (all of `item`'s entries) under `terms`: bids that are not removed, in
/// their sequence. Entries the replay no longer produces become `superseded`.
pub(super) fn replay_item(
    item: &ItemRecord,
    terms: &BiddingTerms,
    stored: &[BidRecord],
    now: Timestamp,
) -> Replayed {
    let mut requests: Vec<(u64, BidRequest)> = stored
        .iter()
        .filter(|bid| bid.status != BidStatus::Removed)
        .filter_map(|bid| Some((bid.sequence, bid.request()?)))
        .collect();
    requests.sort_by_key(|(sequence, _)| *sequence);
    let (mut summary, outcomes) = replay_each(&item.rules(terms), terms.scheduled_close, &requests);
    // The sequence counter only grows: a removed last bid's number is never handed out again.
    summary.accepted = item.bidding.accepted;

    let before: BTreeMap<BidId, &BidRecord> = stored.iter().map(|bid| (bid.id, bid)).collect();
    let mut expected: BTreeMap<BidId, BidRecord> = stored
        .iter()
        .map(|bid| {
            let mut bid = bid.clone();
            if bid.automatic && bid.status == BidStatus::Active {
                bid.status = BidStatus::Superseded;
            }
            (bid.id, bid)
        })
        .collect();
    for ((_, request), outcome) in requests.iter().zip(outcomes) {
        match outcome {
            Ok(decision) => {
                for entry in BidRecord::from_decision(item, request, &decision, now) {
                    match expected.get_mut(&entry.id) {
                        Some(existing) => {
                            existing.amount = entry.amount;
                            existing.visible = entry.visible;
                            existing.position = entry.position;
                            existing.status = BidStatus::Active;
                        }
                        None => {
                            expected.insert(entry.id, entry);
                        }
                    }
                }
            }
            Err(_) => {
                if let Some(own) = expected.get_mut(&request.id) {
                    own.status = BidStatus::Superseded;
                }
            }
        }
    }
    let changed = expected
        .into_values()
        .filter(|bid| {
            before.get(&bid.id).is_none_or(|was| {
                BidRecord {
                    updated_at: was.updated_at,
                    ..bid.clone()
                } != **was
            })
        })
        .map(|bid| BidRecord {
            updated_at: now,
            ..bid
        })
        .collect();
    Replayed { summary, changed }
}

/// Whether `item`'s stored state is `summary` (the leader's maximum included).
pub(super) fn stored_matches(item: &ItemRecord, summary: &BidSummary) -> bool {
    item.bidding == BidState::from_summary(summary) && item.ends_at == summary.ends_at
}
