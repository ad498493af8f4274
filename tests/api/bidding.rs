//! The bidding engine through the real handlers with API Gateway events, against the local
//! DynamoDB: the contract's errors, who may bid, proxy bidding, concurrency, idempotency, soft
//! close, buy-now, removal and restore. Every test ends with a clean reconcile.

use std::collections::BTreeSet;

use chrono::TimeDelta;
use functions::bidding::{bids, buy_now, mine, reconcile, removal, totals};
use functions::catalog::{auctions, items, join, members, publish};
use integration_tests::harness::{TestApp, answer, api_request, create_auction, text, token_of};
use integration_tests::{app_trials, call};
use lambda_http::http::HeaderValue;
use libtest_mimic::Trial;
use serde_json::{Value, json};
use shared::catalog::AuctionRecord;
use shared::domain::{Clock, Money, UserId};
use shared::http::ApiError;
use shared::store::Read;

use crate::catalog::audit_log;

pub fn trials() -> Vec<Trial> {
    app_trials![
        bids_answer_the_contracts_errors,
        an_accepted_bid_shows_in_the_item_history_and_totals,
        bidding_is_refused_to_those_who_may_not,
        a_proxy_bid_is_answered_automatically_and_its_maximum_stays_private,
        twenty_bidders_bidding_at_once_end_at_the_highest_bid,
        twenty_proxy_bidders_at_once_end_one_increment_above_the_second_maximum,
        the_same_idempotency_key_five_times_at_once_places_one_bid,
        a_last_moment_bid_extends_the_close_and_a_late_one_is_refused,
        buy_now_sells_the_item_at_once,
        buy_now_takes_no_body,
        a_bid_and_a_buy_now_answer_the_item_as_they_wrote_it,
        a_sold_item_shows_no_next_minimum_bid,
        a_leader_raising_their_maximum_is_told_so_without_the_maximum,
        a_buy_now_is_audited_as_a_buy_now,
        a_buy_now_shows_in_my_bids_at_its_price_without_a_maximum,
        removing_and_restoring_a_bid_replays_the_item,
        an_uncontended_bid_takes_two_round_trips_after_authentication,
        bids_stand_once_the_item_has_closed,
        bid_history_cursors_are_sealed,
        a_flood_of_reads_during_bidding_costs_no_bid,
    ]
}

/// A published auction of cinos, open for bids (the clock is moved past its start).
pub(crate) struct Open {
    pub(crate) auction: String,
    pub(crate) items: Vec<String>,
    pub(crate) ends_at: shared::domain::Timestamp,
}

/// Publishes a `event_type` auction of cinos with `lots` (body of each item) and `settings`,
/// then moves the clock one minute past its start (tokens issued before are stale then).
pub(crate) async fn open_auction(
    app: &TestApp,
    event_type: &str,
    settings: Value,
    lots: &[Value],
) -> anyhow::Result<Open> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let artist = token_of(app, "cinos").await?;
    let starts = app.clock.now().plus(TimeDelta::days(1));
    let ends = starts.plus(TimeDelta::days(3));
    let body = json!({
        "name": "Open Studio", "eventType": event_type, "timeZone": "UTC",
        "startsAt": starts.to_string(), "endsAt": ends.to_string(), "settings": settings,
    });
    let (status, auction) = create_auction(app, &body, &artist).await?;
    anyhow::ensure!(status == 201, "create answered {status}: {auction}");
    let auction = text(&auction, "id").to_string();
    let mut ids = Vec::new();
    for lot in lots {
        let (status, item) = call!(
            items::post_auctions_auction_items,
            app,
            "POST",
            "/auctions/{auctionId}/items",
            [("auctionId", auction.as_str())],
            Some(lot),
            Some(&artist)
        );
        anyhow::ensure!(status == 201, "add item answered {status}: {item}");
        ids.push(text(&item, "id").to_string());
    }
    let (status, published) = call!(
        publish::post_auctions_auction_publish,
        app,
        "POST",
        "/auctions/{auctionId}/publish",
        [("auctionId", auction.as_str())],
        None,
        Some(&artist)
    );
    anyhow::ensure!(status == 200, "publish answered {status}: {published}");
    app.clock
        .advance(TimeDelta::days(1) + TimeDelta::minutes(1));
    Ok(Open {
        auction,
        items: ids,
        ends_at: ends,
    })
}

pub(crate) fn lot(starting: &str) -> Value {
    json!({"name": "Blue Hour", "type": "silent", "startingPrice": starting})
}

/// A flat ladder: every bid must add 1.
fn flat() -> Value {
    json!({"increments": [{"from": "0", "increment": "1"}]})
}

/// `POST /items/{itemId}/bids` on `item` with `body`.
pub(crate) async fn bid(
    app: &TestApp,
    item: &str,
    body: Value,
    token: Option<&str>,
) -> anyhow::Result<(u16, Value)> {
    Ok(call!(
        bids::post_items_item_bids,
        app,
        "POST",
        "/items/{itemId}/bids",
        [("itemId", item)],
        Some(&body),
        token
    ))
}

async fn item_view(app: &TestApp, item: &str, token: Option<&str>) -> anyhow::Result<Value> {
    let (status, body) = call!(
        items::get_items_item,
        app,
        "GET",
        "/items/{itemId}",
        [("itemId", item)],
        None,
        token
    );
    anyhow::ensure!(status == 200, "item answered {status}: {body}");
    Ok(body)
}

async fn history(app: &TestApp, item: &str) -> anyhow::Result<Vec<Value>> {
    let (status, body) = call!(
        bids::get_items_item_bids,
        app,
        "GET",
        "/items/{itemId}/bids?limit=100",
        [("itemId", item)],
        None,
        None
    );
    anyhow::ensure!(status == 200, "history answered {status}: {body}");
    Ok(body["items"].as_array().cloned().unwrap_or_default())
}

/// A lot of 100.00 that sells at once for 500.00.
fn with_buy_now() -> Value {
    json!({"name": "Tide", "type": "silent", "startingPrice": "100.00", "buyNowPrice": "500.00"})
}

async fn buy_now_of(app: &TestApp, item: &str, token: &str) -> anyhow::Result<(u16, Value)> {
    Ok(call!(
        buy_now::post_items_item_buy_now,
        app,
        "POST",
        "/items/{itemId}/buy-now",
        [("itemId", item)],
        None,
        Some(token)
    ))
}

/// `GET /me/bids` of the holder of `token`.
async fn my_bids(app: &TestApp, token: &str) -> anyhow::Result<Value> {
    let (status, body) = call!(
        mine::get_me_bids,
        app,
        "GET",
        "/me/bids",
        [],
        None,
        Some(token)
    );
    anyhow::ensure!(status == 200, "my bids answered {status}: {body}");
    Ok(body)
}

/// `GET /me/totals` of the holder of `token`, in `auction` only if given.
async fn my_totals(app: &TestApp, token: &str, auction: Option<&str>) -> anyhow::Result<Value> {
    let route = match auction {
        Some(auction) => format!("/me/totals?auctionId={auction}"),
        None => "/me/totals".to_string(),
    };
    let (status, body) = call!(
        mine::get_me_totals,
        app,
        "GET",
        &route,
        [],
        None,
        Some(token)
    );
    anyhow::ensure!(status == 200, "my totals answered {status}: {body}");
    Ok(body)
}

/// The fields a bid shows to anyone but its bidder: never a name or a maximum.
const PUBLIC_BID_FIELDS: [&str; 6] = [
    "amount",
    "bidderNumber",
    "id",
    "isAutomatic",
    "itemId",
    "placedAt",
];

/// The names of a JSON object's fields (none for anything else).
fn field_names(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .map(|object| object.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// The reconcile check finds nothing to fix.
async fn assert_reconciled(app: &TestApp, auction: &str) -> anyhow::Result<()> {
    let record = app
        .store
        .get::<AuctionRecord>(auction, Read::Strong)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no auction {auction}"))?;
    let report = reconcile::reconcile(&app.store, &record)
        .await
        .map_err(|e| anyhow::anyhow!("reconcile failed: {e}"))?;
    assert!(
        report.differences.is_empty(),
        "reconcile: {:#?}",
        report.differences
    );
    Ok(())
}

fn money(value: &Value) -> Money {
    value
        .as_str()
        .and_then(|t| Money::parse(t).ok())
        .unwrap_or(Money::ZERO)
}

async fn bids_answer_the_contracts_errors(app: TestApp) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    // Before the start: the auction is published but takes no bids yet.
    let artist = token_of(&app, "cinos").await?;
    let starts = app.clock.now().plus(TimeDelta::hours(1));
    let body = json!({"name": "Early", "eventType": "public", "timeZone": "UTC",
        "startsAt": starts.to_string(), "endsAt": starts.plus(TimeDelta::days(1)).to_string()});
    let (_, auction) = create_auction(&app, &body, &artist).await?;
    let id = text(&auction, "id").to_string();
    let (_, item) = call!(
        items::post_auctions_auction_items,
        app,
        "POST",
        "/auctions/{auctionId}/items",
        [("auctionId", id.as_str())],
        Some(&lot("120.00")),
        Some(&artist)
    );
    let item = text(&item, "id").to_string();
    let (bidder_id, bidder) = app.direct_user("early").await?;
    let (status, refused) = bid(&app, &item, json!({"amount": "120.00"}), Some(&bidder)).await?;
    assert_eq!(
        (status, text(&refused, "code")),
        (404, "NOT_FOUND"),
        "a draft is not seen: {refused}"
    );
    call!(
        publish::post_auctions_auction_publish,
        app,
        "POST",
        "/auctions/{auctionId}/publish",
        [("auctionId", id.as_str())],
        None,
        Some(&artist)
    );
    let (status, refused) = bid(&app, &item, json!({"amount": "120.00"}), Some(&bidder)).await?;
    assert_eq!(
        (status, text(&refused, "code")),
        (409, "AUCTION_NOT_OPEN"),
        "{refused}"
    );

    app.clock.advance(TimeDelta::hours(1));
    let bidder = app.session_token(bidder_id).await?;
    let (status, _) = bid(&app, &item, json!({"amount": "120.00"}), None).await?;
    assert_eq!(status, 401, "anonymous callers must sign in");
    for (body, field) in [
        (json!({"amount": "0"}), "amount"),
        (json!({"amount": "120.001"}), "amount"),
        (
            json!({"amount": "130.00", "maxAmount": "125.00"}),
            "maxAmount",
        ),
        (json!({"amount": 130}), "amount"),
        (
            json!({"amount": "130.00", "placedAt": "2026-01-01T00:00:00.000Z"}),
            "placedAt",
        ),
    ] {
        let (status, problem) = bid(&app, &item, body.clone(), Some(&bidder)).await?;
        assert_eq!(
            (status, text(&problem, "code")),
            (422, "VALIDATION_FAILED"),
            "{body}: {problem}"
        );
        assert!(
            problem.to_string().contains(field),
            "{body} names {field}: {problem}"
        );
    }
    let malformed = {
        let mut request = api_request(
            "POST",
            "/items/{itemId}/bids",
            &[("itemId", item.as_str())],
            None,
            Some(&bidder),
        )?;
        *request.body_mut() = lambda_http::Body::Text("{\"amount\":".into());
        bids::post_items_item_bids(&app.state, request)
            .await
            .unwrap_or_else(ApiError::into_response)
    };
    assert_eq!(answer(&malformed)?.0, 400);

    let (status, low) = bid(&app, &item, json!({"amount": "119.99"}), Some(&bidder)).await?;
    assert_eq!(
        (status, text(&low, "code"), text(&low, "minimumBid")),
        (409, "BID_TOO_LOW", "120.00"),
        "{low}"
    );
    let (status, _) = bid(&app, &item, json!({"amount": "120.00"}), Some(&bidder)).await?;
    assert_eq!(status, 201);
    let (status, low) = bid(
        &app,
        &item,
        json!({"amount": "121.00"}),
        Some(&app.direct_user("second").await?.1),
    )
    .await?;
    assert_eq!(
        (status, text(&low, "minimumBid")),
        (409, "125.00"),
        "120 + the ladder's 5: {low}"
    );
    let (status, unknown) = bid(
        &app,
        &uuid::Uuid::new_v4().to_string(),
        json!({"amount": "1.00"}),
        Some(&bidder),
    )
    .await?;
    assert_eq!((status, text(&unknown, "code")), (404, "NOT_FOUND"));

    // After the close (the item's own endsAt), the item takes no more bids.
    app.clock.advance(TimeDelta::days(1));
    let late = app.direct_user("late").await?.1;
    let (status, closed) = bid(&app, &item, json!({"amount": "500.00"}), Some(&late)).await?;
    assert_eq!(
        (status, text(&closed, "code")),
        (409, "ITEM_CLOSED"),
        "{closed}"
    );
    assert_reconciled(&app, &id).await
}

async fn an_accepted_bid_shows_in_the_item_history_and_totals(app: TestApp) -> anyhow::Result<()> {
    let open = open_auction(
        &app,
        "public",
        json!({}),
        &[json!({"name": "Salt Lines", "type": "silent",
        "startingPrice": "120.00", "reservePrice": "300.00"})],
    )
    .await?;
    let item = &open.items[0];
    let (ann_id, ann) = app.direct_user("ann").await?;
    let (status, placed) = bid(&app, item, json!({"amount": "150.00"}), Some(&ann)).await?;
    assert_eq!(status, 201, "{placed}");
    assert_eq!(placed["bid"]["amount"], "150.00");
    assert_eq!(placed["bid"]["isAutomatic"], false);
    assert_eq!(
        placed["bid"]["bidderNumber"], 100,
        "a first bid in a public auction joins"
    );
    assert_eq!(placed["item"]["currentBid"], "150.00");
    assert_eq!(placed["item"]["bidCount"], 1);
    assert_eq!(placed["item"]["nextMinimumBid"], "155.00");
    assert_eq!(placed["item"]["reserveMet"], false);
    assert_eq!(placed["item"]["youAreLeading"], true);
    assert_eq!(placed["item"]["leaderBidderNumber"], 100);
    assert_eq!(placed["item"]["status"], "open");
    assert!(
        placed["item"].get("reservePrice").is_none(),
        "the reserve is private"
    );

    let (_, ben) = app.direct_user("ben").await?;
    let seen = item_view(&app, item, Some(&ben)).await?;
    assert_eq!(
        (seen["currentBid"].as_str(), seen["youAreLeading"].as_bool()),
        (Some("150.00"), Some(false))
    );
    let anonymous = item_view(&app, item, None).await?;
    assert!(anonymous.get("youAreLeading").is_none());
    let entries = history(&app, item).await?;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["bidderNumber"], 100);
    assert_eq!(field_names(&entries[0]), BTreeSet::from(PUBLIC_BID_FIELDS));

    let mine = my_bids(&app, &ann).await?;
    assert_eq!(
        (
            mine["items"][0]["leading"].as_bool(),
            mine["items"][0]["amount"].as_str()
        ),
        (Some(true), Some("150.00"))
    );
    let totals = my_totals(&app, &ann, Some(&open.auction)).await?;
    assert_eq!(totals["items"][0]["subtotal"], "150.00");
    assert_eq!(totals["items"][0]["total"], "150.00");
    assert_eq!(totals["items"][0]["bidderId"], ann_id.to_string());

    let path = [("auctionId", open.auction.as_str())];
    let (status, _) = call!(
        totals::get_auctions_auction_totals,
        app,
        "GET",
        "/auctions/{auctionId}/totals",
        path,
        None,
        Some(&ann)
    );
    assert_eq!(status, 403, "bidders do not see everyone's totals");
    let artist = token_of(&app, "cinos").await?;
    let (status, all) = call!(
        totals::get_auctions_auction_totals,
        app,
        "GET",
        "/auctions/{auctionId}/totals",
        path,
        None,
        Some(&artist)
    );
    assert_eq!(
        (status, all["items"].as_array().map(Vec::len)),
        (200, Some(1)),
        "{all}"
    );
    let placed_audits = app.audits(shared::audit::AuditAction::BidPlaced).await?;
    assert_eq!(placed_audits.len(), 1);
    assert_reconciled(&app, &open.auction).await
}

async fn bidding_is_refused_to_those_who_may_not(app: TestApp) -> anyhow::Result<()> {
    let private = open_auction(&app, "private", json!({}), &[lot("10.00")]).await?;
    let item = &private.items[0];
    let artist = token_of(&app, "cinos").await?;
    let code = {
        let (_, auction) = call!(
            auctions::get_auctions_auction,
            app,
            "GET",
            "/auctions/{auctionId}",
            [("auctionId", private.auction.as_str())],
            None,
            Some(&artist)
        );
        json!({"auctionCode": text(&auction, "auctionCode")})
    };
    let join_with = |token: String| {
        let (app, code) = (app.clone(), code.clone());
        async move {
            let (status, body) = call!(
                join::post_auctions_join,
                app,
                "POST",
                "/auctions/join",
                [],
                Some(&code),
                Some(&token)
            );
            anyhow::ensure!(status == 200, "join answered {status}: {body}");
            Ok::<_, anyhow::Error>(())
        }
    };
    let expect_refused = |status: u16, body: &Value, who: &str| {
        assert_eq!(
            (status, text(body, "code")),
            (403, "NOT_ALLOWED_TO_BID"),
            "{who}: {body}"
        );
    };

    let (status, body) = bid(&app, item, json!({"amount": "10.00"}), Some(&artist)).await?;
    expect_refused(status, &body, "the artist");
    let staff = token_of(&app, "genesis-staff").await?;
    let (status, body) = bid(&app, item, json!({"amount": "10.00"}), Some(&staff)).await?;
    expect_refused(status, &body, "platform staff");
    let (_, outsider) = app.direct_user("outsider").await?;
    // Three decimals would be a 422 for anyone who may see the item: not for an outsider.
    let (status, body) = bid(&app, item, json!({"amount": "10.005"}), Some(&outsider)).await?;
    assert_eq!(
        (status, text(&body, "code")),
        (404, "NOT_FOUND"),
        "a non-member never learns that a private auction's item exists: {body}"
    );
    let (status, _) = bid(&app, item, json!({"amount": "10.00"}), None).await?;
    assert_eq!(status, 401, "an anonymous caller");

    for (name, role) in [("manager", "manager"), ("clerk", "clerk")] {
        let (id, token) = app.direct_user(name).await?;
        join_with(token.clone()).await?;
        let change = json!({"role": role});
        let (status, body) = call!(
            members::patch_auctions_auction_members_user,
            app,
            "PATCH",
            "/auctions/{auctionId}/members/{userId}",
            [
                ("auctionId", private.auction.as_str()),
                ("userId", id.to_string().as_str())
            ],
            Some(&change),
            Some(&artist)
        );
        assert_eq!(status, 200, "{body}");
        let (status, body) = bid(&app, item, json!({"amount": "10.00"}), Some(&token)).await?;
        expect_refused(status, &body, name);
    }

    // A member who bid once (so their number is on their account) and was revoked since.
    let (revoked_id, revoked) = app.direct_user("revoked").await?;
    join_with(revoked.clone()).await?;
    let (status, _) = bid(&app, item, json!({"amount": "10.00"}), Some(&revoked)).await?;
    assert_eq!(status, 201);
    let revoke = json!({"status": "revoked"});
    let (status, body) = call!(
        members::patch_auctions_auction_members_user,
        app,
        "PATCH",
        "/auctions/{auctionId}/members/{userId}",
        [
            ("auctionId", private.auction.as_str()),
            ("userId", revoked_id.to_string().as_str())
        ],
        Some(&revoke),
        Some(&artist)
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = bid(
        &app,
        item,
        json!({"amount": "20.00", "maxAmount": "90.00"}),
        Some(&revoked),
    )
    .await?;
    expect_refused(status, &body, "a revoked member");
    assert_eq!(
        item_view(&app, item, Some(&artist)).await?["bidCount"],
        1,
        "refused bids change nothing"
    );
    assert_reconciled(&app, &private.auction).await
}

async fn a_proxy_bid_is_answered_automatically_and_its_maximum_stays_private(
    app: TestApp,
) -> anyhow::Result<()> {
    let open = open_auction(&app, "public", json!({}), &[lot("120.00")]).await?;
    let item = &open.items[0];
    let (_, ann) = app.direct_user("ann").await?;
    let (_, ben) = app.direct_user("ben").await?;
    let (status, _) = bid(
        &app,
        item,
        json!({"amount": "120.00", "maxAmount": "437.13"}),
        Some(&ann),
    )
    .await?;
    assert_eq!(status, 201);
    let (status, answered) = bid(&app, item, json!({"amount": "150.00"}), Some(&ben)).await?;
    assert_eq!(status, 201, "{answered}");
    assert_eq!(
        answered["item"]["currentBid"], "155.00",
        "ann's maximum answers one increment above"
    );
    assert_eq!(answered["item"]["youAreLeading"], false);
    let entries = history(&app, item).await?;
    let shown: Vec<(&str, bool)> = entries
        .iter()
        .map(|e| {
            (
                e["amount"].as_str().unwrap_or_default(),
                e["isAutomatic"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        vec![("155.00", true), ("150.00", false), ("120.00", false)],
        "newest first"
    );

    // Ann's maximum shows nowhere but to Ann.
    let mut seen_by_others = vec![answered.to_string()];
    seen_by_others.push(item_view(&app, item, Some(&ben)).await?.to_string());
    seen_by_others.push(item_view(&app, item, None).await?.to_string());
    seen_by_others.push(serde_json::to_string(&entries)?);
    let artist = token_of(&app, "cinos").await?;
    seen_by_others.push(item_view(&app, item, Some(&artist)).await?.to_string());
    let (_, all) = call!(
        totals::get_auctions_auction_totals,
        app,
        "GET",
        "/auctions/{auctionId}/totals",
        [("auctionId", open.auction.as_str())],
        None,
        Some(&artist)
    );
    seen_by_others.push(all.to_string());
    for audit in app.audits(shared::audit::AuditAction::BidPlaced).await? {
        seen_by_others.push(serde_json::to_string(&audit)?);
    }
    for body in &seen_by_others {
        assert!(!body.contains("437.13"), "the maximum leaked: {body}");
    }
    let own = my_bids(&app, &ann).await?;
    assert!(
        own.to_string().contains("437.13"),
        "ann sees her own maximum: {own}"
    );

    // Ben's higher maximum takes the lead one increment above Ann's.
    let (status, lead) = bid(
        &app,
        item,
        json!({"amount": "160.00", "maxAmount": "600.00"}),
        Some(&ben),
    )
    .await?;
    assert_eq!(
        (status, lead["item"]["currentBid"].as_str()),
        (201, Some("447.13")),
        "{lead}"
    );
    // Raising one's own maximum while leading does not raise the price.
    let (status, raised) = bid(
        &app,
        item,
        json!({"amount": "457.13", "maxAmount": "900.00"}),
        Some(&ben),
    )
    .await?;
    assert_eq!(
        (status, raised["item"]["currentBid"].as_str()),
        (201, Some("447.13")),
        "{raised}"
    );
    let (status, same) = bid(
        &app,
        item,
        json!({"amount": "457.13", "maxAmount": "800.00"}),
        Some(&ben),
    )
    .await?;
    assert_eq!((status, text(&same, "code")), (409, "MAXIMUM_NOT_RAISED"));
    let mine_now = my_totals(&app, &ann, None).await?;
    assert_eq!(
        mine_now["items"][0]["subtotal"], "0.00",
        "ann no longer leads: {mine_now}"
    );
    assert_reconciled(&app, &open.auction).await
}

/// What one bidder's client does: bid each amount (or maximum) in turn; on `BID_TOO_LOW` try the
/// minimum while it is within the maximum; on 503 wait and retry. Answers the accepted count.
async fn bidder_client(
    app: TestApp,
    item: String,
    token: String,
    asks: Vec<(Money, Option<Money>)>,
) -> anyhow::Result<u32> {
    let mut accepted = 0;
    let mut minimum = Money::ZERO;
    for (amount, maximum) in asks {
        let mut amount = match maximum {
            Some(maximum) if minimum > maximum => continue,
            Some(_) => minimum.max(Money::parse("1")?),
            None => amount,
        };
        for _ in 0..50 {
            let mut body = json!({"amount": amount.to_string()});
            if let Some(maximum) = maximum {
                body["maxAmount"] = json!(maximum.to_string());
            }
            let (status, answer) = bid(&app, &item, body, Some(&token)).await?;
            match (status, text(&answer, "code")) {
                (201, _) => {
                    accepted += 1;
                    minimum = money(&answer["item"]["nextMinimumBid"]);
                    break;
                }
                (409, "BID_TOO_LOW") => {
                    minimum = money(&answer["minimumBid"]);
                    match maximum {
                        Some(maximum) if minimum <= maximum => amount = minimum,
                        _ => break,
                    }
                }
                (409, "MAXIMUM_NOT_RAISED") => break,
                (503, _) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
                _ => anyhow::bail!("bid answered {status}: {answer}"),
            }
        }
    }
    Ok(accepted)
}

/// Runs twenty bidders at once, each with its ten asks.
async fn twenty_at_once(
    app: &TestApp,
    item: &str,
    asks: impl Fn(u32, u32) -> (Money, Option<Money>),
) -> anyhow::Result<(Vec<UserId>, u32)> {
    let mut clients = tokio::task::JoinSet::new();
    let mut bidders = Vec::new();
    for who in 0..20 {
        let (id, token) = app.direct_user(&format!("bidder{who}")).await?;
        bidders.push(id);
        let asks = (0..10).map(|round| asks(who, round)).collect();
        clients.spawn(bidder_client(app.clone(), item.to_string(), token, asks));
    }
    let mut accepted = 0;
    let deadline = std::time::Duration::from_secs(50);
    tokio::time::timeout(deadline, async {
        while let Some(done) = clients.join_next().await {
            accepted += done??;
        }
        Ok::<_, anyhow::Error>(())
    })
    .await
    .map_err(|_| anyhow::anyhow!("200 bids did not finish within {deadline:?}"))??;
    Ok((bidders, accepted))
}

/// The item's visible own bids in the order they were accepted each met the minimum over the
/// price before them, and the price never fell.
async fn assert_chain_increases(app: &TestApp, item: &str) -> anyhow::Result<usize> {
    let mut entries = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let route = match &cursor {
            Some(c) => format!("/items/{{itemId}}/bids?limit=100&cursor={c}"),
            None => "/items/{itemId}/bids?limit=100".to_string(),
        };
        let (status, page) = call!(
            bids::get_items_item_bids,
            app,
            "GET",
            &route,
            [("itemId", item)],
            None,
            None
        );
        anyhow::ensure!(status == 200, "history answered {status}: {page}");
        entries.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    entries.reverse();
    let mut price: Option<Money> = None;
    for entry in &entries {
        let amount = money(&entry["amount"]);
        if entry["isAutomatic"] == false {
            let minimum = price.map_or(Money::ZERO, |p| {
                p.checked_add(Money::parse("1").unwrap_or_default())
                    .unwrap_or(p)
            });
            assert!(
                amount >= minimum,
                "{amount} was accepted below the minimum {minimum}: {entries:#?}"
            );
        }
        assert!(
            price.is_none_or(|p| amount >= p || entry["isAutomatic"] == false),
            "the price fell to {amount}"
        );
        price = Some(price.map_or(amount, |p| p.max(amount)));
    }
    Ok(entries.len())
}

async fn twenty_bidders_bidding_at_once_end_at_the_highest_bid(app: TestApp) -> anyhow::Result<()> {
    let open = open_auction(&app, "public", flat(), &[lot("1.00")]).await?;
    let item = &open.items[0];
    // Bidder `who`'s bid of round `r` is 1 + 2(20r + who): 200 amounts two apart, so the
    // second-highest (397, bidder 18) is never priced out before it is placed. A plain bid is
    // a maximum too: the highest (399, bidder 19) leads at one increment above the second
    // (398) if the second came after it, or at its own amount if it came after the second.
    let (bidders, accepted) = twenty_at_once(&app, item, |who, round| {
        (
            Money::parse(&(1 + 2 * (20 * round + who)).to_string()).unwrap_or_default(),
            None,
        )
    })
    .await?;
    assert!(accepted >= 20, "only {accepted} bids were accepted");
    let artist = token_of(&app, "cinos").await?;
    let final_item = item_view(&app, item, Some(&artist)).await?;
    let newest = history(&app, item).await?;
    let second_came_last = newest[0]["isAutomatic"] == true;
    let expected = if second_came_last { "398.00" } else { "399.00" };
    assert_eq!(final_item["currentBid"], expected, "{final_item}");
    let shown = assert_chain_increases(&app, item).await?;
    assert_eq!(final_item["bidCount"].as_u64(), Some(shown as u64));
    let (_, all) = call!(
        totals::get_auctions_auction_totals,
        app,
        "GET",
        "/auctions/{auctionId}/totals?limit=100",
        [("auctionId", open.auction.as_str())],
        None,
        Some(&artist)
    );
    let leader = bidders[19].to_string();
    for totals in all["items"].as_array().cloned().unwrap_or_default() {
        let subtotal = if totals["bidderId"] == leader.as_str() {
            expected
        } else {
            "0.00"
        };
        assert_eq!(totals["subtotal"], subtotal, "{totals}");
    }
    assert_reconciled(&app, &open.auction).await
}

async fn twenty_proxy_bidders_at_once_end_one_increment_above_the_second_maximum(
    app: TestApp,
) -> anyhow::Result<()> {
    let open = open_auction(&app, "public", flat(), &[lot("1.00")]).await?;
    let item = &open.items[0];
    // Distinct even maxima 10 + 2(20r + who): the highest (408, bidder 19) wins at one above
    // the second (406, bidder 18).
    let (bidders, _) = twenty_at_once(&app, item, |who, round| {
        let maximum = Money::parse(&(10 + 2 * (20 * round + who)).to_string()).unwrap_or_default();
        (Money::ZERO, Some(maximum))
    })
    .await?;
    let (_, winner) = (bidders[19], app.session_token(bidders[19]).await?);
    let final_item = item_view(&app, item, Some(&winner)).await?;
    assert_eq!(final_item["currentBid"], "407.00", "{final_item}");
    assert_eq!(final_item["youAreLeading"], true);
    assert_chain_increases(&app, item).await?;
    assert_reconciled(&app, &open.auction).await
}

async fn the_same_idempotency_key_five_times_at_once_places_one_bid(
    app: TestApp,
) -> anyhow::Result<()> {
    let open = open_auction(&app, "public", json!({}), &[lot("10.00")]).await?;
    let item = open.items[0].clone();
    let (_, token) = app.direct_user("retrier").await?;
    let keyed = |amount: &str| -> anyhow::Result<lambda_http::Request> {
        let body = json!({"amount": amount});
        let mut request = api_request(
            "POST",
            "/items/{itemId}/bids",
            &[("itemId", item.as_str())],
            Some(&body),
            Some(&token),
        )?;
        request
            .headers_mut()
            .insert("idempotency-key", HeaderValue::from_static("retry-7f3a"));
        Ok(request)
    };
    let mut retries = tokio::task::JoinSet::new();
    for _ in 0..5 {
        let (app, request) = (app.clone(), keyed("12.00")?);
        retries.spawn(async move {
            let response = bids::post_items_item_bids(&app.state, request)
                .await
                .unwrap_or_else(ApiError::into_response);
            answer(&response)
        });
    }
    let mut ids = BTreeSet::new();
    while let Some(done) = retries.join_next().await {
        let (status, body) = done??;
        assert_eq!(status, 201, "{body}");
        ids.insert(body["bid"]["id"].as_str().unwrap_or_default().to_string());
    }
    assert_eq!(ids.len(), 1, "every retry answers the one bid");
    assert_eq!(history(&app, &item).await?.len(), 1);
    assert_eq!(item_view(&app, &item, None).await?["bidCount"], 1);
    let other = bids::post_items_item_bids(&app.state, keyed("13.00")?)
        .await
        .unwrap_or_else(ApiError::into_response);
    let (status, body) = answer(&other)?;
    assert_eq!(
        (status, text(&body, "code")),
        (409, "IDEMPOTENCY_KEY_REUSED")
    );
    assert_reconciled(&app, &open.auction).await
}

async fn a_last_moment_bid_extends_the_close_and_a_late_one_is_refused(
    app: TestApp,
) -> anyhow::Result<()> {
    let open = open_auction(
        &app,
        "public",
        json!({"softCloseWindowSec": 120, "softCloseExtensionSec": 120}),
        &[lot("10.00")],
    )
    .await?;
    let item = &open.items[0];
    let (ann_id, _) = app.direct_user("ann").await?;
    let (ben_id, _) = app.direct_user("ben").await?;
    app.clock
        .set(open.ends_at.plus(TimeDelta::milliseconds(-1)));
    let ann = app.session_token(ann_id).await?;
    let (status, last) = bid(&app, item, json!({"amount": "10.00"}), Some(&ann)).await?;
    assert_eq!(status, 201, "one millisecond before the close: {last}");
    let extended = open
        .ends_at
        .plus(TimeDelta::seconds(120))
        .plus(TimeDelta::milliseconds(-1));
    assert_eq!(
        last["item"]["endsAt"],
        extended.to_string(),
        "the close moves to the bid plus 120 s"
    );

    app.clock.set(extended);
    let ben = app.session_token(ben_id).await?;
    let (status, late) = bid(&app, item, json!({"amount": "50.00"}), Some(&ben)).await?;
    assert_eq!(
        (status, text(&late, "code")),
        (409, "ITEM_CLOSED"),
        "at the new close: {late}"
    );
    let seen = item_view(&app, item, Some(&ben)).await?;
    assert_eq!(
        (seen["endsAt"].as_str(), seen["status"].as_str()),
        (Some(extended.to_string().as_str()), Some("closed"))
    );
    assert_reconciled(&app, &open.auction).await
}

async fn buy_now_sells_the_item_at_once(app: TestApp) -> anyhow::Result<()> {
    let open = open_auction(&app, "public", json!({}), &[with_buy_now(), with_buy_now()]).await?;
    let (_, ann) = app.direct_user("ann").await?;
    let (_, ben) = app.direct_user("ben").await?;
    let (status, _) = bid(
        &app,
        &open.items[0],
        json!({"amount": "100.00"}),
        Some(&ann),
    )
    .await?;
    assert_eq!(status, 201);
    let (status, bought) = buy_now_of(&app, &open.items[0], &ben).await?;
    assert_eq!(status, 201, "{bought}");
    assert_eq!(
        (
            bought["item"]["status"].as_str(),
            bought["item"]["currentBid"].as_str()
        ),
        (Some("sold"), Some("500.00"))
    );
    let (status, closed) = bid(
        &app,
        &open.items[0],
        json!({"amount": "900.00"}),
        Some(&ann),
    )
    .await?;
    assert_eq!((status, text(&closed, "code")), (409, "ITEM_CLOSED"));
    let ben_totals = my_totals(&app, &ben, None).await?;
    assert_eq!(ben_totals["items"][0]["subtotal"], "500.00");
    let ann_totals = my_totals(&app, &ann, None).await?;
    assert_eq!(ann_totals["items"][0]["subtotal"], "0.00");

    // Once a bid reaches the buy-now price, buying now is gone.
    let (status, _) = bid(
        &app,
        &open.items[1],
        json!({"amount": "500.00"}),
        Some(&ann),
    )
    .await?;
    assert_eq!(status, 201);
    let (status, gone) = buy_now_of(&app, &open.items[1], &ben).await?;
    assert_eq!((status, text(&gone, "code")), (409, "BUY_NOW_UNAVAILABLE"));
    assert_reconciled(&app, &open.auction).await
}

async fn buy_now_takes_no_body(app: TestApp) -> anyhow::Result<()> {
    let open = open_auction(&app, "public", json!({}), &[with_buy_now(), with_buy_now()]).await?;
    let (_, ben) = app.direct_user("ben").await?;
    let item = open.items[0].as_str();
    let (status, refused) = call!(
        buy_now::post_items_item_buy_now,
        app,
        "POST",
        "/items/{itemId}/buy-now",
        [("itemId", item)],
        Some(&json!({"amount": "1", "maxAmount": "2"})),
        Some(&ben)
    );
    assert_eq!(
        (status, text(&refused, "code")),
        (422, "VALIDATION_FAILED"),
        "{refused}"
    );
    assert_eq!(
        refused["errors"],
        json!([
            {"field": "amount", "message": "is not a field of this request (or is read-only)"},
            {"field": "maxAmount", "message": "is not a field of this request (or is read-only)"},
        ])
    );
    let view = item_view(&app, item, None).await?;
    assert_eq!(view["status"], "open", "nothing was bought: {view}");

    // `{}` is no fields at all, and so is no body.
    let (status, bought) = call!(
        buy_now::post_items_item_buy_now,
        app,
        "POST",
        "/items/{itemId}/buy-now",
        [("itemId", item)],
        Some(&json!({})),
        Some(&ben)
    );
    assert_eq!(status, 201, "{bought}");
    let (status, bought) = buy_now_of(&app, &open.items[1], &ben).await?;
    assert_eq!(status, 201, "{bought}");
    assert_reconciled(&app, &open.auction).await
}

async fn a_bid_and_a_buy_now_answer_the_item_as_they_wrote_it(app: TestApp) -> anyhow::Result<()> {
    let open = open_auction(&app, "public", json!({}), &[with_buy_now(), with_buy_now()]).await?;
    let (_, ann) = app.direct_user("ann").await?;
    let before = item_view(&app, &open.items[0], Some(&ann)).await?;
    app.clock.advance(TimeDelta::minutes(5));
    let (status, placed) = bid(
        &app,
        &open.items[0],
        json!({"amount": "100.00"}),
        Some(&ann),
    )
    .await?;
    assert_eq!(status, 201, "{placed}");
    assert_ne!(placed["item"]["updatedAt"], before["updatedAt"]);
    assert_eq!(placed["item"]["updatedAt"], app.clock.now().to_string());
    assert_eq!(
        item_view(&app, &open.items[0], Some(&ann)).await?["updatedAt"],
        placed["item"]["updatedAt"],
        "the answer is the item as stored"
    );

    app.clock.advance(TimeDelta::minutes(5));
    let (status, bought) = buy_now_of(&app, &open.items[1], &ann).await?;
    assert_eq!(status, 201, "{bought}");
    assert_eq!(bought["item"]["updatedAt"], app.clock.now().to_string());
    assert_eq!(
        item_view(&app, &open.items[1], Some(&ann)).await?["updatedAt"],
        bought["item"]["updatedAt"]
    );
    assert_reconciled(&app, &open.auction).await
}

async fn a_sold_item_shows_no_next_minimum_bid(app: TestApp) -> anyhow::Result<()> {
    let open = open_auction(&app, "public", json!({}), &[with_buy_now()]).await?;
    let item = &open.items[0];
    let (_, ann) = app.direct_user("ann").await?;
    assert_eq!(
        item_view(&app, item, Some(&ann)).await?["nextMinimumBid"],
        "100.00",
        "an open item has one"
    );
    let (status, bought) = buy_now_of(&app, item, &ann).await?;
    assert_eq!(status, 201, "{bought}");
    assert_eq!(
        (&bought["item"]["status"], &bought["item"]["nextMinimumBid"]),
        (&json!("sold"), &Value::Null),
        "{bought}"
    );
    let seen = item_view(&app, item, None).await?;
    assert_eq!(
        (&seen["status"], &seen["nextMinimumBid"]),
        (&json!("sold"), &Value::Null),
        "{seen}"
    );
    assert_reconciled(&app, &open.auction).await
}

async fn a_leader_raising_their_maximum_is_told_so_without_the_maximum(
    app: TestApp,
) -> anyhow::Result<()> {
    let open = open_auction(&app, "public", flat(), &[lot("100.00")]).await?;
    let item = &open.items[0];
    let (_, ann) = app.direct_user("ann").await?;
    let (status, first) = bid(
        &app,
        item,
        json!({"amount": "100.00", "maxAmount": "150.00"}),
        Some(&ann),
    )
    .await?;
    assert_eq!(
        (status, &first["outcome"]),
        (201, &json!("placed")),
        "{first}"
    );
    let (status, raised) = bid(
        &app,
        item,
        json!({"amount": "101.00", "maxAmount": "273.19"}),
        Some(&ann),
    )
    .await?;
    assert_eq!(status, 201, "{raised}");
    assert_eq!(raised["outcome"], "maximum_raised");
    assert_eq!(
        (&raised["bid"]["amount"], &raised["item"]["currentBid"]),
        (&json!("100.00"), &json!("100.00")),
        "the price stays"
    );
    assert_eq!(
        field_names(&raised["bid"]),
        BTreeSet::from(PUBLIC_BID_FIELDS)
    );
    assert!(
        !raised.to_string().contains("273.19"),
        "the maximum is never echoed: {raised}"
    );
    assert_eq!(history(&app, item).await?.len(), 1, "nothing new to show");
    assert_reconciled(&app, &open.auction).await
}

async fn a_buy_now_is_audited_as_a_buy_now(app: TestApp) -> anyhow::Result<()> {
    let open = open_auction(&app, "public", json!({}), &[with_buy_now()]).await?;
    let item = &open.items[0];
    let (_, ann) = app.direct_user("ann").await?;
    let (_, ben) = app.direct_user("ben").await?;
    let (status, _) = bid(&app, item, json!({"amount": "100.00"}), Some(&ann)).await?;
    assert_eq!(status, 201);
    let (status, bought) = buy_now_of(&app, item, &ben).await?;
    assert_eq!(
        (status, &bought["outcome"]),
        (201, &json!("bought")),
        "{bought}"
    );
    let artist = token_of(&app, "cinos").await?;
    let (status, log) = audit_log(&app, &open.auction, Some(&artist)).await?;
    assert_eq!(status, 200, "{log}");
    let entries = log["items"].as_array().cloned().unwrap_or_default();
    let bought_entries: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "buy_now")
        .collect();
    assert_eq!(bought_entries.len(), 1, "{log}");
    assert_eq!(
        (
            &bought_entries[0]["targetId"],
            &bought_entries[0]["details"]
        ),
        (
            &json!(item),
            &json!({
                "bidId": bought["bid"]["id"],
                "amount": "500.00",
                "bidderNumber": bought["bid"]["bidderNumber"],
                "sequence": 2,
            })
        ),
        "{log}"
    );
    let actions: Vec<&str> = entries.iter().map(|e| text(e, "action")).collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "bid_placed").count(),
        1,
        "the bid before it stays a bid: {actions:?}"
    );
    assert_reconciled(&app, &open.auction).await
}

async fn a_buy_now_shows_in_my_bids_at_its_price_without_a_maximum(
    app: TestApp,
) -> anyhow::Result<()> {
    let open = open_auction(&app, "public", json!({}), &[with_buy_now()]).await?;
    let item = &open.items[0];
    let (_, ann) = app.direct_user("ann").await?;
    let (_, ben) = app.direct_user("ben").await?;
    let (status, _) = bid(
        &app,
        item,
        json!({"amount": "100.00", "maxAmount": "437.13"}),
        Some(&ann),
    )
    .await?;
    assert_eq!(status, 201);
    let (status, bought) = buy_now_of(&app, item, &ben).await?;
    assert_eq!(status, 201, "{bought}");

    let mine = my_bids(&app, &ben).await?;
    let entries = mine["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 1, "{mine}");
    assert_eq!(
        (
            &entries[0]["id"],
            &entries[0]["amount"],
            &entries[0]["isAutomatic"],
            &entries[0]["leading"],
        ),
        (
            &bought["bid"]["id"],
            &json!("500.00"),
            &json!(false),
            &json!(true)
        ),
        "{mine}"
    );
    assert_eq!(
        entries[0].get("maxAmount"),
        Some(&Value::Null),
        "a buy-now has no maximum: {mine}"
    );
    assert!(
        !mine.to_string().contains("437.13"),
        "nor does it show the outbid maximum: {mine}"
    );
    assert_eq!(
        my_bids(&app, &ann).await?["items"][0]["maxAmount"],
        "437.13",
        "ann still sees her own"
    );
    assert_reconciled(&app, &open.auction).await
}

async fn removing_and_restoring_a_bid_replays_the_item(app: TestApp) -> anyhow::Result<()> {
    let open = open_auction(&app, "public", json!({}), &[lot("120.00")]).await?;
    let item = &open.items[0];
    let (_, ann) = app.direct_user("ann").await?;
    let (_, ben) = app.direct_user("ben").await?;
    let (_, cat) = app.direct_user("cat").await?;
    bid(
        &app,
        item,
        json!({"amount": "120.00", "maxAmount": "200.00"}),
        Some(&ann),
    )
    .await?;
    bid(&app, item, json!({"amount": "150.00"}), Some(&ben)).await?;
    let (status, shill) = bid(&app, item, json!({"amount": "300.00"}), Some(&cat)).await?;
    assert_eq!(
        (status, shill["item"]["currentBid"].as_str()),
        (201, Some("300.00"))
    );
    let shill_bid = text(&shill["bid"], "id").to_string();
    let path = [("bidId", shill_bid.as_str())];
    let reason = json!({"reason": "Shill bidding reported by the artist"});

    let (status, _) = call!(
        removal::delete_bids_bid,
        app,
        "DELETE",
        "/bids/{bidId}",
        path,
        Some(&reason),
        Some(&ben)
    );
    assert_eq!(status, 403, "bidders do not remove bids");
    let artist = token_of(&app, "cinos").await?;
    let (status, problem) = call!(
        removal::delete_bids_bid,
        app,
        "DELETE",
        "/bids/{bidId}",
        path,
        Some(&json!({"reason": " "})),
        Some(&artist)
    );
    assert_eq!(status, 422, "a reason is required: {problem}");
    let (status, removed) = call!(
        removal::delete_bids_bid,
        app,
        "DELETE",
        "/bids/{bidId}",
        path,
        Some(&reason),
        Some(&artist)
    );
    assert_eq!(status, 200, "{removed}");
    let after = item_view(&app, item, Some(&ann)).await?;
    assert_eq!(
        (
            after["currentBid"].as_str(),
            after["youAreLeading"].as_bool()
        ),
        (Some("155.00"), Some(true)),
        "{after}"
    );
    assert!(
        history(&app, item)
            .await?
            .iter()
            .all(|e| e["id"] != shill_bid.as_str()),
        "removed bids leave the history"
    );
    let cat_totals = my_totals(&app, &cat, None).await?;
    assert_eq!(cat_totals["items"][0]["subtotal"], "0.00");
    let audits = app.audits(shared::audit::AuditAction::BidRemoved).await?;
    assert_eq!(audits.len(), 1);
    assert_eq!(
        audits[0].details["reason"],
        "Shill bidding reported by the artist"
    );
    assert_reconciled(&app, &open.auction).await?;

    let (status, again) = call!(
        removal::delete_bids_bid,
        app,
        "DELETE",
        "/bids/{bidId}",
        path,
        Some(&reason),
        Some(&artist)
    );
    assert_eq!((status, text(&again, "code")), (409, "BID_NOT_ACTIVE"));
    let (status, restored) = call!(
        removal::post_bids_bid_restore,
        app,
        "POST",
        "/bids/{bidId}/restore",
        path,
        None,
        Some(&artist)
    );
    assert_eq!(status, 200, "{restored}");
    let after = item_view(&app, item, Some(&cat)).await?;
    assert_eq!(
        (
            after["currentBid"].as_str(),
            after["youAreLeading"].as_bool()
        ),
        (Some("300.00"), Some(true))
    );
    assert_eq!(
        app.audits(shared::audit::AuditAction::BidRestored)
            .await?
            .len(),
        1
    );
    assert_reconciled(&app, &open.auction).await
}

async fn an_uncontended_bid_takes_two_round_trips_after_authentication(
    app: TestApp,
) -> anyhow::Result<()> {
    let open = open_auction(&app, "public", json!({}), &[lot("10.00")]).await?;
    let item = &open.items[0];
    let (_, token) = app.direct_user("steady").await?;
    let (status, _) = bid(&app, item, json!({"amount": "10.00"}), Some(&token)).await?;
    assert_eq!(status, 201, "the first bid joins the auction");

    let request = api_request("GET", "/me", &[], None, Some(&token))?;
    let before = app.round_trips.count();
    app.state
        .caller(&request)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let authentication = app.round_trips.count() - before;

    assert_eq!(
        authentication, 4,
        "the guard reads the user, the session, groups and roles"
    );
    for maximum in ["500.00", "600.00", "700.00"] {
        let before = app.round_trips.count();
        let (status, body) = bid(
            &app,
            item,
            json!({"amount": "20.00", "maxAmount": maximum}),
            Some(&token),
        )
        .await?;
        let trips = app.round_trips.count() - before;
        assert_eq!(status, 201, "{body}");
        assert_eq!(
            trips - authentication,
            2,
            "one consistent read and one transaction"
        );
    }
    assert_reconciled(&app, &open.auction).await
}

async fn bids_stand_once_the_item_has_closed(app: TestApp) -> anyhow::Result<()> {
    let open = open_auction(&app, "public", json!({}), &[lot("100.00")]).await?;
    let item = &open.items[0];
    let (_, ann) = app.direct_user("ann").await?;
    let (status, placed) = bid(&app, item, json!({"amount": "100.00"}), Some(&ann)).await?;
    assert_eq!(status, 201, "{placed}");
    let bid_id = text(&placed["bid"], "id").to_string();
    let path = [("bidId", bid_id.as_str())];
    // Past the hammer, before anything has recorded the outcome: the stored status still says
    // the item is open.
    app.clock.set(open.ends_at.plus(TimeDelta::seconds(1)));
    let artist = token_of(&app, "cinos").await?;
    let reason = json!({"reason": "Changed my mind"});
    let (status, refused) = call!(
        removal::delete_bids_bid,
        app,
        "DELETE",
        "/bids/{bidId}",
        path,
        Some(&reason),
        Some(&artist)
    );
    assert_eq!(
        (status, text(&refused, "code")),
        (409, "ITEM_CLOSED"),
        "{refused}"
    );
    assert_eq!(
        history(&app, item).await?.len(),
        1,
        "the winning bid stands"
    );
    assert!(
        app.audits(shared::audit::AuditAction::BidRemoved)
            .await?
            .is_empty()
    );
    assert_reconciled(&app, &open.auction).await
}

async fn bid_history_cursors_are_sealed(app: TestApp) -> anyhow::Result<()> {
    let open = open_auction(&app, "public", flat(), &[lot("10.00")]).await?;
    let item = &open.items[0];
    for (bidder, amount) in [("ann", "10.00"), ("ben", "11.00"), ("cat", "12.00")] {
        let (_, token) = app.direct_user(bidder).await?;
        let (status, body) = bid(&app, item, json!({"amount": amount}), Some(&token)).await?;
        anyhow::ensure!(status == 201, "bid answered {status}: {body}");
    }
    let page = |cursor: Option<String>| {
        let app = app.clone();
        let item = item.clone();
        async move {
            let route = match cursor {
                Some(cursor) => format!("/items/{{itemId}}/bids?limit=1&cursor={cursor}"),
                None => "/items/{itemId}/bids?limit=1".to_string(),
            };
            Ok::<_, anyhow::Error>(call!(
                bids::get_items_item_bids,
                app,
                "GET",
                route.as_str(),
                [("itemId", item.as_str())],
                None,
                None
            ))
        }
    };
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let (status, body) = page(cursor.clone()).await?;
        assert_eq!(status, 200, "{body}");
        seen.extend(body["items"].as_array().cloned().unwrap_or_default());
        let Some(next) = body["nextCursor"].as_str() else {
            break;
        };
        use base64::Engine;
        let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(next)
            .unwrap_or_default();
        let readable = String::from_utf8_lossy(&decoded);
        assert!(
            !readable.contains(item.as_str()) && !readable.contains("position"),
            "the cursor shows what it points at: {readable}"
        );
        let mut forged = next.to_string();
        let last = if forged.ends_with('A') { "B" } else { "A" };
        forged.replace_range(forged.len() - 1.., last);
        let (status, problem) = page(Some(forged)).await?;
        assert_eq!(
            (status, problem["errors"][0]["field"].as_str()),
            (422, Some("cursor"))
        );
        cursor = Some(next.to_string());
    }
    let amounts: Vec<&str> = seen.iter().filter_map(|b| b["amount"].as_str()).collect();
    assert_eq!(
        amounts,
        ["12.00", "11.00", "10.00"],
        "newest first, page by page"
    );
    assert_reconciled(&app, &open.auction).await
}

async fn a_flood_of_reads_during_bidding_costs_no_bid(app: TestApp) -> anyhow::Result<()> {
    let lots: Vec<Value> = (0..4).map(|_| lot("10.00")).collect();
    let open = open_auction(&app, "public", flat(), &lots).await?;
    let stored = |app: TestApp, key: String| async move {
        let item: Option<shared::catalog::ItemRecord> = app.store.get(&key, Read::Strong).await?;
        anyhow::Ok(item)
    };
    let before = stored(app.clone(), open.items[0].clone()).await?;
    let auction_before = app
        .store
        .get::<AuctionRecord>(&open.auction, Read::Strong)
        .await?;

    let reader = |item: String| {
        let app = app.clone();
        let auction = open.auction.clone();
        tokio::spawn(async move {
            for _ in 0..5 {
                item_view(&app, &item, None).await?;
                let (status, _) = call!(
                    auctions::get_auctions_auction,
                    app,
                    "GET",
                    "/auctions/{auctionId}",
                    [("auctionId", auction.as_str())],
                    None,
                    None
                );
                anyhow::ensure!(status == 200, "auction read answered {status}");
            }
            anyhow::Ok(())
        })
    };
    let bidder = |name: &'static str, item: String| {
        let app = app.clone();
        tokio::spawn(async move {
            let (_, token) = app.direct_user(name).await?;
            // A rival outbids in between, so each bid takes the lead.
            let (_, rival) = app.direct_user(&format!("{name}-rival")).await?;
            let mut answers = Vec::new();
            for (turn, amount) in (10..16).enumerate() {
                let who = if turn % 2 == 0 { &token } else { &rival };
                let body = json!({"amount": format!("{amount}.00")});
                answers.push(bid(&app, &item, body, Some(who)).await?);
            }
            anyhow::Ok(answers)
        })
    };
    let readers: Vec<_> = (0..8).map(|i| reader(open.items[i % 4].clone())).collect();
    let bidders: Vec<_> = ["ann", "ben", "cat", "dan"]
        .into_iter()
        .zip(open.items.clone())
        .map(|(name, item)| bidder(name, item))
        .collect();
    for reader in readers {
        reader.await??;
    }
    let mut accepted = 0;
    for bidder in bidders {
        for (status, body) in bidder.await?? {
            assert_eq!(status, 201, "no bid is lost to the reads: {body}");
            accepted += 1;
        }
    }
    assert_eq!(accepted, 24);

    // Reads alone leave the records that bids guard as they were.
    let quiet = stored(app.clone(), open.items[0].clone()).await?;
    for _ in 0..10 {
        item_view(&app, &open.items[0], None).await?;
    }
    assert_eq!(
        stored(app.clone(), open.items[0].clone()).await?,
        quiet,
        "reading an item writes nothing to it"
    );
    assert_ne!(before, quiet, "the bids did change it");
    let auction_after = app
        .store
        .get::<AuctionRecord>(&open.auction, Read::Strong)
        .await?;
    assert_eq!(
        auction_after, auction_before,
        "reading an auction writes nothing to it"
    );
    let seen = item_view(&app, &open.items[0], None).await?;
    // Two readers on this item (5 reads each), the 10 quiet reads, and this one.
    assert_eq!(seen["views"], 21, "views are still counted: {seen}");
    assert_reconciled(&app, &open.auction).await
}
