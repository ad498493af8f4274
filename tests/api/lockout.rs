//! Password guessing: every check of a password is counted before the hash is verified, an
//! unknown login is counted like a known one, a lock answers every attempt alike, and the
//! sessions an account already holds keep working through a lock on its logins.

use chrono::TimeDelta;
use functions::identity::{password, purge};
use integration_tests::harness::{TestApp, log_in_with, refresh_with, register_with, text};
use integration_tests::{app_trials, call};
use libtest_mimic::Trial;
use serde_json::{Value, json};

pub fn trials() -> Vec<Trial> {
    app_trials![
        thirty_parallel_wrong_logins_get_five_verifications_then_the_lock,
        an_unknown_login_locks_exactly_like_a_known_one,
        a_lock_on_logins_leaves_the_accounts_sessions_working,
        logins_that_cannot_name_an_account_are_refused_before_the_store,
        the_current_password_is_counted_when_changing_it,
        purging_an_account_needs_its_password,
    ]
}

const PASSWORD: &str = "correct horse";

/// Registers `username` (password [`PASSWORD`]) and answers its tokens.
async fn register(app: &TestApp, username: &str) -> anyhow::Result<Value> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let body = json!({
        "email": format!("{username}@example.com"), "username": username,
        "password": PASSWORD, "displayName": username,
    });
    let (status, registered) = register_with(app, &body).await?;
    anyhow::ensure!(status == 201, "register answered {status}: {registered}");
    Ok(registered)
}

async fn login_as(app: &TestApp, login: &str, password: &str) -> anyhow::Result<(u16, Value)> {
    let body = json!({"login": login, "password": password});
    log_in_with(app, &body).await
}

async fn thirty_parallel_wrong_logins_get_five_verifications_then_the_lock(
    app: TestApp,
) -> anyhow::Result<()> {
    register(&app, "ada").await?;
    let guesses = (0..30).map(|i| {
        let app = app.clone();
        async move { login_as(&app, "ada", &format!("guess number {i}")).await }
    });
    let answers = futures_join_all(guesses).await?;
    let verified = answers.iter().filter(|(status, _)| *status == 401).count();
    let locked = answers
        .iter()
        .filter(|(status, body)| *status == 429 && text(body, "code") == "TOO_MANY_ATTEMPTS")
        .count();
    assert_eq!(
        (verified, locked),
        (5, 25),
        "five guesses are verified, the others refused unverified: {answers:?}"
    );

    let (status, body) = login_as(&app, "ada", PASSWORD).await?;
    assert_eq!(
        (status, text(&body, "code")),
        (429, "TOO_MANY_ATTEMPTS"),
        "the right password is refused like any other during the lock"
    );
    let (_, wrong) = login_as(&app, "ada", "still guessing").await?;
    assert_eq!(
        body, wrong,
        "a lock answers right and wrong passwords alike"
    );
    app.clock.advance(TimeDelta::seconds(901));
    let (status, _) = login_as(&app, "ada", PASSWORD).await?;
    assert_eq!(status, 200, "the lock ends after its window");
    Ok(())
}

/// Runs the futures side by side and collects their answers in order.
async fn futures_join_all<F, T>(futures: impl Iterator<Item = F>) -> anyhow::Result<Vec<T>>
where
    F: std::future::Future<Output = anyhow::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let tasks: Vec<_> = futures.map(tokio::spawn).collect();
    let mut answers = Vec::with_capacity(tasks.len());
    for task in tasks {
        answers.push(task.await??);
    }
    Ok(answers)
}

async fn an_unknown_login_locks_exactly_like_a_known_one(app: TestApp) -> anyhow::Result<()> {
    register(&app, "ada").await?;
    for login in ["ada", "nobody", "ada@example.com", "nobody@example.com"] {
        for attempt in 1..=5 {
            let (status, body) = login_as(&app, login, "wrong horse").await?;
            assert_eq!(
                (status, text(&body, "code")),
                (401, "INVALID_CREDENTIALS"),
                "{login}, attempt {attempt}"
            );
        }
    }
    let (known_status, known) = login_as(&app, "ada", "wrong horse").await?;
    let (unknown_status, unknown) = login_as(&app, "nobody", "wrong horse").await?;
    assert_eq!(
        (known_status, text(&known, "code")),
        (429, "TOO_MANY_ATTEMPTS")
    );
    assert_eq!(
        (known_status, &known),
        (unknown_status, &unknown),
        "five tries tell nothing about whether an account exists"
    );
    Ok(())
}

async fn a_lock_on_logins_leaves_the_accounts_sessions_working(app: TestApp) -> anyhow::Result<()> {
    let registered = register(&app, "ada").await?;
    for _ in 0..6 {
        login_as(&app, "ada", "someone else guessing").await?;
    }
    let (status, _) = login_as(&app, "ada", PASSWORD).await?;
    assert_eq!(status, 429, "logins are locked");

    let presented = json!({"refreshToken": text(&registered, "refreshToken")});
    let (status, refreshed) = refresh_with(&app, &presented).await?;
    assert_eq!(
        status, 200,
        "a session the account holds goes on: {refreshed}"
    );
    let change = json!({"currentPassword": PASSWORD, "newPassword": "a brand new horse"});
    let (status, body) = call!(
        password::post_me_password,
        app,
        "POST",
        "/me/password",
        Some(&change),
        Some(text(&refreshed, "accessToken"))
    );
    assert_eq!(
        status, 204,
        "the owner changes the password from a session: {body}"
    );
    Ok(())
}

async fn logins_that_cannot_name_an_account_are_refused_before_the_store(
    app: TestApp,
) -> anyhow::Result<()> {
    register(&app, "ada").await?;
    let long = "a".repeat(3000);
    let long_email = format!("{}@example.com", "a".repeat(3000));
    for (login, password, fields) in [
        ("", PASSWORD, vec!["login"]),
        ("   ", PASSWORD, vec!["login"]),
        (long.as_str(), PASSWORD, vec!["login"]),
        (long_email.as_str(), PASSWORD, vec!["login"]),
        ("no spaces allowed", PASSWORD, vec!["login"]),
        ("ada", "", vec!["password"]),
        ("", "", vec!["login", "password"]),
    ] {
        let (status, body) = login_as(&app, login, password).await?;
        let named: Vec<&str> = body["errors"]
            .as_array()
            .map(|errors| errors.iter().map(|e| text(e, "field")).collect())
            .unwrap_or_default();
        assert_eq!(
            (status, text(&body, "code"), named),
            (422, "VALIDATION_FAILED", fields),
            "login {:?}, password {password:?}: {body}",
            login.get(..20).unwrap_or(login)
        );
    }
    let (status, _) = login_as(&app, " ADA ", PASSWORD).await?;
    assert_eq!(status, 200, "case and surrounding spaces do not matter");
    Ok(())
}

async fn the_current_password_is_counted_when_changing_it(app: TestApp) -> anyhow::Result<()> {
    let registered = register(&app, "ada").await?;
    let token = text(&registered, "accessToken").to_string();
    let change =
        |current: &str| json!({"currentPassword": current, "newPassword": "a brand new horse"});
    for attempt in 1..=5 {
        let (status, body) = call!(
            password::post_me_password,
            app,
            "POST",
            "/me/password",
            Some(&change("a guess")),
            Some(&token)
        );
        assert_eq!(
            (status, body["errors"][0]["field"].as_str()),
            (422, Some("currentPassword")),
            "attempt {attempt}: {body}"
        );
    }
    let (status, body) = call!(
        password::post_me_password,
        app,
        "POST",
        "/me/password",
        Some(&change(PASSWORD)),
        Some(&token)
    );
    assert_eq!(
        (status, text(&body, "code")),
        (429, "TOO_MANY_ATTEMPTS"),
        "after five wrong answers even the right one waits"
    );
    let (status, _) = login_as(&app, "ada", PASSWORD).await?;
    assert_eq!(status, 200, "the account's logins are counted apart");
    Ok(())
}

async fn purging_an_account_needs_its_password(app: TestApp) -> anyhow::Result<()> {
    let registered = register(&app, "ada").await?;
    let token = text(&registered, "accessToken").to_string();
    let (status, body) = call!(purge::delete_me, app, "DELETE", "/me", None, Some(&token));
    assert_eq!(
        (status, text(&body, "code")),
        (400, "MALFORMED_REQUEST"),
        "a borrowed access token alone purges nothing"
    );
    for _ in 1..=5 {
        let (status, _) = call!(
            purge::delete_me,
            app,
            "DELETE",
            "/me",
            Some(&json!({"password": "a guess"})),
            Some(&token)
        );
        assert_eq!(status, 422);
    }
    let (status, body) = call!(
        purge::delete_me,
        app,
        "DELETE",
        "/me",
        Some(&json!({"password": PASSWORD})),
        Some(&token)
    );
    assert_eq!((status, text(&body, "code")), (429, "TOO_MANY_ATTEMPTS"));
    app.clock.advance(TimeDelta::seconds(901));
    let fresh = integration_tests::harness::token_with(&app, "ada", PASSWORD).await?;
    let (status, _) = call!(
        purge::delete_me,
        app,
        "DELETE",
        "/me",
        Some(&json!({"password": PASSWORD})),
        Some(&fresh)
    );
    assert_eq!(status, 204);
    let (status, _) = login_as(&app, "ada", PASSWORD).await?;
    assert_eq!(status, 401, "the purged account no longer signs in");
    Ok(())
}
