//! `GET /health` and `GET /openapi.json`, through their real handlers with API Gateway events.

use std::sync::Arc;

use anyhow::Context;

use integration_tests::harness::{TestApp, body_json, request, test_config};
use integration_tests::{app_trials, trials};
use libtest_mimic::Trial;
use serde_json::json;
use shared::domain::SystemClock;
use shared::store::Store;

pub fn trials() -> Vec<Trial> {
    let mut trials = app_trials![health_is_ok_when_the_store_answers,];
    trials.extend(trials![
        health_is_503_with_retry_after_when_the_store_is_unreachable,
        openapi_document_is_openapi_3_1_and_lists_its_routes,
        openapi_document_says_what_a_bid_did_and_when_no_bid_is_next,
        openapi_document_says_who_may_publish_delete_and_read_the_administration,
        openapi_document_bounds_every_limit_and_says_what_a_bid_amount_is,
    ]);
    trials
}

async fn health_is_ok_when_the_store_answers(app: TestApp) -> anyhow::Result<()> {
    let response =
        functions::platform::health::get_health(&app.state, request("get-health")?).await?;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(body_json(&response)?, serde_json::json!({"status": "ok"}));
    Ok(())
}

async fn health_is_503_with_retry_after_when_the_store_is_unreachable() -> anyhow::Result<()> {
    // Nothing listens on port 1 of the loopback address.
    let config = test_config("unreachable-", "http://127.0.0.1:1");
    let store = Store::connect(&config.store).await;
    let state = functions::AppState::new(config, store, Arc::new(SystemClock))?;

    let error = functions::platform::health::get_health(&state, request("get-health")?)
        .await
        .expect_err("an unreachable store is not healthy");
    let response = error.into_response();
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert!(response.headers().contains_key("retry-after"));
    let body = body_json(&response)?;
    assert_eq!(body["code"], "SERVICE_UNAVAILABLE");
    assert!(
        !body.to_string().contains("127.0.0.1"),
        "no internal detail in the body: {body}"
    );
    Ok(())
}

async fn openapi_document_is_openapi_3_1_and_lists_its_routes() -> anyhow::Result<()> {
    let document = functions::openapi::document_json()?;
    let response =
        functions::platform::openapi_document::get_openapi(&document, request("get-openapi-json")?)
            .await?;
    assert_eq!(response.status(), 200);
    let body = body_json(&response)?;
    assert!(
        body["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        body["openapi"]
    );
    assert!(body["paths"]["/health"]["get"].is_object());
    assert!(body["paths"]["/openapi.json"]["get"].is_object());
    assert!(body["components"]["schemas"]["Problem"].is_object());
    Ok(())
}

async fn openapi_document_says_what_a_bid_did_and_when_no_bid_is_next() -> anyhow::Result<()> {
    let document: serde_json::Value = serde_json::from_str(&functions::openapi::document_json()?)?;
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        schemas["Outcome"]["enum"],
        serde_json::json!(["placed", "maximum_raised", "bought"]),
        "{}",
        schemas["Outcome"]
    );
    let placed = &schemas["PlacedBid"];
    assert!(
        placed["required"]
            .as_array()
            .is_some_and(|fields| fields.contains(&"outcome".into())),
        "{placed}"
    );
    let accepted = &document["paths"]["/items/{itemId}/bids"]["post"]["responses"]["201"];
    assert!(
        accepted["description"]
            .as_str()
            .is_some_and(|text| text.contains("maximum_raised")),
        "{accepted}"
    );
    let next = &schemas["ItemView"]["properties"]["nextMinimumBid"];
    assert!(
        next.to_string().contains("null") && next.to_string().contains("sold"),
        "nullable once the item takes no bids: {next}"
    );
    Ok(())
}

/// What the document says about who may call `method path`: its summary and description
/// together (as one line: doc comments wrap), and its 403's description.
fn who_may(document: &serde_json::Value, method: &str, path: &str) -> (String, String) {
    let operation = &document["paths"][path][method];
    let said = ["summary", "description"]
        .map(|field| operation[field].as_str().unwrap_or_default())
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let forbidden = operation["responses"]["403"]["description"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    (said, forbidden)
}

/// Publishing and deleting an auction are the owner's and administrators' alone (managers
/// and staff lack the powers: `shared::catalog::access::Power`); staff read accounts, roles,
/// groups and permissions, and only administrators change them (`seeds/data/roles.json`).
async fn openapi_document_says_who_may_publish_delete_and_read_the_administration()
-> anyhow::Result<()> {
    let document: serde_json::Value = serde_json::from_str(&functions::openapi::document_json()?)?;
    for (method, path) in [
        ("post", "/auctions/{auctionId}/publish"),
        ("delete", "/auctions/{auctionId}"),
    ] {
        let (said, forbidden) = who_may(&document, method, path);
        assert!(
            said.contains("owner or an administrator")
                && said.contains("Managers and platform staff may not"),
            "{method} {path}: {said}"
        );
        assert_eq!(
            forbidden, "Not the auction's owner or an administrator.",
            "{method} {path}"
        );
    }
    for (path, permission) in [
        ("/users", "user:read:any"),
        ("/users/{userId}", "user:read:any"),
        ("/roles", "role:read"),
        ("/groups", "group:read"),
        ("/permissions", "role:read"),
    ] {
        let (said, forbidden) = who_may(&document, "get", path);
        assert!(
            said.contains("staff and administrators") && said.contains(permission),
            "GET {path}: {said}"
        );
        assert!(
            forbidden.contains(permission) && forbidden.contains("staff"),
            "GET {path}: {forbidden}"
        );
    }
    for (method, path, permission) in [
        ("post", "/users", "user:manage"),
        ("patch", "/users/{userId}", "user:manage"),
        ("delete", "/users/{userId}", "pii:purge"),
        ("put", "/roles/{roleName}", "role:manage"),
        ("put", "/groups/{groupName}", "group:manage"),
    ] {
        let (said, forbidden) = who_may(&document, method, path);
        assert!(
            said.contains("(administrators)") && !said.contains("staff and administrators"),
            "{method} {path}: {said}"
        );
        assert!(
            forbidden.contains(&format!("lacks `{permission}` (administrators hold it")),
            "{method} {path}: {forbidden}"
        );
    }
    Ok(())
}

/// Every list's `?limit=` is what `page_parameters` accepts (1 to 100, default 20), the join
/// route's 404 says what its answer says, and a bid's amounts are `Money` like every other.
async fn openapi_document_bounds_every_limit_and_says_what_a_bid_amount_is() -> anyhow::Result<()> {
    let document: serde_json::Value = serde_json::from_str(&functions::openapi::document_json()?)?;
    let paths = document["paths"].as_object().context("no paths")?;
    let mut limits = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().into_iter().flatten() {
            let parameters = operation["parameters"].as_array().into_iter().flatten();
            for limit in parameters.filter(|p| p["name"] == "limit") {
                limits += 1;
                let schema = &limit["schema"];
                assert_eq!(limit["in"], "query", "{method} {path}");
                assert_eq!(
                    (&schema["minimum"], &schema["maximum"], &schema["default"]),
                    (&json!(1), &json!(100), &json!(20)),
                    "{method} {path}: {limit}"
                );
            }
        }
    }
    assert!(limits >= 10, "every list route has a limit: {limits}");

    let join = &document["paths"]["/auctions/join"]["post"]["responses"]["404"]["description"];
    assert!(
        join.as_str()
            .is_some_and(|text| text.contains("no auction has this code")),
        "{join}"
    );
    let bid = &document["components"]["schemas"]["BidInput"]["properties"];
    for field in ["amount", "maxAmount"] {
        assert!(
            bid[field]
                .to_string()
                .contains("#/components/schemas/Money"),
            "{field}: {}",
            bid[field]
        );
    }
    Ok(())
}
