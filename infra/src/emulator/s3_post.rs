//! S3's checks on a browser's POST upload, which moto does not make (it stores whatever a
//! form sends): the SigV4 signature of the policy, its expiry, and every condition it sets
//! (exact fields, `starts-with`, `content-length-range`), with no form field left outside
//! them. The emulator's S3 front runs them before it hands the object to moto.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde_json::Value;
use shared::sigv4::{signature, signing_key};

/// Why S3 refuses a form, as its error code and message say.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the form has no `{0}` field")]
    Missing(&'static str),
    #[error("the policy is not Base64 JSON with an expiration and conditions")]
    Malformed,
    #[error("the signature does not match the policy")]
    BadSignature,
    #[error("the policy expired")]
    Expired,
    #[error("the file is larger than the policy allows")]
    TooLarge,
    #[error("the file is smaller than the policy allows")]
    TooSmall,
    #[error("invalid according to policy: {0}")]
    Condition(String),
    #[error("invalid according to policy: extra input field `{0}`")]
    Uncovered(String),
}

impl Refusal {
    /// S3's status and error code for it.
    pub fn status_and_code(&self) -> (u16, &'static str) {
        match self {
            Refusal::TooLarge => (400, "EntityTooLarge"),
            Refusal::TooSmall => (400, "EntityTooSmall"),
            Refusal::Missing(_) | Refusal::Malformed => (400, "InvalidArgument"),
            Refusal::BadSignature => (403, "SignatureDoesNotMatch"),
            Refusal::Expired | Refusal::Condition(_) | Refusal::Uncovered(_) => {
                (403, "AccessDenied")
            }
        }
    }
}

/// Checks a POST form's `fields` (the file's excepted) for an upload of `file_length` bytes to
/// `bucket`, signed with `secret`, at `now`.
pub fn check(
    fields: &BTreeMap<String, String>,
    bucket: &str,
    file_length: usize,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    let field = |name: &'static str| {
        fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .ok_or(Refusal::Missing(name))
    };
    let policy = field("policy")?;
    let given = field("x-amz-signature")?;
    if field("x-amz-algorithm")? != "AWS4-HMAC-SHA256" {
        return Err(Refusal::BadSignature);
    }
    let scope: Vec<&str> = field("x-amz-credential")?.split('/').collect();
    let [_, date, region, service, "aws4_request"] = scope[..] else {
        return Err(Refusal::BadSignature);
    };
    let expected = signature(&signing_key(secret, date, region, service), policy);
    if !same(expected.as_bytes(), given.as_bytes()) {
        return Err(Refusal::BadSignature);
    }
    let policy: Value = STANDARD
        .decode(policy)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(Refusal::Malformed)?;
    let expiration = policy["expiration"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .ok_or(Refusal::Malformed)?;
    if now >= expiration {
        return Err(Refusal::Expired);
    }
    let conditions = policy["conditions"].as_array().ok_or(Refusal::Malformed)?;
    let value_of = |name: &str| -> Option<&str> {
        match name.eq_ignore_ascii_case("bucket") {
            true => Some(bucket),
            false => fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str()),
        }
    };
    let mut covered: Vec<String> = Vec::new();
    for condition in conditions {
        match condition {
            Value::Object(exact) => {
                for (name, wanted) in exact {
                    let wanted = wanted.as_str().ok_or(Refusal::Malformed)?;
                    if value_of(name) != Some(wanted) {
                        return Err(Refusal::Condition(format!("{name} must be {wanted}")));
                    }
                    covered.push(name.to_ascii_lowercase());
                }
            }
            Value::Array(parts) => match parts.as_slice() {
                [Value::String(op), min, max] if op == "content-length-range" => {
                    let (min, max) = (min.as_u64(), max.as_u64());
                    let (Some(min), Some(max)) = (min, max) else {
                        return Err(Refusal::Malformed);
                    };
                    let length = file_length as u64;
                    if length > max {
                        return Err(Refusal::TooLarge);
                    }
                    if length < min {
                        return Err(Refusal::TooSmall);
                    }
                }
                [
                    Value::String(op),
                    Value::String(name),
                    Value::String(wanted),
                ] => {
                    let name = name.trim_start_matches('$');
                    let value = value_of(name).unwrap_or_default();
                    let holds = match op.as_str() {
                        "eq" => value == wanted,
                        "starts-with" => value.starts_with(wanted.as_str()),
                        _ => return Err(Refusal::Malformed),
                    };
                    if !holds {
                        return Err(Refusal::Condition(format!("{name} {op} {wanted}")));
                    }
                    covered.push(name.to_ascii_lowercase());
                }
                _ => return Err(Refusal::Malformed),
            },
            _ => return Err(Refusal::Malformed),
        }
    }
    let exempt = |name: &str| {
        matches!(name, "policy" | "x-amz-signature" | "file") || name.starts_with("x-ignore-")
    };
    for name in fields.keys().map(|k| k.to_ascii_lowercase()) {
        if !exempt(&name) && !covered.contains(&name) {
            return Err(Refusal::Uncovered(name));
        }
    }
    Ok(())
}

/// Equal, in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use functions::images::upload::{Credentials, PresignedPost, Upload, presign_post};

    const SECRET: &str = "local-secret";

    fn form(now: DateTime<Utc>) -> PresignedPost {
        let credentials = Credentials {
            access_key_id: "local".to_string(),
            secret_access_key: SECRET.to_string(),
            session_token: None,
        };
        let upload = Upload {
            url: "http://127.0.0.1:9100/photos",
            bucket: "photos",
            region: "us-east-1",
            key: "originals/items/abc",
            content_type: "image/jpeg",
            max_bytes: 1000,
            expires_in_secs: 900,
        };
        presign_post(&credentials, &upload, now)
    }

    #[test]
    fn a_form_as_signed_passes_and_anything_else_is_refused_as_s3_would() {
        let now = Utc::now();
        let post = form(now);
        assert_eq!(check(&post.fields, "photos", 500, SECRET, now), Ok(()));
        assert_eq!(
            check(&post.fields, "photos", 1001, SECRET, now),
            Err(Refusal::TooLarge)
        );
        assert_eq!(
            check(&post.fields, "photos", 0, SECRET, now),
            Err(Refusal::TooSmall)
        );
        assert_eq!(
            check(&post.fields, "other", 500, SECRET, now).map_err(|e| e.status_and_code()),
            Err((403, "AccessDenied")),
            "another bucket"
        );
        for (name, value) in [
            ("key", "originals/items/other"),
            ("Content-Type", "text/html"),
        ] {
            let mut changed = post.fields.clone();
            changed.insert(name.to_string(), value.to_string());
            assert!(
                matches!(
                    check(&changed, "photos", 500, SECRET, now),
                    Err(Refusal::Condition(_))
                ),
                "{name} changed"
            );
        }
        let mut forged = post.fields.clone();
        forged.insert("x-amz-signature".to_string(), "0".repeat(64));
        assert_eq!(
            check(&forged, "photos", 500, SECRET, now),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            check(&post.fields, "photos", 500, "another secret", now),
            Err(Refusal::BadSignature)
        );
        let later = now + chrono::Duration::seconds(901);
        assert_eq!(
            check(&post.fields, "photos", 500, SECRET, later),
            Err(Refusal::Expired)
        );
        let mut extra = post.fields.clone();
        extra.insert("acl".to_string(), "public-read".to_string());
        assert_eq!(
            check(&extra, "photos", 500, SECRET, now),
            Err(Refusal::Uncovered("acl".to_string()))
        );
        let mut bare = post.fields.clone();
        bare.remove("policy");
        assert_eq!(
            check(&bare, "photos", 500, SECRET, now),
            Err(Refusal::Missing("policy"))
        );
    }
}
