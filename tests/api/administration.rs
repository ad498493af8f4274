//! Administration of accounts, roles and groups, and personal data, through the real handlers
//! with API Gateway events, on seeded data.

use functions::identity::{export, groups, me, purge, roles, users};
use integration_tests::harness::{TestApp, log_in_with, register_with, text, token_of, token_with};
use integration_tests::{app_trials, call};
use libtest_mimic::Trial;
use serde_json::json;
use shared::audit::AuditAction;

pub fn trials() -> Vec<Trial> {
    app_trials![
        every_admin_route_is_refused_to_every_non_admin_seeded_role,
        an_administrator_creates_disables_and_enables_an_account,
        a_role_change_takes_effect_on_the_next_request,
        group_changes_take_effect_and_never_grant_admin,
        an_administrator_cannot_lock_themselves_out,
        the_export_holds_the_profile_and_sessions_without_secrets,
        a_purged_account_cannot_sign_in_and_frees_its_email,
    ]
}

async fn seeded_admin(app: &TestApp) -> anyhow::Result<String> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    token_of(app, "genesis-admin").await
}

async fn every_admin_route_is_refused_to_every_non_admin_seeded_role(
    app: TestApp,
) -> anyhow::Result<()> {
    let admin = seeded_admin(&app).await?;
    let (_, me) = call!(me::get_me, app, "GET", "/me", [], None, Some(&admin));
    let someone = text(&me, "id").to_string();
    let new_user = json!({"email": "x@example.com", "username": "xavier", "password": "long enough", "displayName": "X"});
    let role = json!({"description": "d", "permissions": ["bid:place"]});
    let group = json!({"roles": ["customer"]});
    let status_change = json!({"status": "disabled"});
    for username in [
        "genesis-staff",
        "ecom-user",
        "richie",
        "auction_user",
        "auction_artist",
        "cinos",
    ] {
        let token = token_of(&app, username).await?;
        let token = Some(token.as_str());
        let answers = [
            (
                "GET /users",
                call!(users::get_users, app, "GET", "/users", [], None, token).0,
            ),
            (
                "POST /users",
                call!(
                    users::post_users,
                    app,
                    "POST",
                    "/users",
                    [],
                    Some(&new_user),
                    token
                )
                .0,
            ),
            (
                "GET /users/{id}",
                call!(
                    users::get_users_user,
                    app,
                    "GET",
                    "/users/{userId}",
                    [("userId", someone.as_str())],
                    None,
                    token
                )
                .0,
            ),
            (
                "PATCH /users/{id}",
                call!(
                    users::patch_users_user,
                    app,
                    "PATCH",
                    "/users/{userId}",
                    [("userId", someone.as_str())],
                    Some(&status_change),
                    token
                )
                .0,
            ),
            (
                "DELETE /users/{id}",
                call!(
                    users::delete_users_user,
                    app,
                    "DELETE",
                    "/users/{userId}",
                    [("userId", someone.as_str())],
                    None,
                    token
                )
                .0,
            ),
            (
                "GET /roles",
                call!(roles::get_roles, app, "GET", "/roles", [], None, token).0,
            ),
            (
                "PUT /roles/{name}",
                call!(
                    roles::put_roles_role_name,
                    app,
                    "PUT",
                    "/roles/{roleName}",
                    [("roleName", "customer")],
                    Some(&role),
                    token
                )
                .0,
            ),
            (
                "GET /permissions",
                call!(
                    roles::get_permissions,
                    app,
                    "GET",
                    "/permissions",
                    [],
                    None,
                    token
                )
                .0,
            ),
            (
                "GET /groups",
                call!(groups::get_groups, app, "GET", "/groups", [], None, token).0,
            ),
            (
                "PUT /groups/{name}",
                call!(
                    groups::put_groups_group_name,
                    app,
                    "PUT",
                    "/groups/{groupName}",
                    [("groupName", "customer")],
                    Some(&group),
                    token
                )
                .0,
            ),
        ];
        // Staff read accounts, roles and groups (user:read:any, role:read, group:read) and
        // change none of them.
        let reads = [
            "GET /users",
            "GET /users/{id}",
            "GET /roles",
            "GET /permissions",
            "GET /groups",
        ];
        for (route, status) in answers {
            let expected = if username == "genesis-staff" && reads.contains(&route) {
                200
            } else {
                403
            };
            assert_eq!(status, expected, "{username} on {route}");
        }
    }
    // Nothing changed: the administrator is still active.
    let (status, me) = call!(me::get_me, app, "GET", "/me", [], None, Some(&admin));
    assert_eq!((status, text(&me, "status")), (200, "active"));
    Ok(())
}

async fn an_administrator_creates_disables_and_enables_an_account(
    app: TestApp,
) -> anyhow::Result<()> {
    let admin = seeded_admin(&app).await?;
    let body = json!({"email": "clerk@example.com", "username": "clerk", "password": "long enough",
        "displayName": "Clerk", "userRole": "user", "groups": ["customer", "auction_user"]});
    let (status, created) = call!(
        users::post_users,
        app,
        "POST",
        "/users",
        [],
        Some(&body),
        Some(&admin)
    );
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["groups"], json!(["auction_user", "customer"]));
    let id = text(&created, "id").to_string();
    let clerk = token_with(&app, "clerk", "long enough").await?;

    let unknown_group = json!({"email": "y@example.com", "username": "yolanda", "password": "long enough",
        "displayName": "Y", "groups": ["no-such-group"]});
    let (status, problem) = call!(
        users::post_users,
        app,
        "POST",
        "/users",
        [],
        Some(&unknown_group),
        Some(&admin)
    );
    assert_eq!(
        (status, text(&problem["errors"][0], "field")),
        (422, "groups")
    );

    let (status, listed) = call!(
        users::get_users,
        app,
        "GET",
        "/users",
        [],
        None,
        Some(&admin)
    );
    assert_eq!(status, 200);
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(8));

    let disable = json!({"status": "disabled"});
    let (status, changed) = call!(
        users::patch_users_user,
        app,
        "PATCH",
        "/users/{userId}",
        [("userId", id.as_str())],
        Some(&disable),
        Some(&admin)
    );
    assert_eq!((status, text(&changed, "status")), (200, "disabled"));
    // Refused at once, with a token issued before the change.
    let (status, problem) = call!(me::get_me, app, "GET", "/me", [], None, Some(&clerk));
    assert_eq!((status, text(&problem, "code")), (403, "ACCOUNT_DISABLED"));

    let enable = json!({"status": "active", "userRole": "staff"});
    let (status, changed) = call!(
        users::patch_users_user,
        app,
        "PATCH",
        "/users/{userId}",
        [("userId", id.as_str())],
        Some(&enable),
        Some(&admin)
    );
    assert_eq!((status, text(&changed, "userRole")), (200, "staff"));
    let (status, _) = call!(me::get_me, app, "GET", "/me", [], None, Some(&clerk));
    assert_eq!(status, 200);

    assert_eq!(app.audits(AuditAction::UserCreated).await?.len(), 1);
    let updates = app.audits(AuditAction::UserUpdated).await?;
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[0].target_id.as_deref(), Some(id.as_str()));
    assert_eq!(app.audits(AuditAction::RoleChanged).await?.len(), 1);
    let (status, _) = call!(
        users::get_users_user,
        app,
        "GET",
        "/users/{userId}",
        [("userId", "not-a-user")],
        None,
        Some(&admin)
    );
    assert_eq!(status, 404);
    Ok(())
}

async fn a_role_change_takes_effect_on_the_next_request(app: TestApp) -> anyhow::Result<()> {
    let admin = seeded_admin(&app).await?;
    let bidder = token_of(&app, "auction_user").await?;
    let (_, before) = call!(me::get_me, app, "GET", "/me", [], None, Some(&bidder));
    assert!(
        before["permissions"]
            .as_array()
            .is_some_and(|p| p.contains(&json!("bid:place")))
    );

    let narrower = json!({"description": "Self-registered bidders, read only for now.", "permissions": ["auction:join"]});
    let (status, role) = call!(
        roles::put_roles_role_name,
        app,
        "PUT",
        "/roles/{roleName}",
        [("roleName", "auction_user")],
        Some(&narrower),
        Some(&admin)
    );
    assert_eq!(
        (status, role["permissions"].clone()),
        (200, json!(["auction:join"]))
    );
    let (_, after) = call!(me::get_me, app, "GET", "/me", [], None, Some(&bidder));
    assert!(
        !after["permissions"]
            .as_array()
            .is_some_and(|p| p.contains(&json!("bid:place")))
    );
    let entry = app
        .audits(AuditAction::RoleChanged)
        .await?
        .pop()
        .expect("audited");
    assert_eq!(
        entry.details["removed"],
        json!(["bid:place", "buy_now:place"])
    );

    let unknown = json!({"description": "d", "permissions": ["bid:place", "fly:away"]});
    let (status, problem) = call!(
        roles::put_roles_role_name,
        app,
        "PUT",
        "/roles/{roleName}",
        [("roleName", "auction_user")],
        Some(&unknown),
        Some(&admin)
    );
    assert_eq!(status, 422);
    assert!(text(&problem["errors"][0], "message").contains("fly:away"));
    let locked_out = json!({"description": "d", "permissions": ["user:manage"]});
    let (status, _) = call!(
        roles::put_roles_role_name,
        app,
        "PUT",
        "/roles/{roleName}",
        [("roleName", "admin")],
        Some(&locked_out),
        Some(&admin)
    );
    assert_eq!(status, 422);
    let (status, _) = call!(
        roles::put_roles_role_name,
        app,
        "PUT",
        "/roles/{roleName}",
        [("roleName", "wizard")],
        Some(&narrower),
        Some(&admin)
    );
    assert_eq!(status, 404);

    let (status, listed) = call!(
        roles::get_roles,
        app,
        "GET",
        "/roles",
        [],
        None,
        Some(&admin)
    );
    assert_eq!(
        (status, listed["items"].as_array().map(Vec::len)),
        (200, Some(6))
    );
    let (status, catalog) = call!(
        roles::get_permissions,
        app,
        "GET",
        "/permissions?limit=100",
        [],
        None,
        Some(&admin)
    );
    let seeded: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(
        integration_tests::harness::repo_root().join("seeds/data/permissions.json"),
    )?)?;
    assert_eq!(
        (status, catalog["items"].as_array().map(Vec::len)),
        (200, Some(seeded.len()))
    );
    Ok(())
}

async fn group_changes_take_effect_and_never_grant_admin(app: TestApp) -> anyhow::Result<()> {
    let admin = seeded_admin(&app).await?;
    let buyer = token_of(&app, "richie").await?;
    let grant = json!({"roles": ["customer", "auction_artist"]});
    let (status, _) = call!(
        groups::put_groups_group_name,
        app,
        "PUT",
        "/groups/{groupName}",
        [("groupName", "customer")],
        Some(&grant),
        Some(&admin)
    );
    assert_eq!(status, 200);
    let (_, me) = call!(me::get_me, app, "GET", "/me", [], None, Some(&buyer));
    assert!(
        me["permissions"]
            .as_array()
            .is_some_and(|p| p.contains(&json!("auction:create")))
    );

    let escalate = json!({"roles": ["admin"]});
    let (status, _) = call!(
        groups::put_groups_group_name,
        app,
        "PUT",
        "/groups/{groupName}",
        [("groupName", "customer")],
        Some(&escalate),
        Some(&admin)
    );
    assert_eq!(status, 422);
    let (status, created) = call!(
        groups::put_groups_group_name,
        app,
        "PUT",
        "/groups/{groupName}",
        [("groupName", "volunteers")],
        Some(&json!({"roles": ["staff"]})),
        Some(&admin)
    );
    assert_eq!((status, text(&created, "name")), (200, "volunteers"));
    let (_, listed) = call!(
        groups::get_groups,
        app,
        "GET",
        "/groups",
        [],
        None,
        Some(&admin)
    );
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(7));
    Ok(())
}

async fn an_administrator_cannot_lock_themselves_out(app: TestApp) -> anyhow::Result<()> {
    let admin = seeded_admin(&app).await?;
    let (_, me) = call!(me::get_me, app, "GET", "/me", [], None, Some(&admin));
    let id = text(&me, "id").to_string();
    for change in [json!({"status": "disabled"}), json!({"userRole": "staff"})] {
        let (status, _) = call!(
            users::patch_users_user,
            app,
            "PATCH",
            "/users/{userId}",
            [("userId", id.as_str())],
            Some(&change),
            Some(&admin)
        );
        assert_eq!(status, 422, "{change}");
    }
    let (status, me) = call!(me::get_me, app, "GET", "/me", [], None, Some(&admin));
    assert_eq!((status, text(&me, "userRole")), (200, "admin"));
    let (status, problem) = call!(
        purge::delete_me,
        app,
        "DELETE",
        "/me",
        [],
        Some(&json!({"password": seeds::DEFAULT_PASSWORD})),
        Some(&admin)
    );
    assert_eq!(
        (status, text(&problem, "code")),
        (409, "ADMINISTRATOR_SELF_PURGE")
    );
    Ok(())
}

async fn the_export_holds_the_profile_and_sessions_without_secrets(
    app: TestApp,
) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let token = token_of(&app, "richie").await?;
    token_of(&app, "richie").await?;
    let (status, export) = call!(
        export::get_me_export,
        app,
        "GET",
        "/me/export",
        [],
        None,
        Some(&token)
    );
    assert_eq!(status, 200);
    assert_eq!(export["profile"]["username"], "richie");
    assert_eq!(export["sessions"].as_array().map(Vec::len), Some(2));
    let text = export.to_string();
    for secret in ["tokenHash", "passwordHash", "argon2"] {
        assert!(!text.contains(secret), "the export shows {secret}");
    }
    for part in ["memberships", "bids", "totals", "notifications"] {
        assert!(export[part].is_array(), "{part}");
    }
    Ok(())
}

async fn a_purged_account_cannot_sign_in_and_frees_its_email(app: TestApp) -> anyhow::Result<()> {
    let admin = seeded_admin(&app).await?;
    let body = json!({"email": "gone@example.com", "username": "gone", "password": "long enough", "displayName": "Gone Soon"});
    let (_, registered) = register_with(&app, &body).await?;
    let token = text(&registered, "accessToken").to_string();
    let id = text(&registered["user"], "id").to_string();

    let (status, _) = call!(
        purge::delete_me,
        app,
        "DELETE",
        "/me",
        [],
        Some(&json!({"password": "long enough"})),
        Some(&token)
    );
    assert_eq!(status, 204);
    let (status, _) = call!(me::get_me, app, "GET", "/me", [], None, Some(&token));
    assert_eq!(status, 401);
    let credentials = json!({"login": "gone@example.com", "password": "long enough"});
    let (status, _) = log_in_with(&app, &credentials).await?;
    assert_eq!(status, 401);

    let (_, record) = call!(
        users::get_users_user,
        app,
        "GET",
        "/users/{userId}",
        [("userId", id.as_str())],
        None,
        Some(&admin)
    );
    assert_eq!(record["status"], "purged");
    assert_eq!(record["displayName"], "Former user");
    assert!(!record.to_string().contains("gone@example.com"));
    let purges = app.audits(AuditAction::PiiPurged).await?;
    assert_eq!(purges.len(), 1);
    assert_eq!(purges[0].target_id.as_deref(), Some(id.as_str()));

    let (status, _) = register_with(&app, &body).await?;
    assert_eq!(status, 201, "the email and username are free again");

    let (_, again) = log_in_with(&app, &credentials).await?;
    let new_id = text(&again["user"], "id").to_string();
    let (status, _) = call!(
        users::delete_users_user,
        app,
        "DELETE",
        "/users/{userId}",
        [("userId", new_id.as_str())],
        None,
        Some(&admin)
    );
    assert_eq!(status, 204);
    assert_eq!(app.audits(AuditAction::PiiPurged).await?.len(), 2);
    Ok(())
}
