//! The `items` stream trigger (function `stream-items-fan-out`): turns each change an accepted
//! bid makes to an item into events for the auction's subscribers, `outbid` for the leader who
//! lost the lead (and their in-app notification), and `item_extended` when soft close moved the
//! close. It runs after the bid's transaction has committed, so a bid never waits on it.
//!
//! Why the `items` stream: the bid transaction writes the item once per accepted request, and
//! its old and new images hold everything an event needs (price, leader before and after,
//! counts, `endsAt`, the sequence). The `bids` stream would need a read of the item per record
//! to know who led before, and a proxy's automatic answer is two bid records but one change.
//! Records of one item arrive in the order they were written, so `sequence` only grows.

use std::collections::{HashMap, HashSet};

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use futures_util::StreamExt;
use shared::bidding::minimum_next;
use shared::catalog::{AuctionRecord, ItemRecord, MembershipRecord, MembershipStatus};
use shared::domain::{AuctionId, CurrencyAmount, Money, SessionId, UserId};
use shared::identity::{SessionRecord, UserRecord, UserStatus};
use shared::realtime::{
    NotificationRecord, PushError, Pusher, ServerEvent, Standing, SubscriptionRecord,
};
use shared::store::{Index, Query, Read, StoreError, s};

use super::connection::forget;
use crate::AppState;

/// Posts in flight at once, per invocation.
const POSTS_IN_FLIGHT: usize = 32;

/// Delivers a batch of item changes. The first record that cannot be delivered is reported in
/// `batchItemFailures`: Lambda retries from it, so the records before it are not sent again.
/// A repeat is harmless: clients drop events whose type and `sequence` they have seen, and a
/// notification's id follows from the change, so it is written once.
#[tracing::instrument(skip_all, fields(records = event.records.len()))]
pub async fn stream_items_fan_out(
    state: &AppState,
    pusher: &Pusher,
    event: Event,
) -> DynamoDbEventResponse {
    let mut delivery = Delivery::new(state, pusher);
    let mut response = DynamoDbEventResponse::default();
    for record in &event.records {
        if let Err(error) = delivery.deliver(record).await {
            tracing::warn!(%error, "an item change was not delivered; it will be retried");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            response.batch_item_failures.push(failure);
            break;
        }
    }
    delivery.forget_gone().await;
    response
}

/// What one change of an item tells whom.
#[derive(Debug, Default, PartialEq)]
pub struct Announcement {
    /// To every subscriber of the auction, in this order.
    pub to_all: Vec<ServerEvent>,
    /// To the previous leader's own connections.
    pub outbid: Option<(UserId, ServerEvent)>,
    /// Their in-app notification, if the auction sends them.
    pub notification: Option<NotificationRecord>,
}

/// The events a change from `old` to `new` makes, if it is an accepted bid anyone can see (a
/// leader raising only their own maximum changes nothing anyone sees, and is announced to no
/// one). Removing or restoring a bid replays the item without a new sequence number, and is
/// not announced: clients see it when they next read the item.
pub fn announcement(
    old: &ItemRecord,
    new: &ItemRecord,
    in_app: bool,
) -> Result<Announcement, CurrencyMismatch> {
    let mut announced = Announcement::default();
    let Some(terms) = new.terms.as_ref() else {
        return Ok(announced); // a draft's item: no bids, no subscribers to tell
    };
    let (before, after) = (&old.bidding, &new.bidding);
    let sequence = after.accepted;
    let amount = |money: Money| {
        money
            .in_currency(terms.currency)
            .map_err(|_| CurrencyMismatch)
    };
    let next_minimum = if after.bought {
        None
    } else {
        Some(amount(minimum_next(
            &terms.increments,
            new.starting_price,
            after.price,
        ))?)
    };
    if after.accepted > before.accepted {
        let placed = after.bid_count > before.bid_count
            || after.price > before.price
            || (after.bought && !before.bought);
        match (&after.leader, after.price) {
            (Some(now_leading), Some(price)) if placed => {
                let price = amount(price)?;
                announced.to_all.push(ServerEvent::BidPlaced {
                    auction_id: new.auction_id,
                    item_id: new.id,
                    amount: price,
                    bidder_number: now_leading.bidder_number,
                    bid_count: after.bid_count,
                    next_minimum_bid: next_minimum,
                    ends_at: new.ends_at,
                    placed_at: new.updated_at,
                    sequence,
                });
                if let Some(previous) = before
                    .leader
                    .as_ref()
                    .filter(|l| l.bidder != now_leading.bidder)
                {
                    announced.outbid = Some((
                        previous.bidder,
                        ServerEvent::Outbid {
                            auction_id: new.auction_id,
                            item_id: new.id,
                            amount: price,
                            next_minimum_bid: next_minimum,
                            sequence,
                        },
                    ));
                    if in_app {
                        announced.notification = Some(NotificationRecord::outbid(
                            previous.bidder,
                            new.auction_id,
                            new.id,
                            sequence,
                            outbid_message(&new.name, price, terms.currency.code()),
                            new.updated_at,
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    if new.ends_at > old.ends_at {
        announced.to_all.push(ServerEvent::ItemExtended {
            auction_id: new.auction_id,
            item_id: new.id,
            ends_at: new.ends_at,
            sequence,
        });
    }
    Ok(announced)
}

/// An item's amount does not fit its currency (a record no handler could have written).
#[derive(Debug, thiserror::Error)]
#[error("an amount does not fit the item's currency")]
pub struct CurrencyMismatch;

fn outbid_message(item: &str, price: CurrencyAmount, currency: &str) -> String {
    format!("You were outbid on \u{201c}{item}\u{201d}: the price is now {price} {currency}.")
}

/// Why a record was not delivered (it is retried).
#[derive(Debug, thiserror::Error)]
pub(crate) enum Undelivered {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{failed} of {tried} posts failed: {first}")]
    Posts {
        failed: usize,
        tried: usize,
        first: String,
    },
}

/// Who follows an auction, and whether it writes in-app notifications; read once per batch.
pub(crate) struct Audience {
    pub(crate) subscribers: Vec<SubscriptionRecord>,
    pub(crate) in_app: bool,
}

/// Sends one batch's events: the audiences it read, and the connections found gone.
pub(crate) struct Delivery<'a> {
    state: &'a AppState,
    pusher: &'a Pusher,
    audiences: HashMap<AuctionId, Audience>,
    /// Connections that answered `410 Gone`: skipped from then on, forgotten at the end.
    gone: HashSet<String>,
}

impl<'a> Delivery<'a> {
    pub(crate) fn new(state: &'a AppState, pusher: &'a Pusher) -> Self {
        Self {
            state,
            pusher,
            audiences: HashMap::new(),
            gone: HashSet::new(),
        }
    }

    /// Sends `event` to the auction's subscribers: all of them, or `only` this user's.
    pub(crate) async fn tell(
        &mut self,
        auction: AuctionId,
        only: Option<UserId>,
        event: &ServerEvent,
    ) -> Result<usize, Undelivered> {
        let subscribers = self.audience(auction).await?.subscribers.clone();
        let connections: Vec<&str> = subscribers
            .iter()
            .filter(|s| only.is_none_or(|user| s.user_id == Some(user)))
            .map(|s| s.connection_id.as_str())
            .collect();
        self.post(&connections, event).await?;
        Ok(connections.len())
    }

    /// Sends `event` to the connections of `users` that follow the auction.
    pub(crate) async fn tell_users(
        &mut self,
        auction: AuctionId,
        users: &HashSet<UserId>,
        event: &ServerEvent,
    ) -> Result<usize, Undelivered> {
        let subscribers = self.audience(auction).await?.subscribers.clone();
        let connections: Vec<&str> = subscribers
            .iter()
            .filter(|s| s.user_id.is_some_and(|user| users.contains(&user)))
            .map(|s| s.connection_id.as_str())
            .collect();
        self.post(&connections, event).await?;
        Ok(connections.len())
    }

    async fn deliver(&mut self, record: &EventRecord) -> Result<(), Undelivered> {
        let Some((old, new)) = item_change(record) else {
            return Ok(());
        };
        let in_app = self.audience(new.auction_id).await?.in_app;
        let announced = match announcement(&old, &new, in_app) {
            Ok(announced) => announced,
            Err(error) => {
                // Retrying would fail the same way; the item is announced again on its next bid.
                tracing::error!(item.id = %new.id, %error, "an item change cannot be announced");
                return Ok(());
            }
        };
        if let Some(notification) = &announced.notification {
            notify(self.state, notification).await?;
        }
        let posting = std::time::Instant::now();
        let subscribers = self.audiences[&new.auction_id].subscribers.clone();
        let everyone: Vec<&str> = subscribers
            .iter()
            .map(|s| s.connection_id.as_str())
            .collect();
        for event in &announced.to_all {
            self.post(&everyone, event).await?;
        }
        if let Some((previous, event)) = &announced.outbid {
            let theirs: Vec<&str> = subscribers
                .iter()
                .filter(|s| s.user_id == Some(*previous))
                .map(|s| s.connection_id.as_str())
                .collect();
            self.post(&theirs, event).await?;
        }
        tracing::info!(
            item.id = %new.id,
            sequence = new.bidding.accepted,
            events = announced.to_all.len(),
            subscribers = everyone.len(),
            outbid = announced.outbid.is_some(),
            post_ms = posting.elapsed().as_millis(),
            "item change announced"
        );
        Ok(())
    }

    /// The auction's subscribers and settings, read on its first change in this batch.
    pub(crate) async fn audience(&mut self, auction: AuctionId) -> Result<&Audience, StoreError> {
        if !self.audiences.contains_key(&auction) {
            let started = std::time::Instant::now();
            let audience = read_audience(self.state, auction).await?;
            tracing::info!(
                auction.id = %auction,
                subscribers = audience.subscribers.len(),
                ms = started.elapsed().as_millis(),
                "audience read"
            );
            self.audiences.insert(auction, audience);
        }
        Ok(&self.audiences[&auction])
    }

    /// Sends `event` to `connections` (but those gone already), a bounded number at a time.
    async fn post(&mut self, connections: &[&str], event: &ServerEvent) -> Result<(), Undelivered> {
        let frame = event.to_json();
        let (frame, pusher, gone) = (frame.as_str(), self.pusher, &self.gone);
        let results: Vec<(&str, Result<(), PushError>)> =
            futures_util::stream::iter(connections.iter().copied().filter(|c| !gone.contains(*c)))
                .map(|connection| async move { (connection, pusher.post(connection, frame).await) })
                .buffer_unordered(POSTS_IN_FLIGHT)
                .collect()
                .await;
        let tried = results.len();
        let mut failures = Vec::new();
        for (connection, result) in results {
            match result {
                Ok(()) => {}
                Err(PushError::Gone) => {
                    self.gone.insert(connection.to_string());
                }
                Err(PushError::Failed(reason)) => failures.push(reason),
            }
        }
        // One client that cannot be reached is its own problem: the others got the event, and
        // it sees the gap in `sequence` on its next one. Only when no post went through (the
        // endpoint itself failing) is the record retried.
        let failed = failures.len();
        match failures.into_iter().next() {
            Some(first) if failed == tried => Err(Undelivered::Posts {
                failed,
                tried,
                first,
            }),
            Some(first) => {
                tracing::warn!(failed, tried, error = %first, "some posts failed");
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Deletes the connections that answered `410 Gone`, with their subscriptions: those their
    /// record lists, and those this batch read (a subscription written while the connection
    /// was being deleted would otherwise stay). One that fails is left to the TTL.
    pub(crate) async fn forget_gone(&self) {
        for connection in &self.gone {
            let read: Vec<String> = self
                .audiences
                .values()
                .flat_map(|audience| &audience.subscribers)
                .filter(|s| s.connection_id == *connection)
                .map(|s| s.id.clone())
                .collect();
            if let Err(error) = forget(self.state, connection, &read).await {
                tracing::warn!(error = %shared::telemetry::error_chain(&error), "a gone connection was not deleted");
            }
        }
        if !self.gone.is_empty() {
            tracing::info!(connections = self.gone.len(), "gone connections deleted");
        }
    }
}

/// The old and new item of a record that changed an item, if it is one.
fn item_change(record: &EventRecord) -> Option<(ItemRecord, ItemRecord)> {
    if record.event_name != "MODIFY" {
        return None; // a new item has no bids; a deleted one is gone from its auction
    }
    let image = |item: &serde_dynamo::Item| serde_dynamo::from_item::<_, ItemRecord>(item.clone());
    match (
        image(&record.change.old_image),
        image(&record.change.new_image),
    ) {
        (Ok(old), Ok(new)) => Some((old, new)),
        (Err(error), _) | (_, Err(error)) => {
            // Never retried: the same images would fail the same way.
            tracing::error!(%error, "a stream record does not hold an item");
            None
        }
    }
}

/// Every live subscription of the auction whose connection may still follow it, and whether
/// the auction sends in-app outbid notifications.
async fn read_audience(state: &AppState, auction: AuctionId) -> Result<Audience, StoreError> {
    let now = state.clock.now();
    let mut subscribers = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = Query::index(Index::CONNECTIONS_BY_AUCTION, s(auction.to_string()))
            .limit(1000)
            .after(cursor.as_deref());
        let page = state.store.query::<SubscriptionRecord>(query).await?;
        subscribers.extend(page.items.into_iter().filter(|s| s.is_live(now)));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let subscribers = still_entitled(state, auction, subscribers).await?;
    let in_app = state
        .store
        .get::<AuctionRecord>(&auction.to_string(), Read::Eventual)
        .await?
        .is_some_and(|a| a.notifications.outbid && a.notifications.in_app_enabled);
    Ok(Audience {
        subscribers,
        in_app,
    })
}

/// The subscriptions whose connection may still receive the auction's events: anonymous ones,
/// and signed-in ones whose account is active and session current (and, in a private auction
/// followed through a membership, whose membership is still active). A logout, an ended
/// session, a disabled account or a revoked membership stops the events at the next batch,
/// as the guard would refuse that caller's next request. Three batched reads per hundred
/// signed-in subscribers, once per batch.
async fn still_entitled(
    state: &AppState,
    auction: AuctionId,
    subscribers: Vec<SubscriptionRecord>,
) -> Result<Vec<SubscriptionRecord>, StoreError> {
    let now = state.clock.now();
    let signed_in: Vec<&SubscriptionRecord> =
        subscribers.iter().filter(|s| s.user_id.is_some()).collect();
    if signed_in.is_empty() {
        return Ok(subscribers);
    }
    let ids = |of: &dyn Fn(&SubscriptionRecord) -> Option<String>| -> Vec<String> {
        signed_in.iter().filter_map(|s| of(s)).collect()
    };
    let users: HashMap<UserId, UserRecord> = state
        .store
        .get_many::<UserRecord>(&ids(&|s| s.user_id.map(|u| u.to_string())), Read::Strong)
        .await?
        .into_iter()
        .filter(|user| user.status == UserStatus::Active)
        .map(|user| (user.id, user))
        .collect();
    let sessions: HashMap<SessionId, SessionRecord> = state
        .store
        .get_many::<SessionRecord>(
            &ids(&|s| s.session_id.map(|id| id.to_string())),
            Read::Strong,
        )
        .await?
        .into_iter()
        .map(|session| (session.id, session))
        .collect();
    let members: HashSet<UserId> = state
        .store
        .get_many::<MembershipRecord>(
            &ids(&|s| {
                (s.standing == Standing::Member)
                    .then(|| s.user_id.map(|user| MembershipRecord::key(auction, user)))
                    .flatten()
            }),
            Read::Strong,
        )
        .await?
        .into_iter()
        .filter(|membership| membership.status == MembershipStatus::Active)
        .map(|membership| membership.user_id)
        .collect();
    let entitled = |subscription: &SubscriptionRecord| {
        let Some(user) = subscription.user_id else {
            return true;
        };
        let Some(account) = users.get(&user) else {
            return false;
        };
        let session_current = subscription.session_id.is_none_or(|id| {
            sessions.get(&id).is_some_and(|s| {
                s.user_id == user && s.is_current(now, account.credentials_version)
            })
        });
        session_current && (subscription.standing != Standing::Member || members.contains(&user))
    };
    let (kept, dropped): (Vec<_>, Vec<_>) = subscribers.into_iter().partition(|s| entitled(s));
    if !dropped.is_empty() {
        tracing::info!(
            subscriptions = dropped.len(),
            "subscriptions no longer entitled are skipped"
        );
    }
    Ok(kept)
}

/// Writes a notification once (its id follows from what it tells), to an account that still
/// exists: a purged one gets none.
pub(crate) async fn notify(
    state: &AppState,
    notification: &NotificationRecord,
) -> Result<(), StoreError> {
    let active = state
        .store
        .get::<UserRecord>(&notification.user_id.to_string(), Read::Strong)
        .await?
        .is_some_and(|user| user.status == UserStatus::Active);
    if !active {
        return Ok(());
    }
    match state.store.create(notification).await {
        Ok(()) | Err(StoreError::ConditionFailed(_)) => Ok(()),
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use shared::bidding::{BidState, BiddingTerms, Leader};
    use shared::catalog::{EventType, ItemStatus, ItemType, default_increments};
    use shared::domain::{BidId, Currency, ItemId, Timestamp};

    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn money(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    fn leader(bidder: UserId, number: u32, maximum: &str) -> Leader {
        Leader {
            bidder,
            bidder_number: number,
            maximum: money(maximum),
            placed_at: at("2026-12-03T10:00:00Z"),
            bid: BidId::new(),
        }
    }

    fn item(bidding: BidState) -> ItemRecord {
        ItemRecord {
            id: ItemId::new(),
            auction_id: AuctionId::new(),
            owner_id: UserId::new(),
            lot_number: 0,
            name: "Harbor Light".into(),
            description: None,
            item_type: ItemType::Silent,
            starting_price: money("10"),
            reserve_price: Some(money("6421.37")),
            buy_now_price: None,
            fair_market_value: None,
            primary_photo: None,
            gallery: Vec::new(),
            status: ItemStatus::Upcoming,
            ends_at: at("2026-12-03T12:00:00Z"),
            bidding,
            terms: Some(BiddingTerms {
                auction_owner: UserId::new(),
                event_type: EventType::Public,
                currency: Currency::USD,
                increments: default_increments(),
                soft_close_window_sec: 120,
                soft_close_extension_sec: 120,
                buyer_premium_percent: Default::default(),
                scheduled_close: at("2026-12-03T12:00:00Z"),
            }),
            closed_at: None,
            sale: None,
            offer: None,
            passed_over: Vec::new(),
            created_at: at("2026-12-01T09:00:00Z"),
            updated_at: at("2026-12-03T11:00:00Z"),
            version: 3,
        }
    }

    fn state(price: &str, leading: Leader, bid_count: u32, accepted: u64) -> BidState {
        BidState {
            price: Some(money(price)),
            leader: Some(leading),
            bid_count,
            accepted,
            bought: false,
        }
    }

    #[test]
    fn a_new_leader_is_announced_to_all_and_the_old_one_is_told_privately() {
        let (ann, bea) = (UserId::new(), UserId::new());
        let old = item(state("20", leader(ann, 1, "4041.17"), 1, 1));
        let mut new = old.clone();
        new.bidding = state("4042.17", leader(bea, 2, "9093.31"), 2, 2);
        let told = announcement(&old, &new, true).unwrap();
        let [
            ServerEvent::BidPlaced {
                amount,
                bidder_number,
                sequence,
                ..
            },
        ] = &told.to_all[..]
        else {
            panic!("one bid_placed: {told:?}");
        };
        assert_eq!(
            (amount.to_string().as_str(), *bidder_number, *sequence),
            ("4042.17", 2, 2)
        );
        let (outbid, ServerEvent::Outbid { .. }) = told.outbid.clone().unwrap() else {
            panic!("outbid: {told:?}");
        };
        assert_eq!(outbid, ann);
        let notification = told.notification.unwrap();
        assert_eq!(notification.user_id, ann);
        // The same change, delivered again, makes the same notification id: written once.
        let again = announcement(&old, &new, true)
            .unwrap()
            .notification
            .unwrap();
        assert_eq!(again.id, notification.id);
        // Nothing anyone receives holds a maximum, a reserve or a user id.
        let frames: String = told.to_all.iter().map(ServerEvent::to_json).collect();
        for secret in [
            "9093.31",
            "4041.17",
            "6421.37",
            &ann.to_string(),
            &bea.to_string(),
        ] {
            assert!(!frames.contains(secret), "{secret} in {frames}");
        }
        assert!(
            announcement(&old, &new, false)
                .unwrap()
                .notification
                .is_none()
        );
    }

    #[test]
    fn a_proxy_answer_keeps_the_leader_and_outbids_no_one() {
        let ann = UserId::new();
        let old = item(state("20", leader(ann, 1, "977.53"), 1, 1));
        let mut new = old.clone();
        // Bea bid 50; Ann's maximum answered at 55: two history entries, Ann still leads.
        new.bidding = state("55", leader(ann, 1, "977.53"), 3, 2);
        let told = announcement(&old, &new, true).unwrap();
        assert!(
            matches!(
                &told.to_all[..],
                [ServerEvent::BidPlaced {
                    bidder_number: 1,
                    bid_count: 3,
                    ..
                }]
            ),
            "{told:?}"
        );
        assert!(told.outbid.is_none() && told.notification.is_none());
        // Ann's maximum, 977.53 (not a number any id or amount of the event could hold).
        assert!(
            !told.to_all[0].to_json().contains("977.53"),
            "the maximum stays private"
        );
    }

    #[test]
    fn raising_only_ones_own_maximum_is_announced_to_no_one() {
        let ann = UserId::new();
        let old = item(state("20", leader(ann, 1, "40"), 1, 1));
        let mut new = old.clone();
        new.bidding = state("20", leader(ann, 1, "80"), 1, 2);
        assert_eq!(
            announcement(&old, &new, true).unwrap(),
            Announcement::default()
        );
    }

    #[test]
    fn soft_close_is_announced_as_an_extension() {
        let (ann, bea) = (UserId::new(), UserId::new());
        let old = item(state("20", leader(ann, 1, "20"), 1, 1));
        let mut new = old.clone();
        new.bidding = state("25", leader(bea, 2, "25"), 2, 2);
        new.ends_at = at("2026-12-03T12:02:00Z");
        let told = announcement(&old, &new, true).unwrap();
        assert!(
            matches!(
                &told.to_all[..],
                [
                    ServerEvent::BidPlaced { .. },
                    ServerEvent::ItemExtended { sequence: 2, .. }
                ]
            ),
            "{told:?}"
        );
    }

    #[test]
    fn a_replay_after_a_removal_is_not_announced() {
        let (ann, bea) = (UserId::new(), UserId::new());
        let old = item(state("45", leader(bea, 2, "90"), 2, 2));
        let mut new = old.clone();
        // Removing Bea's bid replays the rest: Ann leads again, the sequence stays.
        new.bidding = state("20", leader(ann, 1, "40"), 1, 2);
        assert_eq!(
            announcement(&old, &new, true).unwrap(),
            Announcement::default()
        );
    }

    #[test]
    fn edits_that_touch_no_bid_are_not_announced() {
        let old = item(BidState::default());
        let mut new = old.clone();
        new.name = "Harbor Light, 5 A.M.".into();
        assert_eq!(
            announcement(&old, &new, true).unwrap(),
            Announcement::default()
        );
    }
}
