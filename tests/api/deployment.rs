//! How the deployed functions get their secrets: by name, read from Secrets Manager at cold
//! start (the same code path locally, against moto's Secrets Manager), each function only
//! the secrets it uses; policies name the indexes they query; tokens are per stage.

use std::collections::BTreeSet;

use integration_tests::harness::{endpoint, repo_root, test_config};
use integration_tests::trials;
use libtest_mimic::Trial;
use shared::domain::{SessionId, UserId};

pub fn trials() -> Vec<Trial> {
    trials![
        a_function_reads_its_secrets_from_secrets_manager_at_cold_start,
        secrets_reach_each_function_by_name_and_only_the_ones_it_uses,
    ]
}

async fn a_function_reads_its_secrets_from_secrets_manager_at_cold_start() -> anyhow::Result<()> {
    let prefix = format!("s{}-", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let keys = test_config(&prefix, endpoint()).auth;
    let private_key = keys.private_key_pem.clone().unwrap_or_default();
    let cursor_key = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let client = aws_sdk_secretsmanager::Client::from_conf(
        aws_sdk_secretsmanager::config::Builder::from(&sdk)
            .endpoint_url(endpoint())
            .build(),
    );
    for (name, text) in [("jwt", private_key.as_str()), ("cursor", cursor_key)] {
        client
            .create_secret()
            .name(format!("{prefix}{name}"))
            .secret_string(text)
            .send()
            .await?;
    }
    let environment = |private_key_secret: String| {
        let public_key = keys.public_key_pem.clone();
        let prefix = prefix.clone();
        move |name: &str| match name {
            "TABLE_PREFIX" => Some(prefix.clone()),
            "DYNAMODB_ENDPOINT" | "SECRETSMANAGER_ENDPOINT" => Some(endpoint().to_string()),
            "JWT_PUBLIC_KEY" => Some(public_key.clone()),
            "JWT_PRIVATE_KEY_SECRET" => Some(private_key_secret.clone()),
            "CURSOR_KEY_SECRET" => Some(format!("{prefix}cursor")),
            // Never read: a secret in the environment is ignored.
            "JWT_PRIVATE_KEY" => Some("not a key".into()),
            _ => None,
        }
    };
    let state = functions::AppState::from_lookup(environment(format!("{prefix}jwt")))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    assert_eq!(
        state.config.auth.private_key_pem.as_deref(),
        Some(private_key.as_str())
    );
    assert_eq!(
        state.config.cursor_key.as_ref().map(|k| k.0),
        Some([42; 32])
    );
    let now = shared::domain::Timestamp::parse("2026-11-21T09:00:00.000Z")?;
    let (token, _) = state.tokens.issue(UserId::new(), SessionId::new(), now)?;
    assert!(
        state.tokens.verify(&token, now).is_ok(),
        "the key read signs tokens"
    );

    let missing = functions::AppState::from_lookup(environment(format!("{prefix}absent")))
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        missing.contains("JWT_PRIVATE_KEY_SECRET"),
        "a missing secret stops the function, naming the variable: {missing}"
    );
    Ok(())
}

/// Each function resource of the template, by name, with its text.
fn function_sections(template: &str) -> Vec<(String, String)> {
    let mut sections = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in template.lines() {
        let top = line.starts_with("  ") && !line.starts_with("   ") && line.ends_with(':');
        if top {
            sections.extend(current.take());
            let name = line.trim().trim_end_matches(':').to_string();
            if name.ends_with("Function") {
                current = Some((name, String::new()));
            }
        } else if let Some((_, text)) = current.as_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    sections.extend(current);
    sections
}

async fn secrets_reach_each_function_by_name_and_only_the_ones_it_uses() -> anyhow::Result<()> {
    let template = std::fs::read_to_string(repo_root().join("template.yaml"))?;
    assert!(
        !template.contains("resolve:secretsmanager"),
        "no secret is resolved into an environment variable"
    );
    assert!(
        !template.contains("/index/*"),
        "policies name their indexes"
    );
    for variable in ["JWT_ISSUER: !Sub", "JWT_AUDIENCE: !Sub"] {
        let line = template
            .lines()
            .find(|l| l.trim_start().starts_with(variable));
        assert!(
            line.is_some_and(|l| l.contains("${Stage}")),
            "{variable} differs per stage"
        );
    }
    let mut signers = BTreeSet::new();
    for (name, text) in function_sections(&template) {
        for (variable, secret) in [
            ("JWT_PRIVATE_KEY_SECRET", "jwt-private-key"),
            ("CURSOR_KEY_SECRET", "cursor-key"),
        ] {
            let named = text.contains(variable);
            let granted = text.contains(&format!("secret:${{Stage}}/auction-platform/{secret}-*"));
            assert_eq!(
                named, granted,
                "{name}: {variable} and its grant go together"
            );
            if named && variable == "JWT_PRIVATE_KEY_SECRET" {
                signers.insert(name.clone());
            }
        }
        let grants = text.matches("secretsmanager:GetSecretValue").count();
        let secrets = text.matches("_SECRET:").count();
        assert_eq!(
            grants, secrets,
            "{name} reads exactly the secrets it is given"
        );
    }
    let expected: BTreeSet<String> = [
        "PostAuthRegisterFunction",
        "PostAuthLoginFunction",
        "PostAuthRefreshFunction",
    ]
    .map(String::from)
    .into();
    assert_eq!(
        signers, expected,
        "only the functions that issue tokens read the signing key"
    );
    Ok(())
}
