//! Sending to WebSocket clients through API Gateway's `@connections` management API, at the
//! endpoint configuration names (`WEBSOCKET_MANAGEMENT_ENDPOINT`).

use std::time::Duration;

use aws_sdk_apigatewaymanagement::Client;
use aws_sdk_apigatewaymanagement::error::SdkError;
use aws_sdk_apigatewaymanagement::operation::post_to_connection::PostToConnectionError;
use aws_sdk_apigatewaymanagement::primitives::Blob;

/// Tries of a post API Gateway throttled, the first included.
const THROTTLED_TRIES: u32 = 5;

/// Why a frame was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The client is gone (`410`): its records should go too.
    #[error("the connection is gone")]
    Gone,
    #[error("posting to the connection failed: {0}")]
    Failed(String),
}

/// The `@connections` client, made once per cold start.
#[derive(Clone, Debug)]
pub struct Pusher {
    client: Client,
}

impl Pusher {
    pub async fn connect(endpoint: &str) -> Self {
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let config = aws_sdk_apigatewaymanagement::config::Builder::from(&sdk)
            .endpoint_url(endpoint)
            .build();
        Self {
            client: Client::from_conf(config),
        }
    }

    /// The client of the configured `WEBSOCKET_MANAGEMENT_ENDPOINT`, for a function that
    /// cannot start without one.
    pub async fn from_config(config: &crate::config::RealtimeConfig) -> Result<Self, &'static str> {
        let endpoint = config
            .management_endpoint
            .as_deref()
            .ok_or("WEBSOCKET_MANAGEMENT_ENDPOINT is not set; the fan-out cannot start")?;
        Ok(Self::connect(endpoint).await)
    }

    /// Sends `frame` to `connection`; a throttled post is retried with backoff.
    pub async fn post(&self, connection: &str, frame: &str) -> Result<(), PushError> {
        let mut delay = Duration::from_millis(50);
        for attempt in 1..=THROTTLED_TRIES {
            let sent = self
                .client
                .post_to_connection()
                .connection_id(connection)
                .data(Blob::new(frame.as_bytes()))
                .send()
                .await;
            match sent {
                Ok(_) => return Ok(()),
                Err(error) => match error.as_service_error() {
                    Some(PostToConnectionError::GoneException(_)) => return Err(PushError::Gone),
                    Some(PostToConnectionError::LimitExceededException(_))
                        if attempt < THROTTLED_TRIES =>
                    {
                        tokio::time::sleep(jittered(delay)).await;
                        delay *= 2;
                    }
                    _ => return Err(PushError::Failed(describe(&error))),
                },
            }
        }
        Err(PushError::Failed("throttled on every try".into()))
    }
}

/// Somewhere in the second half of `delay`, so throttled posts do not retry in step.
fn jittered(delay: Duration) -> Duration {
    let half = delay / 2;
    half + half.mul_f64(fastrand::f64())
}

fn describe<E: std::error::Error + 'static, R: std::fmt::Debug>(error: &SdkError<E, R>) -> String {
    aws_sdk_apigatewaymanagement::error::DisplayErrorContext(error).to_string()
}
