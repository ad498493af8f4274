//! The permission catalogue means what it says: every permission in the seeds guards the
//! routes its name names and no code checks one outside it, an owner's powers need the
//! artist's `:own` permissions, a manager's come from the membership, and only
//! administrators change or purge administrators.

use std::collections::BTreeSet;

use functions::catalog::{auctions, edit, items, members, publish};
use functions::identity::{roles, users};
use integration_tests::harness::{TestApp, create_auction, repo_root, text, token_of};
use integration_tests::{app_trials, call, trials};
use libtest_mimic::Trial;
use serde_json::{Value, json};
use shared::catalog::access::Power;
use shared::domain::Clock;

pub fn trials() -> Vec<Trial> {
    let mut all = trials![every_catalogued_permission_is_checked_and_none_outside_it];
    all.extend(app_trials![
        taking_the_artist_role_away_stops_an_owner_but_not_their_managers,
        only_administrators_change_or_purge_administrators,
    ]);
    all
}

/// The string literals of every shipped Rust file under `dir` (tests modules included: they
/// name permissions only in assertions).
fn literals(dir: &std::path::Path, found: &mut BTreeSet<String>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            literals(&path, found)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            let source = std::fs::read_to_string(&path)?;
            found.extend(source.split('"').skip(1).step_by(2).map(str::to_string));
        }
    }
    Ok(())
}

fn looks_like_permission(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        && (parts.len() == 2 || matches!(parts[2], "own" | "any"))
}

async fn every_catalogued_permission_is_checked_and_none_outside_it() -> anyhow::Result<()> {
    let catalogue: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(
        repo_root().join("seeds/data/permissions.json"),
    )?)?;
    let catalogue: BTreeSet<String> = catalogue
        .iter()
        .map(|p| text(p, "name").to_string())
        .collect();
    let mut found = BTreeSet::new();
    for dir in ["functions/src", "shared/src"] {
        literals(&repo_root().join(dir), &mut found)?;
    }
    let checked: BTreeSet<String> = found
        .into_iter()
        .filter(|l| looks_like_permission(l))
        .collect();
    let unchecked: Vec<&String> = catalogue.difference(&checked).collect();
    assert!(
        unchecked.is_empty(),
        "in the catalogue, checked nowhere: {unchecked:?}"
    );
    let unknown: Vec<&String> = checked.difference(&catalogue).collect();
    assert!(
        unknown.is_empty(),
        "checked, not in the catalogue: {unknown:?}"
    );
    for power in Power::ALL {
        let (own, any, _) = power.grants();
        assert!(
            catalogue.contains(own) && catalogue.contains(any),
            "{power:?}"
        );
    }
    Ok(())
}

async fn taking_the_artist_role_away_stops_an_owner_but_not_their_managers(
    app: TestApp,
) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let owner = token_of(&app, "cinos").await?;
    let starts = app.clock.now().plus(chrono::TimeDelta::days(1));
    let body = json!({"name": "Studio", "eventType": "public", "timeZone": "UTC",
        "startsAt": starts.to_string(), "endsAt": starts.plus(chrono::TimeDelta::days(2)).to_string()});
    let create = |body: Value| {
        let app = app.clone();
        let owner = owner.clone();
        async move {
            let (status, auction) = create_auction(&app, &body, &owner).await?;
            anyhow::ensure!(status == 201, "create answered {status}: {auction}");
            anyhow::Ok(text(&auction, "id").to_string())
        }
    };
    let id = create(body.clone()).await?;
    let draft = create(body).await?;
    let lot = json!({"name": "Blue Hour", "type": "silent", "startingPrice": "100.00"});
    let (status, _) = call!(
        items::post_auctions_auction_items,
        app,
        "POST",
        "/auctions/{auctionId}/items",
        [("auctionId", id.as_str())],
        Some(&lot),
        Some(&owner)
    );
    assert_eq!(status, 201);
    let (status, _) = call!(
        publish::post_auctions_auction_publish,
        app,
        "POST",
        "/auctions/{auctionId}/publish",
        [("auctionId", id.as_str())],
        None,
        Some(&owner)
    );
    assert_eq!(status, 200);
    let path = [("auctionId", id.as_str())];
    let (manager_id, manager) = app.direct_user("mona").await?;
    // A member first (a draft is joined by no code): the owner makes one directly.
    let membership = shared::catalog::MembershipRecord {
        id: shared::catalog::MembershipRecord::key(id.parse()?, manager_id),
        auction_id: id.parse()?,
        user_id: manager_id,
        role: shared::catalog::MembershipRole::Bidder,
        role_override: None,
        status: shared::catalog::MembershipStatus::Active,
        bidder_number: None,
        created_at: app.clock.now(),
        updated_at: app.clock.now(),
        version: 1,
    };
    app.store.create(&membership).await?;
    let (status, body) = call!(
        members::patch_auctions_auction_members_user,
        app,
        "PATCH",
        "/auctions/{auctionId}/members/{userId}",
        [
            ("auctionId", id.as_str()),
            ("userId", manager_id.to_string().as_str())
        ],
        Some(&json!({"role": "manager"})),
        Some(&owner)
    );
    assert_eq!(status, 200, "{body}");

    let admin = token_of(&app, "genesis-admin").await?;
    let (_, listed) = call!(
        users::get_users,
        app,
        "GET",
        "/users?limit=100",
        None,
        Some(&admin)
    );
    let cinos_id = listed["items"]
        .as_array()
        .and_then(|users| users.iter().find(|u| u["username"] == "cinos"))
        .map(|u| text(u, "id").to_string())
        .unwrap_or_default();
    let (status, body) = call!(
        users::patch_users_user,
        app,
        "PATCH",
        "/users/{userId}",
        [("userId", cinos_id.as_str())],
        Some(&json!({"groups": ["customer"]})),
        Some(&admin)
    );
    assert_eq!(status, 200, "{body}");

    let (status, _) = call!(
        auctions::get_auctions_auction,
        app,
        "GET",
        "/auctions/{auctionId}",
        [("auctionId", draft.as_str())],
        None,
        Some(&owner)
    );
    assert_eq!(
        status, 404,
        "without auction:read:own the owner no longer sees their draft"
    );
    let rename = json!({"name": "Renamed"});
    let (status, _) = call!(
        edit::patch_auctions_auction,
        app,
        "PATCH",
        "/auctions/{auctionId}",
        path,
        Some(&rename),
        Some(&owner)
    );
    assert_eq!(
        status, 403,
        "without auction:update:own the owner no longer edits it"
    );
    let (status, body) = call!(
        edit::patch_auctions_auction,
        app,
        "PATCH",
        "/auctions/{auctionId}",
        path,
        Some(&rename),
        Some(&manager)
    );
    assert_eq!(
        (status, text(&body, "name")),
        (200, "Renamed"),
        "a manager's powers come from the membership"
    );
    let (status, _) = call!(
        edit::delete_auctions_auction,
        app,
        "DELETE",
        "/auctions/{auctionId}",
        path,
        None,
        Some(&manager)
    );
    assert_eq!(status, 403, "deleting is the owner's alone");
    Ok(())
}

async fn only_administrators_change_or_purge_administrators(app: TestApp) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let admin = token_of(&app, "genesis-admin").await?;
    // Operators trusted with accounts: staff gain user:manage and pii:purge.
    let (_, staff_role) = call!(roles::get_roles, app, "GET", "/roles", None, Some(&admin));
    let mut permissions: Vec<Value> = staff_role["items"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["name"] == "staff"))
        .and_then(|r| r["permissions"].as_array().cloned())
        .unwrap_or_default();
    permissions.extend([json!("user:manage"), json!("pii:purge")]);
    let (status, body) = call!(
        roles::put_roles_role_name,
        app,
        "PUT",
        "/roles/{roleName}",
        [("roleName", "staff")],
        Some(&json!({"description": "Operators", "permissions": permissions})),
        Some(&admin)
    );
    assert_eq!(status, 200, "{body}");
    let staff = token_of(&app, "genesis-staff").await?;
    let (_, listed) = call!(
        users::get_users,
        app,
        "GET",
        "/users?limit=100",
        None,
        Some(&staff)
    );
    let id_of = |name: &str| {
        listed["items"]
            .as_array()
            .and_then(|users| users.iter().find(|u| u["username"] == name))
            .map(|u| text(u, "id").to_string())
            .unwrap_or_default()
    };
    let (admin_id, customer_id) = (id_of("genesis-admin"), id_of("richie"));
    for change in [json!({"status": "disabled"}), json!({"userRole": "user"})] {
        let (status, _) = call!(
            users::patch_users_user,
            app,
            "PATCH",
            "/users/{userId}",
            [("userId", admin_id.as_str())],
            Some(&change),
            Some(&staff)
        );
        assert_eq!(status, 403, "{change}");
    }
    let (status, _) = call!(
        users::delete_users_user,
        app,
        "DELETE",
        "/users/{userId}",
        [("userId", admin_id.as_str())],
        None,
        Some(&staff)
    );
    assert_eq!(status, 403, "operators do not purge an administrator");
    let (status, body) = call!(
        users::patch_users_user,
        app,
        "PATCH",
        "/users/{userId}",
        [("userId", customer_id.as_str())],
        Some(&json!({"status": "disabled"})),
        Some(&staff)
    );
    assert_eq!(
        (status, text(&body, "status")),
        (200, "disabled"),
        "other accounts they manage"
    );
    Ok(())
}
