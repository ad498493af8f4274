//! What a refused body is told, through the real handlers: one `422` listing every field at
//! fault at once (missing, mistyped, unknown, refused by the field's rule), in the contract's
//! words, never a parser's.

use functions::bidding::bids;
use functions::catalog::auctions;
use functions::identity::{login, me, refresh, register};
use integration_tests::harness::{TestApp, text, token_of};
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

async fn an_auction_with_only_a_name_hears_of_every_missing_field(
    app: TestApp,
) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let artist = token_of(&app, "cinos").await?;
    let (status, problem) = call!(
        auctions::post_auctions,
        app,
        "POST",
        "/auctions",
        Some(&json!({"name": "x"})),
        Some(&artist)
    );
    assert_eq!(
        (status, text(&problem, "code")),
        (422, "VALIDATION_FAILED"),
        "{problem}"
    );
    assert_eq!(
        errors(&problem),
        pairs(&[
            ("eventType", "is required"),
            ("startsAt", "is required"),
            ("endsAt", "is required"),
            ("timeZone", "is required"),
        ])
    );
    Ok(())
}

async fn a_login_with_neither_login_nor_password_hears_of_both(app: TestApp) -> anyhow::Result<()> {
    let (status, problem) = call!(
        login::post_auth_login,
        app,
        "POST",
        "/auth/login",
        Some(&json!({"login": ""})),
        None
    );
    assert_eq!(status, 422, "{problem}");
    assert_eq!(
        errors(&problem),
        pairs(&[
            ("login", "must be the account's email address or username"),
            ("password", "is required"),
        ])
    );
    Ok(())
}

async fn a_bid_body_that_is_not_an_object_is_refused_as_a_whole(
    app: TestApp,
) -> anyhow::Result<()> {
    let (_, bidder) = app.direct_user("ann").await?;
    let item = uuid::Uuid::new_v4().to_string();
    let (status, problem) = call!(
        bids::post_items_item_bids,
        app,
        "POST",
        "/items/{itemId}/bids",
        [("itemId", item.as_str())],
        Some(&json!([])),
        Some(&bidder)
    );
    assert_eq!(
        (status, text(&problem, "code")),
        (422, "VALIDATION_FAILED"),
        "{problem}"
    );
    assert_eq!(
        errors(&problem),
        pairs(&[("body", "must be a JSON object")])
    );
    Ok(())
}

async fn every_route_refuses_a_body_that_is_not_an_object_alike(
    app: TestApp,
) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let artist = token_of(&app, "cinos").await?;
    for body in [json!([]), json!([{"amount": "1"}]), json!("text"), json!(7)] {
        let answers = [
            call!(
                register::post_auth_register,
                app,
                "POST",
                "/auth/register",
                Some(&body),
                None
            ),
            call!(
                refresh::post_auth_refresh,
                app,
                "POST",
                "/auth/refresh",
                Some(&body),
                None
            ),
            call!(
                auctions::post_auctions,
                app,
                "POST",
                "/auctions",
                Some(&body),
                Some(&artist)
            ),
            call!(
                me::patch_me,
                app,
                "PATCH",
                "/me",
                Some(&body),
                Some(&artist)
            ),
        ];
        for (status, problem) in answers {
            assert_eq!(
                (status, errors(&problem)),
                (422, pairs(&[("body", "must be a JSON object")])),
                "{body}: {problem}"
            );
        }
    }
    Ok(())
}

async fn a_mistyped_field_is_listed_with_the_missing_ones(app: TestApp) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let artist = token_of(&app, "cinos").await?;
    let body = json!({"name": "Studio Sale", "eventType": "public", "endsAt": 1_800_000_000,
        "settings": {"staggerSec": "two minutes"}});
    let (status, problem) = call!(
        auctions::post_auctions,
        app,
        "POST",
        "/auctions",
        Some(&body),
        Some(&artist)
    );
    assert_eq!(status, 422, "{problem}");
    assert_eq!(
        errors(&problem),
        pairs(&[
            ("startsAt", "is required"),
            ("endsAt", "must be a string"),
            ("timeZone", "is required"),
            (
                "settings.staggerSec",
                "must be a whole number from 0 to 4294967295"
            ),
        ])
    );
    let (status, problem) = call!(
        auctions::post_auctions,
        app,
        "POST",
        "/auctions",
        Some(&json!({"name": "x", "eventType": "auction"})),
        Some(&artist)
    );
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
    let (status, problem) = call!(
        register::post_auth_register,
        app,
        "POST",
        "/auth/register",
        Some(&body),
        None
    );
    assert_eq!(status, 422, "{problem}");
    assert_eq!(
        errors(&problem),
        pairs(&[
            ("email", "must be an email address"),
            ("username", "is required"),
            ("displayName", "must be a string"),
            ("password", "is required"),
            ("role", "is not a field of this request (or is read-only)"),
        ])
    );
    Ok(())
}

async fn no_answer_speaks_in_a_parsers_words(app: TestApp) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let artist = token_of(&app, "cinos").await?;
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
        answers.push(call!(
            bids::post_items_item_bids,
            app,
            "POST",
            "/items/{itemId}/bids",
            [("itemId", item.as_str())],
            Some(body),
            Some(&bidder)
        ));
    }
    for body in [
        json!({"name": [], "eventType": 1, "startsAt": true, "settings": []}),
        json!({"name": "x", "settings": {"increments": [{"from": 0}, {}]}}),
    ] {
        answers.push(call!(
            auctions::post_auctions,
            app,
            "POST",
            "/auctions",
            Some(&body),
            Some(&artist)
        ));
    }
    let secret = "hunter2-never-echoed";
    answers.push(call!(
        login::post_auth_login,
        app,
        "POST",
        "/auth/login",
        Some(&json!({"login": 12, "password": {"value": secret}})),
        None
    ));
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
