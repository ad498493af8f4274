//! Test harness pieces.

mod app;
mod fixtures;
mod local_dynamo;
mod trial;

pub use app::{TestApp, test_config};
pub use fixtures::{api_request, body_json, request};
pub use local_dynamo::{LocalDynamo, endpoint, repo_root};
pub use trial::{app_trial, trial};
