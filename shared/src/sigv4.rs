//! The pieces of AWS Signature Version 4 that a presigned S3 POST needs: the signing key and
//! the hex signature of a policy. The functions sign upload forms with them; the local
//! emulator checks the forms with them, as S3 does.

use aws_lc_rs::hmac;

/// SigV4's signing key: the secret, HMAC'd with the date (`YYYYMMDD`), the region, the
/// service and `aws4_request` in turn.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> hmac::Key {
    let mut key = format!("AWS4{secret}").into_bytes();
    for part in [date, region, service, "aws4_request"] {
        let step = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key), part.as_bytes());
        key = step.as_ref().to_vec();
    }
    hmac::Key::new(hmac::HMAC_SHA256, &key)
}

/// The signature of `text` (a POST form's Base64 policy) under `key`, in lowercase hex.
pub fn signature(key: &hmac::Key, text: &str) -> String {
    hmac::sign(key, text.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's published example of deriving a signing key (the key's bytes are not exposed:
    /// both keys sign the same text alike).
    #[test]
    fn the_signing_key_is_derived_as_aws_publishes_it() {
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        let published = "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d";
        let bytes: Vec<u8> = (0..published.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(&published[i..i + 2], 16).ok())
            .collect();
        let expected = hmac::Key::new(hmac::HMAC_SHA256, &bytes);
        assert_eq!(signature(&key, "policy"), signature(&expected, "policy"));
        assert_ne!(
            signature(&key, "policy"),
            signature(
                &signing_key("other", "20120215", "us-east-1", "iam"),
                "policy"
            )
        );
    }
}
