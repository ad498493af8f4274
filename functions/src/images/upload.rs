//! A presigned S3 POST (Signature Version 4): the form a browser sends its file with, straight
//! to the bucket. Its policy names the one key, the one content type and the size range, so
//! S3 itself refuses anything larger, of another type or under another name, and the bytes
//! never pass through a function.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use shared::sigv4::{signature, signing_key};

/// The content types an upload may declare (its bytes are checked again once it lands).
pub const CONTENT_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];

/// The credentials the form is signed with (a function's own: with a session token).
#[derive(Clone, Debug)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

/// What one upload may be.
#[derive(Clone, Debug)]
pub struct Upload<'a> {
    /// Where the form is posted: the bucket's endpoint.
    pub url: &'a str,
    pub bucket: &'a str,
    pub region: &'a str,
    pub key: &'a str,
    pub content_type: &'a str,
    pub max_bytes: usize,
    pub expires_in_secs: i64,
}

/// The form: post `fields` and then the file (last) as `multipart/form-data` to `url`.
#[derive(Clone, Debug, PartialEq)]
pub struct PresignedPost {
    pub url: String,
    pub fields: BTreeMap<String, String>,
    pub expires_at: DateTime<Utc>,
}

/// Signs the form for `upload` at `now`.
pub fn presign_post(
    credentials: &Credentials,
    upload: &Upload<'_>,
    now: DateTime<Utc>,
) -> PresignedPost {
    let date = now.format("%Y%m%d").to_string();
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let credential = format!(
        "{}/{date}/{}/s3/aws4_request",
        credentials.access_key_id, upload.region
    );
    let expires_at = now + chrono::Duration::seconds(upload.expires_in_secs);
    let mut fields = BTreeMap::from([
        ("key".to_string(), upload.key.to_string()),
        ("Content-Type".to_string(), upload.content_type.to_string()),
        (
            "x-amz-algorithm".to_string(),
            "AWS4-HMAC-SHA256".to_string(),
        ),
        ("x-amz-credential".to_string(), credential),
        ("x-amz-date".to_string(), amz_date),
    ]);
    if let Some(token) = &credentials.session_token {
        fields.insert("x-amz-security-token".to_string(), token.clone());
    }
    let mut conditions: Vec<Value> = vec![
        json!({"bucket": upload.bucket}),
        json!(["content-length-range", 1, upload.max_bytes]),
    ];
    conditions.extend(fields.iter().map(|(name, value)| json!({ name: value })));
    let policy = json!({
        "expiration": expires_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        "conditions": conditions,
    });
    let policy = STANDARD.encode(policy.to_string());
    let key = signing_key(&credentials.secret_access_key, &date, upload.region, "s3");
    fields.insert("x-amz-signature".to_string(), signature(&key, &policy));
    fields.insert("policy".to_string(), policy);
    PresignedPost {
        url: upload.url.to_string(),
        fields,
        expires_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_pins_the_key_the_type_and_the_size_and_is_what_is_signed() {
        let credentials = Credentials {
            access_key_id: "AKIDEXAMPLE".to_string(),
            secret_access_key: "secret".to_string(),
            session_token: Some("token".to_string()),
        };
        let upload = Upload {
            url: "http://127.0.0.1:8000/uploads",
            bucket: "uploads",
            region: "eu-west-1",
            key: "originals/item/abc",
            content_type: "image/png",
            max_bytes: 10 * 1024 * 1024,
            expires_in_secs: 900,
        };
        let now = DateTime::parse_from_rfc3339("2026-12-04T10:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let post = presign_post(&credentials, &upload, now);
        assert_eq!(
            post.fields["x-amz-credential"],
            "AKIDEXAMPLE/20261204/eu-west-1/s3/aws4_request"
        );
        assert_eq!(post.fields["x-amz-date"], "20261204T100000Z");
        assert_eq!(post.fields["x-amz-security-token"], "token");
        let policy: Value = STANDARD
            .decode(&post.fields["policy"])
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        assert_eq!(policy["expiration"], "2026-12-04T10:15:00.000Z");
        let conditions = policy["conditions"].as_array().cloned().unwrap_or_default();
        for condition in [
            json!({"bucket": "uploads"}),
            json!(["content-length-range", 1, 10_485_760]),
            json!({"key": "originals/item/abc"}),
            json!({"Content-Type": "image/png"}),
            json!({"x-amz-security-token": "token"}),
            json!({"x-amz-algorithm": "AWS4-HMAC-SHA256"}),
        ] {
            assert!(conditions.contains(&condition), "{condition} in {policy}");
        }
        let key = signing_key("secret", "20261204", "eu-west-1", "s3");
        assert_eq!(
            post.fields["x-amz-signature"],
            signature(&key, &post.fields["policy"])
        );
    }
}
