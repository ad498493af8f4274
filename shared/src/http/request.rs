//! Parsing request bodies at the edge: unparsable JSON is a `400`, JSON of the wrong
//! shape (unknown, missing or invalid fields) a `422` naming the field.

use lambda_http::{Body, Request};
use serde::de::DeserializeOwned;

use super::problem::ApiError;

/// Parses a JSON body into `T` (which should `deny_unknown_fields`).
pub fn parse_json_body<T: DeserializeOwned>(request: &Request) -> Result<T, ApiError> {
    let bytes: &[u8] = match request.body() {
        Body::Empty => b"",
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => b"",
    };
    if bytes.is_empty() {
        return Err(ApiError::MalformedRequest(
            "The request needs a JSON body.".into(),
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::MalformedRequest(format!("The body is not valid JSON: {e}.")))?;
    serde_json::from_value(value).map_err(|e| shape_error(&e.to_string()))
}

/// Turns serde's message into a field-level `422`.
fn shape_error(message: &str) -> ApiError {
    let quoted = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_string)
    };
    if let Some(field) = quoted("unknown field `") {
        return ApiError::invalid(field, "is not a field of this request (or is read-only)");
    }
    if let Some(field) = quoted("missing field `") {
        return ApiError::invalid(field, "is required");
    }
    ApiError::invalid("body", message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Register {
        email: String,
        display_name: String,
    }

    fn request(body: &str) -> Request {
        Request::new(Body::Text(body.into()))
    }

    fn field_of(error: ApiError) -> String {
        match error {
            ApiError::Validation(errors) => errors[0].field.clone(),
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn unparsable_json_is_malformed() {
        let error = parse_json_body::<Register>(&request("{not json")).unwrap_err();
        assert!(matches!(error, ApiError::MalformedRequest(_)));
        let error = parse_json_body::<Register>(&Request::new(Body::Empty)).unwrap_err();
        assert!(matches!(error, ApiError::MalformedRequest(_)));
    }

    #[test]
    fn unknown_fields_are_named() {
        let body = r#"{"email":"a@b.c","displayName":"A","userRole":"admin"}"#;
        let error = parse_json_body::<Register>(&request(body)).unwrap_err();
        assert_eq!(field_of(error), "userRole");
    }

    #[test]
    fn missing_fields_are_named() {
        let error = parse_json_body::<Register>(&request(r#"{"email":"a@b.c"}"#)).unwrap_err();
        assert_eq!(field_of(error), "displayName");
    }
}
