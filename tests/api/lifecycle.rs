//! An auction's life in time, end to end on the local stack, on real time with windows of
//! seconds (the test stack lowers the minimum auction and payment windows): the emulator's
//! Scheduler opens auctions and closes lots by invoking `schedule-transition`, its bus takes
//! the lifecycle events to `event-lifecycle-fan-out`, which tells WebSocket clients and writes
//! notifications. Each test makes its own auction and bidders, so they run side by side, and
//! each ends with a clean reconcile.

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use functions::lifecycle::payments::signature_header;
use integration_tests::harness::{
    Exchange, Socket, exchange, repo_root, shared_stack_prefix, shared_stack_services,
};
use integration_tests::trials;
use libtest_mimic::Trial;
use serde_json::{Value, json};
use shared::catalog::{AuctionRecord, AuctionStatus, ItemRecord, ItemStatus};
use shared::store::Read;

use crate::realtime::{Auction, Stack, User, of_kind, stack, text, time_of};

pub fn trials() -> Vec<Trial> {
    trials![
        an_auction_opens_at_its_start_and_its_lots_close_in_turn,
        a_late_bid_moves_the_close_and_the_winner_is_told_and_locked_in,
        an_unpaid_sale_passes_down_the_bidders_until_no_one_is_left,
        an_accepted_offer_is_the_new_sale_and_paying_it_completes_the_auction,
        a_late_payment_before_the_offer_is_answered_takes_the_lot_back,
        an_unanswered_offer_expires_and_the_lot_passes_on,
        webhooks_are_signed_fresh_and_taken_once,
        the_same_schedule_fired_twice_late_early_or_at_once_changes_nothing_twice,
        the_sweeper_runs_what_a_lost_schedule_would_have,
    ]
}

/// How long after its time a schedule's work may take to show on a busy test machine (the
/// emulator fires on the second; moto serves one request at a time).
pub(crate) const SLACK: Duration = Duration::from_secs(15);

/// A lifecycle test's view of the shared stack.
pub(crate) struct Life {
    pub(crate) stack: Stack,
    pub(crate) artist: User,
}

pub(crate) async fn life() -> anyhow::Result<Life> {
    let stack = stack().await?;
    let artist = stack.seeded("cinos").await?;
    Ok(Life { stack, artist })
}

impl Life {
    /// A public auction of `lots` lots (10.00 each, the first with a buy-now price of 100.00)
    /// starting in `starts_in` seconds and lasting `lasts` seconds, with `settings`.
    async fn auction(
        &self,
        lots: usize,
        starts_in: i64,
        lasts: i64,
        settings: Value,
    ) -> anyhow::Result<Auction> {
        let starts = Utc::now() + chrono::Duration::seconds(starts_in);
        let ends = starts + chrono::Duration::seconds(lasts);
        let items: Vec<Value> = (0..lots)
            .map(|lot| {
                let mut item = json!({"name": format!("Lot {lot}"), "type": "silent", "startingPrice": "10.00"});
                if lot == 0 {
                    item["buyNowPrice"] = json!("100.00");
                }
                item
            })
            .collect();
        self.stack
            .timed_auction(
                &self.artist,
                "public",
                settings,
                &items,
                (starts, ends),
                false,
            )
            .await
    }

    /// `GET /items/{item}` as `user`.
    async fn item(&self, user: &User, item: &str) -> anyhow::Result<Value> {
        self.stack
            .expect(
                200,
                "GET",
                &format!("/items/{item}"),
                Some(&user.token),
                None,
            )
            .await
    }

    /// The item as the artist sees it once `done` holds, polled within `wait`.
    async fn item_once(
        &self,
        item: &str,
        wait: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> anyhow::Result<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let read = self.item(&self.artist, item).await?;
            if done(&read) {
                return Ok(read);
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "item {item} not as expected within {wait:?}: {read}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// The stored auction and item (what no view shows as such: the written phase and status).
    pub(crate) async fn stored(
        &self,
        auction: &str,
        item: &str,
    ) -> anyhow::Result<(AuctionRecord, ItemRecord)> {
        let store = self.stack.store().await;
        let auction = store
            .get::<AuctionRecord>(auction, Read::Strong)
            .await?
            .context("no auction")?;
        let item = store
            .get::<ItemRecord>(item, Read::Strong)
            .await?
            .context("no item")?;
        Ok((auction, item))
    }

    /// `user`'s pending offer of `item`, once it is made (within [`SLACK`]).
    async fn pending_offer(&self, user: &User, item: &str) -> anyhow::Result<Value> {
        let deadline = tokio::time::Instant::now() + SLACK;
        loop {
            let offers = self
                .stack
                .expect(200, "GET", "/me/offers", Some(&user.token), None)
                .await?;
            if let Some(offer) = offers["items"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|o| o["itemId"] == item && o["status"] == "pending")
            {
                return Ok(offer.clone());
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "no pending offer of {item} within {SLACK:?}: {offers}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Every audit entry of `auction` with `action`.
    async fn audited(&self, auction: &str, action: &str) -> anyhow::Result<Vec<Value>> {
        let mut found = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = self
                .stack
                .expect(
                    200,
                    "GET",
                    &format!("/auctions/{auction}/audit?limit=100{cursor}"),
                    Some(&self.artist.token),
                    None,
                )
                .await?;
            found.extend(
                page["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|entry| entry["action"] == action)
                    .cloned(),
            );
            match page["nextCursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => return Ok(found),
            }
        }
    }

    /// Reconcile finds nothing to fix: the bids replay to every item's state, sales and
    /// offers included, and the totals agree.
    async fn assert_reconciled(&self, auction: &str) -> anyhow::Result<()> {
        let mut cursor = String::new();
        loop {
            let page = self
                .stack
                .expect(
                    200,
                    "GET",
                    &format!("/auctions/{auction}/reconcile?{cursor}"),
                    Some(&self.artist.token),
                    None,
                )
                .await?;
            assert_eq!(page["differences"], json!([]), "{page}");
            match page["nextCursor"].as_str() {
                Some(next) => cursor = format!("cursor={next}"),
                None => return Ok(()),
            }
        }
    }

    /// Invokes `function` as Lambda's Invoke API does (as a schedule or the sweeper's rate
    /// would); answers the function's result.
    pub(crate) async fn invoke(&self, function: &str, payload: &Value) -> anyhow::Result<Value> {
        let answer = exchange(
            "POST",
            &format!(
                "{}/2015-03-31/functions/{function}/invocations",
                self.stack.base
            ),
            &[("content-type", "application/json")],
            payload.to_string().into_bytes(),
        )
        .await?;
        anyhow::ensure!(
            answer.status == 200 && !answer.headers.contains_key("x-amz-function-error"),
            "invoking {function} answered {}: {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        );
        answer.json()
    }

    /// The emulated Scheduler's answer to `method` on the named schedule of this stack.
    pub(crate) async fn schedule(&self, method: &str, name: &str) -> anyhow::Result<Exchange> {
        let (services, prefix) = tokio::task::spawn_blocking(|| {
            anyhow::Ok((shared_stack_services()?, shared_stack_prefix()?))
        })
        .await??;
        exchange(
            method,
            &format!("{services}/schedules/{name}?groupName={prefix}lifecycle"),
            &[],
            vec![],
        )
        .await
    }

    /// A signed webhook call (`signed_at` in Unix seconds); the exchange.
    async fn webhook(&self, body: &Value, signed_at: i64, key: &[u8]) -> anyhow::Result<Exchange> {
        let body = body.to_string().into_bytes();
        let signature = signature_header(key, signed_at, &body);
        exchange(
            "POST",
            &format!("{}/webhooks/payments", self.stack.base),
            &[
                ("content-type", "application/json"),
                ("payment-signature", signature.as_str()),
            ],
            body,
        )
        .await
    }

    /// The artist records the item's sale paid.
    async fn pay(&self, item: &str) -> anyhow::Result<Value> {
        self.stack
            .expect(
                200,
                "POST",
                &format!("/items/{item}/payment"),
                Some(&self.artist.token),
                Some(json!({"status": "paid"})),
            )
            .await
    }

    /// A one-lot auction (`settings`) closing 6 s from now, where the runner-up bids 10.00 and
    /// the winner 30.00 and does not pay: once the offer to the runner-up is made.
    async fn offered(&self, settings: Value) -> anyhow::Result<Offered> {
        let auction = self.auction(1, 3, 3, settings).await?;
        let item = auction.items[0].clone();
        let (runner_up, winner) = (self.stack.newcomer().await?, self.stack.newcomer().await?);
        let ends = time_of(&self.item(&winner, &item).await?["endsAt"])?;
        until(ends - chrono::Duration::seconds(3)).await;
        self.stack.bid(&runner_up, &item, "10.00", None).await?;
        self.stack.bid(&winner, &item, "30.00", None).await?;
        let offer = self.pending_offer(&runner_up, &item).await?;
        Ok(Offered {
            offer_id: text(&offer, "id")?,
            offer,
            auction,
            item,
            runner_up,
            winner,
        })
    }

    /// A subscribed connection of `user` to `auction`.
    pub(crate) async fn watching(&self, user: &User, auction: &str) -> anyhow::Result<Socket> {
        let mut socket = self.stack.socket_of(user).await?;
        socket.follow(auction).await?;
        Ok(socket)
    }
}

/// [`Life::offered`]: the lot whose winner did not pay, offered to the runner-up.
struct Offered {
    auction: Auction,
    item: String,
    runner_up: User,
    winner: User,
    offer: Value,
    offer_id: String,
}

/// The key `make dev` stored as the payment provider's webhook secret.
fn webhook_key() -> anyhow::Result<Vec<u8>> {
    let text = std::fs::read_to_string(repo_root().join(".local/payment-webhook.key"))
        .context("reading .local/payment-webhook.key (made by make dev)")?;
    Ok(text.trim().as_bytes().to_vec())
}

/// The next frame of `kind` about `item`, within `wait`.
async fn frame_about(
    socket: &mut Socket,
    kind: &str,
    item: &str,
    wait: Duration,
) -> anyhow::Result<Value> {
    socket
        .next_within(wait, |f| f["type"] == kind && f["itemId"] == item)
        .await
        .with_context(|| format!("waiting for {kind} about {item}"))
}

/// Waits until `at` has passed.
pub(crate) async fn until(at: DateTime<Utc>) {
    if let Ok(left) = (at - Utc::now()).to_std() {
        tokio::time::sleep(left).await;
    }
}

/// `answer` is `status` with the problem `code`.
fn assert_refused(answer: &Exchange, status: u16, code: &str) {
    assert_eq!(
        (answer.status, code_of(answer).as_str()),
        (status, code),
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
}

fn code_of(answer: &Exchange) -> String {
    answer
        .json()
        .ok()
        .and_then(|body| body["code"].as_str().map(str::to_string))
        .unwrap_or_default()
}

fn field_names(value: &Value) -> Vec<&str> {
    let mut names: Vec<&str> = value
        .as_object()
        .map(|fields| fields.keys().map(String::as_str).collect())
        .unwrap_or_default();
    names.sort_unstable();
    names
}

// ---------------------------------------------------------------------------------------------

/// Published with a start 5 s away, the auction opens by itself at `startsAt` (not before);
/// its three lots, staggered 2 s apart, close each at its own `endsAt` and in turn, the one
/// with a bid `sold` to its leader at the price, the others `unsold`; the last close moves the
/// auction to `pending`, and paying the sale to `complete`. A closed lot takes no bid.
async fn an_auction_opens_at_its_start_and_its_lots_close_in_turn() -> anyhow::Result<()> {
    let life = life().await?;
    let auction = life
        .auction(3, 5, 4, json!({"staggerSec": 2, "softCloseWindowSec": 0}))
        .await?;
    let bidder = life.stack.newcomer().await?;
    let mut watcher = life.stack.anonymous().await?;
    let subscribed = watcher.follow(&auction.id).await?;
    assert_eq!(subscribed["status"], "ready", "{subscribed}");
    let read = life
        .stack
        .expect(200, "GET", &format!("/auctions/{}", auction.id), None, None)
        .await?;
    let starts = time_of(&read["startsAt"])?;

    let opened = watcher
        .next_within(SLACK, |f| f["type"] == "auction_phase_changed")
        .await?;
    let heard = Utc::now();
    assert_eq!(
        field_names(&opened),
        ["auctionId", "status", "type"],
        "{opened}"
    );
    assert_eq!(opened["status"], "open");
    assert!(heard >= starts, "opened at {heard}, before {starts}");
    let (stored, _) = life.stored(&auction.id, &auction.items[0]).await?;
    assert_eq!(stored.status, AuctionStatus::Open);

    life.stack
        .bid(&bidder, &auction.items[1], "10.00", None)
        .await?;
    let mut ends = Vec::new();
    for item in &auction.items {
        ends.push(time_of(&life.item(&bidder, item).await?["endsAt"])?);
    }
    assert!(ends[0] < ends[1] && ends[1] < ends[2], "{ends:?}");
    for (lot, item) in auction.items.iter().enumerate() {
        let closed = frame_about(&mut watcher, "item_closed", item, SLACK).await?;
        let heard = Utc::now();
        assert!(
            heard >= ends[lot],
            "lot {lot} announced closed at {heard}, before {}",
            ends[lot]
        );
        assert_eq!(
            field_names(&closed),
            [
                "amount",
                "auctionId",
                "itemId",
                "sequence",
                "status",
                "type"
            ],
            "{closed}"
        );
        if lot == 1 {
            assert_eq!(closed["status"], "sold", "{closed}");
            assert_eq!(closed["amount"], "10.00");
        } else {
            assert_eq!(closed["status"], "unsold", "{closed}");
            assert_eq!(closed["amount"], Value::Null);
        }
    }
    let pending = watcher
        .next_within(SLACK, |f| f["type"] == "auction_phase_changed")
        .await?;
    assert_eq!(pending["status"], "pending", "{pending}");
    let refused = life
        .stack
        .call(
            "POST",
            &format!("/items/{}/bids", auction.items[0]),
            Some(&bidder.token),
            Some(json!({"amount": "50.00"})),
        )
        .await?;
    assert_eq!(refused.status, 409);
    assert!(
        ["ITEM_CLOSED", "AUCTION_NOT_OPEN"].contains(&code_of(&refused).as_str()),
        "{}",
        String::from_utf8_lossy(&refused.body)
    );
    let sold = life.item(&life.artist, &auction.items[1]).await?;
    assert_eq!(sold["status"], "sold");
    assert_eq!(sold["sale"]["paymentStatus"], "unpaid", "{sold}");
    assert_eq!(sold["sale"]["round"], 0);
    assert_eq!(sold["sale"]["amount"], "10.00");
    assert_eq!(sold["nextMinimumBid"], Value::Null);
    // Others see what it sold for, not to whom or by when it is due.
    let seen = life
        .stack
        .expect(
            200,
            "GET",
            &format!("/items/{}", auction.items[1]),
            None,
            None,
        )
        .await?;
    assert_eq!(seen["sale"], json!({"amount": "10.00"}), "{seen}");

    life.pay(&auction.items[1]).await?;
    let complete = watcher
        .next_within(SLACK, |f| f["type"] == "auction_phase_changed")
        .await?;
    assert_eq!(complete["status"], "complete", "{complete}");
    let rest = watcher.drain(Duration::from_secs(1)).await?;
    assert!(
        of_kind(&rest, "item_closed").is_empty(),
        "closes announced twice: {rest:?}"
    );
    let closes = life.audited(&auction.id, "item_closed").await?;
    assert_eq!(closes.len(), 3, "{closes:?}");
    let sale = closes
        .iter()
        .find(|entry| entry["details"]["status"] == "sold")
        .context("no sold close")?;
    assert_eq!(sale["details"]["amount"], "10.00", "{sale}");
    assert_eq!(sale["actorId"], Value::Null);
    life.assert_reconciled(&auction.id).await
}

/// A bid inside the soft-close window moves the lot's end: its close comes at the new end,
/// not the old one. The winner hears `item_closed` and `payment_due` (the amount, due a
/// payment window after the close) and is notified; the underbidder hears no `payment_due`.
/// The sold lot then refuses bids and buy-now from anyone.
async fn a_late_bid_moves_the_close_and_the_winner_is_told_and_locked_in() -> anyhow::Result<()> {
    let life = life().await?;
    let auction = life
        .auction(
            1,
            3,
            6,
            json!({"softCloseWindowSec": 4, "softCloseExtensionSec": 6, "paymentWindowSec": 60}),
        )
        .await?;
    let item = auction.items[0].clone();
    let (first, second) = (life.stack.newcomer().await?, life.stack.newcomer().await?);
    let mut winner = life.watching(&second, &auction.id).await?;
    let mut loser = life.watching(&first, &auction.id).await?;
    let scheduled_end = time_of(&life.item(&first, &item).await?["endsAt"])?;

    until(scheduled_end - chrono::Duration::seconds(6)).await;
    life.stack.bid(&first, &item, "10.00", None).await?;
    until(scheduled_end - chrono::Duration::seconds(2)).await;
    let late = life.stack.bid(&second, &item, "11.00", None).await?;
    let extended = frame_about(&mut winner, "item_extended", &item, SLACK).await?;
    let new_end = time_of(&extended["endsAt"])?;
    assert!(new_end > scheduled_end, "{extended}");
    assert_eq!(time_of(&late["item"]["endsAt"])?, new_end);

    let closed = frame_about(
        &mut winner,
        "item_closed",
        &item,
        SLACK + Duration::from_secs(6),
    )
    .await?;
    let heard = Utc::now();
    assert!(
        heard >= new_end,
        "closed at {heard}, before the extended end {new_end}"
    );
    assert_eq!(closed["status"], "sold");
    assert_eq!(closed["amount"], "11.00");
    let due = frame_about(&mut winner, "payment_due", &item, SLACK).await?;
    assert_eq!(
        field_names(&due),
        ["amount", "auctionId", "dueAt", "itemId", "type"],
        "{due}"
    );
    assert_eq!(due["amount"], "11.00");
    let due_at = time_of(&due["dueAt"])?;
    let (_, stored) = life.stored(&auction.id, &item).await?;
    let sale = stored.sale.context("no sale")?;
    assert_eq!(due_at.timestamp_millis(), sale.due_at.millis());
    assert_eq!(sale.due_at.millis() - sale.sold_at.millis(), 60_000);
    assert!(sale.sold_at.millis() >= new_end.timestamp_millis());
    assert_eq!(stored.status, ItemStatus::Sold);

    let won = life.stack.notification_about(&second, &item).await?;
    assert_eq!(won["type"], "item_won", "{won}");
    let mine = life.item(&second, &item).await?;
    assert_eq!(mine["sale"]["paymentStatus"], "unpaid", "{mine}");
    assert_eq!(mine["sale"]["bidderNumber"], late["bid"]["bidderNumber"]);
    let theirs = life.item(&first, &item).await?;
    assert_eq!(theirs["sale"], json!({"amount": "11.00"}), "{theirs}");

    let heard = loser.drain(Duration::from_secs(1)).await?;
    assert_eq!(of_kind(&heard, "item_closed").len(), 1, "{heard:?}");
    assert!(of_kind(&heard, "payment_due").is_empty(), "{heard:?}");
    for (path, body) in [
        (format!("/items/{item}/bids"), json!({"amount": "50.00"})),
        (format!("/items/{item}/buy-now"), json!({})),
    ] {
        for user in [&first, &second] {
            let refused = life
                .stack
                .call("POST", &path, Some(&user.token), Some(body.clone()))
                .await?;
            assert_eq!(
                refused.status,
                409,
                "{path}: {}",
                String::from_utf8_lossy(&refused.body)
            );
            assert!(
                ["ITEM_CLOSED", "AUCTION_NOT_OPEN"].contains(&code_of(&refused).as_str()),
                "{path}: {}",
                String::from_utf8_lossy(&refused.body)
            );
        }
    }
    assert!(
        life.stack
            .notifications_about(&first, &item)
            .await?
            .iter()
            .all(|n| n["type"] == "outbid_in_app")
    );
    life.assert_reconciled(&auction.id).await
}

/// The winner does not pay in time: the sale is `overdue` (the winner notified), and the lot
/// is offered to the next distinct bidder at their own highest bid (not their first); a
/// decline moves it on to the next; with no one left it is `unsold`. A payment for the
/// passed-on sale is refused.
async fn an_unpaid_sale_passes_down_the_bidders_until_no_one_is_left() -> anyhow::Result<()> {
    let life = life().await?;
    let auction = life
        .auction(
            1,
            3,
            4,
            json!({"softCloseWindowSec": 0, "paymentWindowSec": 3, "offerWindowSec": 60}),
        )
        .await?;
    let item = auction.items[0].clone();
    let (twice, once, winner) = (
        life.stack.newcomer().await?,
        life.stack.newcomer().await?,
        life.stack.newcomer().await?,
    );
    let mut offered = life.watching(&twice, &auction.id).await?;
    let ends = time_of(&life.item(&once, &item).await?["endsAt"])?;
    until(ends - chrono::Duration::seconds(4)).await;
    life.stack.bid(&twice, &item, "10.00", None).await?;
    life.stack.bid(&once, &item, "15.00", None).await?;
    life.stack.bid(&twice, &item, "16.00", None).await?;
    life.stack.bid(&winner, &item, "20.00", None).await?;

    let offer = frame_about(&mut offered, "second_chance_offer", &item, SLACK * 2).await?;
    assert_eq!(
        field_names(&offer),
        [
            "amount",
            "auctionId",
            "expiresAt",
            "itemId",
            "offerId",
            "type"
        ],
        "{offer}"
    );
    assert_eq!(offer["amount"], "16.00", "their highest bid: {offer}");
    let listed = life.pending_offer(&twice, &item).await?;
    assert_eq!(listed["id"], offer["offerId"]);
    assert_eq!(listed["amount"], "16.00");
    let overdue = life.item(&winner, &item).await?;
    assert_eq!(overdue["sale"]["paymentStatus"], "overdue", "{overdue}");
    let told: Vec<Value> = life.stack.notifications_about(&winner, &item).await?;
    assert!(
        told.iter().any(|n| n["type"] == "payment_overdue"),
        "{told:?}"
    );
    assert!(
        life.stack
            .notifications_about(&twice, &item)
            .await?
            .iter()
            .any(|n| n["type"] == "second_chance_offer")
    );
    // The offer is its bidder's alone.
    let offer_id = text(&offer, "offerId")?;
    let not_theirs = life
        .stack
        .call(
            "POST",
            &format!("/offers/{offer_id}/accept"),
            Some(&once.token),
            None,
        )
        .await?;
    assert_eq!(not_theirs.status, 404);

    life.stack
        .expect(
            200,
            "POST",
            &format!("/offers/{offer_id}/decline"),
            Some(&twice.token),
            None,
        )
        .await?;
    let next = life.pending_offer(&once, &item).await?;
    assert_eq!(next["amount"], "15.00", "{next}");
    let again = life
        .stack
        .call(
            "POST",
            &format!("/offers/{offer_id}/accept"),
            Some(&twice.token),
            None,
        )
        .await?;
    assert_eq!(
        again.status,
        409,
        "{}",
        String::from_utf8_lossy(&again.body)
    );
    life.stack
        .expect(
            200,
            "POST",
            &format!("/offers/{}/decline", text(&next, "id")?),
            Some(&once.token),
            None,
        )
        .await?;
    let unsold = life
        .item_once(&item, SLACK, |read| read["status"] == "unsold")
        .await?;
    assert_eq!(unsold.get("sale"), None, "{unsold}");
    let closed = frame_about(&mut offered, "item_closed", &item, SLACK).await?;
    assert_eq!(
        closed["status"], "sold",
        "the close itself came first: {closed}"
    );
    let closed = frame_about(&mut offered, "item_closed", &item, SLACK).await?;
    assert_eq!(closed["status"], "unsold", "{closed}");

    let late = life
        .stack
        .call(
            "POST",
            &format!("/items/{item}/payment"),
            Some(&life.artist.token),
            Some(json!({"status": "paid"})),
        )
        .await?;
    assert_refused(&late, 409, "SALE_PASSED_ON");
    let key = webhook_key()?;
    let event = json!({"id": format!("evt_{offer_id}"), "type": "payment.succeeded", "itemId": item, "round": 0});
    let answer = life.webhook(&event, Utc::now().timestamp(), &key).await?;
    assert_refused(&answer, 409, "SALE_PASSED_ON");

    assert_eq!(life.audited(&auction.id, "payment_overdue").await?.len(), 1);
    assert_eq!(
        life.audited(&auction.id, "second_chance_offered")
            .await?
            .len(),
        2
    );
    assert_eq!(life.audited(&auction.id, "offer_declined").await?.len(), 2);
    let phase = life
        .stack
        .expect(200, "GET", &format!("/auctions/{}", auction.id), None, None)
        .await?;
    assert_eq!(phase["status"], "complete", "all unsold: {phase}");
    life.assert_reconciled(&auction.id).await
}

/// An accepted offer becomes the sale of the next round at the offered amount, with a new
/// deadline and `payment_due` to its new winner; the totals count it as theirs; paying it
/// completes the auction.
async fn an_accepted_offer_is_the_new_sale_and_paying_it_completes_the_auction()
-> anyhow::Result<()> {
    let life = life().await?;
    // The window is long enough to pay the accepted offer's sale before it too runs out on
    // a busy machine.
    let Offered {
        auction,
        item,
        runner_up: second,
        offer_id,
        ..
    } = life
        .offered(json!({"softCloseWindowSec": 0, "paymentWindowSec": 8, "offerWindowSec": 60}))
        .await?;
    let mut socket = life.watching(&second, &auction.id).await?;
    let accepted = life
        .stack
        .expect(
            200,
            "POST",
            &format!("/offers/{offer_id}/accept"),
            Some(&second.token),
            None,
        )
        .await?;
    assert_eq!(accepted["status"], "accepted", "{accepted}");
    let mine = life.item(&second, &item).await?;
    assert_eq!(mine["sale"]["round"], 1, "{mine}");
    assert_eq!(mine["sale"]["amount"], "10.00");
    assert_eq!(mine["sale"]["paymentStatus"], "unpaid");
    life.pay(&item).await?;
    let due = socket
        .next_within(SLACK, |f| {
            f["type"] == "payment_due" && f["itemId"] == item.as_str() && f["amount"] == "10.00"
        })
        .await?;
    assert_eq!(mine["sale"]["dueAt"], due["dueAt"]);
    assert!(time_of(&due["dueAt"])? > time_of(&accepted["createdAt"])?);
    let complete = socket
        .next_within(SLACK, |f| {
            f["type"] == "auction_phase_changed" && f["status"] == "complete"
        })
        .await?;
    assert_eq!(complete["auctionId"], auction.id.as_str());
    let totals = life
        .stack
        .expect(
            200,
            "GET",
            &format!("/auctions/{}/totals", auction.id),
            Some(&life.artist.token),
            None,
        )
        .await?;
    let rows = totals["items"].as_array().cloned().unwrap_or_default();
    let theirs: Vec<&Value> = rows.iter().filter(|t| t["won"] == json!([item])).collect();
    assert_eq!(theirs.len(), 1, "the item is won by one bidder: {totals}");
    assert_eq!(theirs[0]["subtotal"], "10.00", "{totals}");
    assert_eq!(life.audited(&auction.id, "offer_accepted").await?.len(), 1);
    life.assert_reconciled(&auction.id).await
}

/// The winner pays after the deadline while the offer it led to is unanswered: the payment
/// is taken, the lot is theirs again and paid, the offer is withdrawn and can no longer be
/// accepted.
async fn a_late_payment_before_the_offer_is_answered_takes_the_lot_back() -> anyhow::Result<()> {
    let life = life().await?;
    let Offered {
        auction,
        item,
        runner_up: second,
        winner: first,
        offer_id,
        ..
    } = life
        .offered(json!({"softCloseWindowSec": 0, "paymentWindowSec": 3, "offerWindowSec": 60}))
        .await?;

    let event = json!({"id": format!("evt_late_{item}"), "type": "payment.succeeded", "itemId": item, "round": 0});
    let answer = life
        .webhook(&event, Utc::now().timestamp(), &webhook_key()?)
        .await?;
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(answer.json()?["result"], "recorded");
    let paid = life.item(&first, &item).await?;
    assert_eq!(paid["sale"]["paymentStatus"], "paid", "{paid}");
    assert_eq!(paid["sale"]["round"], 0);
    assert_eq!(paid["sale"]["amount"], "30.00");
    let refused = life
        .stack
        .call(
            "POST",
            &format!("/offers/{offer_id}/accept"),
            Some(&second.token),
            None,
        )
        .await?;
    assert_refused(&refused, 409, "OFFER_CLOSED");
    let offers = life
        .stack
        .expect(200, "GET", "/me/offers", Some(&second.token), None)
        .await?;
    assert_eq!(offers["items"][0]["status"], "withdrawn", "{offers}");
    let phase = life
        .stack
        .expect(200, "GET", &format!("/auctions/{}", auction.id), None, None)
        .await?;
    assert_eq!(phase["status"], "complete", "{phase}");
    life.assert_reconciled(&auction.id).await
}

/// Half-way through the window the winner is reminded; an offer nobody answers expires at
/// the end of its own window (`offerWindowSec`), and with no one left the lot is unsold. An
/// expired offer can no longer be accepted.
async fn an_unanswered_offer_expires_and_the_lot_passes_on() -> anyhow::Result<()> {
    let life = life().await?;
    let Offered {
        auction,
        item,
        runner_up: second,
        winner: first,
        offer,
        offer_id,
    } = life
        .offered(json!({"softCloseWindowSec": 0, "paymentWindowSec": 4, "offerWindowSec": 3}))
        .await?;
    let reminded = life.stack.notifications_about(&first, &item).await?;
    assert!(
        reminded.iter().any(|n| n["type"] == "payment_reminder"),
        "{reminded:?}"
    );
    let expires = time_of(&offer["expiresAt"])?;
    let unsold = life
        .item_once(&item, SLACK, |read| read["status"] == "unsold")
        .await?;
    assert!(
        Utc::now() >= expires,
        "passed on before the offer expired: {unsold}"
    );
    let late = life
        .stack
        .call(
            "POST",
            &format!("/offers/{offer_id}/accept"),
            Some(&second.token),
            None,
        )
        .await?;
    assert_refused(&late, 409, "OFFER_CLOSED");
    let offers = life
        .stack
        .expect(200, "GET", "/me/offers", Some(&second.token), None)
        .await?;
    assert_eq!(offers["items"][0]["status"], "expired", "{offers}");
    let expired = life.audited(&auction.id, "offer_expired").await?;
    assert_eq!(expired.len(), 1, "{expired:?}");
    assert_eq!(expired[0]["actorId"], Value::Null);
    assert!(
        time_of(&expired[0]["at"])? >= expires,
        "expired early: {expired:?}"
    );
    life.assert_reconciled(&auction.id).await
}

/// The payment webhook takes only a body signed with the configured key within the last 5
/// minutes; a replay of a taken event changes nothing; an event type it does not act on is
/// acknowledged and ignored.
async fn webhooks_are_signed_fresh_and_taken_once() -> anyhow::Result<()> {
    let life = life().await?;
    let auction = life.auction(1, 2, 600, Value::Null).await?;
    let item = auction.items[0].clone();
    let buyer = life.stack.newcomer().await?;
    let mut bought = life
        .stack
        .call(
            "POST",
            &format!("/items/{item}/buy-now"),
            Some(&buyer.token),
            Some(json!({})),
        )
        .await?;
    for _ in 0..20 {
        if bought.status != 409 || code_of(&bought) != "AUCTION_NOT_OPEN" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        bought = life
            .stack
            .call(
                "POST",
                &format!("/items/{item}/buy-now"),
                Some(&buyer.token),
                Some(json!({})),
            )
            .await?;
    }
    assert_eq!(
        bought.status,
        201,
        "{}",
        String::from_utf8_lossy(&bought.body)
    );

    let key = webhook_key()?;
    let now = Utc::now().timestamp();
    let event = json!({"id": format!("evt_{item}"), "type": "payment.succeeded", "itemId": item, "round": 0});
    let body = event.to_string().into_bytes();
    let url = format!("{}/webhooks/payments", life.stack.base);
    for header in [
        None,
        Some(signature_header(
            b"not the provider's key, 32 bytes",
            now,
            &body,
        )),
        Some(signature_header(&key, now - 301, &body)),
        Some(format!("t={now},v1=00")),
    ] {
        let mut headers = vec![("content-type", "application/json")];
        if let Some(header) = header.as_deref() {
            headers.push(("payment-signature", header));
        }
        let refused = exchange("POST", &url, &headers, body.clone()).await?;
        assert_eq!(refused.status, 401, "{header:?}");
        assert_eq!(code_of(&refused), "BAD_SIGNATURE");
        assert_eq!(
            refused.headers["content-type"], "application/problem+json",
            "{header:?}"
        );
    }
    // Signed, but over another body than the one sent.
    let tampered = exchange(
        "POST",
        &url,
        &[
            ("content-type", "application/json"),
            (
                "payment-signature",
                signature_header(&key, now, &body).as_str(),
            ),
        ],
        event.to_string().replace("evt_", "evt_x").into_bytes(),
    )
    .await?;
    assert_eq!(tampered.status, 401);
    assert_eq!(
        life.item(&buyer, &item).await?["sale"]["paymentStatus"],
        "unpaid"
    );

    let ignored = life
        .webhook(&json!({"id": format!("evt_refund_{item}"), "type": "payment.refunded", "itemId": item, "round": 0}), now, &key)
        .await?;
    assert_eq!(ignored.json()?["result"], "ignored");
    let taken = life.webhook(&event, now, &key).await?;
    assert_eq!(
        taken.status,
        200,
        "{}",
        String::from_utf8_lossy(&taken.body)
    );
    assert_eq!(taken.json()?["result"], "recorded");
    let replayed = life.webhook(&event, now + 1, &key).await?;
    assert_eq!(replayed.json()?["result"], "duplicate");
    let paid = life.item(&buyer, &item).await?;
    assert_eq!(paid["sale"]["paymentStatus"], "paid", "{paid}");
    let changes = life.audited(&auction.id, "payment_status_changed").await?;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["details"]["source"], "provider");
    assert_eq!(changes[0]["actorId"], Value::Null);
    life.assert_reconciled(&auction.id).await
}

/// A close fired early re-arms itself and closes nothing; fired three times at once after the
/// end, and once more later, it closes the lot once: one sale, one `item_closed` entry, one
/// notification, one `item_closed` and one `payment_due` frame. A deadline fired before its
/// time and an open fired for an open auction change nothing.
async fn the_same_schedule_fired_twice_late_early_or_at_once_changes_nothing_twice()
-> anyhow::Result<()> {
    let life = life().await?;
    let auction = life
        .auction(
            2,
            2,
            4,
            json!({"staggerSec": 120, "softCloseWindowSec": 0, "paymentWindowSec": 120}),
        )
        .await?;
    let (item, later) = (auction.items[0].clone(), auction.items[1].clone());
    let bidder = life.stack.newcomer().await?;
    let mut socket = life.watching(&bidder, &auction.id).await?;
    let ends = time_of(&life.item(&bidder, &item).await?["endsAt"])?;
    until(ends - chrono::Duration::seconds(4)).await;
    life.stack.bid(&bidder, &item, "10.00", None).await?;

    // Early: the lot closing in two minutes stays open, its close still armed.
    let later_ends = time_of(&life.item(&bidder, &later).await?["endsAt"])?;
    life.invoke(
        "schedule-transition",
        &json!({"transition": "item_close", "itemId": later}),
    )
    .await?;
    let (_, stored) = life.stored(&auction.id, &later).await?;
    assert!(
        stored.sale.is_none() && stored.closed_at.is_none(),
        "{stored:?}"
    );
    let armed = life
        .schedule("GET", &format!("close-{later}-{}", later_ends.timestamp()))
        .await?;
    assert_eq!(
        armed.status,
        200,
        "{}",
        String::from_utf8_lossy(&armed.body)
    );

    until(ends).await;
    let close = json!({"transition": "item_close", "itemId": item});
    let (a, b, c) = tokio::join!(
        life.invoke("schedule-transition", &close),
        life.invoke("schedule-transition", &close),
        life.invoke("schedule-transition", &close),
    );
    for fired in [a, b, c] {
        fired?;
    }
    life.invoke("schedule-transition", &close).await?;
    let closed = frame_about(&mut socket, "item_closed", &item, SLACK).await?;
    assert_eq!(closed["status"], "sold");
    let due = frame_about(&mut socket, "payment_due", &item, SLACK).await?;
    let (_, stored) = life.stored(&auction.id, &item).await?;
    let sale = stored.sale.clone().context("no sale")?;
    assert_eq!(sale.round, 0);
    assert_eq!(
        time_of(&due["dueAt"])?.timestamp_millis(),
        sale.due_at.millis()
    );

    // The deadline, two minutes early, and the open, again: nothing.
    life.invoke(
        "schedule-transition",
        &json!({"transition": "payment_deadline", "itemId": item, "round": 0}),
    )
    .await?;
    life.invoke(
        "schedule-transition",
        &json!({"transition": "auction_open", "auctionId": auction.id}),
    )
    .await?;
    let (after, again) = life.stored(&auction.id, &item).await?;
    assert_eq!(after.status, AuctionStatus::Open);
    assert_eq!(
        again.sale,
        Some(sale),
        "the sale is as the one close left it"
    );
    assert_eq!(
        again.version, stored.version,
        "nothing wrote the item again"
    );

    let heard = socket.drain(Duration::from_secs(2)).await?;
    assert!(
        of_kind(&heard, "item_closed")
            .iter()
            .all(|f| f["itemId"] != item.as_str()),
        "{heard:?}"
    );
    assert!(of_kind(&heard, "payment_due").is_empty(), "{heard:?}");
    let phases = of_kind(&heard, "auction_phase_changed");
    assert_eq!(phases.len(), 1, "only its schedule's open: {heard:?}");
    assert_eq!(phases[0]["status"], "open");
    assert_eq!(life.audited(&auction.id, "item_closed").await?.len(), 1);
    let won: Vec<Value> = life
        .stack
        .notifications_about(&bidder, &item)
        .await?
        .into_iter()
        .filter(|n| n["type"] == "item_won")
        .collect();
    assert_eq!(won.len(), 1, "{won:?}");
    life.assert_reconciled(&auction.id).await
}

/// With the auction's open and the lot's close schedules deleted, nothing happens at their
/// times; the sweeper, invoked as its rate schedule would, opens the auction, closes the lot
/// and moves the auction on.
async fn the_sweeper_runs_what_a_lost_schedule_would_have() -> anyhow::Result<()> {
    let life = life().await?;
    let auction = life
        .auction(1, 3, 3, json!({"softCloseWindowSec": 0}))
        .await?;
    let item = auction.items[0].clone();
    let ends = time_of(&life.item(&life.artist, &item).await?["endsAt"])?;
    for name in [
        format!("open-{}", auction.id),
        format!("close-{item}-{}", ends.timestamp()),
    ] {
        let deleted = life.schedule("DELETE", &name).await?;
        assert_eq!(
            deleted.status,
            200,
            "{name}: {}",
            String::from_utf8_lossy(&deleted.body)
        );
        assert_eq!(life.schedule("GET", &name).await?.status, 404);
    }
    let bidder = life.stack.newcomer().await?;
    until(ends - chrono::Duration::seconds(3)).await;
    // Bids are taken from `startsAt`, whether or not the open was written.
    life.stack.bid(&bidder, &item, "10.00", None).await?;
    until(ends + chrono::Duration::seconds(3)).await;
    let (stored_auction, stored_item) = life.stored(&auction.id, &item).await?;
    assert_eq!(stored_auction.status, AuctionStatus::Ready);
    assert!(
        stored_item.sale.is_none(),
        "closed with its schedule deleted"
    );
    assert_eq!(
        life.item(&life.artist, &item).await?["status"],
        "closed",
        "past its end, waiting for its close"
    );

    let report = life.invoke("schedule-sweep", &json!({})).await?;
    assert!(report["opened"].as_u64() >= Some(1), "{report}");
    assert!(report["closed"].as_u64() >= Some(1), "{report}");
    let (stored_auction, stored_item) = life.stored(&auction.id, &item).await?;
    assert_eq!(stored_item.status, ItemStatus::Sold);
    assert_eq!(stored_auction.status, AuctionStatus::Pending);
    life.assert_reconciled(&auction.id).await
}
