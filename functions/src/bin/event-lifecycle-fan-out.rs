//! Lambda entry point of the lifecycle bus's rule target: tells the people an event concerns,
//! over WebSocket and in their notifications.

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    let pusher = shared::realtime::Pusher::from_config(&state.config.realtime).await?;
    let (state, pusher) = (&state, &pusher);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            functions::lifecycle::announce::event_lifecycle_fan_out(state, pusher, event.payload)
                .await
                .map_err(lambda_http::Error::from)
        },
    ))
    .await
}
