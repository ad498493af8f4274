//! What a refused body is told, through the real handlers: one `422` listing every field at
//! fault at once (missing, mistyped, unknown, refused by the field's rule), in the contract's
//! words, never a parser's.

use functions::identity::me;
use integration_tests::harness::{
    TestApp, create_auction, log_in_with, refresh_with, register_with, text, token_of,
};

use crate::bidding::bid;
use integration_tests::{app_trials, call};
use libtest_mimic::Trial;
use serde_json::{Value, json};

pub fn trials() -> Vec<Trial> {
    app_trials![
        an_auction_with_only_a_name_hears_of_every_missing_field,
        a_login_with_neither_login_nor_password_hears_of_both,
        a_bid_body_that_is_not_an_object_is_refused_as_a_whole,
        every_route_refuses_a_body_that_is_not_an_object_alike,
        a_mistyped_field_is_listed_with_the_missing_ones,
        a_registration_hears_of_its_refused_and_missing_fields_together,
        no_answer_speaks_in_a_parsers_words,
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
                "must be a whole number from 0 to 4294967295",
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
