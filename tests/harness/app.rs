//! One test's world: its own tables (a fresh prefix) on the run's endpoint, and the state a
//! function would build at cold start, with a manual clock.

use std::sync::Arc;

use anyhow::Context;
use std::sync::OnceLock;

use shared::config::{AuthConfig, Config, CursorKey, StoreConfig};
use shared::domain::{ManualClock, Timestamp};
use shared::store::Store;

use super::local_dynamo::{endpoint, repo_root};

/// Isolated tables and a function's state for one test. Tests get it from `app_trials!`,
/// which drops the tables when the test ends, whether it passed or not.
#[derive(Clone)]
pub struct TestApp {
    pub state: functions::AppState,
    pub store: Store,
    pub clock: Arc<ManualClock>,
    definitions: Vec<infra::tables::TableDefinition>,
}

impl TestApp {
    /// Creates every table of `template.yaml` under a prefix no other test uses.
    pub async fn spawn() -> anyhow::Result<Self> {
        let prefix = format!("t{}-", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let config = test_config(&prefix, endpoint());
        let store = Store::connect(&config.store).await;
        let template = std::fs::read_to_string(repo_root().join("template.yaml"))
            .context("reading template.yaml")?;
        let definitions = infra::tables::table_definitions(&template)?;
        infra::tables::create_tables(store.client(), store.tables(), &definitions).await?;
        let clock = Arc::new(ManualClock::new(
            Timestamp::parse("2026-11-21T09:00:00.000Z").context("start time")?,
        ));
        let state = functions::AppState::new(config, store.clone(), clock.clone())?;
        Ok(Self {
            state,
            store,
            clock,
            definitions,
        })
    }

    /// The audit entries of `action`, oldest first (tests may scan; request paths never do).
    pub async fn audits(
        &self,
        action: shared::audit::AuditAction,
    ) -> anyhow::Result<Vec<shared::audit::AuditRecord>> {
        let output = self
            .store
            .client()
            .scan()
            .table_name(
                self.store
                    .tables()
                    .name(shared::store::Collection::AuditLogs),
            )
            .send()
            .await?;
        let mut entries: Vec<shared::audit::AuditRecord> = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(shared::store::from_item)
            .collect::<Result<_, _>>()?;
        entries.retain(|entry| entry.action == action);
        entries.sort_by_key(|entry| entry.at);
        Ok(entries)
    }

    /// Drops this test's tables.
    pub async fn teardown(&self) -> anyhow::Result<()> {
        infra::tables::delete_tables(self.store.client(), self.store.tables(), &self.definitions)
            .await
    }
}

/// The configuration a function would read, for tables under `prefix` on `endpoint`, with a
/// key pair made once per test run (so tokens of one test verify in another's state).
pub fn test_config(prefix: &str, endpoint: &str) -> Config {
    static KEYS: OnceLock<(String, String)> = OnceLock::new();
    let (private_key, public_key) =
        KEYS.get_or_init(|| shared::identity::tokens::generate_key_pair().unwrap_or_default());
    Config {
        store: StoreConfig {
            table_prefix: prefix.to_string(),
            dynamodb_endpoint: Some(endpoint.to_string()),
        },
        auth: AuthConfig {
            public_key_pem: public_key.clone(),
            private_key_pem: Some(private_key.clone()),
            issuer: "auction-platform".into(),
            audience: "auction-platform-api".into(),
            lockout_threshold: 5,
            lockout_secs: 900,
        },
        cursor_key: Some(CursorKey([42; 32])),
    }
}
