//! The "ending soon" reminder end to end on the local stack, on real time with windows of
//! seconds: publishing arms `soon-<auctionId>`, the emulator's Scheduler fires it
//! `endingSoonSec` before the first lot closes, `schedule-transition` publishes
//! `auction.ending_soon`, and `event-lifecycle-fan-out` tells the auction's bidders (an
//! `ending_soon` event on their connections, one notification each). Every test makes its own
//! auction and bidders.

use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use integration_tests::trials;
use libtest_mimic::Trial;
use serde_json::{Value, json};

use crate::lifecycle::{Life, SLACK, life, until};
use crate::realtime::{Stack, User, of_kind, stamp, text, time_of};

pub fn trials() -> Vec<Trial> {
    trials![
        members_are_reminded_once_before_the_first_lot_closes,
        the_sweeper_sends_a_reminder_whose_schedule_was_lost,
        the_reminder_setting_is_bounded_shown_and_frozen_by_publishing,
    ]
}

/// Two lots starting at 10.00.
fn lots() -> Vec<Value> {
    (0..2)
        .map(
            |lot| json!({"name": format!("Lot {lot}"), "type": "silent", "startingPrice": "10.00"}),
        )
        .collect()
}

/// `user`'s `ending_soon` notifications of `auction`.
async fn reminders(stack: &Stack, user: &User, auction: &str) -> anyhow::Result<Vec<Value>> {
    Ok(stack
        .all_notifications(user, "")
        .await?
        .into_iter()
        .filter(|n| n["type"] == "ending_soon" && n["auctionId"] == auction)
        .collect())
}

/// `user`'s `ending_soon` notifications of `auction`, once there is one (within [`SLACK`]).
async fn reminded(stack: &Stack, user: &User, auction: &str) -> anyhow::Result<Vec<Value>> {
    let deadline = tokio::time::Instant::now() + SLACK;
    loop {
        let found = reminders(stack, user, auction).await?;
        if !found.is_empty() {
            return Ok(found);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "no ending_soon notification of {auction} within {SLACK:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `user` joins the private auction with `code`; their bidder number.
async fn join(stack: &Stack, user: &User, code: &str) -> anyhow::Result<u64> {
    let joined = stack
        .expect(
            200,
            "POST",
            "/auctions/join",
            Some(&user.token),
            Some(json!({"auctionCode": code})),
        )
        .await?;
    joined["bidderNumber"]
        .as_u64()
        .with_context(|| format!("no bidder number: {joined}"))
}

/// The effective close of `item`, as bidders see it.
async fn ends_of(life: &Life, user: &User, item: &str) -> anyhow::Result<chrono::DateTime<Utc>> {
    let read = life
        .stack
        .expect(
            200,
            "GET",
            &format!("/items/{item}"),
            Some(&user.token),
            None,
        )
        .await?;
    time_of(&read["endsAt"])
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

/// A private auction reminds its bidders 5 s before its first lot closes: the member who bid
/// and the one who only joined each get one `ending_soon` notification (in-app, sent, about
/// the auction), the connected member hears `ending_soon {auctionId, endsAt}` with the first
/// lot's close and no one's id, and a signed-in outsider gets nothing. The schedule fired
/// again and the sweeper run again write and send nothing more.
async fn members_are_reminded_once_before_the_first_lot_closes() -> anyhow::Result<()> {
    let life = life().await?;
    let stack = &life.stack;
    let (bidder, joiner, outsider) = (
        stack.newcomer().await?,
        stack.newcomer().await?,
        stack.newcomer().await?,
    );
    let starts = Utc::now() + chrono::Duration::seconds(5);
    let ends = starts + chrono::Duration::seconds(10);
    let auction = stack
        .timed_auction(
            &life.artist,
            "private",
            json!({"endingSoonSec": 5, "softCloseWindowSec": 0, "staggerSec": 2}),
            &lots(),
            (starts, ends),
            false,
        )
        .await?;
    let armed = life
        .schedule("GET", &format!("soon-{}", auction.id))
        .await?;
    assert_eq!(
        armed.status,
        200,
        "{}",
        String::from_utf8_lossy(&armed.body)
    );
    let code = auction
        .code
        .clone()
        .context("a private auction has a code")?;
    let numbers = (
        join(stack, &bidder, &code).await?,
        join(stack, &joiner, &code).await?,
    );
    assert_ne!(numbers.0, numbers.1);
    let mut socket = life.watching(&bidder, &auction.id).await?;
    until(starts).await;
    stack.bid(&bidder, &auction.items[0], "10.00", None).await?;
    let first_close = ends_of(&life, &bidder, &auction.items[0]).await?;
    let reminder_at = first_close - chrono::Duration::seconds(5);

    let wait = (reminder_at - Utc::now()).to_std().unwrap_or_default() + SLACK;
    let soon = socket
        .next_within(wait, |f| f["type"] == "ending_soon")
        .await?;
    let heard = Utc::now();
    assert_eq!(
        field_names(&soon),
        ["auctionId", "endsAt", "type"],
        "{soon}"
    );
    assert_eq!(soon["auctionId"], auction.id.as_str());
    assert_eq!(
        time_of(&soon["endsAt"])?.timestamp_millis(),
        first_close.timestamp_millis(),
        "{soon}"
    );
    assert!(
        heard >= reminder_at,
        "heard at {heard}, before {reminder_at}"
    );
    let raw = socket.raw().join("\n");
    for id in [&bidder.id, &joiner.id, &life.artist.id] {
        assert!(!raw.contains(id.as_str()), "a user id in {raw}");
    }

    for member in [&bidder, &joiner] {
        let found = reminded(stack, member, &auction.id).await?;
        assert_eq!(found.len(), 1, "{found:?}");
        let notification = &found[0];
        assert_eq!(notification["refType"], "auction", "{notification}");
        assert_eq!(notification["refId"], auction.id.as_str());
        assert_eq!(notification["deliveryChannel"], "inApp");
        assert_eq!(notification["status"], "sent");
        assert_eq!(notification["readAt"], Value::Null);
    }
    assert!(reminders(stack, &outsider, &auction.id).await?.is_empty());
    let (stored, _) = life.stored(&auction.id, &auction.items[0]).await?;
    assert!(stored.ending_soon_sent_at.is_some(), "{stored:?}");

    // Again: the schedule fired twice, and the sweeper.
    life.invoke(
        "schedule-transition",
        &json!({"transition": "auction_ending_soon", "auctionId": auction.id}),
    )
    .await?;
    life.invoke("schedule-sweep", &json!({})).await?;
    let heard = socket.drain(Duration::from_secs(2)).await?;
    assert!(of_kind(&heard, "ending_soon").is_empty(), "{heard:?}");
    for member in [&bidder, &joiner] {
        let found = reminders(stack, member, &auction.id).await?;
        assert_eq!(found.len(), 1, "written twice: {found:?}");
    }
    let (again, _) = life.stored(&auction.id, &auction.items[0]).await?;
    assert_eq!(again.ending_soon_sent_at, stored.ending_soon_sent_at);
    assert!(reminders(stack, &outsider, &auction.id).await?.is_empty());
    Ok(())
}

/// With its `soon-` schedule deleted, a public auction's reminder is sent by the sweeper: to
/// the bidder (a member by their first bid), not to the signed-in watcher who never bid.
async fn the_sweeper_sends_a_reminder_whose_schedule_was_lost() -> anyhow::Result<()> {
    let life = life().await?;
    let stack = &life.stack;
    let (bidder, watcher) = (stack.newcomer().await?, stack.newcomer().await?);
    let starts = Utc::now() + chrono::Duration::seconds(4);
    let ends = starts + chrono::Duration::seconds(25);
    let auction = stack
        .timed_auction(
            &life.artist,
            "public",
            json!({"endingSoonSec": 20, "softCloseWindowSec": 0}),
            &lots(),
            (starts, ends),
            false,
        )
        .await?;
    let name = format!("soon-{}", auction.id);
    let deleted = life.schedule("DELETE", &name).await?;
    assert_eq!(
        deleted.status,
        200,
        "{name}: {}",
        String::from_utf8_lossy(&deleted.body)
    );
    assert_eq!(life.schedule("GET", &name).await?.status, 404);
    let mut watching = life.watching(&watcher, &auction.id).await?;
    until(starts).await;
    stack.bid(&bidder, &auction.items[1], "10.00", None).await?;
    let first_close = ends_of(&life, &bidder, &auction.items[0]).await?;
    until(first_close - chrono::Duration::seconds(19)).await;

    life.invoke("schedule-sweep", &json!({})).await?;
    let found = reminded(stack, &bidder, &auction.id).await?;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(reminders(stack, &watcher, &auction.id).await?.is_empty());
    let heard = watching.drain(Duration::from_secs(2)).await?;
    assert!(of_kind(&heard, "ending_soon").is_empty(), "{heard:?}");
    let (stored, _) = life.stored(&auction.id, &auction.items[0]).await?;
    assert!(stored.ending_soon_sent_at.is_some(), "{stored:?}");
    Ok(())
}

/// `endingSoonSec` is 0 to 604800 (refused outside with the field named), 900 by default,
/// shown in the auction's settings, edited in setup like the other settings and frozen by
/// publishing; at 0 publishing arms no reminder.
async fn the_reminder_setting_is_bounded_shown_and_frozen_by_publishing() -> anyhow::Result<()> {
    let life = life().await?;
    let stack = &life.stack;
    let token = Some(life.artist.token.as_str());
    let starts = Utc::now() + chrono::Duration::minutes(5);
    let body = |settings: Value| {
        json!({
            "name": "Reminders", "eventType": "public", "timeZone": "UTC",
            "startsAt": stamp(starts), "endsAt": stamp(starts + chrono::Duration::minutes(20)),
            "settings": settings,
        })
    };
    for (sent, message) in [
        (json!(604_801), "must be from 0 to 604800 seconds"),
        (
            json!(-1),
            "must be a whole number of seconds from 0 to 604800",
        ),
        (
            json!("soon"),
            "must be a whole number of seconds from 0 to 604800",
        ),
    ] {
        let refused = stack
            .call(
                "POST",
                "/auctions",
                token,
                Some(body(json!({"endingSoonSec": sent}))),
            )
            .await?;
        assert_eq!(
            refused.status,
            422,
            "{}",
            String::from_utf8_lossy(&refused.body)
        );
        let problem = refused.json()?;
        assert_eq!(problem["code"], "VALIDATION_FAILED", "{problem}");
        assert_eq!(
            problem["errors"],
            json!([{"field": "settings.endingSoonSec", "message": message}]),
            "{sent}"
        );
    }

    let created = stack
        .expect(201, "POST", "/auctions", token, Some(body(json!({}))))
        .await?;
    assert_eq!(created["settings"]["endingSoonSec"], 900, "{created}");
    let id = text(&created, "id")?;
    let path = format!("/auctions/{id}");
    let refused = stack
        .call(
            "PATCH",
            &path,
            token,
            Some(json!({"settings": {"endingSoonSec": 604_801}})),
        )
        .await?;
    assert_eq!(refused.status, 422);
    let edited = stack
        .expect(
            200,
            "PATCH",
            &path,
            token,
            Some(json!({"settings": {"endingSoonSec": 0}})),
        )
        .await?;
    assert_eq!(edited["settings"]["endingSoonSec"], 0, "{edited}");
    assert_eq!(
        edited["settings"]["staggerSec"], created["settings"]["staggerSec"],
        "the other settings stay"
    );

    stack
        .expect(
            201,
            "POST",
            &format!("/auctions/{id}/items"),
            token,
            Some(lots()[0].clone()),
        )
        .await?;
    let mut published = stack
        .call("POST", &format!("/auctions/{id}/publish"), token, None)
        .await?;
    for _ in 0..10 {
        if published.status != 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        published = stack
            .call("POST", &format!("/auctions/{id}/publish"), token, None)
            .await?;
    }
    assert_eq!(
        published.status,
        200,
        "{}",
        String::from_utf8_lossy(&published.body)
    );
    assert_eq!(
        life.schedule("GET", &format!("soon-{id}")).await?.status,
        404
    );
    assert_eq!(
        life.schedule("GET", &format!("open-{id}")).await?.status,
        200
    );
    let frozen = stack
        .call(
            "PATCH",
            &path,
            token,
            Some(json!({"settings": {"endingSoonSec": 600}})),
        )
        .await?;
    assert_eq!(
        (frozen.status, frozen.json()?["code"].clone()),
        (409, json!("AUCTION_PUBLISHED"))
    );
    let read = stack.expect(200, "GET", &path, None, None).await?;
    assert_eq!(read["settings"]["endingSoonSec"], 0, "{read}");
    Ok(())
}
