//! Typed configuration, read once at cold start from the environment.

use thiserror::Error;

/// Longest collection name; a table name (prefix + collection) must stay within DynamoDB's 255.
const LONGEST_COLLECTION: usize = 23;

/// Everything a function needs from its environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Prepended to every collection name to form its table name (`dev-` → `dev-auctions`).
    pub table_prefix: String,
    /// Overrides the DynamoDB endpoint (a local server); `None` on AWS.
    pub dynamodb_endpoint: Option<String>,
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
            ("TABLE_PREFIX", "dev-"),
            ("DYNAMODB_ENDPOINT", "http://127.0.0.1:5000"),
        ]))
        .unwrap();
        assert_eq!(config.table_prefix, "dev-");
        assert_eq!(
            config.dynamodb_endpoint.as_deref(),
            Some("http://127.0.0.1:5000")
        );
        let config = Config::from_lookup(lookup(&[("TABLE_PREFIX", "dev-")])).unwrap();
        assert_eq!(config.dynamodb_endpoint, None);
    }
}
