//! HTTP helpers every route uses: one error type answered as RFC 9457 problem+json,
//! JSON responses and body parsing, and the Lambda run loop.

mod problem;
mod request;
mod response;
pub mod sealed;

pub use problem::{ApiError, FieldError, Problem};
pub use request::{nullable, page_parameters, parse_json_body, path_parameter};
pub use response::{json, no_content, serve};
