//! Counts the requests a store client sends to DynamoDB (each attempt is one round trip), so
//! tests and benchmarks can state how many calls an operation makes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use shared::config::StoreConfig;
use shared::store::{Store, Tables};

/// The number of requests sent so far through the clients it was given to.
#[derive(Clone, Debug, Default)]
pub struct RoundTrips(Arc<AtomicU64>);

impl RoundTrips {
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl Intercept for RoundTrips {
    fn name(&self) -> &'static str {
        "RoundTrips"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// A store like [`Store::connect`] builds, whose requests `round_trips` counts.
pub async fn counted_store(config: &StoreConfig, round_trips: &RoundTrips) -> Store {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let mut builder =
        aws_sdk_dynamodb::config::Builder::from(&sdk).interceptor(round_trips.clone());
    if let Some(endpoint) = &config.dynamodb_endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    Store::new(
        aws_sdk_dynamodb::Client::from_conf(builder.build()),
        Tables::new(config.table_prefix.clone()),
    )
}
