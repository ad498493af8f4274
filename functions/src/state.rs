//! What every function builds once per cold start and shares across its invocations.

use std::sync::Arc;

use shared::config::{Config, ConfigError, CursorKey};
use shared::domain::{Clock, SystemClock};
use shared::identity::AccessTokens;
use shared::lifecycle::Lifecycle;
use shared::store::Store;

/// Configuration, clients, token keys and the clock, built once per cold start.
#[derive(Clone, Debug)]
pub struct AppState {
    pub config: Config,
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub tokens: AccessTokens,
    /// Scheduler and the event bus, where this function was configured for them.
    pub lifecycle: Lifecycle,
}

impl AppState {
    /// Sets up logging, reads the environment and connects the clients (startup only).
    pub async fn from_env() -> Result<Self, lambda_http::Error> {
        shared::telemetry::init();
        Self::from_lookup(|name| std::env::var(name).ok()).await
    }

    /// The state from configuration read through `lookup`, secrets included (what
    /// [`Self::from_env`] does with the process environment).
    pub async fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, lambda_http::Error> {
        let config = Config::from_lookup(&lookup);
        let config = match config {
            Ok(config) => config.with_secrets(&lookup).await,
            Err(error) => Err(error),
        }
        .inspect_err(|error| {
            tracing::error!(error = %error, "configuration is incomplete; the function cannot start");
        })?;
        let store = Store::connect(&config.store).await;
        let lifecycle = Lifecycle::connect(&config.lifecycle).await;
        let mut state = Self::new(config, store, Arc::new(SystemClock)).inspect_err(|error| {
            tracing::error!(error = %error, "configuration is invalid; the function cannot start");
        })?;
        state.lifecycle = lifecycle;
        Ok(state)
    }

    /// The state from parts (tests build it with their own store and clock).
    pub fn new(config: Config, store: Store, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let tokens = AccessTokens::from_config(&config.auth)?;
        shared::catalog::draft::allow_payment_windows_from(
            config.lifecycle.min_payment_window_secs,
        );
        Ok(Self {
            config,
            store,
            clock,
            tokens,
            lifecycle: Lifecycle::default(),
        })
    }

    /// The key that seals list cursors: `500` for a function deployed without one.
    pub fn cursor_key(&self) -> Result<&CursorKey, shared::http::ApiError> {
        self.config.cursor_key.as_ref().ok_or_else(|| {
            shared::http::ApiError::Unexpected(anyhow::anyhow!("CURSOR_KEY is not configured"))
        })
    }

    /// The calling user if the request carries a token; `None` for anonymous callers.
    pub async fn optional_caller(
        &self,
        request: &lambda_http::Request,
    ) -> Result<Option<shared::identity::Caller>, shared::http::ApiError> {
        shared::identity::caller(&self.store, &self.tokens, self.clock.now(), request).await
    }

    /// The calling user, or `401`.
    pub async fn caller(
        &self,
        request: &lambda_http::Request,
    ) -> Result<shared::identity::Caller, shared::http::ApiError> {
        shared::identity::authenticate(&self.store, &self.tokens, self.clock.now(), request).await
    }
}
