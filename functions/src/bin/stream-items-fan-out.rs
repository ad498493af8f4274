//! Lambda entry point of the `items` stream trigger: the fan-out of item changes to WebSocket
//! subscribers.

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    let pusher = shared::realtime::Pusher::from_config(&state.config.realtime).await?;
    let (state, pusher) = (&state, &pusher);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<aws_lambda_events::dynamodb::Event>| async move {
            Ok::<_, std::convert::Infallible>(
                functions::realtime::fan_out::stream_items_fan_out(state, pusher, event.payload)
                    .await,
            )
        },
    ))
    .await
}
