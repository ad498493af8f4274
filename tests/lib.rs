//! The harness of the integration tests: a local DynamoDB-compatible server (started here
//! when `DYNAMODB_ENDPOINT` is not given, stopped by PID), and per-test isolation through a
//! table prefix of its own.

pub mod harness;
