//! Access tokens: EdDSA (Ed25519) JWTs with `iss`, `aud`, `sub`, `exp`, `iat`, `jti`, valid
//! for 15 minutes. Only the functions that issue tokens hold the private key; every other
//! function verifies with the public key. Time is checked against our own clock, so tests
//! can move it.

use std::fmt;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::TimeDelta;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::config::{AuthConfig, ConfigError};
use crate::domain::{SessionId, Timestamp, UserId};

/// How long an access token lives.
pub const ACCESS_TOKEN_SECS: i64 = 15 * 60;

/// The claims of our access tokens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    /// The session the token was issued for.
    pub sid: String,
}

/// Why a token was not accepted (all of them answer 401; the variant is for logs).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token is malformed, forged, or not for us")]
    Invalid,
    #[error("the token has expired")]
    Expired,
    #[error("this function does not issue tokens (no private key configured)")]
    CannotIssue,
}

/// Issues and verifies access tokens.
#[derive(Clone)]
pub struct AccessTokens {
    decoding: DecodingKey,
    encoding: Option<EncodingKey>,
    issuer: String,
    audience: String,
}

impl fmt::Debug for AccessTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessTokens")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("issues", &self.encoding.is_some())
            .finish_non_exhaustive()
    }
}

impl AccessTokens {
    /// Reads the keys of `config`; a key that does not parse is a configuration error.
    pub fn from_config(config: &AuthConfig) -> Result<Self, ConfigError> {
        let decoding =
            DecodingKey::from_ed_pem(config.public_key_pem.as_bytes()).map_err(|_| {
                ConfigError::Invalid {
                    name: "JWT_PUBLIC_KEY",
                    reason: "is not an Ed25519 public key in PEM".into(),
                }
            })?;
        let encoding = config
            .private_key_pem
            .as_deref()
            .map(|pem| EncodingKey::from_ed_pem(pem.as_bytes()))
            .transpose()
            .map_err(|_| ConfigError::Invalid {
                name: "JWT_PRIVATE_KEY",
                reason: "is not an Ed25519 private key in PEM (PKCS#8)".into(),
            })?;
        Ok(Self {
            decoding,
            encoding,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
        })
    }

    /// A token for `user` in `session`, issued at `now`, and its lifetime in seconds.
    pub fn issue(
        &self,
        user: UserId,
        session: SessionId,
        now: Timestamp,
    ) -> Result<(String, i64), TokenError> {
        let key = self.encoding.as_ref().ok_or(TokenError::CannotIssue)?;
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user.to_string(),
            iat: now.epoch_seconds(),
            exp: now
                .plus(TimeDelta::seconds(ACCESS_TOKEN_SECS))
                .epoch_seconds(),
            jti: uuid::Uuid::new_v4().to_string(),
            sid: session.to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, key)
            .map_err(|_| TokenError::Invalid)?;
        Ok((token, ACCESS_TOKEN_SECS))
    }

    /// The claims of `token` if we signed it, for our audience, and it is valid at `now`.
    /// Only EdDSA is accepted: `alg: none` and HMAC tokens (say, signed with the public key)
    /// fail here.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_audience(&[&self.audience]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        // Expiry is checked below against our clock, not the system's.
        validation.validate_exp = false;
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| TokenError::Invalid)?
            .claims;
        if now.epoch_seconds() >= claims.exp {
            return Err(TokenError::Expired);
        }
        // A token "issued" in the future was not issued by us (small skew allowed).
        if claims.iat > now.epoch_seconds() + 60 {
            return Err(TokenError::Invalid);
        }
        Ok(claims)
    }
}

/// A fresh Ed25519 key pair as (private PKCS#8 PEM, public SPKI PEM), for local runs and
/// tests. Deployed keys are made once and kept in Secrets Manager.
pub fn generate_key_pair() -> anyhow::Result<(String, String)> {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .map_err(|_| anyhow::anyhow!("generating an Ed25519 key"))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| anyhow::anyhow!("reading the generated key"))?;
    // SubjectPublicKeyInfo for Ed25519: a fixed 12-byte header, then the 32-byte key.
    let mut spki = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    spki.extend_from_slice(pair.public_key().as_ref());
    Ok((pem("PRIVATE KEY", pkcs8.as_ref()), pem("PUBLIC KEY", &spki)))
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .filter_map(|chunk| std::str::from_utf8(chunk).ok())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(private: bool) -> (AccessTokens, AccessTokens) {
        let (private_pem, public_pem) = generate_key_pair().unwrap();
        let config = AuthConfig {
            public_key_pem: public_pem,
            private_key_pem: private.then_some(private_pem),
            issuer: "iss".into(),
            audience: "aud".into(),
            lockout_threshold: 5,
            lockout_secs: 900,
        };
        let issuer = AccessTokens::from_config(&config).unwrap();
        let verifier = AccessTokens::from_config(&AuthConfig {
            private_key_pem: None,
            ..config
        })
        .unwrap();
        (issuer, verifier)
    }

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn a_token_verifies_with_the_public_key_until_it_expires() {
        let (issuer, verifier) = tokens(true);
        let user = UserId::new();
        let (token, lifetime) = issuer
            .issue(user, SessionId::new(), at("2026-11-21T09:00:00Z"))
            .unwrap();
        assert_eq!(lifetime, 900);
        let claims = verifier.verify(&token, at("2026-11-21T09:14:59Z")).unwrap();
        assert_eq!(
            (claims.sub, claims.iss, claims.aud),
            (user.to_string(), "iss".into(), "aud".into())
        );
        assert_eq!(
            verifier.verify(&token, at("2026-11-21T09:15:00Z")),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn verifiers_cannot_issue() {
        let (_, verifier) = tokens(true);
        assert_eq!(
            verifier
                .issue(UserId::new(), SessionId::new(), at("2026-11-21T09:00:00Z"))
                .unwrap_err(),
            TokenError::CannotIssue
        );
    }

    #[test]
    fn another_key_pair_is_refused() {
        let (issuer, _) = tokens(true);
        let (_, other_verifier) = tokens(true);
        let (token, _) = issuer
            .issue(UserId::new(), SessionId::new(), at("2026-11-21T09:00:00Z"))
            .unwrap();
        assert_eq!(
            other_verifier.verify(&token, at("2026-11-21T09:01:00Z")),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn garbage_and_unsigned_tokens_are_refused() {
        let (_, verifier) = tokens(true);
        let now = at("2026-11-21T09:00:00Z");
        let header = STANDARD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let body =
            STANDARD.encode(r#"{"sub":"x","exp":9999999999,"iat":1,"iss":"iss","aud":"aud"}"#);
        for token in ["", "a.b.c", &format!("{header}.{body}.")] {
            assert_eq!(
                verifier.verify(token, now),
                Err(TokenError::Invalid),
                "{token}"
            );
        }
    }

    #[test]
    fn malformed_keys_are_configuration_errors() {
        let config = AuthConfig {
            public_key_pem: "not a key".into(),
            private_key_pem: None,
            issuer: "i".into(),
            audience: "a".into(),
            lockout_threshold: 5,
            lockout_secs: 900,
        };
        assert!(matches!(
            AccessTokens::from_config(&config),
            Err(ConfigError::Invalid {
                name: "JWT_PUBLIC_KEY",
                ..
            })
        ));
    }
}
