//! Auctions, items and memberships through the real handlers with API Gateway events.

use anyhow::Context;
use std::collections::BTreeSet;

use chrono::TimeDelta;
use functions::catalog::{auctions, audit, edit, items, join, listing, members, phase, publish};
use integration_tests::harness::{TestApp, api_request, body_json, create_auction, text, token_of};
use integration_tests::{app_trials, call};
use libtest_mimic::Trial;
use serde_json::{Value, json};
use shared::domain::Clock;
use shared::http::ApiError;

pub fn trials() -> Vec<Trial> {
    app_trials![
        an_artist_publishes_a_private_auction_and_a_bidder_joins_it,
        who_sees_what_setup_public_and_private,
        another_artist_can_neither_change_nor_peek,
        fifty_concurrent_joins_get_fifty_distinct_bidder_numbers,
        publishing_is_one_way_and_freezes_the_lots,
        invalid_auctions_and_items_are_refused_field_by_field,
        illegal_phase_transitions_are_refused_and_legal_ones_audited,
        a_rotated_code_stops_working_at_once,
        a_code_typed_in_groups_joins_like_the_code,
        members_are_run_by_the_owner_and_never_by_bidders,
        lists_show_what_each_caller_may_see_by_when_it_runs,
        edits_are_free_in_setup_and_frozen_where_bidding_depends_on_them,
        drafts_and_their_items_can_be_deleted_published_ones_not,
        the_audit_log_is_for_those_who_run_the_auction,
        creating_an_auction_is_audited_with_it,
        edits_are_audited_with_old_and_new_values_and_deletes_too,
        the_largest_auction_the_rules_allow_publishes,
        staff_edit_any_auction_but_neither_publish_nor_delete_it,
    ]
}

fn new_auction(app: &TestApp, event_type: &str) -> Value {
    let starts = app.clock.now().plus(TimeDelta::days(1));
    let ends = starts.plus(TimeDelta::days(3));
    json!({
        "name": "Studio Sale", "eventType": event_type, "timeZone": "America/New_York",
        "startsAt": starts.to_string(), "endsAt": ends.to_string(),
        "settings": {"staggerSec": 120}
    })
}

/// `GET /auctions/{auctionId}/audit` of `auction`, by the holder of `token`.
pub(crate) async fn audit_log(
    app: &TestApp,
    auction: &str,
    token: Option<&str>,
) -> anyhow::Result<(u16, Value)> {
    Ok(call!(
        audit::get_auctions_auction_audit,
        app,
        "GET",
        "/auctions/{auctionId}/audit",
        [("auctionId", auction)],
        None,
        token
    ))
}

/// `POST /auctions/join` with `body` (`{auctionCode}`), by the holder of `token`.
async fn join_with(app: &TestApp, body: &Value, token: &str) -> anyhow::Result<(u16, Value)> {
    Ok(call!(
        join::post_auctions_join,
        app,
        "POST",
        "/auctions/join",
        Some(body),
        Some(token)
    ))
}

/// An auction of `owner` with two items (one with a reserve), published unless `draft`.
async fn auction_of(
    app: &TestApp,
    owner: &str,
    event_type: &str,
    draft: bool,
) -> anyhow::Result<Value> {
    let token = token_of(app, owner).await?;
    let (status, auction) = create_auction(app, &new_auction(app, event_type), &token).await?;
    anyhow::ensure!(status == 201, "create answered {status}: {auction}");
    let id = text(&auction, "id").to_string();
    for (name, reserve) in [("Blue Hour", Some("300.00")), ("Salt Lines", None)] {
        let item = json!({"name": name, "type": "silent", "startingPrice": "120.00", "reservePrice": reserve,
            "primaryPhoto": "https://images.example.com/a.jpg"});
        let (status, body) = call!(
            items::post_auctions_auction_items,
            app,
            "POST",
            "/auctions/{auctionId}/items",
            [("auctionId", id.as_str())],
            Some(&item),
            Some(&token)
        );
        anyhow::ensure!(status == 201, "add item answered {status}: {body}");
    }
    if draft {
        return Ok(auction);
    }
    let (status, published) = call!(
        publish::post_auctions_auction_publish,
        app,
        "POST",
        "/auctions/{auctionId}/publish",
        [("auctionId", id.as_str())],
        None,
        Some(&token)
    );
    anyhow::ensure!(status == 200, "publish answered {status}: {published}");
    Ok(published)
}

async fn an_artist_publishes_a_private_auction_and_a_bidder_joins_it(
    app: TestApp,
) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let published = auction_of(&app, "cinos", "private", false).await?;
    assert_eq!(published["status"], "ready");
    let id = text(&published, "id").to_string();
    let code = text(&published, "auctionCode").to_string();
    assert_eq!(code.len(), 8);

    let bidder = token_of(&app, "auction_user").await?;
    let (status, _) = call!(
        auctions::get_auctions_auction,
        app,
        "GET",
        "/auctions/{auctionId}",
        [("auctionId", id.as_str())],
        None,
        Some(&bidder)
    );
    assert_eq!(status, 404, "not a member yet");
    let typed = json!({"auctionCode": format!("  {}  ", code.to_lowercase())});
    let (status, membership) = join_with(&app, &typed, &bidder).await?;
    assert_eq!(
        (
            status,
            membership["bidderNumber"].as_u64(),
            text(&membership, "role")
        ),
        (200, Some(100), "bidder")
    );
    let (status, again) = join_with(&app, &typed, &bidder).await?;
    assert_eq!(
        (status, again["bidderNumber"].as_u64()),
        (200, Some(100)),
        "joining again changes nothing"
    );

    let (status, seen) = call!(
        auctions::get_auctions_auction,
        app,
        "GET",
        "/auctions/{auctionId}",
        [("auctionId", id.as_str())],
        None,
        Some(&bidder)
    );
    assert_eq!(status, 200);
    assert!(
        seen.get("auctionCode").is_none(),
        "a bidder does not see the code"
    );
    assert_eq!(seen["visits"], 1);
    let (status, lots) = call!(
        items::get_auctions_auction_items,
        app,
        "GET",
        "/auctions/{auctionId}/items",
        [("auctionId", id.as_str())],
        None,
        Some(&bidder)
    );
    assert_eq!(status, 200);
    let lots = lots["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(lots.len(), 2);
    assert_eq!(
        (lots[0]["lotNumber"].as_u64(), lots[1]["lotNumber"].as_u64()),
        (Some(0), Some(1))
    );
    assert!(
        lots.iter().all(|lot| lot.get("reservePrice").is_none()),
        "reserves are private"
    );
    assert_eq!(
        (lots[0]["reserveMet"].clone(), lots[1]["reserveMet"].clone()),
        (json!(false), Value::Null)
    );
    assert_eq!(lots[0]["startingPrice"], "120.00");
    assert_eq!(lots[0]["nextMinimumBid"], "120.00");
    // Staggered closes: lot 1 ends 120 s after lot 0.
    let ends =
        |lot: &Value| shared::domain::Timestamp::parse(text(lot, "endsAt")).map(|t| t.millis());
    assert_eq!(ends(&lots[1])? - ends(&lots[0])?, 120_000);

    let owner = token_of(&app, "cinos").await?;
    let (_, owned) = call!(
        items::get_auctions_auction_items,
        app,
        "GET",
        "/auctions/{auctionId}/items",
        [("auctionId", id.as_str())],
        None,
        Some(&owner)
    );
    assert_eq!(owned["items"][0]["reservePrice"], "300.00");
    for code in ["ZZZZZZZZ", "not a code"] {
        let unknown = json!({"auctionCode": code});
        let (status, problem) = join_with(&app, &unknown, &bidder).await?;
        assert_eq!(
            (status, text(&problem, "code"), text(&problem, "detail")),
            (404, "NOT_FOUND", "No auction has this code."),
            "{code}"
        );
    }
    Ok(())
}

async fn who_sees_what_setup_public_and_private(app: TestApp) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let draft = auction_of(&app, "cinos", "public", true).await?;
    let public = auction_of(&app, "cinos", "public", false).await?;
    let private = auction_of(&app, "cinos", "private", false).await?;
    let member = token_of(&app, "richie").await?;
    let code = json!({"auctionCode": text(&private, "auctionCode")});
    join_with(&app, &code, &member).await?;

    let owner = token_of(&app, "cinos").await?;
    let stranger = token_of(&app, "ecom-user").await?;
    let staff = token_of(&app, "genesis-staff").await?;
    let viewers: [(&str, Option<&str>); 5] = [
        ("anonymous", None),
        ("stranger", Some(&stranger)),
        ("member", Some(&member)),
        ("owner", Some(&owner)),
        ("staff", Some(&staff)),
    ];
    let expected = [
        // (auction, anonymous, stranger, member, owner, staff)
        (&draft, [404, 404, 404, 200, 200]),
        (&public, [200, 200, 200, 200, 200]),
        (&private, [404, 404, 200, 200, 200]),
    ];
    for (auction, answers) in expected {
        let id = text(auction, "id");
        for ((who, token), want) in viewers.iter().zip(answers) {
            let (status, _) = call!(
                auctions::get_auctions_auction,
                app,
                "GET",
                "/auctions/{auctionId}",
                [("auctionId", id)],
                None,
                *token
            );
            assert_eq!(
                status,
                want,
                "{who} reading {} {}",
                text(auction, "eventType"),
                text(auction, "status")
            );
            let (status, _) = call!(
                items::get_auctions_auction_items,
                app,
                "GET",
                "/auctions/{auctionId}/items",
                [("auctionId", id)],
                None,
                *token
            );
            assert_eq!(status, want, "{who} listing the items");
        }
    }
    let (_, staff_view) = call!(
        auctions::get_auctions_auction,
        app,
        "GET",
        "/auctions/{auctionId}",
        [("auctionId", text(&private, "id"))],
        None,
        Some(&staff)
    );
    assert_eq!(staff_view["auctionCode"], private["auctionCode"]);
    Ok(())
}

async fn another_artist_can_neither_change_nor_peek(app: TestApp) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let draft = auction_of(&app, "cinos", "public", true).await?;
    let public = auction_of(&app, "cinos", "public", false).await?;
    let rival = token_of(&app, "auction_artist").await?;
    let item = json!({"name": "Intruder", "type": "silent", "startingPrice": "1.00"});

    let (status, _) = call!(
        items::post_auctions_auction_items,
        app,
        "POST",
        "/auctions/{auctionId}/items",
        [("auctionId", text(&draft, "id"))],
        Some(&item),
        Some(&rival)
    );
    assert_eq!(
        status, 404,
        "a draft of someone else does not exist for the rival"
    );
    let (status, _) = call!(
        publish::post_auctions_auction_publish,
        app,
        "POST",
        "/auctions/{auctionId}/publish",
        [("auctionId", text(&draft, "id"))],
        None,
        Some(&rival)
    );
    assert_eq!(status, 404);
    let (status, _) = call!(
        items::post_auctions_auction_items,
        app,
        "POST",
        "/auctions/{auctionId}/items",
        [("auctionId", text(&public, "id"))],
        Some(&item),
        Some(&rival)
    );
    assert_eq!(
        status, 403,
        "a published auction is visible, but not the rival's to change"
    );
    let (_, lots) = call!(
        items::get_auctions_auction_items,
        app,
        "GET",
        "/auctions/{auctionId}/items",
        [("auctionId", text(&public, "id"))],
        None,
        Some(&rival)
    );
    let first = text(&lots["items"][0], "id").to_string();
    let (status, lot) = call!(
        items::get_items_item,
        app,
        "GET",
        "/items/{itemId}",
        [("itemId", first.as_str())],
        None,
        Some(&rival)
    );
    assert_eq!(status, 200);
    assert!(lot.get("reservePrice").is_none());
    assert_eq!(lot["views"], 1);
    let (status, _) = call!(
        items::get_items_item,
        app,
        "GET",
        "/items/{itemId}",
        [("itemId", "not-an-item")],
        None,
        Some(&rival)
    );
    assert_eq!(status, 404);
    let bidder = token_of(&app, "auction_user").await?;
    let (status, _) = create_auction(&app, &new_auction(&app, "public"), &bidder).await?;
    assert_eq!(status, 403, "bidders do not create auctions");
    Ok(())
}

async fn fifty_concurrent_joins_get_fifty_distinct_bidder_numbers(
    app: TestApp,
) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let private = auction_of(&app, "cinos", "private", false).await?;
    let code = json!({"auctionCode": text(&private, "auctionCode")});
    let mut tokens = Vec::new();
    for n in 0..50 {
        tokens.push(app.direct_user(&format!("bidder{n}")).await?.1);
    }
    let mut joins = tokio::task::JoinSet::new();
    for token in tokens {
        let (app, code) = (app.clone(), code.clone());
        joins.spawn(async move {
            let (status, membership) = join_with(&app, &code, &token).await?;
            anyhow::ensure!(status == 200, "join answered {status}: {membership}");
            membership["bidderNumber"]
                .as_u64()
                .ok_or_else(|| anyhow::anyhow!("no bidder number"))
        });
    }
    let mut numbers = BTreeSet::new();
    while let Some(joined) = joins.join_next().await {
        numbers.insert(joined??);
    }
    assert_eq!(numbers.len(), 50, "every bidder number is distinct");
    assert!(
        numbers.iter().all(|n| (100..150).contains(n)),
        "{numbers:?}"
    );
    Ok(())
}

async fn publishing_is_one_way_and_freezes_the_lots(app: TestApp) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let owner = token_of(&app, "cinos").await?;
    let (_, empty) = create_auction(&app, &new_auction(&app, "public"), &owner).await?;
    let (status, problem) = call!(
        publish::post_auctions_auction_publish,
        app,
        "POST",
        "/auctions/{auctionId}/publish",
        [("auctionId", text(&empty, "id"))],
        None,
        Some(&owner)
    );
    assert_eq!((status, text(&problem, "code")), (409, "NO_ITEMS"));

    let published = auction_of(&app, "cinos", "public", false).await?;
    let id = text(&published, "id");
    let (status, problem) = call!(
        publish::post_auctions_auction_publish,
        app,
        "POST",
        "/auctions/{auctionId}/publish",
        [("auctionId", id)],
        None,
        Some(&owner)
    );
    assert_eq!(
        (status, text(&problem, "code")),
        (409, "ILLEGAL_TRANSITION")
    );
    let item = json!({"name": "Late", "type": "live", "startingPrice": "5.00"});
    let (status, problem) = call!(
        items::post_auctions_auction_items,
        app,
        "POST",
        "/auctions/{auctionId}/items",
        [("auctionId", id)],
        Some(&item),
        Some(&owner)
    );
    assert_eq!((status, text(&problem, "code")), (409, "AUCTION_PUBLISHED"));

    // Time opens it: a day later the phase in force is `open`.
    app.clock.advance(TimeDelta::days(1));
    let (_, seen) = call!(
        auctions::get_auctions_auction,
        app,
        "GET",
        "/auctions/{auctionId}",
        [("auctionId", id)],
        None,
        None
    );
    assert_eq!(seen["status"], "open");
    let (_, lots) = call!(
        items::get_auctions_auction_items,
        app,
        "GET",
        "/auctions/{auctionId}/items",
        [("auctionId", id)],
        None,
        None
    );
    assert_eq!(
        lots["items"][0]["status"], "open",
        "a lot of an open auction is open"
    );

    let stale = auction_of(&app, "cinos", "public", true).await?;
    app.clock.advance(TimeDelta::days(5));
    let owner = token_of(&app, "cinos").await?;
    let (status, problem) = call!(
        publish::post_auctions_auction_publish,
        app,
        "POST",
        "/auctions/{auctionId}/publish",
        [("auctionId", text(&stale, "id"))],
        None,
        Some(&owner)
    );
    assert_eq!((status, text(&problem, "code")), (409, "SCHEDULE_PASSED"));
    let (_, lots) = call!(
        items::get_auctions_auction_items,
        app,
        "GET",
        "/auctions/{auctionId}/items",
        [("auctionId", id)],
        None,
        None
    );
    assert_eq!(
        lots["items"][0]["status"], "closed",
        "past its close, a lot is closed"
    );
    Ok(())
}

async fn invalid_auctions_and_items_are_refused_field_by_field(app: TestApp) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let owner = token_of(&app, "cinos").await?;
    let past = app.clock.now().plus(TimeDelta::days(-1));
    let bad = json!({
        "name": "", "eventType": "public", "timeZone": "Nowhere/Land", "currency": "XYZ",
        "startsAt": past.to_string(), "endsAt": past.to_string(),
        "thumbnail": "http://insecure.example.com/t.jpg",
        "settings": {"increments": [{"from": "5", "increment": "1"}]}
    });
    let (status, problem) = create_auction(&app, &bad, &owner).await?;
    assert_eq!(status, 422);
    let fields: BTreeSet<&str> = problem["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| text(e, "field"))
        .collect();
    for field in [
        "name",
        "timeZone",
        "currency",
        "startsAt",
        "endsAt",
        "thumbnail",
        "settings.increments",
    ] {
        assert!(fields.contains(field), "{field} missing from {fields:?}");
    }
    let draft = auction_of(&app, "cinos", "public", true).await?;
    let bad_item = json!({"name": "X", "type": "silent", "startingPrice": "10.001", "reservePrice": "5.00",
        "gallery": vec!["https://a.example.com/1.jpg"; 13]});
    let (status, problem) = call!(
        items::post_auctions_auction_items,
        app,
        "POST",
        "/auctions/{auctionId}/items",
        [("auctionId", text(&draft, "id"))],
        Some(&bad_item),
        Some(&owner)
    );
    assert_eq!(status, 422);
    let fields: BTreeSet<&str> = problem["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| text(e, "field"))
        .collect();
    assert_eq!(
        fields,
        BTreeSet::from(["gallery", "startingPrice", "reservePrice"])
    );
    Ok(())
}

async fn illegal_phase_transitions_are_refused_and_legal_ones_audited(
    app: TestApp,
) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let owner = token_of(&app, "cinos").await?;
    let draft = auction_of(&app, "cinos", "public", true).await?;
    let (status, _) = call!(
        phase::post_auctions_auction_phase,
        app,
        "POST",
        "/auctions/{auctionId}/phase",
        [("auctionId", text(&draft, "id"))],
        Some(&json!({"status": "ready"})),
        Some(&owner)
    );
    assert_eq!(status, 409, "setup is left by publishing");

    let published = auction_of(&app, "cinos", "public", false).await?;
    let id = text(&published, "id");
    for illegal in ["setup", "pending", "closed", "ready"] {
        let (status, problem) = call!(
            phase::post_auctions_auction_phase,
            app,
            "POST",
            "/auctions/{auctionId}/phase",
            [("auctionId", id)],
            Some(&json!({"status": illegal})),
            Some(&owner)
        );
        assert_eq!(
            (status, text(&problem, "code")),
            (409, "ILLEGAL_TRANSITION"),
            "ready -> {illegal}"
        );
    }
    let staff = token_of(&app, "genesis-staff").await?;
    let (status, _) = call!(
        phase::post_auctions_auction_phase,
        app,
        "POST",
        "/auctions/{auctionId}/phase",
        [("auctionId", id)],
        Some(&json!({"status": "open"})),
        Some(&staff)
    );
    assert_eq!(status, 403, "staff are not the owner or an administrator");
    for next in ["open", "pending", "complete", "closed"] {
        app.clock.advance(TimeDelta::seconds(1));
        let (status, moved) = call!(
            phase::post_auctions_auction_phase,
            app,
            "POST",
            "/auctions/{auctionId}/phase",
            [("auctionId", id)],
            Some(&json!({"status": next})),
            Some(&owner)
        );
        assert_eq!((status, text(&moved, "status")), (200, next));
    }
    let admin = token_of(&app, "genesis-admin").await?;
    let (status, _) = call!(
        phase::post_auctions_auction_phase,
        app,
        "POST",
        "/auctions/{auctionId}/phase",
        [("auctionId", id)],
        Some(&json!({"status": "open"})),
        Some(&admin)
    );
    assert_eq!(status, 409, "closed is the end, even for an administrator");
    let changes = app
        .audits(shared::audit::AuditAction::AuctionPhaseChanged)
        .await?;
    let steps: Vec<(&str, &str)> = changes
        .iter()
        .filter(|entry| entry.auction_id.map(|a| a.to_string()).as_deref() == Some(id))
        .map(|entry| {
            (
                entry.details["from"].as_str().unwrap_or(""),
                entry.details["to"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("setup", "ready"),
            ("ready", "open"),
            ("open", "pending"),
            ("pending", "complete"),
            ("complete", "closed")
        ]
    );
    Ok(())
}

async fn a_code_typed_in_groups_joins_like_the_code(app: TestApp) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let published = auction_of(&app, "cinos", "private", false).await?;
    let code = text(&published, "auctionCode").to_lowercase();
    let (first, second) = code.split_at(4);
    let typed = json!({"auctionCode": format!("{first} {second}")});
    let bidder = token_of(&app, "auction_user").await?;
    let (status, membership) = join_with(&app, &typed, &bidder).await?;
    assert_eq!(status, 200, "{typed} joins: {membership}");
    assert_eq!(membership["auctionId"], published["id"]);
    Ok(())
}

async fn a_rotated_code_stops_working_at_once(app: TestApp) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let private = auction_of(&app, "cinos", "private", false).await?;
    let id = text(&private, "id");
    let old = json!({"auctionCode": text(&private, "auctionCode")});
    let owner = token_of(&app, "cinos").await?;
    let (status, rotated) = call!(
        phase::post_auctions_auction_code,
        app,
        "POST",
        "/auctions/{auctionId}/code",
        [("auctionId", id)],
        None,
        Some(&owner)
    );
    assert_eq!(status, 200);
    assert_ne!(rotated["auctionCode"], old["auctionCode"]);

    let bidder = token_of(&app, "auction_user").await?;
    let (status, _) = join_with(&app, &old, &bidder).await?;
    assert_eq!(status, 404, "the old code is dead");
    let new = json!({"auctionCode": text(&rotated, "auctionCode")});
    let (status, _) = join_with(&app, &new, &bidder).await?;
    assert_eq!(status, 200);
    let (status, _) = call!(
        phase::post_auctions_auction_code,
        app,
        "POST",
        "/auctions/{auctionId}/code",
        [("auctionId", id)],
        None,
        Some(&bidder)
    );
    assert_eq!(status, 403, "a member may not rotate the code");
    let (_, seen) = call!(
        auctions::get_auctions_auction,
        app,
        "GET",
        "/auctions/{auctionId}",
        [("auctionId", id)],
        None,
        Some(&owner)
    );
    assert_eq!(seen["auctionCode"], rotated["auctionCode"]);
    Ok(())
}

async fn members_are_run_by_the_owner_and_never_by_bidders(app: TestApp) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let private = auction_of(&app, "cinos", "private", false).await?;
    let id = text(&private, "id");
    let code = json!({"auctionCode": text(&private, "auctionCode")});
    let bidder = token_of(&app, "auction_user").await?;
    let other = token_of(&app, "richie").await?;
    let (_, joined) = join_with(&app, &code, &bidder).await?;
    let (_, other_joined) = join_with(&app, &code, &other).await?;
    let bidder_id = text(&joined, "userId").to_string();
    let other_id = text(&other_joined, "userId").to_string();

    let promote = json!({"role": "manager"});
    let (status, _) = call!(
        members::patch_auctions_auction_members_user,
        app,
        "PATCH",
        "/auctions/{auctionId}/members/{userId}",
        [("auctionId", id), ("userId", other_id.as_str())],
        Some(&promote),
        Some(&bidder)
    );
    assert_eq!(status, 403, "a bidder cannot change a membership");
    let (status, _) = call!(
        members::get_auctions_auction_members,
        app,
        "GET",
        "/auctions/{auctionId}/members",
        [("auctionId", id)],
        None,
        Some(&bidder)
    );
    assert_eq!(status, 403);

    let owner = token_of(&app, "cinos").await?;
    let (status, member) = call!(
        members::patch_auctions_auction_members_user,
        app,
        "PATCH",
        "/auctions/{auctionId}/members/{userId}",
        [("auctionId", id), ("userId", bidder_id.as_str())],
        Some(&json!({"role": "manager", "roleOverride": "clerk"})),
        Some(&owner)
    );
    assert_eq!(
        (status, text(&member, "effectiveRole")),
        (200, "clerk"),
        "an override only narrows"
    );
    let (status, _) = call!(
        members::get_auctions_auction_members,
        app,
        "GET",
        "/auctions/{auctionId}/members",
        [("auctionId", id)],
        None,
        Some(&bidder)
    );
    assert_eq!(status, 403, "a clerk does not run the auction");

    let (status, member) = call!(
        members::patch_auctions_auction_members_user,
        app,
        "PATCH",
        "/auctions/{auctionId}/members/{userId}",
        [("auctionId", id), ("userId", bidder_id.as_str())],
        Some(&json!({"roleOverride": null})),
        Some(&owner)
    );
    assert_eq!((status, text(&member, "effectiveRole")), (200, "manager"));
    let (status, list) = call!(
        members::get_auctions_auction_members,
        app,
        "GET",
        "/auctions/{auctionId}/members",
        [("auctionId", id)],
        None,
        Some(&bidder)
    );
    assert_eq!(
        (status, list["items"].as_array().map(Vec::len)),
        (200, Some(3))
    );
    let (status, _) = call!(
        members::patch_auctions_auction_members_user,
        app,
        "PATCH",
        "/auctions/{auctionId}/members/{userId}",
        [("auctionId", id), ("userId", other_id.as_str())],
        Some(&promote),
        Some(&bidder)
    );
    assert_eq!(status, 403, "a manager does not appoint managers");

    let (status, revoked) = call!(
        members::patch_auctions_auction_members_user,
        app,
        "PATCH",
        "/auctions/{auctionId}/members/{userId}",
        [("auctionId", id), ("userId", other_id.as_str())],
        Some(&json!({"status": "revoked"})),
        Some(&bidder)
    );
    assert_eq!((status, text(&revoked, "status")), (200, "revoked"));
    let (status, _) = call!(
        auctions::get_auctions_auction,
        app,
        "GET",
        "/auctions/{auctionId}",
        [("auctionId", id)],
        None,
        Some(&other)
    );
    assert_eq!(
        status, 404,
        "a revoked member no longer sees the private auction"
    );
    let (status, problem) = join_with(&app, &code, &other).await?;
    assert_eq!(
        (status, text(&problem, "code")),
        (403, "MEMBERSHIP_REVOKED")
    );

    let (_, cinos_me) = call!(
        functions::identity::me::get_me,
        app,
        "GET",
        "/me",
        [],
        None,
        Some(&owner)
    );
    let (status, _) = call!(
        members::patch_auctions_auction_members_user,
        app,
        "PATCH",
        "/auctions/{auctionId}/members/{userId}",
        [("auctionId", id), ("userId", text(&cinos_me, "id"))],
        Some(&json!({"status": "revoked"})),
        Some(&owner)
    );
    assert_eq!(status, 422, "the owner's membership is not changed here");
    Ok(())
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| text(a, "name").to_string())
        .collect()
}

async fn rename(app: &TestApp, token: &str, auction: &Value, name: &str) -> anyhow::Result<()> {
    let (status, body) = call!(
        edit::patch_auctions_auction,
        app,
        "PATCH",
        "/auctions/{auctionId}",
        [("auctionId", text(auction, "id"))],
        Some(&json!({"name": name})),
        Some(token)
    );
    anyhow::ensure!(status == 200, "rename answered {status}: {body}");
    Ok(())
}

async fn lists_show_what_each_caller_may_see_by_when_it_runs(app: TestApp) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let owner = token_of(&app, "cinos").await?;
    let public = auction_of(&app, "cinos", "public", false).await?;
    rename(&app, &owner, &public, "Public Show").await?;
    let private = auction_of(&app, "cinos", "private", false).await?;
    rename(&app, &owner, &private, "Private Show").await?;
    let draft = auction_of(&app, "cinos", "public", true).await?;
    rename(&app, &owner, &draft, "Draft Show").await?;
    let member = token_of(&app, "richie").await?;
    join_with(
        &app,
        &json!({"auctionCode": text(&private, "auctionCode")}),
        &member,
    )
    .await?;

    // The seeds hold two more published auctions of cinos: the public demo, open from the
    // moment it is loaded, and a private one, upcoming.
    let (status, anonymous) = call!(
        listing::get_auctions,
        app,
        "GET",
        "/auctions",
        [],
        None,
        None
    );
    assert_eq!(
        (status, names(&anonymous)),
        (200, vec!["CINOS 1st Auction".to_string()]),
        "only the seeded demo is open yet"
    );
    let (status, upcoming) = call!(
        listing::get_auctions,
        app,
        "GET",
        "/auctions?status=upcoming",
        [],
        None,
        None
    );
    assert_eq!(status, 200);
    let seen_anonymously = names(&upcoming);
    assert!(seen_anonymously.contains(&"Public Show".to_string()));
    assert!(!seen_anonymously.contains(&"Private Show".to_string()));
    assert!(!seen_anonymously.contains(&"Draft Show".to_string()));
    let (_, upcoming) = call!(
        listing::get_auctions,
        app,
        "GET",
        "/auctions?status=upcoming",
        [],
        None,
        Some(&member)
    );
    let seen_by_member = names(&upcoming);
    assert!(seen_by_member.contains(&"Private Show".to_string()));

    let (status, drafts) = call!(
        listing::get_auctions,
        app,
        "GET",
        "/auctions?status=draft",
        [],
        None,
        Some(&owner)
    );
    assert_eq!(
        (status, names(&drafts)),
        (200, vec!["Draft Show".to_string()])
    );
    let (status, _) = call!(
        listing::get_auctions,
        app,
        "GET",
        "/auctions?status=sideways",
        [],
        None,
        None
    );
    assert_eq!(status, 422);

    // Paging through the upcoming ones one at a time reaches each of them exactly once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let query = match &cursor {
            Some(c) => format!("/auctions?status=upcoming&limit=1&cursor={c}"),
            None => "/auctions?status=upcoming&limit=1".to_string(),
        };
        let request = api_request("GET", &query, &[], None, Some(&member))?;
        let response = listing::get_auctions(&app.state, request)
            .await
            .unwrap_or_else(ApiError::into_response);
        let page = body_json(&response)?;
        seen.extend(names(&page));
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    let mut expected = seen_by_member.clone();
    expected.sort();
    seen.sort();
    assert_eq!(seen, expected);

    // A cursor is sealed: readable by no one, and an edited one is refused.
    let (_, first) = call!(
        listing::get_auctions,
        app,
        "GET",
        "/auctions?status=upcoming&limit=1",
        [],
        None,
        None
    );
    let sealed = text(&first, "nextCursor").to_string();
    assert!(!sealed.is_empty());
    let flipped = if sealed.ends_with('A') { 'B' } else { 'A' };
    for forged in [
        format!("{}{flipped}", &sealed[..sealed.len() - 1]),
        "eyJzdGVwIjowfQ".to_string(),
    ] {
        let request = api_request(
            "GET",
            &format!("/auctions?status=upcoming&cursor={forged}"),
            &[],
            None,
            None,
        )?;
        let response = listing::get_auctions(&app.state, request)
            .await
            .unwrap_or_else(ApiError::into_response);
        assert_eq!(response.status(), 422, "{forged}");
    }

    app.clock.advance(TimeDelta::days(1));
    let (_, open) = call!(
        listing::get_auctions,
        app,
        "GET",
        "/auctions",
        [],
        None,
        None
    );
    assert!(
        names(&open).contains(&"Public Show".to_string()),
        "started auctions are open: {open}"
    );
    let (_, upcoming) = call!(
        listing::get_auctions,
        app,
        "GET",
        "/auctions?status=upcoming",
        [],
        None,
        None
    );
    assert!(!names(&upcoming).contains(&"Public Show".to_string()));
    Ok(())
}

async fn edits_are_free_in_setup_and_frozen_where_bidding_depends_on_them(
    app: TestApp,
) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let owner = token_of(&app, "cinos").await?;
    let draft = auction_of(&app, "cinos", "public", true).await?;
    let later = app.clock.now().plus(TimeDelta::days(10));
    let changes = json!({"name": "Winter Sale", "description": "New work.", "endsAt": later.to_string(), "settings": {"staggerSec": 30}});
    let (status, edited) = call!(
        edit::patch_auctions_auction,
        app,
        "PATCH",
        "/auctions/{auctionId}",
        [("auctionId", text(&draft, "id"))],
        Some(&changes),
        Some(&owner)
    );
    assert_eq!(
        (
            status,
            text(&edited, "name"),
            edited["settings"]["staggerSec"].as_u64()
        ),
        (200, "Winter Sale", Some(30))
    );

    let rival = token_of(&app, "auction_artist").await?;
    let published = auction_of(&app, "cinos", "public", false).await?;
    let id = text(&published, "id");
    let (status, _) = call!(
        edit::patch_auctions_auction,
        app,
        "PATCH",
        "/auctions/{auctionId}",
        [("auctionId", id)],
        Some(&json!({"name": "Mine now"})),
        Some(&rival)
    );
    assert_eq!(status, 403, "another artist may not edit");
    let (status, problem) = call!(
        edit::patch_auctions_auction,
        app,
        "PATCH",
        "/auctions/{auctionId}",
        [("auctionId", id)],
        Some(&json!({"endsAt": later.to_string(), "description": "Still editable"})),
        Some(&owner)
    );
    assert_eq!(
        (
            status,
            text(&problem, "code"),
            problem["fields"][0].as_str()
        ),
        (409, "AUCTION_PUBLISHED", Some("endsAt"))
    );
    let (status, edited) = call!(
        edit::patch_auctions_auction,
        app,
        "PATCH",
        "/auctions/{auctionId}",
        [("auctionId", id)],
        Some(&json!({"description": "Still editable"})),
        Some(&owner)
    );
    assert_eq!(
        (status, text(&edited, "description")),
        (200, "Still editable")
    );

    let quiet =
        json!({"notifications": {"outbid": true, "closingSoon": false, "paymentReminders": true}});
    let (status, edited) = call!(
        edit::patch_auctions_auction,
        app,
        "PATCH",
        "/auctions/{auctionId}",
        [("auctionId", id)],
        Some(&quiet),
        Some(&owner)
    );
    assert_eq!(
        (status, edited["notifications"]["closingSoon"].clone()),
        (200, json!(false)),
        "notifications change at any time"
    );
    let entries = app
        .audits(shared::audit::AuditAction::AuctionNotificationsUpdated)
        .await?;
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].details["notifications"]["closingSoon"],
        json!(false)
    );

    let (_, lots) = call!(
        items::get_auctions_auction_items,
        app,
        "GET",
        "/auctions/{auctionId}/items",
        [("auctionId", id)],
        None,
        Some(&owner)
    );
    let lot = text(&lots["items"][0], "id").to_string();
    let (status, problem) = call!(
        edit::patch_items_item,
        app,
        "PATCH",
        "/items/{itemId}",
        [("itemId", lot.as_str())],
        Some(&json!({"startingPrice": "1.00"})),
        Some(&owner)
    );
    assert_eq!(
        (
            status,
            text(&problem, "code"),
            problem["fields"][0].as_str()
        ),
        (409, "AUCTION_PUBLISHED", Some("startingPrice"))
    );
    let (status, edited) = call!(
        edit::patch_items_item,
        app,
        "PATCH",
        "/items/{itemId}",
        [("itemId", lot.as_str())],
        Some(&json!({"description": "Framed.", "gallery": ["https://images.example.com/b.jpg"]})),
        Some(&owner)
    );
    assert_eq!((status, text(&edited, "description")), (200, "Framed."));
    assert_eq!(edited["startingPrice"], "120.00");
    let (status, _) = call!(
        edit::patch_items_item,
        app,
        "PATCH",
        "/items/{itemId}",
        [("itemId", lot.as_str())],
        Some(&json!({"description": "Mine"})),
        Some(&rival)
    );
    assert_eq!(status, 403);

    let (_, draft_lots) = call!(
        items::get_auctions_auction_items,
        app,
        "GET",
        "/auctions/{auctionId}/items",
        [("auctionId", text(&draft, "id"))],
        None,
        Some(&owner)
    );
    let draft_lot = text(&draft_lots["items"][0], "id").to_string();
    let (status, repriced) = call!(
        edit::patch_items_item,
        app,
        "PATCH",
        "/items/{itemId}",
        [("itemId", draft_lot.as_str())],
        Some(&json!({"startingPrice": "150.00", "reservePrice": null})),
        Some(&owner)
    );
    assert_eq!(
        (
            status,
            repriced["startingPrice"].clone(),
            repriced.get("reservePrice").cloned()
        ),
        (200, json!("150.00"), None)
    );
    assert_eq!(repriced["reserveMet"], Value::Null);
    Ok(())
}

async fn drafts_and_their_items_can_be_deleted_published_ones_not(
    app: TestApp,
) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let owner = token_of(&app, "cinos").await?;
    let draft = auction_of(&app, "cinos", "public", true).await?;
    let id = text(&draft, "id");
    let (_, lots) = call!(
        items::get_auctions_auction_items,
        app,
        "GET",
        "/auctions/{auctionId}/items",
        [("auctionId", id)],
        None,
        Some(&owner)
    );
    let first = text(&lots["items"][0], "id").to_string();
    let (status, _) = call!(
        edit::delete_items_item,
        app,
        "DELETE",
        "/items/{itemId}",
        [("itemId", first.as_str())],
        None,
        Some(&owner)
    );
    assert_eq!(status, 204);
    let item = json!({"name": "Replacement", "type": "silent", "startingPrice": "20.00"});
    let (status, added) = call!(
        items::post_auctions_auction_items,
        app,
        "POST",
        "/auctions/{auctionId}/items",
        [("auctionId", id)],
        Some(&item),
        Some(&owner)
    );
    assert_eq!(
        (status, added["lotNumber"].as_u64()),
        (201, Some(2)),
        "a deleted lot's number is not reused"
    );
    let (_, seen) = call!(
        auctions::get_auctions_auction,
        app,
        "GET",
        "/auctions/{auctionId}",
        [("auctionId", id)],
        None,
        Some(&owner)
    );
    assert_eq!(seen["itemCount"], 2);

    let published = auction_of(&app, "cinos", "public", false).await?;
    let (status, problem) = call!(
        edit::delete_auctions_auction,
        app,
        "DELETE",
        "/auctions/{auctionId}",
        [("auctionId", text(&published, "id"))],
        None,
        Some(&owner)
    );
    assert_eq!((status, text(&problem, "code")), (409, "AUCTION_PUBLISHED"));
    let rival = token_of(&app, "auction_artist").await?;
    let (status, _) = call!(
        edit::delete_auctions_auction,
        app,
        "DELETE",
        "/auctions/{auctionId}",
        [("auctionId", id)],
        None,
        Some(&rival)
    );
    assert_eq!(status, 404);
    let (status, _) = call!(
        edit::delete_auctions_auction,
        app,
        "DELETE",
        "/auctions/{auctionId}",
        [("auctionId", id)],
        None,
        Some(&owner)
    );
    assert_eq!(status, 204);
    let (status, _) = call!(
        auctions::get_auctions_auction,
        app,
        "GET",
        "/auctions/{auctionId}",
        [("auctionId", id)],
        None,
        Some(&owner)
    );
    assert_eq!(status, 404);
    let (status, _) = call!(
        items::get_items_item,
        app,
        "GET",
        "/items/{itemId}",
        [("itemId", text(&added, "id"))],
        None,
        Some(&owner)
    );
    assert_eq!(status, 404, "its items went with it");
    Ok(())
}

async fn the_audit_log_is_for_those_who_run_the_auction(app: TestApp) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let public = auction_of(&app, "cinos", "public", false).await?;
    let id = text(&public, "id");
    let owner = token_of(&app, "cinos").await?;
    let (status, log) = audit_log(&app, id, Some(&owner)).await?;
    assert_eq!(status, 200);
    let entries = log["items"].as_array().cloned().unwrap_or_default();
    let mut actions: Vec<&str> = entries.iter().map(|e| text(e, "action")).collect();
    let times: Vec<&str> = entries.iter().map(|e| text(e, "at")).collect();
    assert!(
        times.windows(2).all(|pair| pair[0] >= pair[1]),
        "newest first: {times:?}"
    );
    actions.sort();
    assert_eq!(
        actions,
        [
            "auction_created",
            "auction_phase_changed",
            "item_created",
            "item_created"
        ]
    );
    let staff = token_of(&app, "genesis-staff").await?;
    let (status, _) = audit_log(&app, id, Some(&staff)).await?;
    assert_eq!(status, 200);
    let bidder = token_of(&app, "auction_user").await?;
    let (status, _) = audit_log(&app, id, Some(&bidder)).await?;
    assert_eq!(status, 403);
    let (status, _) = audit_log(&app, id, None).await?;
    assert_eq!(status, 401);
    Ok(())
}

async fn creating_an_auction_is_audited_with_it(app: TestApp) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let owner = token_of(&app, "cinos").await?;
    let (status, created) = create_auction(&app, &new_auction(&app, "private"), &owner).await?;
    assert_eq!(status, 201, "{created}");
    let id = text(&created, "id");
    let (status, log) = audit_log(&app, id, Some(&owner)).await?;
    assert_eq!(status, 200, "{log}");
    assert_eq!(
        log["items"],
        json!([{
            "id": log["items"][0]["id"],
            "at": created["createdAt"],
            "actorId": created["ownerId"],
            "action": "auction_created",
            "targetId": id,
            "details": {"name": "Studio Sale", "eventType": "private"},
        }])
    );
    Ok(())
}

async fn staff_edit_any_auction_but_neither_publish_nor_delete_it(
    app: TestApp,
) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let draft = auction_of(&app, "cinos", "private", true).await?;
    let id = text(&draft, "id");
    let staff = token_of(&app, "genesis-staff").await?;
    let item = json!({"name": "Staff pick", "type": "silent", "startingPrice": "5.00"});
    let refusals = [
        (
            "publish",
            call!(
                publish::post_auctions_auction_publish,
                app,
                "POST",
                "/auctions/{auctionId}/publish",
                [("auctionId", id)],
                None,
                Some(&staff)
            )
            .0,
        ),
        (
            "add item",
            call!(
                items::post_auctions_auction_items,
                app,
                "POST",
                "/auctions/{auctionId}/items",
                [("auctionId", id)],
                Some(&item),
                Some(&staff)
            )
            .0,
        ),
        (
            "delete",
            call!(
                edit::delete_auctions_auction,
                app,
                "DELETE",
                "/auctions/{auctionId}",
                [("auctionId", id)],
                None,
                Some(&staff)
            )
            .0,
        ),
    ];
    for (what, status) in refusals {
        assert_eq!(status, 403, "staff may not {what}");
    }
    let (status, edited) = call!(
        edit::patch_auctions_auction,
        app,
        "PATCH",
        "/auctions/{auctionId}",
        [("auctionId", id)],
        Some(&json!({"description": "Checked by staff."})),
        Some(&staff)
    );
    assert_eq!(
        (status, text(&edited, "description")),
        (200, "Checked by staff.")
    );

    let published = auction_of(&app, "cinos", "private", false).await?;
    let (status, _) = call!(
        phase::post_auctions_auction_code,
        app,
        "POST",
        "/auctions/{auctionId}/code",
        [("auctionId", text(&published, "id"))],
        None,
        Some(&staff)
    );
    assert_eq!(status, 200, "staff may rotate a code (auction:code:any)");
    let bidder = token_of(&app, "auction_user").await?;
    let (_, joined) = join_with(
        &app,
        &json!({"auctionCode": text(&published, "auctionCode")}),
        &bidder,
    )
    .await?;
    assert_eq!(
        joined["bidderNumber"],
        Value::Null,
        "the rotated code no longer admits"
    );
    let (_, members) = call!(
        members::get_auctions_auction_members,
        app,
        "GET",
        "/auctions/{auctionId}/members",
        [("auctionId", text(&published, "id"))],
        None,
        Some(&staff)
    );
    let owner_id = text(&members["items"][0], "userId").to_string();
    let (status, _) = call!(
        members::patch_auctions_auction_members_user,
        app,
        "PATCH",
        "/auctions/{auctionId}/members/{userId}",
        [
            ("auctionId", text(&published, "id")),
            ("userId", owner_id.as_str())
        ],
        Some(&json!({"role": "manager"})),
        Some(&staff)
    );
    assert_eq!(
        status, 403,
        "staff do not manage members (membership:manage:any)"
    );
    Ok(())
}

async fn edits_are_audited_with_old_and_new_values_and_deletes_too(
    app: TestApp,
) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let published = auction_of(&app, "cinos", "public", false).await?;
    let id = text(&published, "id");
    let owner = token_of(&app, "cinos").await?;
    for url in [
        "https://pay.example.com/first",
        "https://pay.example.com/second",
    ] {
        // A second apart, so the entries' order is their time's.
        app.clock.advance(TimeDelta::seconds(1));
        let (status, body) = call!(
            edit::patch_auctions_auction,
            app,
            "PATCH",
            "/auctions/{auctionId}",
            [("auctionId", id)],
            Some(&json!({"paymentUrl": url})),
            Some(&owner)
        );
        assert_eq!(status, 200, "{body}");
    }
    let updates = app
        .audits(shared::audit::AuditAction::AuctionUpdated)
        .await?;
    let last = updates.last().context("no auction_updated entry")?;
    assert_eq!(
        last.details["changes"]["paymentUrl"],
        json!({"from": "https://pay.example.com/first", "to": "https://pay.example.com/second"}),
        "a changed payment page after publishing is traceable: {:?}",
        last.details
    );

    let draft = auction_of(&app, "cinos", "public", true).await?;
    let draft_id = text(&draft, "id");
    let (status, _) = call!(
        edit::delete_auctions_auction,
        app,
        "DELETE",
        "/auctions/{auctionId}",
        [("auctionId", draft_id)],
        None,
        Some(&owner)
    );
    assert_eq!(status, 204);
    let deletes = app
        .audits(shared::audit::AuditAction::AuctionDeleted)
        .await?;
    assert_eq!(deletes.len(), 1, "deleting an auction is audited");
    assert_eq!(
        (
            deletes[0].target_id.as_deref(),
            &deletes[0].details["items"]
        ),
        (Some(draft_id), &json!(2))
    );
    Ok(())
}

async fn the_largest_auction_the_rules_allow_publishes(app: TestApp) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let artist = token_of(&app, "cinos").await?;
    // Every field at its longest, in four-byte characters where text allows them.
    let ladder: Vec<Value> = (0..50)
        .map(|rung| json!({"from": format!("{}.00", rung * 1000), "increment": "1.00"}))
        .collect();
    let mut body = new_auction(&app, "private");
    body["name"] = json!("🎨".repeat(120));
    body["description"] = json!("🎨".repeat(5000));
    body["settings"]["increments"] = json!(ladder);
    let (status, auction) = create_auction(&app, &body, &artist).await?;
    assert_eq!(status, 201, "{auction}");
    let id = text(&auction, "id").to_string();
    let url = |n: usize| {
        let stem = format!("https://images.example.com/{n}/");
        format!("{stem}{}", "a".repeat(2048 - stem.len()))
    };
    let lot = json!({
        "name": "🖼".repeat(120), "description": "🖌".repeat(5000), "type": "silent",
        "startingPrice": "99999.99", "reservePrice": "999999.99", "buyNowPrice": "9999999.99",
        "primaryPhoto": url(99), "gallery": (0..12).map(url).collect::<Vec<_>>(),
    });
    let approximate_bytes = lot.to_string().len();
    for n in 0..96 {
        let (status, item) = call!(
            items::post_auctions_auction_items,
            app,
            "POST",
            "/auctions/{auctionId}/items",
            [("auctionId", id.as_str())],
            Some(&lot),
            Some(&artist)
        );
        assert_eq!(status, 201, "item {n}: {item}");
    }
    assert!(
        96 * approximate_bytes > 4 * 1024 * 1024,
        "rewriting every lot whole would pass the 4 MB a transaction may hold"
    );
    let (status, published) = call!(
        publish::post_auctions_auction_publish,
        app,
        "POST",
        "/auctions/{auctionId}/publish",
        [("auctionId", id.as_str())],
        None,
        Some(&artist)
    );
    assert_eq!(
        (status, text(&published, "status")),
        (200, "ready"),
        "{}",
        published.to_string().get(..500).unwrap_or_default()
    );
    // Lots this large come a few per page (DynamoDB reads at most 1 MB a page).
    let mut lots = Vec::new();
    let mut route = "/auctions/{auctionId}/items?limit=100".to_string();
    loop {
        let (status, page) = call!(
            items::get_auctions_auction_items,
            app,
            "GET",
            route.as_str(),
            [("auctionId", id.as_str())],
            None,
            Some(&artist)
        );
        assert_eq!(status, 200);
        lots.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["nextCursor"].as_str() {
            Some(next) => route = format!("/auctions/{{auctionId}}/items?limit=100&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(lots.len(), 96);
    assert_eq!(lots[95]["lotNumber"], 95);
    assert_eq!(lots[95]["gallery"].as_array().map(Vec::len), Some(12));
    Ok(())
}
