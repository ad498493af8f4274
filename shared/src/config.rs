//! Typed configuration, read once at cold start from the environment.

use thiserror::Error;

/// Longest collection name; a table name (prefix + collection) must stay within DynamoDB's 255.
const LONGEST_COLLECTION: usize = 23;

/// Everything a function needs from its environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub store: StoreConfig,
    pub auth: AuthConfig,
    /// Seals list cursors that could otherwise show records the caller may not see (32
    /// bytes, read from the secret `CURSOR_KEY_SECRET` names); only the functions with such
    /// lists have it.
    pub cursor_key: Option<CursorKey>,
    pub realtime: RealtimeConfig,
    pub lifecycle: LifecycleConfig,
    /// Verifies the payment provider's webhook signatures (read from the secret
    /// `PAYMENT_WEBHOOK_KEY_SECRET` names); only the webhook function has it.
    pub payment_webhook_key: Option<WebhookKey>,
}

/// Time in an auction's life: the shortest spans validation allows, and where schedules and
/// lifecycle events go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LifecycleConfig {
    /// The shortest auction, `startsAt` to `endsAt` (`MIN_AUCTION_SECONDS`, default 900).
    pub min_auction_secs: u32,
    /// The shortest payment or offer window (`MIN_PAYMENT_WINDOW_SECONDS`, default 600).
    pub min_payment_window_secs: u32,
    /// How long before a lot's close its schedule fires, to wait out Scheduler's minute of
    /// imprecision (`CLOSE_LEAD_SECONDS`, default 60).
    pub close_lead_secs: u32,
    /// Where one-time schedules are created, when this function creates any.
    pub schedules: Option<ScheduleTarget>,
    /// The EventBridge bus lifecycle events go to (`EVENT_BUS_NAME`), when this function
    /// publishes any.
    pub event_bus: Option<String>,
    /// Local endpoints (`SCHEDULER_ENDPOINT`, `EVENTBRIDGE_ENDPOINT`); `None` on AWS.
    pub scheduler_endpoint: Option<String>,
    pub eventbridge_endpoint: Option<String>,
}

/// What a one-time schedule invokes, and with what (`SCHEDULE_GROUP`, `SCHEDULE_TARGET_ARN`,
/// `SCHEDULE_ROLE_ARN`, `SCHEDULE_DEAD_LETTER_ARN`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleTarget {
    pub group: String,
    /// The transition function.
    pub target_arn: String,
    /// The role Scheduler assumes to invoke it.
    pub role_arn: String,
    /// Where an invocation that kept failing is sent.
    pub dead_letter_arn: Option<String>,
}

impl LifecycleConfig {
    fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let present = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let group = present("SCHEDULE_GROUP");
        let schedules = match group {
            None => None,
            Some(group) => Some(ScheduleTarget {
                group,
                target_arn: present("SCHEDULE_TARGET_ARN")
                    .ok_or(ConfigError::Missing("SCHEDULE_TARGET_ARN"))?,
                role_arn: present("SCHEDULE_ROLE_ARN")
                    .ok_or(ConfigError::Missing("SCHEDULE_ROLE_ARN"))?,
                dead_letter_arn: present("SCHEDULE_DEAD_LETTER_ARN"),
            }),
        };
        Ok(Self {
            min_auction_secs: number(lookup, "MIN_AUCTION_SECONDS", 900, 1..=86_400)?,
            min_payment_window_secs: number(lookup, "MIN_PAYMENT_WINDOW_SECONDS", 600, 1..=86_400)?,
            close_lead_secs: number(lookup, "CLOSE_LEAD_SECONDS", 60, 0..=300)?,
            schedules,
            event_bus: present("EVENT_BUS_NAME"),
            scheduler_endpoint: http_url(lookup, "SCHEDULER_ENDPOINT")?,
            eventbridge_endpoint: http_url(lookup, "EVENTBRIDGE_ENDPOINT")?,
        })
    }
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        Self {
            min_auction_secs: 900,
            min_payment_window_secs: 600,
            close_lead_secs: 60,
            schedules: None,
            event_bus: None,
            scheduler_endpoint: None,
            eventbridge_endpoint: None,
        }
    }
}

/// An optional `http://` or `https://` URL setting.
fn http_url(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<String>, ConfigError> {
    match lookup(name).filter(|v| !v.is_empty()) {
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => Ok(Some(url)),
        Some(_) => Err(ConfigError::Invalid {
            name,
            reason: "must be an http:// or https:// URL".into(),
        }),
        None => Ok(None),
    }
}

/// The payment provider's webhook signing key. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookKey(pub Vec<u8>);

impl std::fmt::Debug for WebhookKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookKey(<redacted>)")
    }
}

/// The WebSocket API, for the functions that hand out its URL or post to its clients.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RealtimeConfig {
    /// Where clients connect (`WEBSOCKET_URL`: `wss://...` deployed).
    pub websocket_url: Option<String>,
    /// The `@connections` management endpoint (`WEBSOCKET_MANAGEMENT_ENDPOINT`:
    /// `https://<api>.execute-api.<region>.amazonaws.com/<stage>` deployed).
    pub management_endpoint: Option<String>,
}

impl RealtimeConfig {
    fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let url =
            |name: &'static str, schemes: &[&str]| match lookup(name).filter(|v| !v.is_empty()) {
                Some(url) if schemes.iter().any(|scheme| url.starts_with(scheme)) => Ok(Some(url)),
                Some(_) => Err(ConfigError::Invalid {
                    name,
                    reason: format!("must be a {} URL", schemes.join(" or ")),
                }),
                None => Ok(None),
            };
        Ok(Self {
            websocket_url: url("WEBSOCKET_URL", &["wss://", "ws://"])?,
            management_endpoint: url("WEBSOCKET_MANAGEMENT_ENDPOINT", &["https://", "http://"])?,
        })
    }
}

/// A 256-bit key. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct CursorKey(pub [u8; 32]);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(<redacted>)")
    }
}

impl CursorKey {
    /// A key as stored: 32 bytes in base64 (`openssl rand -base64 32`).
    pub fn parse(text: &str) -> Option<Self> {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .ok()
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .map(Self)
    }
}

/// Where the tables are: all the local tools need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreConfig {
    /// Prepended to every collection name to form its table name (`dev-` → `dev-auctions`).
    pub table_prefix: String,
    /// Overrides the DynamoDB endpoint (a local server); `None` on AWS.
    pub dynamodb_endpoint: Option<String>,
}

/// Access tokens and login protection.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// Ed25519 public key (PEM) every function verifies access tokens with.
    pub public_key_pem: String,
    /// Ed25519 private key (PEM): only the functions that issue tokens have it, read from
    /// the secret `JWT_PRIVATE_KEY_SECRET` names.
    pub private_key_pem: Option<String>,
    /// The `iss` of our tokens.
    pub issuer: String,
    /// The `aud` of our tokens.
    pub audience: String,
    /// Consecutive failed logins that lock an account's logins.
    pub lockout_threshold: u32,
    /// How long such a lock lasts.
    pub lockout_secs: u32,
}

// The private key must never reach a log line.
impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("signs_tokens", &self.private_key_pem.is_some())
            .field("lockout_threshold", &self.lockout_threshold)
            .field("lockout_secs", &self.lockout_secs)
            .finish_non_exhaustive()
    }
}

impl AuthConfig {
    fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let present = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        Ok(Self {
            public_key_pem: present("JWT_PUBLIC_KEY")
                .ok_or(ConfigError::Missing("JWT_PUBLIC_KEY"))?,
            private_key_pem: None,
            issuer: present("JWT_ISSUER").unwrap_or_else(|| "auction-platform".into()),
            audience: present("JWT_AUDIENCE").unwrap_or_else(|| "auction-platform-api".into()),
            lockout_threshold: number(lookup, "LOGIN_LOCKOUT_THRESHOLD", 5, 1..=100)?,
            lockout_secs: number(lookup, "LOGIN_LOCKOUT_SECONDS", 900, 1..=86_400)?,
        })
    }
}

fn number(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, ConfigError> {
    let Some(text) = lookup(name).filter(|v| !v.is_empty()) else {
        return Ok(default);
    };
    text.parse::<u32>()
        .ok()
        .filter(|value| range.contains(value))
        .ok_or_else(|| ConfigError::Invalid {
            name,
            reason: format!(
                "must be a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        })
}

/// The text of the secret `id`; an error naming the variable that named it.
async fn secret(
    client: &aws_sdk_secretsmanager::Client,
    name: &'static str,
    id: &str,
) -> Result<String, ConfigError> {
    let output = client
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map_err(|error| ConfigError::Invalid {
            name,
            reason: format!(
                "the secret {id} could not be read: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(&error)
            ),
        })?;
    output
        .secret_string
        .filter(|text| !text.trim().is_empty())
        .ok_or(ConfigError::Invalid {
            name,
            reason: format!("the secret {id} holds no text"),
        })
}

/// A missing or unusable environment variable, named so the operator can fix it.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            store: StoreConfig::from_lookup(&lookup)?,
            auth: AuthConfig::from_lookup(&lookup)?,
            cursor_key: None,
            realtime: RealtimeConfig::from_lookup(&lookup)?,
            lifecycle: LifecycleConfig::from_lookup(&lookup)?,
            payment_webhook_key: None,
        })
    }

    /// Reads the secrets this function was given the names of (`JWT_PRIVATE_KEY_SECRET`,
    /// `CURSOR_KEY_SECRET`) from Secrets Manager, once, at cold start: secrets never sit in
    /// the function's environment, where `lambda:GetFunctionConfiguration` would show them.
    /// `SECRETSMANAGER_ENDPOINT` points at a local endpoint (moto, locally).
    pub async fn with_secrets(
        mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let named = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let (private_key, cursor_key, webhook_key) = (
            named("JWT_PRIVATE_KEY_SECRET"),
            named("CURSOR_KEY_SECRET"),
            named("PAYMENT_WEBHOOK_KEY_SECRET"),
        );
        if private_key.is_none() && cursor_key.is_none() && webhook_key.is_none() {
            return Ok(self);
        }
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let mut builder = aws_sdk_secretsmanager::config::Builder::from(&sdk);
        if let Some(endpoint) = named("SECRETSMANAGER_ENDPOINT") {
            builder = builder.endpoint_url(endpoint);
        }
        let client = aws_sdk_secretsmanager::Client::from_conf(builder.build());
        if let Some(id) = private_key {
            self.auth.private_key_pem = Some(secret(&client, "JWT_PRIVATE_KEY_SECRET", &id).await?);
        }
        if let Some(id) = cursor_key {
            let text = secret(&client, "CURSOR_KEY_SECRET", &id).await?;
            self.cursor_key = Some(CursorKey::parse(&text).ok_or(ConfigError::Invalid {
                name: "CURSOR_KEY_SECRET",
                reason: "the secret must be 32 bytes in base64 (openssl rand -base64 32)".into(),
            })?);
        }
        if let Some(id) = webhook_key {
            let text = secret(&client, "PAYMENT_WEBHOOK_KEY_SECRET", &id).await?;
            if text.trim().len() < 32 {
                return Err(ConfigError::Invalid {
                    name: "PAYMENT_WEBHOOK_KEY_SECRET",
                    reason: "the secret must hold at least 32 characters".into(),
                });
            }
            self.payment_webhook_key = Some(WebhookKey(text.trim().as_bytes().to_vec()));
        }
        Ok(self)
    }
}

impl StoreConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let table_prefix = lookup("TABLE_PREFIX").ok_or(ConfigError::Missing("TABLE_PREFIX"))?;
        validate_table_prefix(&table_prefix)?;
        Ok(Self {
            table_prefix,
            dynamodb_endpoint: http_url(lookup, "DYNAMODB_ENDPOINT")?,
        })
    }
}

fn validate_table_prefix(prefix: &str) -> Result<(), ConfigError> {
    let invalid = |reason: &str| ConfigError::Invalid {
        name: "TABLE_PREFIX",
        reason: reason.into(),
    };
    if prefix.is_empty() {
        return Err(invalid("must not be empty (use the stage, e.g. `dev-`)"));
    }
    if prefix.len() + LONGEST_COLLECTION > 255 {
        return Err(invalid("is too long for a DynamoDB table name"));
    }
    if !prefix
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(invalid("may hold only letters, digits, '-', '_' and '.'"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    const BASE: [(&str, &str); 2] = [("TABLE_PREFIX", "dev-"), ("JWT_PUBLIC_KEY", "pem")];

    #[test]
    fn missing_public_key_is_named() {
        let err = Config::from_lookup(lookup(&[("TABLE_PREFIX", "dev-")])).unwrap_err();
        assert_eq!(err, ConfigError::Missing("JWT_PUBLIC_KEY"));
    }

    #[test]
    fn auth_settings_have_defaults_and_bounds() {
        let config = Config::from_lookup(lookup(&BASE)).unwrap();
        assert_eq!(
            (config.auth.lockout_threshold, config.auth.lockout_secs),
            (5, 900)
        );
        assert_eq!(config.auth.private_key_pem, None);
        let vars = [BASE[0], BASE[1], ("LOGIN_LOCKOUT_THRESHOLD", "0")];
        let err = Config::from_lookup(lookup(&vars)).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "LOGIN_LOCKOUT_THRESHOLD",
                ..
            }
        ));
    }

    #[test]
    fn debug_never_shows_the_private_key() {
        let mut config = Config::from_lookup(lookup(&BASE)).unwrap();
        config.auth.private_key_pem = Some("very-secret-key".into());
        assert!(!format!("{config:?}").contains("very-secret-key"));
    }

    #[test]
    fn secrets_are_never_read_from_the_environment() {
        let vars = [
            BASE[0],
            BASE[1],
            ("JWT_PRIVATE_KEY", "pem"),
            ("CURSOR_KEY", "S2V5S2V5S2V5S2V5S2V5S2V5S2V5S2V5S2V5S2V5S2U="),
        ];
        let config = Config::from_lookup(lookup(&vars)).unwrap();
        assert_eq!(
            (config.auth.private_key_pem, config.cursor_key),
            (None, None)
        );
    }

    #[test]
    fn missing_table_prefix_is_named() {
        let err = Config::from_lookup(lookup(&[])).unwrap_err();
        assert_eq!(err, ConfigError::Missing("TABLE_PREFIX"));
        assert_eq!(
            err.to_string(),
            "environment variable TABLE_PREFIX is not set"
        );
    }

    #[test]
    fn table_prefix_with_spaces_is_refused() {
        let err = Config::from_lookup(lookup(&[("TABLE_PREFIX", "my stage")])).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "TABLE_PREFIX",
                ..
            }
        ));
    }

    #[test]
    fn endpoint_must_be_a_url() {
        let err = Config::from_lookup(lookup(&[
            ("TABLE_PREFIX", "dev-"),
            ("DYNAMODB_ENDPOINT", "localhost:8000"),
        ]))
        .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "DYNAMODB_ENDPOINT",
                ..
            }
        ));
    }

    #[test]
    fn reads_prefix_and_optional_endpoint() {
        let config = Config::from_lookup(lookup(&[
            BASE[0],
            BASE[1],
            ("DYNAMODB_ENDPOINT", "http://127.0.0.1:5000"),
        ]))
        .unwrap();
        assert_eq!(config.store.table_prefix, "dev-");
        assert_eq!(
            config.store.dynamodb_endpoint.as_deref(),
            Some("http://127.0.0.1:5000")
        );
        let config = Config::from_lookup(lookup(&BASE)).unwrap();
        assert_eq!(config.store.dynamodb_endpoint, None);
    }

    #[test]
    fn lifecycle_spans_have_the_deployed_defaults_and_may_be_lowered() {
        let config = Config::from_lookup(lookup(&BASE)).unwrap();
        assert_eq!(config.lifecycle, LifecycleConfig::default());
        assert_eq!(
            (
                config.lifecycle.min_auction_secs,
                config.lifecycle.min_payment_window_secs
            ),
            (900, 600)
        );
        let vars = [
            BASE[0],
            BASE[1],
            ("MIN_AUCTION_SECONDS", "5"),
            ("MIN_PAYMENT_WINDOW_SECONDS", "3"),
        ];
        let config = Config::from_lookup(lookup(&vars)).unwrap();
        assert_eq!(
            (
                config.lifecycle.min_auction_secs,
                config.lifecycle.min_payment_window_secs
            ),
            (5, 3)
        );
        let vars = [BASE[0], BASE[1], ("SCHEDULE_GROUP", "dev")];
        assert_eq!(
            Config::from_lookup(lookup(&vars)).unwrap_err(),
            ConfigError::Missing("SCHEDULE_TARGET_ARN")
        );
    }
}
