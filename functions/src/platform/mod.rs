//! Routes about the platform itself rather than the auction domain.

pub mod health;
pub mod openapi_document;
