//! The library every function uses: pure domain rules, the DynamoDB store, HTTP helpers,
//! configuration and telemetry. Nothing here knows whether it runs on Lambda or locally.

pub mod audit;
pub mod bidding;
pub mod catalog;
pub mod config;
pub mod domain;
pub mod http;
pub mod identity;
pub mod lifecycle;
pub mod realtime;
pub mod sigv4;
pub mod store;
pub mod telemetry;
