//! One test's world: its own tables (a fresh prefix) on the run's endpoint, and the state a
//! function would build at cold start, with a manual clock.

use std::sync::Arc;

use anyhow::Context;
use std::sync::OnceLock;

use chrono::TimeDelta;
use shared::config::{AuthConfig, Config, CursorKey, RealtimeConfig, StoreConfig};
use shared::domain::{Clock, ManualClock, SessionId, Timestamp, UserId};
use shared::identity::{GlobalRole, PasswordHash, SessionRecord, UserRecord, UserStatus};
use shared::store::Store;

use super::local_dynamo::{endpoint, repo_root};
use super::round_trips::{RoundTrips, counted_store};

/// Isolated tables and a function's state for one test. Tests get it from `app_trials!`,
/// which drops the tables when the test ends, whether it passed or not.
#[derive(Clone)]
pub struct TestApp {
    pub state: functions::AppState,
    pub store: Store,
    pub clock: Arc<ManualClock>,
    /// Every request this test's store (and so its handlers) sent to DynamoDB.
    pub round_trips: RoundTrips,
    definitions: Vec<infra::tables::TableDefinition>,
}

impl TestApp {
    /// Creates every table of `template.yaml` under a prefix no other test uses.
    pub async fn spawn() -> anyhow::Result<Self> {
        let prefix = format!("t{}-", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let config = test_config(&prefix, endpoint());
        let round_trips = RoundTrips::default();
        let store = counted_store(&config.store, &round_trips).await;
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
            round_trips,
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

    /// A bidder written straight to the store (hashing passwords proves nothing where this is
    /// used) with a live session: their id and an access token valid for 15 minutes from now.
    pub async fn direct_user(&self, username: &str) -> anyhow::Result<(UserId, String)> {
        let now = self.clock.now();
        let user = UserRecord {
            id: UserId::new(),
            entity: UserRecord::ENTITY.into(),
            email: format!("{username}@example.com"),
            username: username.to_string(),
            display_name: username.to_string(),
            given_name: None,
            family_name: None,
            nick_name: None,
            picture: None,
            phone: None,
            time_zone: None,
            user_role: GlobalRole::User,
            groups: vec!["auction_user".into()],
            status: UserStatus::Active,
            password_hash: unusable_hash()?,
            credentials_version: 0,
            notification_preferences: Default::default(),
            bidder_numbers: Default::default(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.store.create(&user).await?;
        let token = self.session_token(user.id).await?;
        Ok((user.id, token))
    }

    /// A fresh access token of `user` (a new session), valid for 15 minutes from now.
    pub async fn session_token(&self, user: UserId) -> anyhow::Result<String> {
        let now = self.clock.now();
        let session = SessionRecord {
            id: SessionId::new(),
            user_id: user,
            token_hash: String::new(),
            user_agent: None,
            source_ip: None,
            created_at: now,
            last_used_at: now,
            expires_at: now.plus(TimeDelta::days(1)).epoch_seconds(),
            revoked_at: None,
            credentials_version: 0,
        };
        self.store.create(&session).await?;
        Ok(self.state.tokens.issue(user, session.id, now)?.0)
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
        realtime: RealtimeConfig {
            websocket_url: Some("ws://127.0.0.1:9001".into()),
            management_endpoint: None,
        },
        lifecycle: shared::config::LifecycleConfig::default(),
        payment_webhook_key: None,
    }
}

/// One password hash for every direct user (made once: Argon2 is slow on purpose).
fn unusable_hash() -> anyhow::Result<PasswordHash> {
    static HASH: OnceLock<Option<PasswordHash>> = OnceLock::new();
    HASH.get_or_init(|| PasswordHash::create("a password nobody uses").ok())
        .clone()
        .context("hashing a password")
}
