//! How often items and auctions are looked at. The counts live in records of their own,
//! never on the item or auction records that bids update or condition-check: a flood of
//! reads must not cancel bid transactions.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::domain::{AuctionId, ItemId};
use crate::store::{Read, Store, StoreError, Update, n};

/// The views of one item or auction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewCountRecord {
    /// `item:<id>` or `auction:<id>`.
    pub subject: String,
    #[serde(default)]
    pub views: u64,
}
crate::record!(ViewCountRecord, ViewCounts, subject);

/// The counter of an item's views.
pub fn item_subject(item: ItemId) -> String {
    format!("item:{item}")
}

/// The counter of an auction's visits.
pub fn auction_subject(auction: AuctionId) -> String {
    format!("auction:{auction}")
}

/// Counts one view of `subject` and answers the count. A view that cannot be counted
/// (the store throttles a hot counter) is logged and left out: it is not worth failing
/// the read that made it.
pub async fn count_view(store: &Store, subject: &str) -> u64 {
    let view = Update::new("ADD #views :one")
        .name("#views", "views")
        .value(":one", n(1))
        .upsert();
    match store.update::<ViewCountRecord>(subject, view).await {
        Ok(counted) => counted.views,
        Err(error) => {
            tracing::warn!(error = %error, "a view was not counted");
            0
        }
    }
}

/// The counts of `subjects` (absent ones have none yet), in one read per hundred.
pub async fn views_of(
    store: &Store,
    subjects: &[String],
) -> Result<HashMap<String, u64>, StoreError> {
    let counts: Vec<ViewCountRecord> = store.get_many(subjects, Read::Eventual).await?;
    Ok(counts.into_iter().map(|c| (c.subject, c.views)).collect())
}

/// The count of `subject` as it is shown to a reader: a view by anyone but the owner is
/// counted first.
pub async fn seen_by(store: &Store, subject: &str, owner: bool) -> Result<u64, StoreError> {
    if !owner {
        return Ok(count_view(store, subject).await);
    }
    let count: Option<ViewCountRecord> = store.get(subject, Read::Eventual).await?;
    Ok(count.map_or(0, |c| c.views))
}
