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

/// How a notification reaches its user: in the app (`GET /me/notifications`), or by email
/// (named for the sender that will deliver it; nothing sends email yet).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum DeliveryChannel {
    #[default]
    InApp,
    Email,
}

/// Where a notification's delivery stands: `queued` for a sender to pick up, `sent`, or
/// `failed`. In-app ones are sent as they are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum NotificationStatus {
    Queued,
    #[default]
    Sent,
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationRecord {
    pub id: NotificationId,
    pub user_id: UserId,
    #[serde(rename = "type")]
    pub kind: NotificationKind,
    pub auction_id: AuctionId,
    /// What it refers to: `item` or `auction` (and its id).
    pub ref_type: String,
    pub ref_id: String,
    pub message: String,
    /// Records written before channels existed were in-app ones, sent.
    #[serde(default)]
    pub delivery_channel: DeliveryChannel,
    #[serde(default)]
    pub status: NotificationStatus,
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
        Self::in_app(
            kind,
            occurrence,
            user,
            auction,
            ("item", item.to_string()),
            message,
            now,
        )
    }

    /// A notification of `kind` about `auction` as a whole, one per user: its id follows
    /// from the kind, the auction and the user, so an event delivered again writes no second
    /// one.
    pub fn about_auction(
        kind: NotificationKind,
        user: UserId,
        auction: AuctionId,
        message: String,
        now: Timestamp,
    ) -> Self {
        Self::in_app(
            kind,
            &format!("{auction}:{user}"),
            user,
            auction,
            ("auction", auction.to_string()),
            message,
            now,
        )
    }

    /// An in-app notification (sent as it is written), its id named by `kind` and
    /// `occurrence`, about `reference` (its type and id).
    fn in_app(
        kind: NotificationKind,
        occurrence: &str,
        user: UserId,
        auction: AuctionId,
        (ref_type, ref_id): (&str, String),
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
            ref_type: ref_type.into(),
            ref_id,
            message,
            delivery_channel: DeliveryChannel::InApp,
            status: NotificationStatus::Sent,
            created_at: now,
            read_at: None,
            unread_by: Some(user),
            expires_at: now.epoch_seconds() + NOTIFICATION_DAYS * 24 * 60 * 60,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_stored_before_delivery_channels_reads_as_in_app_and_sent() {
        let (id, user, auction) = (NotificationId::new(), UserId::new(), AuctionId::new());
        let stored = serde_json::json!({
            "id": id, "userId": user, "type": "outbid_in_app", "auctionId": auction,
            "refType": "item", "refId": "x", "message": "m",
            "createdAt": "2026-12-04T10:00:00.000Z", "readAt": null, "expiresAt": 1,
        });
        let record: NotificationRecord = serde_json::from_value(stored).unwrap();
        assert_eq!(record.delivery_channel, DeliveryChannel::InApp);
        assert_eq!(record.status, NotificationStatus::Sent);
        let written = serde_json::to_value(&record).unwrap();
        assert_eq!(written["deliveryChannel"], "inApp");
        assert_eq!(written["status"], "sent");
    }

    #[test]
    fn each_user_gets_one_reminder_per_auction() {
        let (ann, bea, auction) = (UserId::new(), UserId::new(), AuctionId::new());
        let now = Timestamp::parse("2026-12-04T10:00:00Z").unwrap();
        let soon = |user| {
            NotificationRecord::about_auction(
                NotificationKind::EndingSoon,
                user,
                auction,
                "Ending soon".into(),
                now,
            )
        };
        assert_eq!(soon(ann).id, soon(ann).id);
        assert_ne!(soon(ann).id, soon(bea).id);
        assert_eq!(
            (soon(ann).ref_type.as_str(), soon(ann).ref_id),
            ("auction", auction.to_string())
        );
    }
}
