//! Typed configuration, read once at cold start from the environment.

use thiserror::Error;

/// Longest collection name; a table name (prefix + collection) must stay within DynamoDB's 255.
const LONGEST_COLLECTION: usize = 23;

/// Everything a function needs from its environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub store: StoreConfig,
    pub auth: AuthConfig,
    /// Seals list cursors that could otherwise show records the caller may not see
    /// (`CURSOR_KEY`, 32 bytes in base64); only the functions with such lists need it.
    pub cursor_key: Option<CursorKey>,
}

/// A 256-bit key. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct CursorKey(pub [u8; 32]);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(<redacted>)")
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
    /// Ed25519 private key (PEM): only the functions that issue tokens have it.
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
            private_key_pem: present("JWT_PRIVATE_KEY"),
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
        let cursor_key = match lookup("CURSOR_KEY").filter(|v| !v.trim().is_empty()) {
            None => None,
            Some(text) => {
                use base64::Engine;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(text.trim())
                    .ok()
                    .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                    .ok_or(ConfigError::Invalid {
                        name: "CURSOR_KEY",
                        reason: "must be 32 bytes in base64 (openssl rand -base64 32)".into(),
                    })?;
                Some(CursorKey(bytes))
            }
        };
        Ok(Self {
            store: StoreConfig::from_lookup(&lookup)?,
            auth: AuthConfig::from_lookup(&lookup)?,
            cursor_key,
        })
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
        let dynamodb_endpoint = match lookup("DYNAMODB_ENDPOINT").filter(|v| !v.is_empty()) {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => Some(url),
            Some(_) => {
                return Err(ConfigError::Invalid {
                    name: "DYNAMODB_ENDPOINT",
                    reason: "must be an http:// or https:// URL".into(),
                });
            }
            None => None,
        };
        Ok(Self {
            table_prefix,
            dynamodb_endpoint,
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
        let vars = [BASE[0], BASE[1], ("JWT_PRIVATE_KEY", "very-secret-key")];
        let config = Config::from_lookup(lookup(&vars)).unwrap();
        assert!(!format!("{config:?}").contains("very-secret-key"));
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
}
