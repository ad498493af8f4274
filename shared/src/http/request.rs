//! Parsing request bodies at the edge: JSON that does not parse is a `400`; JSON of the
//! wrong shape (unknown, missing, duplicate or invalid fields) a `422` naming the field.

use std::str::FromStr;

use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use super::problem::ApiError;

/// Parses a JSON body into `T` (which should `deny_unknown_fields`).
pub fn parse_json_body<T: DeserializeOwned>(request: &Request) -> Result<T, ApiError> {
    let bytes: &[u8] = match request.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => b"",
    };
    if bytes.is_empty() {
        return Err(ApiError::MalformedRequest(
            "The request needs a JSON body.".into(),
        ));
    }
    // Well-formedness first, so broken JSON is always a 400 whatever its shape.
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(|error| malformed(&error))?;
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            Category::Data => field_error(&path, &without_position(&inner)),
            _ => malformed(&inner),
        }
    })
}

/// The path parameter `name` as a `T` (an id). A value that cannot be one names no resource
/// there can be, so it is a `404`, like any other unknown id.
pub fn path_parameter<T: FromStr>(request: &Request, name: &str) -> Result<T, ApiError> {
    request
        .path_parameters_ref()
        .and_then(|parameters| parameters.first(name))
        .and_then(|value| value.parse().ok())
        .ok_or(ApiError::NotFound)
}

/// For `#[serde(default, deserialize_with = "nullable")]` on an `Option<Option<T>>` field of
/// a PATCH body: tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// A list request's `?limit=` (default 20, 1 to 100) and opaque `?cursor=`.
pub fn page_parameters(request: &Request) -> Result<(u32, Option<String>), ApiError> {
    let query = request.query_string_parameters_ref();
    let first = |name: &str| query.and_then(|q| q.first(name)).map(str::to_string);
    let limit = match first("limit") {
        None => 20,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|limit| (1..=100).contains(limit))
            .ok_or_else(|| ApiError::invalid("limit", "must be a whole number from 1 to 100"))?,
    };
    Ok((limit, first("cursor").filter(|c| !c.is_empty())))
}

fn malformed(error: &serde_json::Error) -> ApiError {
    ApiError::MalformedRequest(format!("The body is not valid JSON: {error}."))
}

/// serde_json's message without its " at line 1 column 20" suffix.
fn without_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message,
    }
}

/// A `422` for the field at `path` (`.` is the body itself).
fn field_error(path: &str, message: &str) -> ApiError {
    let quoted = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
    };
    let child = |name: &str| match path {
        "." | "" => name.to_string(),
        parent => format!("{parent}.{name}"),
    };
    if let Some(name) = quoted("unknown field `") {
        // The path already ends at the unknown field.
        let field = if path.ends_with(name) {
            path.to_string()
        } else {
            child(name)
        };
        return ApiError::invalid(field, "is not a field of this request (or is read-only)");
    }
    if let Some(name) = quoted("missing field `") {
        return ApiError::invalid(child(name), "is required");
    }
    if let Some(name) = quoted("duplicate field `") {
        return ApiError::invalid(child(name), "appears more than once");
    }
    let field = if path == "." {
        "body".to_string()
    } else {
        path.to_string()
    };
    ApiError::invalid(field, message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Money;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Register {
        email: String,
        display_name: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Bid {
        amount: Money,
        settings: Option<Settings>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Settings {
        stagger_sec: u32,
    }

    fn request(body: &str) -> Request {
        Request::new(Body::Text(body.into()))
    }

    fn field_of(error: ApiError) -> (String, String) {
        match error {
            ApiError::Validation(errors) => (errors[0].field.clone(), errors[0].message.clone()),
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn unparsable_json_is_malformed() {
        for body in ["{not json", "{\"email\": \"a\"", "{} trailing"] {
            let error = parse_json_body::<Register>(&request(body)).unwrap_err();
            assert!(
                matches!(error, ApiError::MalformedRequest(_)),
                "{body}: {error:?}"
            );
        }
        let error = parse_json_body::<Register>(&Request::new(Body::Empty)).unwrap_err();
        assert!(matches!(error, ApiError::MalformedRequest(_)));
    }

    #[test]
    fn unknown_fields_are_named() {
        let body = r#"{"email":"a@b.c","displayName":"A","userRole":"admin"}"#;
        let error = parse_json_body::<Register>(&request(body)).unwrap_err();
        assert_eq!(field_of(error).0, "userRole");
        let body = r#"{"amount":"1","settings":{"staggerSec":1,"extra":true}}"#;
        let error = parse_json_body::<Bid>(&request(body)).unwrap_err();
        assert_eq!(field_of(error).0, "settings.extra");
    }

    #[test]
    fn missing_and_duplicate_fields_are_named() {
        let error = parse_json_body::<Register>(&request(r#"{"email":"a@b.c"}"#)).unwrap_err();
        assert_eq!(
            field_of(error),
            ("displayName".into(), "is required".into())
        );
        let body = r#"{"email":"a","email":"b","displayName":"A"}"#;
        let error = parse_json_body::<Register>(&request(body)).unwrap_err();
        assert_eq!(field_of(error).0, "email");
    }

    #[test]
    fn invalid_values_are_named_with_the_reason() {
        let error = parse_json_body::<Bid>(&request(r#"{"amount":"-1"}"#)).unwrap_err();
        assert_eq!(
            field_of(error),
            ("amount".into(), "must not be negative".into())
        );
        let error =
            parse_json_body::<Bid>(&request(r#"{"amount":"1","settings":{"staggerSec":-5}}"#))
                .unwrap_err();
        assert_eq!(field_of(error).0, "settings.staggerSec");
    }
}
