//! Live bidding end to end on the local stack: tickets over HTTP, WebSocket clients of the
//! emulator's WebSocket API, bids over HTTP, and what the items stream's fan-out sends them
//! (and writes as notifications). Every test makes its own auctions and, where counts matter,
//! its own bidders, so it runs beside the rest of the suite.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::Context;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use chrono::{DateTime, Utc};
use integration_tests::harness::{
    Exchange, Socket, endpoint, exchange, shared_stack, shared_stack_logs, shared_stack_prefix,
    shared_stack_ws, ticket_url,
};
use integration_tests::trials;
use libtest_mimic::Trial;
use serde_json::{Value, json};
use shared::config::StoreConfig;
use shared::realtime::{ConnectionRecord, SubscriptionRecord};
use shared::store::{Collection, Index, Query, Read, Store, s};

pub fn trials() -> Vec<Trial> {
    trials![
        a_subscriber_sees_a_bid_placed_over_http,
        only_the_previous_leader_is_told_they_were_outbid_and_notified_once,
        a_proxy_answer_is_announced_without_its_maximum_or_user_ids,
        a_bid_in_the_soft_close_window_sends_item_extended,
        anonymous_connections_follow_public_auctions_but_not_private_ones,
        a_private_auction_is_followed_by_its_members_not_by_other_signed_in_users,
        a_ticket_opens_one_connection_only,
        a_closed_clients_records_are_deleted_once_a_post_to_it_is_gone,
        a_redelivered_stream_batch_writes_no_second_notification,
        notifications_are_private_to_their_owner,
        ping_is_answered_with_pong,
        a_malformed_frame_gets_an_error_and_the_connection_stays_usable,
        a_connection_follows_at_most_ten_auctions,
        events_reach_only_the_auctions_current_subscribers,
        an_ended_session_or_a_revoked_membership_stops_the_events,
        notifications_are_exported_and_purged_with_the_account,
        an_auction_without_in_app_notifications_still_sends_outbid_events,
    ]
}

/// How long a test listens for frames that must not come.
const QUIET: Duration = Duration::from_millis(1500);

const PASSWORD: &str = "dev-password-123";

/// The shared stack: its HTTP base, its WebSocket URL and its tables' prefix.
#[derive(Clone, Debug)]
pub(crate) struct Stack {
    pub(crate) base: String,
    pub(crate) ws: String,
    pub(crate) prefix: String,
}

pub(crate) async fn stack() -> anyhow::Result<Stack> {
    tokio::task::spawn_blocking(|| {
        Ok(Stack {
            base: shared_stack()?,
            ws: shared_stack_ws()?,
            prefix: shared_stack_prefix()?,
        })
    })
    .await?
}

impl Stack {
    /// One call to the API, JSON in and out.
    pub(crate) async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Exchange> {
        let bearer = token.map(|t| format!("Bearer {t}"));
        let mut headers = Vec::new();
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        if let Some(bearer) = bearer.as_deref() {
            headers.push(("authorization", bearer));
        }
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        exchange(method, &format!("{}{path}", self.base), &headers, body).await
    }

    /// A call that must answer `status`; answers its JSON body.
    pub(crate) async fn expect(
        &self,
        status: u16,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let answer = self.call(method, path, token, body).await?;
        anyhow::ensure!(
            answer.status == status,
            "{method} {path} answered {} (not {status}): {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        );
        if answer.body.is_empty() {
            return Ok(Value::Null);
        }
        answer.json()
    }

    /// A seeded account, signed in.
    pub(crate) async fn seeded(&self, login: &str) -> anyhow::Result<User> {
        let signed_in = self
            .expect(
                200,
                "POST",
                "/auth/login",
                None,
                Some(json!({"login": login, "password": PASSWORD})),
            )
            .await?;
        User::from_answer(&signed_in)
    }

    /// A new bidder of this test's own (self-registered accounts may bid).
    pub(crate) async fn newcomer(&self) -> anyhow::Result<User> {
        let name = format!("rt{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let registered = self
            .expect(
                201,
                "POST",
                "/auth/register",
                None,
                Some(json!({
                    "email": format!("{name}@example.com"), "username": name,
                    "password": "a long enough password", "displayName": format!("Bidder {name}"),
                })),
            )
            .await?;
        User::from_answer(&registered)
    }

    /// A `event_type` auction of `artist` with `lots` lots starting at 10.00, published, and
    /// opened by hand when `open`. Starts in 5 minutes (unless opened), closes in 25.
    pub(crate) async fn auction(
        &self,
        artist: &User,
        event_type: &str,
        settings: Value,
        lots: usize,
        open: bool,
    ) -> anyhow::Result<Auction> {
        let starts = Utc::now() + chrono::Duration::minutes(5);
        let ends = starts + chrono::Duration::minutes(20);
        let items: Vec<Value> = (0..lots)
            .map(|lot| json!({"name": format!("Lot {lot}"), "type": "silent", "startingPrice": "10.00"}))
            .collect();
        self.timed_auction(artist, event_type, settings, &items, (starts, ends), open)
            .await
    }

    /// Like [`Stack::auction`], with these items (their bodies), from `starts` to `ends`.
    pub(crate) async fn timed_auction(
        &self,
        artist: &User,
        event_type: &str,
        settings: Value,
        lots: &[Value],
        (starts, ends): (DateTime<Utc>, DateTime<Utc>),
        open: bool,
    ) -> anyhow::Result<Auction> {
        let mut body = json!({
            "name": format!("Live {}", &uuid::Uuid::new_v4().simple().to_string()[..10]),
            "eventType": event_type, "timeZone": "UTC",
            "startsAt": stamp(starts), "endsAt": stamp(ends),
        });
        if !settings.is_null() {
            body["settings"] = settings;
        }
        let token = Some(artist.token.as_str());
        let created = self
            .expect(201, "POST", "/auctions", token, Some(body))
            .await?;
        let id = text(&created, "id")?;
        let mut items = Vec::new();
        for lot in lots {
            let item = self
                .expect(
                    201,
                    "POST",
                    &format!("/auctions/{id}/items"),
                    token,
                    Some(lot.clone()),
                )
                .await?;
            items.push(text(&item, "id")?);
        }
        // Publishing answers 503 while the item index lags the writes.
        let mut published = self
            .call("POST", &format!("/auctions/{id}/publish"), token, None)
            .await?;
        for _ in 0..10 {
            if published.status != 503 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            published = self
                .call("POST", &format!("/auctions/{id}/publish"), token, None)
                .await?;
        }
        anyhow::ensure!(
            published.status == 200,
            "publish answered {}: {}",
            published.status,
            String::from_utf8_lossy(&published.body)
        );
        if open {
            self.expect(
                200,
                "POST",
                &format!("/auctions/{id}/phase"),
                token,
                Some(json!({"status": "open"})),
            )
            .await?;
        }
        let read = self
            .expect(200, "GET", &format!("/auctions/{id}"), token, None)
            .await?;
        Ok(Auction {
            id,
            items,
            code: read["auctionCode"].as_str().map(str::to_string),
        })
    }

    /// `user` bids `amount` (with a maximum, if given) on `item`; the `201` answer.
    pub(crate) async fn bid(
        &self,
        user: &User,
        item: &str,
        amount: &str,
        max: Option<&str>,
    ) -> anyhow::Result<Value> {
        let mut body = json!({"amount": amount});
        if let Some(max) = max {
            body["maxAmount"] = json!(max);
        }
        self.expect(
            201,
            "POST",
            &format!("/items/{item}/bids"),
            Some(&user.token),
            Some(body),
        )
        .await
    }

    /// A ticket of `user` (`POST /realtime/tickets`).
    pub(crate) async fn ticket(&self, user: &User) -> anyhow::Result<Value> {
        self.expect(201, "POST", "/realtime/tickets", Some(&user.token), None)
            .await
    }

    /// A connection signed in as `user`, through a ticket.
    pub(crate) async fn socket_of(&self, user: &User) -> anyhow::Result<Socket> {
        let ticket = self.ticket(user).await?;
        Socket::connect(&ticket_url(
            &text(&ticket, "url")?,
            &text(&ticket, "ticket")?,
        ))
        .await
    }

    /// An anonymous connection.
    pub(crate) async fn anonymous(&self) -> anyhow::Result<Socket> {
        Socket::connect(&self.ws).await
    }

    /// Every notification of `user` about `item`, all pages read.
    pub(crate) async fn notifications_about(
        &self,
        user: &User,
        item: &str,
    ) -> anyhow::Result<Vec<Value>> {
        Ok(self
            .all_notifications(user, "")
            .await?
            .into_iter()
            .filter(|n| n["refId"] == item)
            .collect())
    }

    /// Every notification of `user` (`query` is `unread=true&` or empty), all pages read.
    pub(crate) async fn all_notifications(
        &self,
        user: &User,
        query: &str,
    ) -> anyhow::Result<Vec<Value>> {
        let mut found = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let after = cursor
                .as_deref()
                .map(|c| format!("&cursor={c}"))
                .unwrap_or_default();
            let page = self
                .expect(
                    200,
                    "GET",
                    &format!("/me/notifications?{query}limit=100{after}"),
                    Some(&user.token),
                    None,
                )
                .await?;
            found.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["nextCursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => return Ok(found),
            }
        }
    }

    /// `user`'s notification about `item`, once the fan-out has written it (within 10 s).
    pub(crate) async fn notification_about(
        &self,
        user: &User,
        item: &str,
    ) -> anyhow::Result<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(found) = self
                .notifications_about(user, item)
                .await?
                .into_iter()
                .next()
            {
                return Ok(found);
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "no notification about {item} within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The store of the stack's tables, for what no route shows (connections, raw items).
    pub(crate) async fn store(&self) -> Store {
        Store::connect(&StoreConfig {
            table_prefix: self.prefix.clone(),
            dynamodb_endpoint: Some(endpoint().to_string()),
        })
        .await
    }
}

/// A signed-in account.
#[derive(Clone, Debug)]
pub(crate) struct User {
    pub(crate) token: String,
    pub(crate) id: String,
    pub(crate) username: String,
    pub(crate) display_name: String,
}

impl User {
    fn from_answer(answer: &Value) -> anyhow::Result<Self> {
        Ok(Self {
            token: text(answer, "accessToken")?,
            id: text(&answer["user"], "id")?,
            username: text(&answer["user"], "username")?,
            display_name: text(&answer["user"], "displayName")?,
        })
    }
}

/// A published auction of the test's own.
#[derive(Clone, Debug)]
pub(crate) struct Auction {
    pub(crate) id: String,
    pub(crate) items: Vec<String>,
    pub(crate) code: Option<String>,
}

pub(crate) fn text(body: &Value, field: &str) -> anyhow::Result<String> {
    body[field]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("no string {field} in {body}"))
}

pub(crate) fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub(crate) fn time_of(value: &Value) -> anyhow::Result<DateTime<Utc>> {
    let text = value
        .as_str()
        .with_context(|| format!("{value} is no time"))?;
    Ok(DateTime::parse_from_rfc3339(text)?.with_timezone(&Utc))
}

fn field_names(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .map(|fields| fields.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

fn fields<const N: usize>(names: [&'static str; N]) -> BTreeSet<&'static str> {
    BTreeSet::from(names)
}

const BID_PLACED_FIELDS: [&str; 10] = [
    "type",
    "auctionId",
    "itemId",
    "amount",
    "bidderNumber",
    "bidCount",
    "nextMinimumBid",
    "endsAt",
    "placedAt",
    "sequence",
];

const NOTIFICATION_FIELDS: [&str; 10] = [
    "id",
    "type",
    "auctionId",
    "refType",
    "refId",
    "message",
    "deliveryChannel",
    "status",
    "createdAt",
    "readAt",
];

/// The frames of `kinds` among `frames`.
pub(crate) fn of_kind<'a>(frames: &'a [Value], kind: &str) -> Vec<&'a Value> {
    frames.iter().filter(|f| f["type"] == kind).collect()
}

/// A connection's id, read from the subscription it holds on `auction` (its only one there).
async fn connection_following(store: &Store, auction: &str) -> anyhow::Result<String> {
    let page = store
        .query::<SubscriptionRecord>(Query::index(
            Index::CONNECTIONS_BY_AUCTION,
            s(auction.to_string()),
        ))
        .await?;
    anyhow::ensure!(
        page.items.len() == 1,
        "{} subscriptions to {auction}, not 1",
        page.items.len()
    );
    Ok(page.items[0].connection_id.clone())
}

// ---------------------------------------------------------------------------------------------

/// An anonymous subscriber gets the auction's snapshot, then a `bid_placed` for each bid placed
/// over HTTP, with exactly the public fields, matching what the bid's answer says; default
/// soft close (2 minutes, the lot closing in 20) extends nothing.
async fn a_subscriber_sees_a_bid_placed_over_http() -> anyhow::Result<()> {
    let stack = stack().await?;
    let artist = stack.seeded("cinos").await?;
    let (first, second) = (stack.newcomer().await?, stack.newcomer().await?);
    let auction = stack
        .auction(&artist, "public", Value::Null, 1, true)
        .await?;
    let item = auction.items[0].clone();
    let mut watcher = stack.anonymous().await?;
    let subscribed = watcher.follow(&auction.id).await?;
    assert_eq!(
        field_names(&subscribed),
        fields(["type", "auctionId", "status", "items"])
    );
    assert_eq!(subscribed["status"], "open", "{subscribed}");
    let snapshot = &subscribed["items"][0];
    assert_eq!(subscribed["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        field_names(snapshot),
        fields([
            "itemId",
            "status",
            "currentBid",
            "bidCount",
            "nextMinimumBid",
            "endsAt",
            "leaderBidderNumber",
            "sequence"
        ])
    );
    assert_eq!(snapshot["itemId"], item.as_str());
    assert_eq!(snapshot["status"], "open");
    assert_eq!(snapshot["currentBid"], Value::Null);
    assert_eq!(snapshot["bidCount"], 0);
    assert_eq!(snapshot["nextMinimumBid"], "10.00");
    assert_eq!(snapshot["leaderBidderNumber"], Value::Null);
    assert_eq!(snapshot["sequence"], 0);

    let placed = stack.bid(&first, &item, "10.00", None).await?;
    let event = watcher.next_of("bid_placed").await?;
    assert_eq!(field_names(&event), fields(BID_PLACED_FIELDS), "{event}");
    assert_eq!(event["auctionId"], auction.id.as_str());
    assert_eq!(event["itemId"], item.as_str());
    assert_eq!(event["amount"], "10.00");
    assert_eq!(event["bidderNumber"], placed["bid"]["bidderNumber"]);
    assert_eq!(event["bidCount"], 1);
    assert_eq!(event["nextMinimumBid"], placed["item"]["nextMinimumBid"]);
    assert_eq!(event["nextMinimumBid"], "11.00");
    assert_eq!(time_of(&event["endsAt"])?, time_of(&snapshot["endsAt"])?);
    assert_eq!(
        time_of(&event["endsAt"])?,
        time_of(&placed["item"]["endsAt"])?
    );
    assert_eq!(
        time_of(&event["placedAt"])?,
        time_of(&placed["bid"]["placedAt"])?
    );
    assert_eq!(event["sequence"], 1);

    let placed = stack.bid(&second, &item, "11.00", None).await?;
    let event = watcher.next_of("bid_placed").await?;
    assert_eq!(event["amount"], "11.00");
    assert_eq!(event["bidderNumber"], placed["bid"]["bidderNumber"]);
    assert_ne!(event["bidderNumber"], Value::Null);
    assert_eq!(event["bidCount"], 2);
    assert_eq!(event["sequence"], 2);
    let rest = watcher.drain(QUIET).await?;
    assert!(of_kind(&rest, "item_extended").is_empty(), "{rest:?}");
    // An anonymous connection is nobody's: it is never told of an outbid.
    assert!(of_kind(&rest, "outbid").is_empty(), "{rest:?}");
    Ok(())
}

/// When B takes the lead from A, A's connection (and only A's) gets `outbid`, and A (only A)
/// has one in-app notification about it; when A takes it back, B is told, A is not again.
async fn only_the_previous_leader_is_told_they_were_outbid_and_notified_once() -> anyhow::Result<()>
{
    let stack = stack().await?;
    let artist = stack.seeded("cinos").await?;
    let (leader, challenger, watcher) = (
        stack.newcomer().await?,
        stack.newcomer().await?,
        stack.newcomer().await?,
    );
    let auction = stack
        .auction(&artist, "public", Value::Null, 1, true)
        .await?;
    let item = auction.items[0].clone();
    let mut sockets = Vec::new();
    for user in [&leader, &challenger, &watcher] {
        let mut socket = stack.socket_of(user).await?;
        socket.follow(&auction.id).await?;
        sockets.push(socket);
    }
    let mut anonymous = stack.anonymous().await?;
    anonymous.follow(&auction.id).await?;

    stack.bid(&leader, &item, "10.00", None).await?;
    for socket in &mut sockets {
        assert_eq!(socket.next_of("bid_placed").await?["sequence"], 1);
    }
    stack.bid(&challenger, &item, "11.00", None).await?;
    for socket in &mut sockets {
        assert_eq!(socket.next_of("bid_placed").await?["sequence"], 2);
    }
    let outbid = sockets[0].next_of("outbid").await?;
    assert_eq!(
        field_names(&outbid),
        fields([
            "type",
            "auctionId",
            "itemId",
            "amount",
            "nextMinimumBid",
            "sequence"
        ]),
        "{outbid}"
    );
    assert_eq!(outbid["auctionId"], auction.id.as_str());
    assert_eq!(outbid["itemId"], item.as_str());
    assert_eq!(outbid["amount"], "11.00");
    assert_eq!(outbid["nextMinimumBid"], "12.00");
    assert_eq!(outbid["sequence"], 2);
    // The outbid was posted after every bid_placed: whoever else got one has it by now.
    for (socket, who) in sockets.iter_mut().zip(["leader", "challenger", "watcher"]) {
        let rest = socket.drain(QUIET).await?;
        assert!(
            of_kind(&rest, "outbid").is_empty(),
            "the {who} got {rest:?}"
        );
    }
    let rest = anonymous.drain(Duration::from_millis(200)).await?;
    assert!(of_kind(&rest, "outbid").is_empty(), "{rest:?}");

    let notification = stack.notification_about(&leader, &item).await?;
    assert_eq!(field_names(&notification), fields(NOTIFICATION_FIELDS));
    assert_eq!(notification["type"], "outbid_in_app");
    assert_eq!(notification["auctionId"], auction.id.as_str());
    assert_eq!(notification["refType"], "item");
    assert_eq!(notification["readAt"], Value::Null);
    assert!(
        notification["message"]
            .as_str()
            .is_some_and(|m| m.contains("11.00")),
        "{notification}"
    );
    time_of(&notification["createdAt"])?;
    let listed = stack
        .expect(200, "GET", "/me/notifications", Some(&leader.token), None)
        .await?;
    assert_eq!(listed["unreadCount"], 1, "{listed}");
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    assert_eq!(listed["nextCursor"], Value::Null);
    let unread = stack
        .expect(
            200,
            "GET",
            "/me/notifications?unread=true",
            Some(&leader.token),
            None,
        )
        .await?;
    assert_eq!(unread["items"][0]["id"], notification["id"], "{unread}");
    for user in [&challenger, &watcher] {
        assert!(stack.notifications_about(user, &item).await?.is_empty());
    }

    // The lead changes back: now the challenger is the one told, the leader is not again.
    stack.bid(&leader, &item, "12.00", None).await?;
    let outbid = sockets[1].next_of("outbid").await?;
    assert_eq!(outbid["amount"], "12.00");
    assert_eq!(outbid["sequence"], 3);
    stack.notification_about(&challenger, &item).await?;
    for (socket, who) in sockets.iter_mut().zip(["leader", "challenger", "watcher"]) {
        let rest = socket.drain(QUIET).await?;
        assert!(
            of_kind(&rest, "outbid").is_empty(),
            "the {who} got {rest:?}"
        );
    }
    assert_eq!(stack.notifications_about(&leader, &item).await?.len(), 1);
    assert_eq!(
        stack.notifications_about(&challenger, &item).await?.len(),
        1
    );
    assert!(stack.notifications_about(&watcher, &item).await?.is_empty());
    Ok(())
}

/// A proxy bidder's automatic answer is one `bid_placed` at the answered price; nothing any
/// connection receives names the maximum, a user id, a username or a display name.
async fn a_proxy_answer_is_announced_without_its_maximum_or_user_ids() -> anyhow::Result<()> {
    let stack = stack().await?;
    let artist = stack.seeded("cinos").await?;
    let (proxy, challenger) = (stack.newcomer().await?, stack.newcomer().await?);
    let auction = stack
        .auction(&artist, "public", Value::Null, 1, true)
        .await?;
    let item = auction.items[0].clone();
    let mut sockets = vec![
        stack.socket_of(&proxy).await?,
        stack.socket_of(&challenger).await?,
    ];
    sockets.push(stack.anonymous().await?);
    for socket in &mut sockets {
        socket.follow(&auction.id).await?;
    }
    // Digits that appear nowhere else: not in amounts, numbers or times of this test.
    let maximum = "977.53";
    let first = stack.bid(&proxy, &item, "10.00", Some(maximum)).await?;
    let number = first["bid"]["bidderNumber"].clone();
    for socket in &mut sockets {
        let event = socket.next_of("bid_placed").await?;
        assert_eq!(event["amount"], "10.00");
        assert_eq!(event["bidderNumber"], number);
    }
    let answered = stack.bid(&challenger, &item, "50.00", None).await?;
    // The default ladder adds 2.00 from 20.00 on: the proxy answers 52.00.
    assert_eq!(answered["item"]["currentBid"], "52.00", "{answered}");
    for socket in &mut sockets {
        let event = socket.next_of("bid_placed").await?;
        assert_eq!(field_names(&event), fields(BID_PLACED_FIELDS), "{event}");
        assert_eq!(event["amount"], "52.00");
        assert_eq!(event["bidderNumber"], number, "the proxy leads: {event}");
        assert_eq!(event["bidCount"], answered["item"]["bidCount"]);
        assert_eq!(event["nextMinimumBid"], "54.00");
        assert_eq!(event["sequence"], 2);
    }
    // A connection subscribing now sees the same, in its snapshot.
    let mut late = stack.anonymous().await?;
    let snapshot = late.follow(&auction.id).await?;
    assert_eq!(snapshot["items"][0]["currentBid"], "52.00");
    assert_eq!(snapshot["items"][0]["leaderBidderNumber"], number);
    for socket in &mut sockets {
        socket.drain(QUIET).await?;
    }
    sockets.push(late);
    let mut forbidden = vec![
        "977.53".to_string(),
        "97753".to_string(),
        "977.5".to_string(),
        "maxAmount".to_string(),
        "maximum".to_string(),
        "reserve".to_string(),
        "userId".to_string(),
    ];
    for user in [&proxy, &challenger, &artist] {
        forbidden.extend([
            user.id.clone(),
            user.username.clone(),
            user.display_name.clone(),
        ]);
    }
    let mut seen = 0;
    for socket in &sockets {
        for frame in socket.raw() {
            seen += 1;
            for word in &forbidden {
                assert!(!frame.contains(word.as_str()), "{frame} holds {word:?}");
            }
        }
    }
    assert!(seen >= 10, "only {seen} frames received");
    assert_eq!(maximum.len(), 6);
    Ok(())
}

/// A bid within the soft-close window moves the lot's close: subscribers get `bid_placed`
/// with the new close, then `item_extended` with it, `placedAt` + the extension.
async fn a_bid_in_the_soft_close_window_sends_item_extended() -> anyhow::Result<()> {
    let stack = stack().await?;
    let artist = stack.seeded("cinos").await?;
    let bidder = stack.newcomer().await?;
    // The lot closes in about 25 minutes, well within a one-hour window.
    let settings =
        json!({"softCloseWindowSec": 3600, "softCloseExtensionSec": 3600, "staggerSec": 0});
    let auction = stack.auction(&artist, "public", settings, 1, true).await?;
    let item = auction.items[0].clone();
    let mut watcher = stack.anonymous().await?;
    let subscribed = watcher.follow(&auction.id).await?;
    let closing = time_of(&subscribed["items"][0]["endsAt"])?;

    let placed = stack.bid(&bidder, &item, "10.00", None).await?;
    let extended_to = time_of(&placed["item"]["endsAt"])?;
    let placed_at = time_of(&placed["bid"]["placedAt"])?;
    assert!(extended_to > closing, "the bid did not extend: {placed}");
    assert_eq!(extended_to, placed_at + chrono::Duration::seconds(3600));

    let first = watcher.next().await?;
    assert_eq!(first["type"], "bid_placed", "{first}");
    assert_eq!(time_of(&first["endsAt"])?, extended_to);
    let second = watcher.next().await?;
    assert_eq!(second["type"], "item_extended", "{second}");
    assert_eq!(
        field_names(&second),
        fields(["type", "auctionId", "itemId", "endsAt", "sequence"])
    );
    assert_eq!(second["auctionId"], auction.id.as_str());
    assert_eq!(second["itemId"], item.as_str());
    assert_eq!(time_of(&second["endsAt"])?, extended_to);
    assert_eq!(second["sequence"], 1);
    let read = stack
        .expect(200, "GET", &format!("/items/{item}"), None, None)
        .await?;
    assert_eq!(time_of(&read["endsAt"])?, extended_to);
    Ok(())
}

/// Without a ticket a connection follows public auctions; a private one (or one that does not
/// exist) answers `NOT_FOUND`, while its owner's connection may follow it.
async fn anonymous_connections_follow_public_auctions_but_not_private_ones() -> anyhow::Result<()> {
    let stack = stack().await?;
    let artist = stack.seeded("auction_artist").await?;
    let public = stack
        .auction(&artist, "public", Value::Null, 1, false)
        .await?;
    let private = stack
        .auction(&artist, "private", Value::Null, 1, false)
        .await?;
    let mut anonymous = stack.anonymous().await?;
    let subscribed = anonymous.follow(&public.id).await?;
    assert_eq!(subscribed["status"], "ready");
    assert_eq!(subscribed["items"][0]["itemId"], public.items[0].as_str());
    let refused = anonymous.subscribe(&private.id).await?;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], "NOT_FOUND", "{refused}");
    assert_eq!(field_names(&refused), fields(["type", "code", "message"]));
    let unknown = anonymous
        .subscribe(&uuid::Uuid::new_v4().to_string())
        .await?;
    assert_eq!(
        unknown, refused,
        "a private auction answers as one that does not exist"
    );
    // It exists: its owner follows it.
    let mut owner = stack.socket_of(&artist).await?;
    let seen = owner.follow(&private.id).await?;
    assert_eq!(seen["items"][0]["itemId"], private.items[0].as_str());
    Ok(())
}

/// A signed-in connection of someone who is not a member of a private auction gets
/// `NOT_FOUND`; once they have joined with the code (or for a member from the start), it is
/// followed, and its bids reach them.
async fn a_private_auction_is_followed_by_its_members_not_by_other_signed_in_users()
-> anyhow::Result<()> {
    let stack = stack().await?;
    let artist = stack.seeded("auction_artist").await?;
    let (member, outsider) = (stack.newcomer().await?, stack.newcomer().await?);
    let auction = stack
        .auction(&artist, "private", Value::Null, 1, true)
        .await?;
    let code = auction
        .code
        .clone()
        .context("a private auction has a code")?;
    let mut outsiders = stack.socket_of(&outsider).await?;
    let refused = outsiders.subscribe(&auction.id).await?;
    assert_eq!(refused["code"], "NOT_FOUND", "{refused}");

    let mut members = stack.socket_of(&member).await?;
    let before = members.subscribe(&auction.id).await?;
    assert_eq!(before["code"], "NOT_FOUND", "not a member yet: {before}");
    stack
        .expect(
            200,
            "POST",
            "/auctions/join",
            Some(&member.token),
            Some(json!({"auctionCode": code})),
        )
        .await?;
    let subscribed = members.follow(&auction.id).await?;
    assert_eq!(subscribed["status"], "open");
    assert_eq!(subscribed["items"][0]["itemId"], auction.items[0].as_str());
    stack.bid(&member, &auction.items[0], "10.00", None).await?;
    assert_eq!(members.next_of("bid_placed").await?["amount"], "10.00");
    // Still refused to the outsider, whose connection got nothing of it.
    let again = outsiders.subscribe(&auction.id).await?;
    assert_eq!(again["code"], "NOT_FOUND", "{again}");
    let rest = outsiders.drain(QUIET).await?;
    assert!(of_kind(&rest, "bid_placed").is_empty(), "{rest:?}");
    Ok(())
}

/// `POST /realtime/tickets` hands a signed-in caller a ticket for the stack's WebSocket URL;
/// it opens one connection, and a second upgrade with it (or with a made-up one) is a `401`.
async fn a_ticket_opens_one_connection_only() -> anyhow::Result<()> {
    let stack = stack().await?;
    let user = stack.newcomer().await?;
    let nobody = stack.call("POST", "/realtime/tickets", None, None).await?;
    assert_eq!(nobody.status, 401);
    let ticket = stack.ticket(&user).await?;
    assert_eq!(field_names(&ticket), fields(["ticket", "expiresIn", "url"]));
    assert_eq!(ticket["expiresIn"], 60);
    assert_eq!(ticket["url"], stack.ws.as_str());
    let url = ticket_url(&stack.ws, &text(&ticket, "ticket")?);
    let mut socket = Socket::connect(&url).await?;
    socket.send_json(&json!({"action": "ping"})).await?;
    assert_eq!(socket.next_of("pong").await?, json!({"type": "pong"}));
    assert_eq!(Socket::refused(&url).await?, 401, "a used ticket");
    let made_up = ticket_url(&stack.ws, "bm90LWEtdGlja2V0LWF0LWFsbC1ub3QtZXZlci1ldmVy");
    assert_eq!(Socket::refused(&made_up).await?, 401, "a made-up ticket");
    // The first connection is unharmed by the refusals.
    socket.send_json(&json!({"action": "ping"})).await?;
    assert_eq!(socket.next_of("pong").await?, json!({"type": "pong"}));
    socket.close().await?;
    Ok(())
}

/// API Gateway does not always deliver `$disconnect`: a closed client's records may stay. The
/// next post to it answers `410 Gone`, and the fan-out deletes its connection and
/// subscription records then, while the auction's live subscribers still get the event.
async fn a_closed_clients_records_are_deleted_once_a_post_to_it_is_gone() -> anyhow::Result<()> {
    let stack = stack().await?;
    let store = stack.store().await;
    let artist = stack.seeded("cinos").await?;
    let bidder = stack.newcomer().await?;
    let auction = stack
        .auction(&artist, "public", Value::Null, 1, true)
        .await?;
    let mut leaving = stack.anonymous().await?;
    leaving.follow(&auction.id).await?;
    let id = connection_following(&store, &auction.id).await?;
    let connection = store
        .get::<ConnectionRecord>(&id, Read::Strong)
        .await?
        .context("the connection's record")?;
    let key = SubscriptionRecord::key(&id, shared::domain::AuctionId::parse(&auction.id)?);
    let subscription = store
        .get::<SubscriptionRecord>(&key, Read::Strong)
        .await?
        .context("the subscription's record")?;
    let mut watcher = stack.anonymous().await?;
    watcher.follow(&auction.id).await?;

    leaving.close().await?;
    // `$disconnect` deletes both; put them back as a lost `$disconnect` would have left them.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while store
        .get::<ConnectionRecord>(&id, Read::Strong)
        .await?
        .is_some()
    {
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "$disconnect left the connection's record for 10 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    store.put(&connection, None).await?;
    store.put(&subscription, None).await?;
    let management = stack.ws.replacen("ws://", "http://", 1);
    let gone = exchange(
        "GET",
        &format!("{management}/@connections/{id}"),
        &[],
        vec![],
    )
    .await?;
    assert_eq!(gone.status, 410, "the closed connection is gone");

    stack.bid(&bidder, &auction.items[0], "10.00", None).await?;
    assert_eq!(watcher.next_of("bid_placed").await?["amount"], "10.00");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let connection = store.get::<ConnectionRecord>(&id, Read::Strong).await?;
        let subscription = store.get::<SubscriptionRecord>(&key, Read::Strong).await?;
        if connection.is_none() && subscription.is_none() {
            break;
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "10 s after the bid the gone connection still has records \
             (connection: {}, subscription: {})",
            connection.is_some(),
            subscription.is_some()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = std::fs::read_to_string(
        tokio::task::spawn_blocking(shared_stack_logs)
            .await??
            .join("functions.log"),
    )?;
    assert!(
        log.contains("gone connections deleted"),
        "the log says nothing of it"
    );
    // The watcher is still followed: the next bid reaches it.
    let second = stack.newcomer().await?;
    stack.bid(&second, &auction.items[0], "11.00", None).await?;
    assert_eq!(watcher.next_of("bid_placed").await?["amount"], "11.00");
    Ok(())
}

/// The fan-out invoked twice more with the batch the stream already delivered (as Lambda
/// redelivers after a failure): both times it announces the change again (the outbid leader's
/// connection gets it again, same `sequence`), but there is still one notification.
async fn a_redelivered_stream_batch_writes_no_second_notification() -> anyhow::Result<()> {
    let stack = stack().await?;
    let store = stack.store().await;
    let artist = stack.seeded("cinos").await?;
    let (leader, challenger) = (stack.newcomer().await?, stack.newcomer().await?);
    let auction = stack
        .auction(&artist, "public", Value::Null, 1, true)
        .await?;
    let item = auction.items[0].clone();
    let mut leaders = stack.socket_of(&leader).await?;
    leaders.follow(&auction.id).await?;

    stack.bid(&leader, &item, "10.00", None).await?;
    assert_eq!(leaders.next_of("bid_placed").await?["sequence"], 1);
    let before = raw_item(&store, &item).await?;
    stack.bid(&challenger, &item, "11.00", None).await?;
    let after = raw_item(&store, &item).await?;
    assert_eq!(leaders.next_of("outbid").await?["sequence"], 2);
    let first = stack.notification_about(&leader, &item).await?;

    let record = json!({
        "eventID": uuid::Uuid::new_v4().simple().to_string(),
        "eventName": "MODIFY",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": Utc::now().timestamp(),
            "Keys": {"id": {"S": item}},
            "OldImage": dynamo_json_item(&before),
            "NewImage": dynamo_json_item(&after),
            "SequenceNumber": "4900000000000000000000000000000000000001",
            "SizeBytes": 2048,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": format!(
            "arn:aws:dynamodb:us-east-1:000000000000:table/{}items/stream/2026-01-01T00:00:00.000",
            stack.prefix
        ),
    });
    let batch = json!({"Records": [record]}).to_string();
    let url = format!(
        "{}/2015-03-31/functions/stream-items-fan-out/invocations",
        stack.base
    );
    for delivery in 2..=3 {
        let answer = exchange(
            "POST",
            &url,
            &[("content-type", "application/json")],
            batch.clone().into_bytes(),
        )
        .await?;
        assert_eq!(
            answer.status,
            200,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        assert_eq!(
            answer.header("x-amz-function-error"),
            "",
            "delivery {delivery}"
        );
        let response = answer.json()?;
        assert_eq!(
            response["batchItemFailures"],
            json!([]),
            "delivery {delivery}: {response}"
        );
        let again = leaders.next_of("outbid").await?;
        assert_eq!(again["sequence"], 2, "delivery {delivery}: {again}");
        assert_eq!(again["amount"], "11.00");
    }
    let about = stack.notifications_about(&leader, &item).await?;
    assert_eq!(about.len(), 1, "{about:?}");
    assert_eq!(about[0]["id"], first["id"]);
    let listed = stack
        .expect(200, "GET", "/me/notifications", Some(&leader.token), None)
        .await?;
    assert_eq!(listed["unreadCount"], 1, "{listed}");
    Ok(())
}

/// The item as stored, in DynamoDB's own types.
async fn raw_item(
    store: &Store,
    item: &str,
) -> anyhow::Result<std::collections::HashMap<String, AttributeValue>> {
    store
        .client()
        .get_item()
        .table_name(store.tables().name(Collection::Items))
        .key("id", AttributeValue::S(item.to_string()))
        .consistent_read(true)
        .send()
        .await?
        .item
        .context("no such item")
}

/// An item as DynamoDB JSON, as stream records carry it.
fn dynamo_json_item(item: &std::collections::HashMap<String, AttributeValue>) -> Value {
    Value::Object(
        item.iter()
            .map(|(name, value)| (name.clone(), dynamo_json(value)))
            .collect(),
    )
}

fn dynamo_json(value: &AttributeValue) -> Value {
    let encode = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    match value {
        AttributeValue::S(text) => json!({"S": text}),
        AttributeValue::N(number) => json!({"N": number}),
        AttributeValue::Bool(flag) => json!({"BOOL": flag}),
        AttributeValue::Null(_) => json!({"NULL": true}),
        AttributeValue::M(map) => json!({"M": dynamo_json_item(map)}),
        AttributeValue::L(list) => json!({"L": list.iter().map(dynamo_json).collect::<Vec<_>>()}),
        AttributeValue::Ss(texts) => json!({"SS": texts}),
        AttributeValue::Ns(numbers) => json!({"NS": numbers}),
        AttributeValue::B(blob) => json!({"B": encode(blob.as_ref())}),
        AttributeValue::Bs(blobs) => {
            json!({"BS": blobs.iter().map(|b| encode(b.as_ref())).collect::<Vec<_>>()})
        }
        _ => Value::Null,
    }
}

/// A notification is its owner's: another user reading it gets `404` (as for one that does not
/// exist), never sees it listed, and cannot mark it read; its owner can.
async fn notifications_are_private_to_their_owner() -> anyhow::Result<()> {
    let stack = stack().await?;
    let artist = stack.seeded("cinos").await?;
    let (owner, other) = (stack.newcomer().await?, stack.newcomer().await?);
    let auction = stack
        .auction(&artist, "public", Value::Null, 1, true)
        .await?;
    let item = auction.items[0].clone();
    stack.bid(&owner, &item, "10.00", None).await?;
    stack.bid(&other, &item, "11.00", None).await?;
    let notification = stack.notification_about(&owner, &item).await?;
    let id = text(&notification, "id")?;

    let theirs = stack
        .call(
            "POST",
            &format!("/me/notifications/{id}/read"),
            Some(&other.token),
            None,
        )
        .await?;
    assert_eq!(theirs.status, 404, "{:?}", theirs.json());
    let unknown = stack
        .call(
            "POST",
            &format!("/me/notifications/{}/read", uuid::Uuid::new_v4()),
            Some(&other.token),
            None,
        )
        .await?;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        theirs.json()?,
        unknown.json()?,
        "answered as one that does not exist"
    );
    for query in ["", "unread=true&"] {
        let listed = stack.all_notifications(&other, query).await?;
        assert!(
            listed.iter().all(|n| n["id"] != id.as_str()),
            "listed to another user: {listed:?}"
        );
    }
    let read_all = stack
        .expect(
            200,
            "POST",
            "/me/notifications/read-all",
            Some(&other.token),
            None,
        )
        .await?;
    assert_eq!(read_all["marked"], 0, "{read_all}");
    let anonymous = stack.call("GET", "/me/notifications", None, None).await?;
    assert_eq!(anonymous.status, 401);
    // Still unread: nothing the other user did touched it.
    let still = stack.notifications_about(&owner, &item).await?;
    assert_eq!(still.len(), 1);
    assert_eq!(still[0]["readAt"], Value::Null, "{still:?}");

    let read = stack
        .expect(
            200,
            "POST",
            &format!("/me/notifications/{id}/read"),
            Some(&owner.token),
            None,
        )
        .await?;
    assert_eq!(read["id"], id.as_str());
    time_of(&read["readAt"])?;
    let unread = stack.all_notifications(&owner, "unread=true&").await?;
    assert!(unread.iter().all(|n| n["id"] != id.as_str()), "{unread:?}");
    let listed = stack
        .expect(200, "GET", "/me/notifications", Some(&owner.token), None)
        .await?;
    assert_eq!(listed["unreadCount"], 0, "{listed}");
    assert_eq!(listed["items"][0]["id"], id.as_str());
    Ok(())
}

/// `{"action": "ping"}` answers exactly `{"type":"pong"}`, anonymous or signed in.
async fn ping_is_answered_with_pong() -> anyhow::Result<()> {
    let stack = stack().await?;
    let user = stack.newcomer().await?;
    for mut socket in [stack.anonymous().await?, stack.socket_of(&user).await?] {
        for _ in 0..2 {
            socket.send_json(&json!({"action": "ping"})).await?;
            let pong = socket.next().await?;
            assert_eq!(pong, json!({"type": "pong"}));
        }
        assert_eq!(socket.raw(), [r#"{"type":"pong"}"#, r#"{"type":"pong"}"#]);
        socket.close().await?;
    }
    Ok(())
}

/// Frames no route takes, or that a route cannot read, each get an `error` with a code and a
/// message; the connection stays open and answers the next good message.
async fn a_malformed_frame_gets_an_error_and_the_connection_stays_usable() -> anyhow::Result<()> {
    let stack = stack().await?;
    let artist = stack.seeded("cinos").await?;
    let auction = stack
        .auction(&artist, "public", Value::Null, 1, false)
        .await?;
    let mut socket = stack.anonymous().await?;
    let cases: [(&str, &str); 8] = [
        ("not json at all", "BAD_MESSAGE"),
        ("{\"action\": ", "BAD_MESSAGE"),
        (r#"{"auctionId": "x"}"#, "BAD_MESSAGE"),
        (r#"[1, 2, 3]"#, "BAD_MESSAGE"),
        (r#"{"action": "dance"}"#, "UNKNOWN_ACTION"),
        (r#"{"action": "subscribe"}"#, "INVALID_FIELD"),
        (
            r#"{"action": "subscribe", "auctionId": "not-an-id"}"#,
            "INVALID_FIELD",
        ),
        (
            r#"{"action": "unsubscribe", "auctionId": 7}"#,
            "INVALID_FIELD",
        ),
    ];
    for (frame, code) in cases {
        socket.send_text(frame).await?;
        let error = socket
            .next()
            .await
            .with_context(|| format!("after {frame}"))?;
        assert_eq!(error["type"], "error", "{frame} -> {error}");
        assert_eq!(error["code"], code, "{frame} -> {error}");
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{error}"
        );
    }
    socket.send_binary(br#"{"action": "ping"}"#).await?;
    let error = socket.next().await?;
    assert_eq!(error["code"], "BAD_MESSAGE", "a binary frame -> {error}");
    socket.send_json(&json!({"action": "ping"})).await?;
    assert_eq!(socket.next().await?, json!({"type": "pong"}));
    let subscribed = socket.follow(&auction.id).await?;
    assert_eq!(subscribed["items"][0]["itemId"], auction.items[0].as_str());
    Ok(())
}

/// One connection follows up to ten auctions: the eleventh answers `TOO_MANY_SUBSCRIPTIONS`
/// (subscribing again to one it follows is fine); after unsubscribing from one, it may.
async fn a_connection_follows_at_most_ten_auctions() -> anyhow::Result<()> {
    let stack = stack().await?;
    let artist = stack.seeded("auction_artist").await?;
    let mut auctions = Vec::new();
    for _ in 0..11 {
        auctions.push(
            stack
                .auction(&artist, "public", Value::Null, 1, false)
                .await?,
        );
    }
    let mut socket = stack.anonymous().await?;
    for auction in &auctions[..10] {
        socket.follow(&auction.id).await?;
    }
    let refused = socket.subscribe(&auctions[10].id).await?;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], "TOO_MANY_SUBSCRIPTIONS", "{refused}");
    // Following one it already follows is not an eleventh.
    socket.follow(&auctions[3].id).await?;
    socket
        .send_json(&json!({"action": "unsubscribe", "auctionId": auctions[0].id}))
        .await?;
    let unsubscribed = socket.next_of("unsubscribed").await?;
    assert_eq!(
        unsubscribed,
        json!({"type": "unsubscribed", "auctionId": auctions[0].id})
    );
    socket.follow(&auctions[10].id).await?;
    let refused = socket.subscribe(&auctions[0].id).await?;
    assert_eq!(refused["code"], "TOO_MANY_SUBSCRIPTIONS", "{refused}");
    // Another connection has its own ten.
    let mut other = stack.anonymous().await?;
    other.follow(&auctions[0].id).await?;
    Ok(())
}

/// Events go to the auction's subscribers only: not to a connection following another
/// auction, nor to one that unsubscribed.
async fn events_reach_only_the_auctions_current_subscribers() -> anyhow::Result<()> {
    let stack = stack().await?;
    let artist = stack.seeded("cinos").await?;
    let bidder = stack.newcomer().await?;
    let auction = stack
        .auction(&artist, "public", Value::Null, 1, true)
        .await?;
    let elsewhere = stack
        .auction(&artist, "public", Value::Null, 1, true)
        .await?;
    let item = auction.items[0].clone();
    let mut staying = stack.anonymous().await?;
    staying.follow(&auction.id).await?;
    let mut leaving = stack.anonymous().await?;
    leaving.follow(&auction.id).await?;
    let mut other = stack.anonymous().await?;
    other.follow(&elsewhere.id).await?;

    stack.bid(&bidder, &item, "10.00", None).await?;
    assert_eq!(staying.next_of("bid_placed").await?["sequence"], 1);
    assert_eq!(leaving.next_of("bid_placed").await?["sequence"], 1);
    leaving
        .send_json(&json!({"action": "unsubscribe", "auctionId": auction.id}))
        .await?;
    leaving.next_of("unsubscribed").await?;
    // Unsubscribing twice is harmless.
    leaving
        .send_json(&json!({"action": "unsubscribe", "auctionId": auction.id}))
        .await?;
    leaving.next_of("unsubscribed").await?;

    let second = stack.newcomer().await?;
    stack.bid(&second, &item, "11.00", None).await?;
    let event = staying.next_of("bid_placed").await?;
    assert_eq!(event["sequence"], 2);
    for (socket, who) in [
        (&mut leaving, "unsubscribed"),
        (&mut other, "other auction's"),
    ] {
        let rest = socket.drain(QUIET).await?;
        assert!(
            rest.iter().all(|f| f["type"] != "bid_placed"),
            "the {who} connection got {rest:?}"
        );
    }
    assert!(
        other.raw().is_empty() || other.raw().iter().all(|f| f.contains("\"subscribed\"")),
        "{:?}",
        other.raw()
    );
    Ok(())
}

/// The fan-out checks its subscribers again on every batch: a connection whose session ended,
/// or whose membership of a private auction was revoked, receives nothing more, while the
/// others still do.
async fn an_ended_session_or_a_revoked_membership_stops_the_events() -> anyhow::Result<()> {
    let stack = stack().await?;
    let artist = stack.seeded("cinos").await?;

    // A public auction: one watcher's session ends.
    let public = stack
        .auction(&artist, "public", Value::Null, 1, true)
        .await?;
    let (watcher, leaver, bidder) = (
        stack.newcomer().await?,
        stack.newcomer().await?,
        stack.newcomer().await?,
    );
    let mut watching = stack.socket_of(&watcher).await?;
    watching.follow(&public.id).await?;
    let mut ending = stack.socket_of(&leaver).await?;
    ending.follow(&public.id).await?;
    let sessions = stack
        .expect(200, "GET", "/me/sessions", Some(&leaver.token), None)
        .await?;
    let current = sessions["items"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["current"] == true))
        .context("the current session")?;
    let path = format!("/me/sessions/{}", text(current, "id")?);
    stack
        .expect(204, "DELETE", &path, Some(&leaver.token), None)
        .await?;
    stack.bid(&bidder, &public.items[0], "10.00", None).await?;
    assert_eq!(watching.next_of("bid_placed").await?["sequence"], 1);
    let after_logout = ending.drain(QUIET).await?;
    assert!(
        after_logout.iter().all(|f| f["type"] != "bid_placed"),
        "the ended session's connection got {after_logout:?}"
    );

    // A private auction: one member is revoked.
    let private = stack
        .auction(&artist, "private", Value::Null, 1, true)
        .await?;
    let code = private.code.clone().context("a private auction's code")?;
    let (kept, revoked) = (stack.newcomer().await?, stack.newcomer().await?);
    for member in [&kept, &revoked] {
        stack
            .expect(
                200,
                "POST",
                "/auctions/join",
                Some(&member.token),
                Some(json!({"auctionCode": code})),
            )
            .await?;
    }
    let mut owner = stack.socket_of(&artist).await?;
    owner.follow(&private.id).await?;
    let mut leaving = stack.socket_of(&revoked).await?;
    leaving.follow(&private.id).await?;
    stack
        .expect(
            200,
            "PATCH",
            &format!("/auctions/{}/members/{}", private.id, revoked.id),
            Some(&artist.token),
            Some(json!({"status": "revoked"})),
        )
        .await?;
    stack.bid(&kept, &private.items[0], "10.00", None).await?;
    assert_eq!(owner.next_of("bid_placed").await?["sequence"], 1);
    let after_revoking = leaving.drain(QUIET).await?;
    assert!(
        after_revoking.iter().all(|f| f["type"] != "bid_placed"),
        "the revoked member's connection got {after_revoking:?}"
    );
    Ok(())
}

/// `GET /me/export` holds the caller's notifications; purging the account deletes them.
async fn notifications_are_exported_and_purged_with_the_account() -> anyhow::Result<()> {
    let stack = stack().await?;
    let artist = stack.seeded("cinos").await?;
    let (leaver, rival) = (stack.newcomer().await?, stack.newcomer().await?);
    let auction = stack
        .auction(&artist, "public", Value::Null, 1, true)
        .await?;
    let item = auction.items[0].clone();
    stack.bid(&leaver, &item, "10.00", None).await?;
    stack.bid(&rival, &item, "11.00", None).await?;
    let id = text(&stack.notification_about(&leaver, &item).await?, "id")?;

    let export = stack
        .expect(200, "GET", "/me/export", Some(&leaver.token), None)
        .await?;
    let exported = export["notifications"]
        .as_array()
        .context("notifications")?;
    assert!(
        exported.iter().any(|n| n["id"] == id.as_str()),
        "the export holds the notification: {exported:?}"
    );

    stack
        .expect(
            204,
            "DELETE",
            "/me",
            Some(&leaver.token),
            Some(json!({"password": "a long enough password"})),
        )
        .await?;
    let store = stack.store().await;
    let left = store
        .query::<shared::realtime::NotificationRecord>(Query::index(
            Index::NOTIFICATIONS_BY_USER,
            s(leaver.id.clone()),
        ))
        .await?;
    assert!(left.items.is_empty(), "purged: {:?}", left.items);
    let record = store
        .get::<shared::realtime::NotificationRecord>(&id, Read::Strong)
        .await?;
    assert!(record.is_none(), "the notification itself is gone");
    Ok(())
}

/// `notifications.inAppEnabled: false` stops the outbid notifications, not the live page's
/// `outbid` event; a later change that leaves `inAppEnabled` out keeps it off.
async fn an_auction_without_in_app_notifications_still_sends_outbid_events() -> anyhow::Result<()> {
    let stack = stack().await?;
    let artist = stack.seeded("cinos").await?;
    let auction = stack
        .auction(&artist, "public", Value::Null, 1, true)
        .await?;
    let path = format!("/auctions/{}", auction.id);
    let settings = json!({"outbid": true, "closingSoon": true, "paymentReminders": true});
    let mut off = settings.clone();
    off["inAppEnabled"] = json!(false);
    stack
        .expect(
            200,
            "PATCH",
            &path,
            Some(&artist.token),
            Some(json!({"notifications": off})),
        )
        .await?;
    let changed = stack
        .expect(
            200,
            "PATCH",
            &path,
            Some(&artist.token),
            Some(json!({"notifications": settings})),
        )
        .await?;
    assert_eq!(changed["notifications"]["inAppEnabled"], false, "{changed}");

    let item = auction.items[0].clone();
    let (first, second) = (stack.newcomer().await?, stack.newcomer().await?);
    stack.bid(&first, &item, "10.00", None).await?;
    let mut page = stack.socket_of(&first).await?;
    page.follow(&auction.id).await?;
    stack.bid(&second, &item, "11.00", None).await?;
    assert_eq!(page.next_of("outbid").await?["sequence"], 2);
    // The fan-out has handled the change by now; give the store a moment all the same.
    tokio::time::sleep(QUIET).await;
    assert!(
        stack.notifications_about(&first, &item).await?.is_empty(),
        "no in-app notification when the auction sends none"
    );
    Ok(())
}
