//! `GET /me/notifications`, `POST /me/notifications/{notificationId}/read` and
//! `POST /me/notifications/read-all`: the caller's in-app notifications, and only theirs.

use std::collections::HashSet;

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::domain::{AuctionId, NotificationId, Timestamp};
use shared::http::{
    ApiError, FieldError, check_cursor, json, page_parameters_into, path_parameter,
    query_parameter, refused_query,
};
use shared::realtime::{DeliveryChannel, NotificationKind, NotificationRecord, NotificationStatus};
use shared::store::{Collection, Condition, Index, Query, Read, StoreError, Update, s};

use crate::AppState;

/// Notifications marked read per transaction (DynamoDB takes up to 100 writes in one).
const READ_PER_ROUND: u32 = 100;

/// Rounds one `read-all` does; what is left (thousands of unread) waits for the next call.
const READ_ALL_ROUNDS: usize = 20;

/// A notification as its owner sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationView {
    pub id: NotificationId,
    #[serde(rename = "type")]
    pub kind: NotificationKind,
    pub auction_id: AuctionId,
    /// What it is about (`item`, or `auction` for `ending_soon`), and its id.
    pub ref_type: String,
    pub ref_id: String,
    pub message: String,
    /// How it reaches its user: `inApp` (this list) or `email`.
    pub delivery_channel: DeliveryChannel,
    /// `queued`, `sent` or `failed`; in-app ones are `sent` as they are written.
    pub status: NotificationStatus,
    pub created_at: Timestamp,
    /// `null` while unread.
    pub read_at: Option<Timestamp>,
}

impl From<NotificationRecord> for NotificationView {
    fn from(record: NotificationRecord) -> Self {
        Self {
            id: record.id,
            kind: record.kind,
            auction_id: record.auction_id,
            ref_type: record.ref_type,
            ref_id: record.ref_id,
            message: record.message,
            delivery_channel: record.delivery_channel,
            status: record.status,
            created_at: record.created_at,
            read_at: record.read_at,
        }
    }
}

/// A page of the caller's notifications and how many are unread in all.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationList {
    pub items: Vec<NotificationView>,
    pub next_cursor: Option<String>,
    pub unread_count: u64,
}

/// What `read-all` did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReadAll {
    /// Notifications this call marked read.
    pub marked: u64,
    /// Unread ones left (only when there were thousands: call again).
    pub unread_count: u64,
}

/// Lists the caller's notifications, newest first.
#[utoipa::path(
    get,
    path = "/me/notifications",
    tag = "realtime",
    operation_id = "listMyNotifications",
    security(("bearer" = [])),
    params(
        ("unread" = Option<bool>, Query, description = "`true`: only the unread ones."),
        ("limit" = Option<u32>, Query, description = "At most this many (default 20, max 100)."),
        ("cursor" = Option<String>, Query, description = "Where the previous page ended."),
    ),
    responses(
        (status = 200, description = "Notifications, newest first, a page at a time.", body = NotificationList),
        (status = 401, description = "No valid token.", body = shared::http::Problem),
        (status = 422, description = "A bad `unread`, `limit` or `cursor`.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_me_notifications(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    caller.require("notification:read:own")?;
    let mut errors = Vec::new();
    let unread = match query_parameter(&request, "unread") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            errors.push(FieldError::new("unread", "must be true or false"));
            false
        }
    };
    let (limit, cursor) = page_parameters_into(&request, &mut errors);
    let user = caller.id().to_string();
    let index = if unread {
        Index::NOTIFICATIONS_UNREAD_BY_USER
    } else {
        Index::NOTIFICATIONS_BY_USER
    };
    let query = Query::index(index, s(user.clone()))
        .descending()
        .limit(limit)
        .after(cursor.as_deref());
    check_cursor(&query, &mut errors);
    refused_query(errors)?;
    let page = state.store.query::<NotificationRecord>(query).await?;
    let unread_count = state
        .store
        .count(Index::NOTIFICATIONS_UNREAD_BY_USER, &user)
        .await?;
    json(
        StatusCode::OK,
        &NotificationList {
            items: page.items.into_iter().map(NotificationView::from).collect(),
            next_cursor: page.next_cursor,
            unread_count,
        },
    )
}

/// Marks one of the caller's notifications read (again, harmlessly, if it was).
#[utoipa::path(
    post,
    path = "/me/notifications/{notificationId}/read",
    tag = "realtime",
    operation_id = "readMyNotification",
    security(("bearer" = [])),
    params(("notificationId" = String, Path, description = "The notification.")),
    responses(
        (status = 200, description = "The notification, read.", body = NotificationView),
        (status = 401, description = "No valid token.", body = shared::http::Problem),
        (status = 404, description = "No such notification of the caller.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_me_notifications_notification_read(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    caller.require("notification:update:own")?;
    let id: NotificationId = path_parameter(&request, "notificationId")?;
    // Someone else's notification answers exactly like one that does not exist.
    let notification = state
        .store
        .get::<NotificationRecord>(&id.to_string(), Read::Strong)
        .await?
        .filter(|n| n.user_id == caller.id())
        .ok_or(ApiError::NotFound)?;
    if notification.read_at.is_some() {
        return json(StatusCode::OK, &NotificationView::from(notification));
    }
    let read: NotificationRecord = match state
        .store
        .update(&id.to_string(), mark_read(state.clock.now()))
        .await
    {
        Ok(read) => read,
        Err(StoreError::ConditionFailed(_)) => return Err(ApiError::NotFound),
        Err(other) => return Err(other.into()),
    };
    json(StatusCode::OK, &NotificationView::from(read))
}

/// Marks every unread notification of the caller read.
#[utoipa::path(
    post,
    path = "/me/notifications/read-all",
    tag = "realtime",
    operation_id = "readAllMyNotifications",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "How many were marked, and how many are left unread.", body = ReadAll),
        (status = 401, description = "No valid token.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_me_notifications_read_all(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    caller.require("notification:update:own")?;
    let user = caller.id().to_string();
    let now = state.clock.now();
    // The index lags its table a little: a round may list some this call marked already.
    let mut marked: HashSet<NotificationId> = HashSet::new();
    for _ in 0..READ_ALL_ROUNDS {
        let query = Query::index(Index::NOTIFICATIONS_UNREAD_BY_USER, s(user.clone()))
            .limit(READ_PER_ROUND);
        let page = state.store.query::<NotificationRecord>(query).await?;
        let unmarked: Vec<&NotificationRecord> = page
            .items
            .iter()
            .filter(|n| !marked.contains(&n.id))
            .collect();
        if unmarked.is_empty() {
            break;
        }
        let mut transaction = state.store.transaction();
        for notification in &unmarked {
            transaction = transaction.update(
                Collection::Notifications,
                &notification.id.to_string(),
                mark_read(now),
            )?;
        }
        match state.store.transact(transaction).await {
            Ok(()) => marked.extend(unmarked.iter().map(|n| n.id)),
            // One was read (or expired) meanwhile: the next round reads the index again.
            Err(StoreError::ConditionFailed(_) | StoreError::TransactionConflict) => {}
            Err(other) => return Err(other.into()),
        }
    }
    let unread_count = state
        .store
        .count(Index::NOTIFICATIONS_UNREAD_BY_USER, &user)
        .await?;
    json(
        StatusCode::OK,
        &ReadAll {
            marked: marked.len() as u64,
            unread_count,
        },
    )
}

/// Read at `now`, and out of the unread index; only if it still exists.
fn mark_read(now: Timestamp) -> Update {
    Update::new("SET readAt = if_not_exists(readAt, :now) REMOVE unreadBy")
        .value(":now", s(now.to_string()))
        .when(Condition::exists(Collection::Notifications))
}
