//! Refresh sessions. A refresh token is `<sessionId>.<secret>` with a 256-bit random secret;
//! only its SHA-256 is stored. Every refresh rotates the secret; presenting one that is no
//! longer current (a copy of a rotated token) revokes the whole session.

use std::fmt;

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::domain::{SessionId, Timestamp, UserId};

/// How long a session lives without being refreshed.
pub const SESSION_DAYS: i64 = 30;

/// A refresh token as handed to a client. Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken {
    pub session: SessionId,
    secret: String,
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RefreshToken({}.<redacted>)", self.session)
    }
}

impl RefreshToken {
    /// A fresh token for `session`.
    pub fn generate(session: SessionId) -> anyhow::Result<Self> {
        Ok(Self {
            session,
            secret: random_secret()?,
        })
    }

    /// Reads a token a client sent; `None` if it cannot be one of ours.
    pub fn parse(text: &str) -> Option<Self> {
        let (session, secret) = text.split_once('.')?;
        let decoded = URL_SAFE_NO_PAD.decode(secret).ok()?;
        if decoded.len() != 32 {
            return None;
        }
        Some(Self {
            session: SessionId::parse(session).ok()?,
            secret: secret.to_string(),
        })
    }

    /// The text clients keep.
    pub fn text(&self) -> String {
        format!("{}.{}", self.session, self.secret)
    }

    /// What the store keeps instead of the secret.
    pub fn hash(&self) -> String {
        secret_hash(&self.secret)
    }
}

/// 256 random bits in URL-safe base64 (43 characters): a refresh token's or a ticket's secret.
pub fn random_secret() -> anyhow::Result<String> {
    let mut secret = [0u8; 32];
    SystemRandom::new()
        .fill(&mut secret)
        .map_err(|_| anyhow::anyhow!("the system random generator failed"))?;
    Ok(URL_SAFE_NO_PAD.encode(secret))
}

/// What the store keeps instead of a secret: its SHA-256, in hex.
pub fn secret_hash(secret: &str) -> String {
    digest(&SHA256, secret.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A login session: who, from where, and the hash of its current refresh token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRecord {
    pub id: SessionId,
    pub user_id: UserId,
    pub token_hash: String,
    pub user_agent: Option<String>,
    pub source_ip: Option<String>,
    pub created_at: Timestamp,
    pub last_used_at: Timestamp,
    /// Epoch seconds after which DynamoDB's TTL removes the record (and it is refused).
    pub expires_at: i64,
    pub revoked_at: Option<Timestamp>,
    /// The account's credentials version when the session started (or was carried over by a
    /// password change made in it).
    #[serde(default)]
    pub credentials_version: u64,
}

crate::record!(SessionRecord, Sessions, id);

impl SessionRecord {
    /// Whether the session can still be used at `now` by an account whose credentials are at
    /// `credentials_version`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && now.epoch_seconds() < self.expires_at
    }

    /// Live, and started under the account's current credentials.
    pub fn is_current(&self, now: Timestamp, credentials_version: u64) -> bool {
        self.is_live(now) && self.credentials_version == credentials_version
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_parse_back_and_hash_stably() {
        let token = RefreshToken::generate(SessionId::new()).unwrap();
        let parsed = RefreshToken::parse(&token.text()).unwrap();
        assert_eq!(parsed, token);
        assert_eq!(parsed.hash(), token.hash());
        assert_eq!(token.hash().len(), 64);
        assert!(!format!("{token:?}").contains(&token.secret));
    }

    #[test]
    fn other_texts_are_not_tokens() {
        let session = SessionId::new();
        for text in [
            "",
            "abc",
            &format!("{session}"),
            &format!("{session}.short"),
            "x.y",
        ] {
            assert_eq!(RefreshToken::parse(text), None, "{text}");
        }
    }

    #[test]
    fn secrets_differ() {
        let session = SessionId::new();
        let a = RefreshToken::generate(session).unwrap();
        let b = RefreshToken::generate(session).unwrap();
        assert_ne!(a.hash(), b.hash());
    }
}
