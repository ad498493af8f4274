//! What a request carries besides its body: path parameters and list paging.

use std::str::FromStr;

use lambda_http::{Request, RequestExt};

use super::problem::ApiError;

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
