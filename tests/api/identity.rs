//! Accounts, logins, sessions and tokens, through the real handlers with API Gateway events.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::TimeDelta;
use functions::identity::{login, logout, me, my_sessions, password, register};
use integration_tests::harness::{
    TestApp, api_request, body_json, log_in_with, refresh_with, register_with, sign_in, text,
};
use integration_tests::{app_trials, call};
use libtest_mimic::Trial;
use serde_json::{Value, json};
use shared::config::AuthConfig;
use shared::domain::{Clock, SessionId, UserId};
use shared::http::ApiError;
use shared::identity::{AccessTokens, UserRecord};
use shared::store::{Update, s};

pub fn trials() -> Vec<Trial> {
    app_trials![
        an_account_lives_through_register_login_refresh_and_logout,
        concurrent_registrations_of_one_email_let_exactly_one_win,
        emails_and_usernames_are_unique_whatever_their_case,
        registration_lists_every_invalid_field,
        privileged_fields_are_refused_on_register_and_profile_update,
        unknown_login_and_wrong_password_get_the_same_answer,
        five_failures_lock_logins_until_the_window_passes,
        a_reused_refresh_token_revokes_its_session,
        a_refused_refresh_token_is_named_in_the_answer,
        token_attacks_are_refused,
        the_bearer_scheme_is_case_insensitive,
        bearer_refusals_challenge_and_an_expired_token_says_so,
        a_disabled_account_is_refused_at_once,
        the_profile_can_be_updated_and_cleared,
        a_seeded_user_logs_in_and_sees_their_permissions,
        a_password_change_ends_the_other_sessions_only,
        sessions_are_listed_with_the_current_one_and_can_be_ended,
    ]
}

fn registration(email: &str, username: &str) -> Value {
    json!({"email": email, "username": username, "password": "correct horse", "displayName": "Ada"})
}

async fn register_ada(app: &TestApp) -> anyhow::Result<Value> {
    // The seeded role map gives the account its permissions (profile:update:own, ...).
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let (status, body) = register_with(app, &registration("ada@example.com", "ada")).await?;
    anyhow::ensure!(status == 201, "register answered {status}: {body}");
    Ok(body)
}

/// `POST /auth/logout` with `body`.
async fn log_out_with(app: &TestApp, body: &Value) -> anyhow::Result<(u16, Value)> {
    Ok(call!(
        logout::post_auth_logout,
        app,
        "POST",
        "/auth/logout",
        Some(body),
        None
    ))
}

async fn an_account_lives_through_register_login_refresh_and_logout(
    app: TestApp,
) -> anyhow::Result<()> {
    let registered = register_ada(&app).await?;
    assert_eq!(registered["user"]["userRole"], "user");
    assert_eq!(registered["user"]["groups"], json!(["auction_user"]));
    assert_eq!(registered["expiresIn"], 900);
    assert!(registered["user"].get("passwordHash").is_none());

    let (status, me) = call!(
        me::get_me,
        app,
        "GET",
        "/me",
        None,
        Some(text(&registered, "accessToken"))
    );
    assert_eq!(status, 200);
    assert_eq!(me["email"], "ada@example.com");

    for login_name in ["ada", "ADA@example.com"] {
        let body = json!({"login": login_name, "password": "correct horse"});
        let (status, signed_in) = log_in_with(&app, &body).await?;
        assert_eq!(status, 200, "{login_name}: {signed_in}");
        assert_eq!(signed_in["user"]["username"], "ada");
    }

    let first = json!({"refreshToken": text(&registered, "refreshToken")});
    let (status, rotated) = refresh_with(&app, &first).await?;
    assert_eq!(status, 200);
    assert_ne!(rotated["refreshToken"], registered["refreshToken"]);
    let (status, _) = call!(
        me::get_me,
        app,
        "GET",
        "/me",
        None,
        Some(text(&rotated, "accessToken"))
    );
    assert_eq!(status, 200);

    let current = json!({"refreshToken": text(&rotated, "refreshToken")});
    let (status, _) = log_out_with(&app, &current).await?;
    assert_eq!(status, 204);
    let (status, _) = call!(
        me::get_me,
        app,
        "GET",
        "/me",
        None,
        Some(text(&rotated, "accessToken"))
    );
    assert_eq!(status, 401, "the session's access token died with it");
    let (status, body) = refresh_with(&app, &current).await?;
    assert_eq!((status, text(&body, "code")), (401, "UNAUTHENTICATED"));
    Ok(())
}

async fn concurrent_registrations_of_one_email_let_exactly_one_win(
    app: TestApp,
) -> anyhow::Result<()> {
    let attempt = |username: &'static str| {
        let app = app.clone();
        async move {
            let body = registration("twin@example.com", username);
            let (status, body) = register_with(&app, &body).await?;
            anyhow::Ok((status, body))
        }
    };
    let (a, b) = tokio::join!(attempt("twin-one"), attempt("twin-two"));
    let mut outcomes = [a?, b?];
    outcomes.sort_by_key(|(status, _)| *status);
    assert_eq!(outcomes[0].0, 201);
    assert_eq!(
        (outcomes[1].0, text(&outcomes[1].1, "code")),
        (409, "EMAIL_TAKEN")
    );
    Ok(())
}

async fn emails_and_usernames_are_unique_whatever_their_case(app: TestApp) -> anyhow::Result<()> {
    register_ada(&app).await?;
    let same_email = registration("  ADA@Example.com ", "someone-else");
    let (status, body) = register_with(&app, &same_email).await?;
    assert_eq!((status, text(&body, "code")), (409, "EMAIL_TAKEN"));
    let same_username = registration("other@example.com", "Ada");
    let (status, body) = register_with(&app, &same_username).await?;
    assert_eq!((status, text(&body, "code")), (409, "USERNAME_TAKEN"));
    Ok(())
}

async fn registration_lists_every_invalid_field(app: TestApp) -> anyhow::Result<()> {
    let body =
        json!({"email": "not-an-email", "username": "9x", "password": "short", "displayName": " "});
    let (status, problem) = register_with(&app, &body).await?;
    assert_eq!((status, text(&problem, "code")), (422, "VALIDATION_FAILED"));
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| text(e, "field"))
        .collect();
    assert_eq!(fields, ["email", "username", "displayName", "password"]);
    let username_error = &problem["errors"][1]["message"];
    assert!(
        username_error
            .as_str()
            .is_some_and(|m| m.contains("3 to 30 characters")),
        "{username_error}"
    );

    let (status, problem) = call!(
        register::post_auth_register,
        app,
        "POST",
        "/auth/register",
        None,
        None
    );
    assert_eq!((status, text(&problem, "code")), (400, "MALFORMED_REQUEST"));
    Ok(())
}

async fn privileged_fields_are_refused_on_register_and_profile_update(
    app: TestApp,
) -> anyhow::Result<()> {
    for field in ["userRole", "status", "permissions", "groups"] {
        let mut body = registration("eve@example.com", "eve");
        body[field] = json!("admin");
        let (status, problem) = register_with(&app, &body).await?;
        assert_eq!((status, text(&problem["errors"][0], "field")), (422, field));
    }
    let registered = register_ada(&app).await?;
    let token = text(&registered, "accessToken");
    for field in ["userRole", "status", "permissions", "email"] {
        let body = json!({ field: "admin" });
        let (status, problem) = call!(me::patch_me, app, "PATCH", "/me", Some(&body), Some(token));
        assert_eq!((status, text(&problem["errors"][0], "field")), (422, field));
    }
    let (_, me) = call!(me::get_me, app, "GET", "/me", None, Some(token));
    assert_eq!(
        (me["userRole"].as_str(), me["status"].as_str()),
        (Some("user"), Some("active"))
    );
    Ok(())
}

async fn unknown_login_and_wrong_password_get_the_same_answer(app: TestApp) -> anyhow::Result<()> {
    register_ada(&app).await?;
    let wrong = json!({"login": "ada", "password": "wrong horse"});
    let unknown = json!({"login": "nobody", "password": "wrong horse"});
    let (status_a, body_a) = log_in_with(&app, &wrong).await?;
    let (status_b, body_b) = log_in_with(&app, &unknown).await?;
    assert_eq!(
        (status_a, text(&body_a, "code")),
        (401, "INVALID_CREDENTIALS")
    );
    assert_eq!((status_a, &body_a), (status_b, &body_b));
    Ok(())
}

async fn five_failures_lock_logins_until_the_window_passes(app: TestApp) -> anyhow::Result<()> {
    register_ada(&app).await?;
    let wrong = json!({"login": "ada", "password": "wrong horse"});
    let right = json!({"login": "ada", "password": "correct horse"});
    for attempt in 1..=5 {
        let (status, _) = log_in_with(&app, &wrong).await?;
        assert_eq!(status, 401, "attempt {attempt}");
    }
    let request = api_request("POST", "/auth/login", &[], Some(&right), None)?;
    let response = login::post_auth_login(&app.state, request)
        .await
        .unwrap_or_else(ApiError::into_response);
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "900");
    assert_eq!(body_json(&response)?["code"], "TOO_MANY_ATTEMPTS");

    app.clock.advance(TimeDelta::seconds(899));
    let (status, _) = log_in_with(&app, &right).await?;
    assert_eq!(status, 429);
    app.clock.advance(TimeDelta::seconds(2));
    let (status, _) = log_in_with(&app, &right).await?;
    assert_eq!(status, 200);
    // The count starts over after a success.
    let (status, _) = log_in_with(&app, &wrong).await?;
    assert_eq!(status, 401);
    let (status, _) = log_in_with(&app, &right).await?;
    assert_eq!(status, 200);
    Ok(())
}

async fn a_reused_refresh_token_revokes_its_session(app: TestApp) -> anyhow::Result<()> {
    let registered = register_ada(&app).await?;
    let original = json!({"refreshToken": text(&registered, "refreshToken")});
    let (status, rotated) = refresh_with(&app, &original).await?;
    assert_eq!(status, 200);

    // The old token again: refused, and the thief's (or owner's) newer token dies with it.
    let (status, _) = refresh_with(&app, &original).await?;
    assert_eq!(status, 401);
    let newer = json!({"refreshToken": text(&rotated, "refreshToken")});
    let (status, _) = refresh_with(&app, &newer).await?;
    assert_eq!(status, 401);

    let garbage = json!({"refreshToken": "not-a-token"});
    let (status, _) = refresh_with(&app, &garbage).await?;
    assert_eq!(status, 401);
    Ok(())
}

async fn a_refused_refresh_token_is_named_in_the_answer(app: TestApp) -> anyhow::Result<()> {
    let registered = register_ada(&app).await?;
    let current = json!({"refreshToken": text(&registered, "refreshToken")});
    let (status, _) = log_out_with(&app, &current).await?;
    assert_eq!(status, 204);
    let (status, _) = log_out_with(&app, &json!({"refreshToken": "not-a-token"})).await?;
    assert_eq!(status, 204, "logout reveals nothing about the token");
    for presented in [current, json!({"refreshToken": "not-a-token"})] {
        let (status, problem) = refresh_with(&app, &presented).await?;
        assert_eq!(
            (status, text(&problem, "code")),
            (401, "UNAUTHENTICATED"),
            "{problem}"
        );
        assert_eq!(
            text(&problem, "detail"),
            "The refresh token is invalid, expired or revoked; sign in again.",
            "not a word about access tokens: {problem}"
        );
    }
    Ok(())
}

async fn token_attacks_are_refused(app: TestApp) -> anyhow::Result<()> {
    let registered = register_ada(&app).await?;
    let token = text(&registered, "accessToken").to_string();
    let user_id = text(&registered["user"], "id").to_string();
    let mut attacks: Vec<(&str, String)> = Vec::new();

    // Signed by us, but for another audience, or by another issuer.
    let auth = &app.state.config.auth;
    for (what, other) in [
        (
            "wrong aud",
            AuthConfig {
                audience: "someone-else".into(),
                ..auth.clone()
            },
        ),
        (
            "wrong iss",
            AuthConfig {
                issuer: "someone-else".into(),
                ..auth.clone()
            },
        ),
    ] {
        let (forged, _) = AccessTokens::from_config(&other)?.issue(
            UserId::parse(&user_id)?,
            SessionId::new(),
            app.clock.now(),
        )?;
        attacks.push((what, forged));
    }
    // The payload edited (another user), signature kept.
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1])?)?;
    claims["sub"] = json!(UserId::new().to_string());
    let edited = URL_SAFE_NO_PAD.encode(claims.to_string());
    attacks.push((
        "tampered payload",
        format!("{}.{edited}.{}", parts[0], parts[2]),
    ));
    // No signature at all.
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    attacks.push(("alg none", format!("{none_header}.{}.", parts[1])));
    // HS256 with the public key as the HMAC secret (algorithm confusion).
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims_of(&token)?,
        &jsonwebtoken::EncodingKey::from_secret(auth.public_key_pem.as_bytes()),
    )?;
    attacks.push(("HS256 with the public key", hs256));
    attacks.push(("garbage", "a.b.c".into()));

    for (what, forged) in &attacks {
        let (status, body) = call!(me::get_me, app, "GET", "/me", None, Some(forged));
        assert_eq!(
            (status, text(&body, "code")),
            (401, "UNAUTHENTICATED"),
            "{what}"
        );
    }
    let (status, _) = call!(me::get_me, app, "GET", "/me", None, None);
    assert_eq!(status, 401, "no token");

    app.clock.advance(TimeDelta::minutes(15));
    let (status, _) = call!(me::get_me, app, "GET", "/me", None, Some(&token));
    assert_eq!(status, 401, "expired");
    Ok(())
}

/// `GET /me` with `authorization` as the whole `Authorization` header (none for `None`):
/// the status, the `WWW-Authenticate` header (`""` when absent) and the body.
async fn me_with_header(
    app: &TestApp,
    authorization: Option<&str>,
) -> anyhow::Result<(u16, String, Value)> {
    let mut request = api_request("GET", "/me", &[], None, None)?;
    if let Some(value) = authorization {
        request
            .headers_mut()
            .insert("authorization", value.parse()?);
    }
    let response = me::get_me(&app.state, request)
        .await
        .unwrap_or_else(ApiError::into_response);
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|value| value.to_str().map(str::to_string))
        .transpose()?
        .unwrap_or_default();
    Ok((response.status().as_u16(), challenge, body_json(&response)?))
}

async fn the_bearer_scheme_is_case_insensitive(app: TestApp) -> anyhow::Result<()> {
    let registered = register_ada(&app).await?;
    let token = text(&registered, "accessToken");
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let (status, _, body) = me_with_header(&app, Some(&format!("{scheme} {token}"))).await?;
        assert_eq!(status, 200, "{scheme}: {body}");
        assert_eq!(text(&body, "username"), "ada", "{scheme}");
    }
    for header in [
        format!("Basic {token}"),
        format!("Bearer{token}"),
        token.to_string(),
    ] {
        let (status, _, body) = me_with_header(&app, Some(&header)).await?;
        assert_eq!(
            (status, text(&body, "code")),
            (401, "UNAUTHENTICATED"),
            "{header}"
        );
    }
    Ok(())
}

async fn bearer_refusals_challenge_and_an_expired_token_says_so(
    app: TestApp,
) -> anyhow::Result<()> {
    let registered = register_ada(&app).await?;
    let token = text(&registered, "accessToken").to_string();
    let invalid = "A valid access token is required.";
    for (what, header) in [("no token", None), ("garbage", Some("Bearer a.b.c"))] {
        let (status, challenge, body) = me_with_header(&app, header).await?;
        assert_eq!(status, 401, "{what}");
        assert_eq!(challenge, "Bearer", "{what}");
        assert_eq!(
            (text(&body, "code"), text(&body, "detail")),
            ("UNAUTHENTICATED", invalid),
            "{what}"
        );
    }

    app.clock.advance(TimeDelta::minutes(15));
    let (status, challenge, body) = me_with_header(&app, Some(&format!("Bearer {token}"))).await?;
    assert_eq!((status, text(&body, "code")), (401, "UNAUTHENTICATED"));
    assert!(
        challenge.starts_with(r#"Bearer error="invalid_token""#),
        "{challenge}"
    );
    assert_eq!(
        text(&body, "detail"),
        "The access token has expired; refresh it with POST /auth/refresh."
    );
    // A refused refresh token is about the body, not a bearer token: no challenge, and its
    // own detail.
    let request = api_request(
        "POST",
        "/auth/refresh",
        &[],
        Some(&json!({"refreshToken": "not-a-token"})),
        None,
    )?;
    let response = functions::identity::refresh::post_auth_refresh(&app.state, request)
        .await
        .unwrap_or_else(ApiError::into_response);
    assert_eq!(response.status(), 401);
    assert!(response.headers().get("www-authenticate").is_none());
    Ok(())
}

fn claims_of(token: &str) -> anyhow::Result<Value> {
    let payload = token.split('.').nth(1).unwrap_or_default();
    Ok(serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload)?)?)
}

async fn a_disabled_account_is_refused_at_once(app: TestApp) -> anyhow::Result<()> {
    let registered = register_ada(&app).await?;
    let token = text(&registered, "accessToken");
    let user_id = text(&registered["user"], "id");
    let set_status = |status: &str| {
        Update::new("SET #status = :status")
            .name("#status", "status")
            .value(":status", s(status))
    };

    app.store
        .update::<UserRecord>(user_id, set_status("disabled"))
        .await?;
    let (status, body) = call!(me::get_me, app, "GET", "/me", None, Some(token));
    assert_eq!((status, text(&body, "code")), (403, "ACCOUNT_DISABLED"));
    let right = json!({"login": "ada", "password": "correct horse"});
    let (status, body) = log_in_with(&app, &right).await?;
    assert_eq!((status, text(&body, "code")), (403, "ACCOUNT_DISABLED"));
    let refresh_body = json!({"refreshToken": text(&registered, "refreshToken")});
    let (status, _) = refresh_with(&app, &refresh_body).await?;
    assert_eq!(status, 403);

    app.store
        .update::<UserRecord>(user_id, set_status("purged"))
        .await?;
    let (status, _) = call!(me::get_me, app, "GET", "/me", None, Some(token));
    assert_eq!(status, 401);
    Ok(())
}

async fn the_profile_can_be_updated_and_cleared(app: TestApp) -> anyhow::Result<()> {
    let registered = register_ada(&app).await?;
    let token = text(&registered, "accessToken");
    let changes = json!({
        "displayName": "Ada L.",
        "givenName": "Ada",
        "picture": "https://images.example.com/ada.jpg",
        "timeZone": "Europe/London",
        "phone": "+44 20 7946 0000",
        "notificationPreferences": {"outbid": true, "won": true, "auctionUpdates": false, "email": false}
    });
    let (status, me) = call!(
        me::patch_me,
        app,
        "PATCH",
        "/me",
        Some(&changes),
        Some(token)
    );
    assert_eq!(status, 200, "{me}");
    assert_eq!(
        (text(&me, "displayName"), text(&me, "timeZone")),
        ("Ada L.", "Europe/London")
    );
    assert_eq!(me["notificationPreferences"]["auctionUpdates"], false);

    let (status, me) = call!(
        me::patch_me,
        app,
        "PATCH",
        "/me",
        Some(&json!({"givenName": null})),
        Some(token)
    );
    assert_eq!(status, 200);
    assert_eq!(me["givenName"], Value::Null);
    assert_eq!(me["picture"], "https://images.example.com/ada.jpg");

    let bad = json!({"timeZone": "Mars/Olympus", "picture": "http://insecure.example.com/a.jpg", "displayName": null});
    let (status, problem) = call!(me::patch_me, app, "PATCH", "/me", Some(&bad), Some(token));
    assert_eq!(status, 422, "{problem}");
    Ok(())
}

async fn a_seeded_user_logs_in_and_sees_their_permissions(app: TestApp) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let body = json!({"login": "cinos", "password": seeds::DEFAULT_PASSWORD});
    let (status, signed_in) = log_in_with(&app, &body).await?;
    assert_eq!(status, 200, "{signed_in}");
    let (status, me) = call!(
        me::get_me,
        app,
        "GET",
        "/me",
        None,
        Some(text(&signed_in, "accessToken"))
    );
    assert_eq!(status, 200);
    let permissions: Vec<&str> = me["permissions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for expected in [
        "auction:create",
        "item:create:own",
        "bid:place",
        "profile:read:own",
    ] {
        assert!(
            permissions.contains(&expected),
            "{expected} missing from {permissions:?}"
        );
    }
    assert!(!permissions.contains(&"user:manage"));
    assert_eq!(me["roles"], json!(["user", "auction_artist"]));
    Ok(())
}

async fn a_password_change_ends_the_other_sessions_only(app: TestApp) -> anyhow::Result<()> {
    let here = register_ada(&app).await?;
    let elsewhere = sign_in(&app, "ada", "correct horse").await?;
    let token = text(&here, "accessToken");

    let wrong = json!({"currentPassword": "wrong horse", "newPassword": "battery staple"});
    let (status, problem) = call!(
        password::post_me_password,
        app,
        "POST",
        "/me/password",
        Some(&wrong),
        Some(token)
    );
    assert_eq!(
        (status, text(&problem["errors"][0], "field")),
        (422, "currentPassword")
    );
    let short = json!({"currentPassword": "correct horse", "newPassword": "short"});
    let (status, problem) = call!(
        password::post_me_password,
        app,
        "POST",
        "/me/password",
        Some(&short),
        Some(token)
    );
    assert_eq!(
        (status, text(&problem["errors"][0], "field")),
        (422, "newPassword")
    );

    let change = json!({"currentPassword": "correct horse", "newPassword": "battery staple"});
    let (status, _) = call!(
        password::post_me_password,
        app,
        "POST",
        "/me/password",
        Some(&change),
        Some(token)
    );
    assert_eq!(status, 204);

    let elsewhere_refresh = json!({"refreshToken": text(&elsewhere, "refreshToken")});
    let (status, _) = refresh_with(&app, &elsewhere_refresh).await?;
    assert_eq!(status, 401, "the other session is over");
    let here_refresh = json!({"refreshToken": text(&here, "refreshToken")});
    let (status, _) = refresh_with(&app, &here_refresh).await?;
    assert_eq!(status, 200, "this session goes on");

    let (status, _) = call!(
        me::get_me,
        app,
        "GET",
        "/me",
        None,
        Some(text(&elsewhere, "accessToken"))
    );
    assert_eq!(
        status, 401,
        "the other session's access token stops at once"
    );
    let (status, _) = call!(me::get_me, app, "GET", "/me", None, Some(token));
    assert_eq!(status, 200, "this session's access token goes on");

    let old = json!({"login": "ada", "password": "correct horse"});
    let (status, _) = log_in_with(&app, &old).await?;
    assert_eq!(status, 401);
    sign_in(&app, "ada", "battery staple").await?;
    Ok(())
}

async fn sessions_are_listed_with_the_current_one_and_can_be_ended(
    app: TestApp,
) -> anyhow::Result<()> {
    let here = register_ada(&app).await?;
    let elsewhere = sign_in(&app, "ada", "correct horse").await?;
    let token = text(&here, "accessToken");

    let (status, list) = call!(
        my_sessions::get_me_sessions,
        app,
        "GET",
        "/me/sessions",
        None,
        Some(token)
    );
    assert_eq!(status, 200);
    let items = list["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 2);
    let current: Vec<&Value> = items.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["userAgent"], "integration-tests");
    assert_eq!(current[0]["sourceIp"], "203.0.113.7");
    let other_id = items
        .iter()
        .find(|s| s["current"] == false)
        .map(|s| text(s, "id").to_string())
        .unwrap_or_default();

    // Another account's session is invisible: 404, as for an id that does not exist.
    let mallory = register_with(&app, &registration("mallory@example.com", "mallory"))
        .await?
        .1;
    let (status, _) = call!(
        my_sessions::delete_me_sessions_session,
        app,
        "DELETE",
        "/me/sessions/{sessionId}",
        [("sessionId", other_id.as_str())],
        None,
        Some(text(&mallory, "accessToken"))
    );
    assert_eq!(status, 404);
    let (status, _) = call!(
        my_sessions::delete_me_sessions_session,
        app,
        "DELETE",
        "/me/sessions/{sessionId}",
        [("sessionId", "not-a-session")],
        None,
        Some(token)
    );
    assert_eq!(status, 404);

    let (status, _) = call!(
        my_sessions::delete_me_sessions_session,
        app,
        "DELETE",
        "/me/sessions/{sessionId}",
        [("sessionId", other_id.as_str())],
        None,
        Some(token)
    );
    assert_eq!(status, 204);
    let (status, _) = call!(
        me::get_me,
        app,
        "GET",
        "/me",
        None,
        Some(text(&elsewhere, "accessToken"))
    );
    assert_eq!(status, 401, "an ended session's access token stops at once");
    let elsewhere_refresh = json!({"refreshToken": text(&elsewhere, "refreshToken")});
    let (status, _) = refresh_with(&app, &elsewhere_refresh).await?;
    assert_eq!(status, 401);
    let (_, list) = call!(
        my_sessions::get_me_sessions,
        app,
        "GET",
        "/me/sessions",
        None,
        Some(token)
    );
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    Ok(())
}
