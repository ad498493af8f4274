//! What a request carries besides its body: path parameters and list paging.

use std::str::FromStr;

use lambda_http::{Request, RequestExt};

use super::problem::{ApiError, FieldError};

/// The path parameter `name` as a `T` (an id). A value that cannot be one names no resource
/// there can be, so it is a `404`, like any other unknown id.
pub fn path_parameter<T: FromStr>(request: &Request, name: &str) -> Result<T, ApiError> {
    request
        .path_parameters_ref()
        .and_then(|parameters| parameters.first(name))
        .and_then(|value| value.parse().ok())
        .ok_or(ApiError::NotFound)
}

/// A list request's `?limit=` (default 20, 1 to 100) and opaque `?cursor=`.
pub fn page_parameters(request: &Request) -> Result<(u32, Option<String>), ApiError> {
    let mut errors = Vec::new();
    let page = page_parameters_into(request, &mut errors);
    refused_query(errors)?;
    Ok(page)
}

/// Like [`page_parameters`], for a list route reading other query parameters too: a bad limit
/// joins `errors` (the default stands in), so one `422` lists every parameter at fault.
pub fn page_parameters_into(
    request: &Request,
    errors: &mut Vec<FieldError>,
) -> (u32, Option<String>) {
    let limit = match query_parameter(request, "limit") {
        None => 20,
        Some(text) => match text.parse::<u32>() {
            Ok(limit) if (1..=100).contains(&limit) => limit,
            _ => {
                errors.push(FieldError::new(
                    "limit",
                    "must be a whole number from 1 to 100",
                ));
                20
            }
        },
    };
    let cursor = query_parameter(request, "cursor").filter(|cursor| !cursor.is_empty());
    (limit, cursor.map(str::to_string))
}

/// The query parameter `name`, if given.
pub fn query_parameter<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .query_string_parameters_ref()
        .and_then(|query| query.first(name))
}

/// A store query's `?cursor=`, checked with the other query parameters before the query runs:
/// one it did not issue joins `errors`.
pub fn check_cursor(query: &crate::store::Query, errors: &mut Vec<FieldError>) {
    if !query.cursor_is_valid() {
        errors.push(FieldError::new(
            "cursor",
            "is not a cursor this list issued",
        ));
    }
}

/// `Ok` when no query parameter was at fault; otherwise the `422` listing them all.
pub fn refused_query(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Adds the field errors of `outcome` to `errors` (any other error is answered at once).
pub fn collect<T>(
    outcome: Result<T, ApiError>,
    errors: &mut Vec<FieldError>,
) -> Result<Option<T>, ApiError> {
    match outcome {
        Ok(value) => Ok(Some(value)),
        Err(ApiError::Validation(mut refused)) => {
            errors.append(&mut refused);
            Ok(None)
        }
        Err(other) => Err(other),
    }
}
