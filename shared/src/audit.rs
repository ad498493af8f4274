//! The audit log: append-only records of who changed what, written in the same transaction
//! as the change they describe.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::{AuctionId, Timestamp, UserId};

/// Everything the audit log records (`docs/rules.md`, "Audit actions").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    BidPlaced,
    /// An item bought at its buy-now price (which closes it).
    BuyNow,
    BidRemoved,
    BidRestored,
    ItemCreated,
    ItemUpdated,
    ItemDeleted,
    LiveWinnerAssigned,
    AuctionCreated,
    AuctionPhaseChanged,
    AuctionCodeChanged,
    AuctionUpdated,
    AuctionDeleted,
    AuctionNotificationsUpdated,
    MembershipRoleChanged,
    MembershipStatusChanged,
    PaymentStatusChanged,
    PickupStatusChanged,
    ReportExported,
    PiiPurged,
    UserCreated,
    UserUpdated,
    RoleChanged,
    /// An item closed at its effective `endsAt`: sold to the leader, or unsold.
    ItemClosed,
    /// A winner's payment deadline passed unpaid: they are passed over for the item.
    PaymentOverdue,
    /// The item was offered to the next bidder (second chance).
    SecondChanceOffered,
    OfferAccepted,
    OfferDeclined,
    OfferExpired,
}

/// One entry of the audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    pub id: String,
    /// The auction the change belongs to; `None` for platform-wide changes (accounts, roles).
    pub auction_id: Option<AuctionId>,
    pub at: Timestamp,
    /// Who made the change; `None` for the system itself (schedules).
    pub actor_id: Option<UserId>,
    pub action: AuditAction,
    /// What was changed (a user, a role, an item...).
    pub target_id: Option<String>,
    /// What changed, never secrets or private maxima.
    #[serde(default)]
    pub details: Map<String, Value>,
}

crate::record!(AuditRecord, AuditLogs, id);

impl AuditRecord {
    /// A new entry by `actor` at `at`.
    pub fn new(action: AuditAction, actor: Option<UserId>, at: Timestamp) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            auction_id: None,
            at,
            actor_id: actor,
            action,
            target_id: None,
            details: Map::new(),
        }
    }

    pub fn target(mut self, target: impl ToString) -> Self {
        self.target_id = Some(target.to_string());
        self
    }

    pub fn detail(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.details.insert(name.to_string(), value.into());
        self
    }
}

/// What one field was and became, as an entry's detail records it.
pub fn change(from: &impl Serialize, to: &impl Serialize) -> Value {
    serde_json::json!({
        "from": serde_json::to_value(from).unwrap_or_default(),
        "to": serde_json::to_value(to).unwrap_or_default(),
    })
}

/// Applies `update` to the record of `R` keyed `key` together with its audit entries, all or
/// nothing, and answers the record as it is now (`None` if it vanished since).
pub async fn audited_update<R: crate::store::Record>(
    store: &crate::store::Store,
    key: &str,
    update: crate::store::Update,
    audits: &[AuditRecord],
) -> Result<Option<R>, crate::store::StoreError> {
    let mut transaction = store.transaction().update(R::COLLECTION, key, update)?;
    for entry in audits {
        transaction = transaction.create(entry)?;
    }
    store.transact(transaction).await?;
    store.get::<R>(key, crate::store::Read::Strong).await
}
