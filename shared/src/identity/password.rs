//! Password hashing with Argon2id at fixed parameters (m = 19 MiB, t = 2, p = 1), stored as a
//! PHC string.

use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};

const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

/// A PHC-format Argon2id hash. Its `Debug` never shows the hash.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PasswordHash(String);

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

fn hasher() -> Result<Argon2<'static>, argon2::Error> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

impl PasswordHash {
    /// Hashes `password` with a fresh random salt.
    pub fn create(password: &str) -> anyhow::Result<Self> {
        // 16 bytes from the OS generator, by way of a v4 UUID.
        let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes())
            .map_err(|e| anyhow::anyhow!("encoding a salt: {e}"))?;
        let hash = hasher()
            .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?;
        Ok(Self(hash.to_string()))
    }

    /// The PHC string, as stored.
    pub fn phc(&self) -> &str {
        &self.0
    }

    /// Whether `password` matches this hash (constant-time comparison inside argon2).
    pub fn verify(&self, password: &str) -> bool {
        let Ok(parsed) = argon2::password_hash::PasswordHash::new(&self.0) else {
            return false;
        };
        hasher().is_ok_and(|h| h.verify_password(password.as_bytes(), &parsed).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_the_right_password_only() {
        let hash = PasswordHash::create("dev-password-123").unwrap();
        assert!(hash.verify("dev-password-123"));
        assert!(!hash.verify("dev-password-124"));
    }

    #[test]
    fn uses_argon2id_with_the_fixed_parameters() {
        let hash = PasswordHash::create("secret-pass").unwrap();
        assert!(
            hash.0.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            hash.0
        );
        assert_eq!(format!("{hash:?}"), "PasswordHash(<redacted>)");
    }

    #[test]
    fn salts_differ() {
        let a = PasswordHash::create("same").unwrap();
        let b = PasswordHash::create("same").unwrap();
        assert_ne!(a, b);
    }
}
