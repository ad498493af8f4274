//! In-app notifications (`GET /me/notifications`), written for the people events concern.
//! An unread notification carries `unreadBy` (its user), which puts it in the sparse
//! `unreadByUser` index: counting and listing the unread is a query, not a scan.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{AuctionId, ItemId, NotificationId, Timestamp, UserId};

/// How long a notification is kept.
pub const NOTIFICATION_DAYS: i64 = 90;

/// What a notification is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    OutbidInApp,
    ItemWon,
    PaymentReminder,
    PaymentOverdue,
    SecondChanceOffer,
    EndingSoon,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationRecord {
    pub id: NotificationId,
    pub user_id: UserId,
    #[serde(rename = "type")]
    pub kind: NotificationKind,
    pub auction_id: AuctionId,
    /// What it refers to: `item` (and the item's id).
    pub ref_type: String,
    pub ref_id: String,
    pub message: String,
    pub created_at: Timestamp,
    pub read_at: Option<Timestamp>,
    /// The user while it is unread; absent once read (the `unreadByUser` index's key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread_by: Option<UserId>,
    /// Epoch seconds; removed by DynamoDB's TTL after [`NOTIFICATION_DAYS`].
    pub expires_at: i64,
}

crate::record!(NotificationRecord, Notifications, id);

impl NotificationRecord {
    /// The notification that `user` was outbid on `item` by its accepted request number
    /// `sequence`: the id follows from those, so however often the stream delivers that
    /// change, one notification is written.
    pub fn outbid(
        user: UserId,
        auction: AuctionId,
        item: ItemId,
        sequence: u64,
        message: String,
        now: Timestamp,
    ) -> Self {
        Self::about_item(
            NotificationKind::OutbidInApp,
            &format!("{item}:{sequence}"),
            user,
            auction,
            item,
            message,
            now,
        )
    }

    /// A notification of `kind` about `item`, for the occurrence `occurrence` names (the
    /// sale's round, the offer): its id follows from those, so an event delivered again
    /// writes no second one.
    pub fn about_item(
        kind: NotificationKind,
        occurrence: &str,
        user: UserId,
        auction: AuctionId,
        item: ItemId,
        message: String,
        now: Timestamp,
    ) -> Self {
        let label = serde_json::to_value(kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let name = format!("{label}:{occurrence}");
        let id = NotificationId::from_uuid(Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes()));
        Self {
            id,
            user_id: user,
            kind,
            auction_id: auction,
            ref_type: "item".into(),
            ref_id: item.to_string(),
            message,
            created_at: now,
            read_at: None,
            unread_by: Some(user),
            expires_at: now.epoch_seconds() + NOTIFICATION_DAYS * 24 * 60 * 60,
        }
    }
}
