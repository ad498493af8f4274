//! What a refused body is told, through the real handlers: one `422` listing every field at
//! fault at once (missing, mistyped, unknown, refused by the field's rule), in the contract's
//! words, never a parser's.

use chrono::TimeDelta;
use functions::bidding::mine;
use functions::catalog::listing;
use functions::identity::{me, my_sessions};
use integration_tests::harness::{
    TestApp, create_auction, log_in_with, refresh_with, register_with, text, token_of,
};

use crate::bidding::bid;
use integration_tests::{app_trials, call};
use libtest_mimic::Trial;
use serde_json::{Value, json};
use shared::domain::Clock;

pub fn trials() -> Vec<Trial> {
    app_trials![
        an_auction_with_only_a_name_hears_of_every_missing_field,
        a_login_with_neither_login_nor_password_hears_of_both,
        a_bid_body_that_is_not_an_object_is_refused_as_a_whole,
        every_route_refuses_a_body_that_is_not_an_object_alike,
        a_mistyped_field_is_listed_with_the_missing_ones,
        a_registration_hears_of_its_refused_and_missing_fields_together,
        no_answer_speaks_in_a_parsers_words,
        a_mistyped_setting_is_listed_with_a_refused_sibling,
        a_value_outside_an_enum_leaves_the_schedule_checked,
        every_bad_query_parameter_is_listed_at_once,
        a_currency_refused_is_not_echoed,
        a_ranged_number_mistyped_hears_of_its_range,
        a_negative_amount_is_told_like_zero,
    ]
}

/// `(field, message)` of each error of a `422`.
fn errors(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|error| (text(error, "field").into(), text(error, "message").into()))
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(field, message)| (field.to_string(), message.to_string()))
        .collect()
}

/// The answer is a `422 VALIDATION_FAILED` listing exactly `expected`, in order.
fn assert_refused((status, problem): &(u16, Value), expected: &[(&str, &str)]) {
    assert_eq!(
        (*status, text(problem, "code"), errors(problem)),
        (422, "VALIDATION_FAILED", pairs(expected)),
        "{problem}"
    );
}

/// Loads the seeds and answers the access token of the artist `cinos`.
async fn seeded_artist(app: &TestApp) -> anyhow::Result<String> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    token_of(app, "cinos").await
}

async fn an_auction_with_only_a_name_hears_of_every_missing_field(
    app: TestApp,
) -> anyhow::Result<()> {
    let artist = seeded_artist(&app).await?;
    assert_refused(
        &create_auction(&app, &json!({"name": "x"}), &artist).await?,
        &[
            ("eventType", "is required"),
            ("startsAt", "is required"),
            ("endsAt", "is required"),
            ("timeZone", "is required"),
        ],
    );
    Ok(())
}

async fn a_login_with_neither_login_nor_password_hears_of_both(app: TestApp) -> anyhow::Result<()> {
    assert_refused(
        &log_in_with(&app, &json!({"login": ""})).await?,
        &[
            ("login", "must be the account's email address or username"),
            ("password", "is required"),
        ],
    );
    Ok(())
}

async fn a_bid_body_that_is_not_an_object_is_refused_as_a_whole(
    app: TestApp,
) -> anyhow::Result<()> {
    let (_, bidder) = app.direct_user("ann").await?;
    let item = uuid::Uuid::new_v4().to_string();
    assert_refused(
        &bid(&app, &item, json!([]), Some(&bidder)).await?,
        &[("body", "must be a JSON object")],
    );
    Ok(())
}

async fn every_route_refuses_a_body_that_is_not_an_object_alike(
    app: TestApp,
) -> anyhow::Result<()> {
    let artist = seeded_artist(&app).await?;
    for body in [json!([]), json!([{"amount": "1"}]), json!("text"), json!(7)] {
        let answers = [
            register_with(&app, &body).await?,
            refresh_with(&app, &body).await?,
            create_auction(&app, &body, &artist).await?,
            call!(
                me::patch_me,
                app,
                "PATCH",
                "/me",
                Some(&body),
                Some(&artist)
            ),
        ];
        for answer in &answers {
            assert_refused(answer, &[("body", "must be a JSON object")]);
        }
    }
    Ok(())
}

async fn a_mistyped_field_is_listed_with_the_missing_ones(app: TestApp) -> anyhow::Result<()> {
    let artist = seeded_artist(&app).await?;
    let body = json!({"name": "Studio Sale", "eventType": "public", "endsAt": 1_800_000_000,
        "settings": {"staggerSec": "two minutes"}});
    assert_refused(
        &create_auction(&app, &body, &artist).await?,
        &[
            ("startsAt", "is required"),
            ("endsAt", "must be a string"),
            ("timeZone", "is required"),
            (
                "settings.staggerSec",
                "must be a whole number of seconds from 0 to 3600",
            ),
        ],
    );
    let body = json!({"name": "x", "eventType": "auction"});
    let (status, problem) = create_auction(&app, &body, &artist).await?;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(
        errors(&problem)[0],
        (
            "eventType".to_string(),
            "must be one of: public, private".to_string()
        )
    );
    Ok(())
}

async fn a_registration_hears_of_its_refused_and_missing_fields_together(
    app: TestApp,
) -> anyhow::Result<()> {
    let body = json!({"email": "not-an-email", "displayName": 7, "role": "admin"});
    assert_refused(
        &register_with(&app, &body).await?,
        &[
            ("email", "must be an email address"),
            ("username", "is required"),
            ("displayName", "must be a string"),
            ("password", "is required"),
            ("role", "is not a field of this request (or is read-only)"),
        ],
    );
    Ok(())
}

async fn no_answer_speaks_in_a_parsers_words(app: TestApp) -> anyhow::Result<()> {
    let artist = seeded_artist(&app).await?;
    let (_, bidder) = app.direct_user("ann").await?;
    let item = uuid::Uuid::new_v4().to_string();
    let odd_bodies = [
        json!([]),
        json!({}),
        json!({"amount": 5, "maxAmount": ["1"]}),
        json!({"amount": "1.00", "amount2": "2"}),
        json!({"amount": null}),
        json!({"amount": {"value": "1"}}),
    ];
    let mut answers = Vec::new();
    for body in &odd_bodies {
        answers.push(bid(&app, &item, body.clone(), Some(&bidder)).await?);
    }
    for body in [
        json!({"name": [], "eventType": 1, "startsAt": true, "settings": []}),
        json!({"name": "x", "settings": {"increments": [{"from": 0}, {}]}}),
    ] {
        answers.push(create_auction(&app, &body, &artist).await?);
    }
    let secret = "hunter2-never-echoed";
    let body = json!({"login": 12, "password": {"value": secret}});
    answers.push(log_in_with(&app, &body).await?);
    for (status, problem) in answers {
        assert_eq!(status, 422, "{problem}");
        assert!(!errors(&problem).is_empty(), "{problem}");
        for (field, message) in errors(&problem) {
            for parser_words in [
                "invalid type",
                "invalid length",
                "invalid value",
                "expected",
                "missing field",
                "unknown field",
                "struct",
                "`",
                " at line ",
                secret,
            ] {
                assert!(
                    !message.contains(parser_words),
                    "{field}: {message:?} ({problem})"
                );
            }
        }
    }
    Ok(())
}

/// A valid `POST /auctions` body starting tomorrow, with `extra` fields added.
fn auction_with(app: &TestApp, extra: Value) -> Value {
    let starts = app.clock.now().plus(TimeDelta::days(1));
    let ends = starts.plus(TimeDelta::hours(1));
    let mut body = json!({"name": "ok", "eventType": "public", "timeZone": "UTC",
        "startsAt": starts.to_string(), "endsAt": ends.to_string()});
    for (field, value) in extra.as_object().into_iter().flatten() {
        body[field] = value.clone();
    }
    body
}

async fn a_mistyped_setting_is_listed_with_a_refused_sibling(app: TestApp) -> anyhow::Result<()> {
    let artist = seeded_artist(&app).await?;
    let body = auction_with(
        &app,
        json!({"settings": {"staggerSec": -1, "paymentWindowSec": 5}}),
    );
    assert_refused(
        &create_auction(&app, &body, &artist).await?,
        &[
            (
                "settings.paymentWindowSec",
                "must be from 600 to 604800 seconds",
            ),
            (
                "settings.staggerSec",
                "must be a whole number of seconds from 0 to 3600",
            ),
        ],
    );
    Ok(())
}

async fn a_value_outside_an_enum_leaves_the_schedule_checked(app: TestApp) -> anyhow::Result<()> {
    let artist = seeded_artist(&app).await?;
    let body = json!({"name": "", "eventType": "secret", "startsAt": "2020-01-01T00:00:00Z",
        "endsAt": "2020-01-01T00:05:00Z", "timeZone": "Mars/Base"});
    let (status, problem) = create_auction(&app, &body, &artist).await?;
    let fields: Vec<String> = errors(&problem)
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    assert_eq!(
        (status, fields),
        (
            422,
            ["name", "eventType", "timeZone", "startsAt", "endsAt"]
                .map(String::from)
                .to_vec()
        ),
        "{problem}"
    );
    assert!(
        errors(&problem).contains(&(
            "startsAt".to_string(),
            "must not be in the past".to_string()
        )),
        "{problem}"
    );
    assert!(
        errors(&problem).contains(&(
            "eventType".to_string(),
            "must be one of: public, private".to_string()
        )),
        "{problem}"
    );
    Ok(())
}

async fn every_bad_query_parameter_is_listed_at_once(app: TestApp) -> anyhow::Result<()> {
    seeded_artist(&app).await?;
    let (_, bidder) = app.direct_user("ann").await?;
    let status = ("status", "must be upcoming, open, past or draft");
    let limit = ("limit", "must be a whole number from 1 to 100");
    let cursor = ("cursor", "is not a cursor this list issued");
    for (route, expected) in [
        ("/auctions?limit=0&status=bogus", vec![status, limit]),
        ("/auctions?limit=abc&status=bogus", vec![status, limit]),
        ("/auctions?limit=abc&cursor=zz", vec![limit, cursor]),
        (
            "/auctions?limit=101&cursor=zz&status=bogus",
            vec![status, limit, cursor],
        ),
    ] {
        let answer = call!(listing::get_auctions, app, "GET", route, [], None, None);
        assert_refused(&answer, &expected);
    }
    let auction = ("auctionId", "must be a UUID");
    let route = "/me/bids?auctionId=nope&limit=0&cursor=zz";
    let answer = call!(
        mine::get_me_bids,
        app,
        "GET",
        route,
        [],
        None,
        Some(&bidder)
    );
    assert_refused(&answer, &[auction, limit, cursor]);
    let route = "/me/totals?auctionId=nope&limit=abc&cursor=zz";
    let answer = call!(
        mine::get_me_totals,
        app,
        "GET",
        route,
        [],
        None,
        Some(&bidder)
    );
    assert_refused(&answer, &[auction, limit, cursor]);
    // A list reading only `limit` and `cursor` lists both too.
    let route = "/me/sessions?limit=abc&cursor=zz";
    let answer = call!(
        my_sessions::get_me_sessions,
        app,
        "GET",
        route,
        [],
        None,
        Some(&bidder)
    );
    assert_refused(&answer, &[limit, cursor]);
    Ok(())
}

async fn a_currency_refused_is_not_echoed(app: TestApp) -> anyhow::Result<()> {
    let artist = seeded_artist(&app).await?;
    let body = auction_with(&app, json!({"currency": "XXX"}));
    assert_refused(
        &create_auction(&app, &body, &artist).await?,
        &[("currency", "must be a supported ISO 4217 currency code")],
    );
    Ok(())
}

async fn a_ranged_number_mistyped_hears_of_its_range(app: TestApp) -> anyhow::Result<()> {
    let artist = seeded_artist(&app).await?;
    let body = auction_with(
        &app,
        json!({"settings": {"softCloseWindowSec": 4_294_967_296_u64, "paymentWindowSec": "1h"}}),
    );
    assert_refused(
        &create_auction(&app, &body, &artist).await?,
        &[
            (
                "settings.paymentWindowSec",
                "must be a whole number of seconds from 600 to 604800",
            ),
            (
                "settings.softCloseWindowSec",
                "must be a whole number of seconds from 0 to 3600",
            ),
        ],
    );
    Ok(())
}

async fn a_negative_amount_is_told_like_zero(app: TestApp) -> anyhow::Result<()> {
    let (_, bidder) = app.direct_user("ann").await?;
    let item = uuid::Uuid::new_v4().to_string();
    for amount in ["-5", "0", "0.00", "-0.01"] {
        assert_refused(
            &bid(&app, &item, json!({"amount": amount}), Some(&bidder)).await?,
            &[("amount", "must be above 0")],
        );
    }
    assert_refused(
        &bid(&app, &item, json!({"amount": 5}), Some(&bidder)).await?,
        &[("amount", "must be a decimal string such as \"12.50\"")],
    );
    Ok(())
}
