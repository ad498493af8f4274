//! HTTP helpers every route uses: one error type answered as RFC 9457 problem+json,
//! JSON responses and body parsing, and the Lambda run loop.

mod body;
mod problem;
mod request;
mod response;
pub mod sealed;

pub(crate) use body::text_rules;
pub use body::{
    FieldRule, OneOf, checked, checked_nullable, checked_option, nullable, parse_json_body,
    parse_json_fields,
};
pub use problem::{ApiError, FieldError, Problem};
pub use request::{
    check_cursor, collect, page_parameters, page_parameters_into, path_parameter, query_parameter,
    refused_query,
};
pub use response::{json, no_content, serve};
