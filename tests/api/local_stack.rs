//! The local stack answers as API Gateway and the contract do: over real HTTP, through the
//! emulator, to the real function binaries that `make dev` built.

use anyhow::Context;
use integration_tests::harness::{
    Exchange, LocalStack, StackOptions, exchange, free_port, repo_root, shared_stack,
    shared_stack_logs,
};
use integration_tests::trials;
use libtest_mimic::Trial;
use serde_json::{Value, json};

pub fn trials() -> Vec<Trial> {
    trials![
        an_unknown_route_is_a_problem_404_that_lists_nothing,
        another_method_on_a_known_path_is_a_405_with_allow,
        a_body_over_the_quota_is_a_413_unread,
        a_chunked_body_over_the_quota_is_a_413,
        path_and_query_parameters_reach_the_function,
        a_cors_preflight_is_answered_from_the_template,
        the_walkthrough_runs_as_written,
        no_user_id_reaches_the_functions_log,
        make_dev_stops_cleanly_on_sigterm,
    ]
}

async fn base() -> anyhow::Result<String> {
    tokio::task::spawn_blocking(shared_stack).await?
}

async fn an_unknown_route_is_a_problem_404_that_lists_nothing() -> anyhow::Result<()> {
    let base = base().await?;
    let answer = exchange("GET", &format!("{base}/nowhere"), &[], vec![]).await?;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.header("content-type"), "application/problem+json");
    let body = answer.json()?;
    assert_eq!(body["code"], "NOT_FOUND");
    assert_eq!(body["detail"], "No route matches GET /nowhere.");
    for tool in ["dev-keys", "load-seeds", "local-tables", "emulator"] {
        assert!(!body.to_string().contains(tool), "{body} names {tool}");
    }
    Ok(())
}

async fn another_method_on_a_known_path_is_a_405_with_allow() -> anyhow::Result<()> {
    let base = base().await?;
    let answer = exchange("DELETE", &format!("{base}/auctions"), &[], vec![]).await?;
    assert_eq!(answer.status, 405);
    assert_eq!(answer.header("allow"), "GET, POST");
    assert_eq!(answer.header("content-type"), "application/problem+json");
    assert_eq!(answer.json()?["code"], "METHOD_NOT_ALLOWED");
    Ok(())
}

async fn a_body_over_the_quota_is_a_413_unread() -> anyhow::Result<()> {
    let base = base().await?;
    let url = format!("{base}/auth/login");
    // curl announces a large body and waits for `100 Continue` (as browsers' fetch does not,
    // but proxies do); the answer comes before a byte of the 40 MB is sent.
    let output = tokio::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "head -c 41943040 /dev/zero > \"$0\" && curl -sS -w '\\n%{{http_code}}' \
             -H 'Expect: 100-continue' -H 'content-type: application/json' \
             --data-binary @\"$0\" {url}; status=$?; rm -f \"$0\"; exit $status"
        ))
        .arg(std::env::temp_dir().join(format!("body-{}", uuid::Uuid::new_v4())))
        .output()
        .await?;
    let printed = String::from_utf8_lossy(&output.stdout);
    let (body, status) = printed.rsplit_once('\n').context("no status")?;
    assert_eq!(status, "413", "{printed}");
    let problem: Value = serde_json::from_str(body)?;
    assert_eq!(problem["code"], "PAYLOAD_TOO_LARGE");
    Ok(())
}

async fn a_chunked_body_over_the_quota_is_a_413() -> anyhow::Result<()> {
    let base = base().await?;
    let url = format!("{base}/auth/login");
    // curl streams a file of unknown length from stdin as chunks, with no Content-Length.
    let output = tokio::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "head -c 12582912 /dev/zero | curl -sS -o /dev/null -w '%{{http_code}}' \
             -H 'Transfer-Encoding: chunked' -H 'content-type: application/json' \
             --data-binary @- {url}"
        ))
        .output()
        .await?;
    assert_eq!(String::from_utf8_lossy(&output.stdout), "413");
    Ok(())
}

async fn path_and_query_parameters_reach_the_function() -> anyhow::Result<()> {
    let base = base().await?;
    let unknown = uuid::Uuid::new_v4();
    let item = exchange("GET", &format!("{base}/items/{unknown}"), &[], vec![]).await?;
    // The function's own 404, not the router's: the route matched and the id reached it.
    assert_eq!(item.status, 404);
    assert_eq!(item.json()?["detail"], "No such resource.");
    let list = exchange("GET", &format!("{base}/auctions?limit=0"), &[], vec![]).await?;
    assert_eq!(list.status, 422);
    assert_eq!(list.json()?["errors"][0]["field"], "limit");
    Ok(())
}

async fn a_cors_preflight_is_answered_from_the_template() -> anyhow::Result<()> {
    let base = base().await?;
    let origin = ("origin", "http://127.0.0.1:5173");
    let preflight = exchange(
        "OPTIONS",
        &format!("{base}/items/x/bids"),
        &[origin, ("access-control-request-method", "POST")],
        vec![],
    )
    .await?;
    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.header("access-control-allow-origin"), "*");
    assert!(
        preflight
            .header("access-control-allow-headers")
            .contains("Idempotency-Key")
    );
    let health = exchange("GET", &format!("{base}/health"), &[origin], vec![]).await?;
    assert_eq!(health.status, 200);
    assert_eq!(health.header("access-control-allow-origin"), "*");
    assert_eq!(
        health.header("access-control-expose-headers"),
        "Retry-After,Idempotent-Replayed"
    );
    Ok(())
}

/// Runs every ```sh block of `docs/walkthrough.md`, in order, in one shell, and compares the
/// JSON it prints last with the ```json block the page shows after its last command.
async fn the_walkthrough_runs_as_written() -> anyhow::Result<()> {
    let base = base().await?;
    let page = std::fs::read_to_string(repo_root().join("docs/walkthrough.md"))?;
    let script = fenced_blocks(&page, "sh").join("\n");
    anyhow::ensure!(
        !script.is_empty(),
        "docs/walkthrough.md has no ```sh blocks"
    );
    let expected = last_output_block(&page).context("no ```json block after the last command")?;
    let output = tokio::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .env("BASE", &base)
        .output()
        .await?;
    let printed = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "the walkthrough failed ({}):\n{printed}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let last = last_json(&printed).with_context(|| format!("no JSON at the end of:\n{printed}"))?;
    let shown: Value = serde_json::from_str(&expected).context("the page's last ```json block")?;
    assert_same_values(&shown, &last, "$");
    Ok(())
}

/// Registering, signing in, refreshing, reusing a rotated refresh token, reading an account by
/// its id, changing a password and creating an auction all log a line; none names the account.
async fn no_user_id_reaches_the_functions_log() -> anyhow::Result<()> {
    let base = base().await?;
    let post = |path: &str, body: Value, token: Option<String>| {
        let url = format!("{base}{path}");
        async move {
            let bearer = token.map(|t| format!("Bearer {t}")).unwrap_or_default();
            let mut headers = vec![("content-type", "application/json")];
            if !bearer.is_empty() {
                headers.push(("authorization", bearer.as_str()));
            }
            exchange("POST", &url, &headers, body.to_string().into_bytes()).await
        }
    };
    let name = format!(
        "logcheck{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let password = "a long enough password";
    let registered = post(
        "/auth/register",
        json!({"email": format!("{name}@example.com"), "username": name,
               "password": password, "displayName": "Log Check"}),
        None,
    )
    .await?;
    assert_eq!(registered.status, 201, "{:?}", registered.json());
    let registered = registered.json()?;
    let user_id = registered["user"]["id"]
        .as_str()
        .context("user id")?
        .to_string();
    let signed_in = post(
        "/auth/login",
        json!({"login": name, "password": password}),
        None,
    )
    .await?;
    assert_eq!(signed_in.status, 200);
    let rotated = signed_in.json()?["refreshToken"].clone();
    let refreshed = post("/auth/refresh", json!({"refreshToken": rotated}), None).await?;
    assert_eq!(refreshed.status, 200);
    let reused = post("/auth/refresh", json!({"refreshToken": rotated}), None).await?;
    assert_eq!(reused.status, 401);
    let token = registered["accessToken"].as_str().map(str::to_string);
    // A path that holds the id: the access log names the route's template, not the path.
    let bearer = format!("Bearer {}", token.as_deref().unwrap_or_default());
    let own = exchange(
        "GET",
        &format!("{base}/users/{user_id}"),
        &[("authorization", bearer.as_str())],
        vec![],
    )
    .await?;
    assert_eq!(own.status, 403, "{:?}", own.json());
    let changed = post(
        "/me/password",
        json!({"currentPassword": password, "newPassword": "another long password"}),
        token,
    )
    .await?;
    assert_eq!(changed.status, 204, "{:?}", changed.json());
    let artist = post(
        "/auth/login",
        json!({"login": "cinos", "password": "dev-password-123"}),
        None,
    )
    .await?
    .json()?;
    let artist_id = artist["user"]["id"]
        .as_str()
        .context("artist id")?
        .to_string();
    let starts = chrono::Utc::now() + chrono::Duration::hours(1);
    let created: Exchange = post(
        "/auctions",
        json!({"name": format!("Log check {name}"), "eventType": "public",
               "startsAt": starts.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
               "endsAt": (starts + chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
               "timeZone": "Europe/London"}),
        artist["accessToken"].as_str().map(str::to_string),
    )
    .await?;
    assert_eq!(created.status, 201, "{:?}", created.json());
    let log = std::fs::read_to_string(shared_stack_logs()?.join("functions.log"))?;
    for line in [
        "account registered",
        "signed in",
        "already rotated",
        "password changed",
        "auction created",
        "route=GET /users/{userId} status=403",
    ] {
        assert!(log.contains(line), "the log has no {line:?} line");
    }
    for id in [&user_id, &artist_id] {
        assert!(!log.contains(id.as_str()), "the log names the account {id}");
    }
    Ok(())
}

async fn make_dev_stops_cleanly_on_sigterm() -> anyhow::Result<()> {
    let dynamo_port = free_port()?;
    let options = StackOptions {
        shared_dynamodb: false,
        dynamo_port: Some(dynamo_port),
        ..StackOptions::default()
    };
    let stack =
        tokio::task::spawn_blocking(move || LocalStack::start("sigterm", &options)).await??;
    let api_port = stack.api_port;
    let health = exchange("GET", &format!("{}/health", stack.base), &[], vec![]).await?;
    assert_eq!(health.status, 200);
    let printed = stack.printed()?;
    assert!(
        printed.contains("genesis-staff") && printed.contains("groups=admin (grants staff)"),
        "{printed}"
    );
    let output = stack.output.clone();
    let status = tokio::task::spawn_blocking(move || stack.stop()).await??;
    assert!(status.success(), "make dev exited with {status}");
    let printed = std::fs::read_to_string(output)?;
    assert!(printed.ends_with("local stack stopped\n"), "{printed}");
    for port in [api_port, dynamo_port] {
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "port {port} still answers after make dev stopped"
        );
    }
    Ok(())
}

/// The contents of every fenced block tagged `tag`, in order.
fn fenced_blocks(page: &str, tag: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in page.lines() {
        match current.as_mut() {
            None if line.trim_end() == format!("```{tag}") => current = Some(Vec::new()),
            None => {}
            Some(lines) if line.trim_end() == "```" => {
                blocks.push(lines.join("\n"));
                current = None;
            }
            Some(lines) => lines.push(line),
        }
    }
    blocks
}

/// The first ```json block after the page's last ```sh block.
fn last_output_block(page: &str) -> Option<String> {
    let last_command = page.rfind("```sh")?;
    fenced_blocks(&page[last_command..], "json")
        .into_iter()
        .next()
}

/// The last complete JSON value at the end of `printed`.
fn last_json(printed: &str) -> Option<Value> {
    let trimmed = printed.trim_end();
    trimmed
        .char_indices()
        .filter(|(_, c)| *c == '{' || *c == '[')
        .find_map(|(at, _)| serde_json::from_str(&trimmed[at..]).ok())
}

/// Every value the page shows equals the one printed, except identifiers and timestamps,
/// which differ from run to run.
fn assert_same_values(shown: &Value, printed: &Value, at: &str) {
    match (shown, printed) {
        (Value::Object(shown), Value::Object(printed)) => {
            for (key, value) in shown {
                let varies = key == "id" || key.ends_with("Id") || key.ends_with("At");
                if varies {
                    assert!(printed.contains_key(key), "{at}.{key} missing");
                    continue;
                }
                let actual = printed.get(key).unwrap_or(&Value::Null);
                assert_same_values(value, actual, &format!("{at}.{key}"));
            }
        }
        (Value::Array(shown), Value::Array(printed)) => {
            assert_eq!(shown.len(), printed.len(), "{at}: length");
            for (index, (s, p)) in shown.iter().zip(printed).enumerate() {
                assert_same_values(s, p, &format!("{at}[{index}]"));
            }
        }
        _ => assert_eq!(shown, printed, "{at}"),
    }
}
