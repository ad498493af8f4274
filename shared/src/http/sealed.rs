//! Sealed cursors: AES-256-GCM over a list position, so a client can neither read what the
//! position points at (a record it may not see) nor forge one.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::problem::ApiError;
use crate::config::CursorKey;

fn key(key: &CursorKey) -> Result<LessSafeKey, ApiError> {
    UnboundKey::new(&AES_256_GCM, &key.0)
        .map(LessSafeKey::new)
        .map_err(|_| ApiError::Unexpected(anyhow::anyhow!("the cursor key is unusable")))
}

/// `plain` sealed under `cursor_key`, as URL-safe text.
pub fn seal(cursor_key: &CursorKey, plain: &[u8]) -> Result<String, ApiError> {
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| ApiError::Unexpected(anyhow::anyhow!("the random generator failed")))?;
    let mut sealed = plain.to_vec();
    key(cursor_key)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::empty(),
            &mut sealed,
        )
        .map_err(|_| ApiError::Unexpected(anyhow::anyhow!("sealing a cursor failed")))?;
    let mut text = nonce.to_vec();
    text.extend(sealed);
    Ok(URL_SAFE_NO_PAD.encode(text))
}

/// The plain bytes of a cursor we sealed; a `422` on `cursor` for anything else.
pub fn open(cursor_key: &CursorKey, text: &str) -> Result<Vec<u8>, ApiError> {
    let invalid = || ApiError::invalid("cursor", "is not a cursor this list issued");
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
    if bytes.len() < NONCE_LEN || bytes.len() > 4096 {
        return Err(invalid());
    }
    let (nonce, sealed) = bytes.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| invalid())?;
    let mut sealed = sealed.to_vec();
    let plain = key(cursor_key)?
        .open_in_place(nonce, Aad::empty(), &mut sealed)
        .map_err(|_| invalid())?;
    Ok(plain.to_vec())
}

/// A store cursor (which names the records it points at) sealed for a client.
pub fn seal_cursor(
    cursor_key: &CursorKey,
    cursor: Option<String>,
) -> Result<Option<String>, ApiError> {
    cursor
        .map(|plain| seal(cursor_key, plain.as_bytes()))
        .transpose()
}

/// The store cursor inside a cursor that [`seal_cursor`] made; a `422` on `cursor` otherwise.
pub fn open_cursor(cursor_key: &CursorKey, text: Option<&str>) -> Result<Option<String>, ApiError> {
    text.map(|text| {
        String::from_utf8(open(cursor_key, text)?)
            .map_err(|_| ApiError::invalid("cursor", "is not a cursor this list issued"))
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_what_it_sealed_and_nothing_else() {
        let key = CursorKey([7; 32]);
        let sealed = seal(&key, b"{\"step\":1}").unwrap();
        assert!(!sealed.contains("step"));
        assert_eq!(open(&key, &sealed).unwrap(), b"{\"step\":1}");
        assert!(open(&CursorKey([8; 32]), &sealed).is_err(), "another key");
        let mut tampered = sealed.clone();
        tampered.replace_range(20..21, if &sealed[20..21] == "A" { "B" } else { "A" });
        assert!(open(&key, &tampered).is_err(), "tampered");
        assert!(open(&key, "short").is_err());
    }
}
