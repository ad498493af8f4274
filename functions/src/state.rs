//! What every function builds once per cold start and shares across its invocations.

use std::sync::Arc;

use shared::config::Config;
use shared::domain::{Clock, SystemClock};
use shared::store::Store;

/// Configuration, clients and the clock, built once per cold start.
#[derive(Clone, Debug)]
pub struct AppState {
    pub config: Config,
    pub store: Store,
    pub clock: Arc<dyn Clock>,
}

impl AppState {
    /// Sets up logging, reads the environment and connects the clients (startup only).
    pub async fn from_env() -> Result<Self, lambda_http::Error> {
        shared::telemetry::init();
        let config = Config::from_env().inspect_err(|error| {
            tracing::error!(error = %error, "configuration is incomplete; the function cannot start");
        })?;
        let store = Store::connect(&config).await;
        Ok(Self::new(config, store, Arc::new(SystemClock)))
    }

    pub fn new(config: Config, store: Store, clock: Arc<dyn Clock>) -> Self {
        Self {
            config,
            store,
            clock,
        }
    }
}
