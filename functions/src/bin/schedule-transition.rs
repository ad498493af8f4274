//! Lambda entry point of the one-time schedules' target: runs the lifecycle step a schedule's
//! input names (an error makes Scheduler retry it).

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use shared::lifecycle::Transition;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    let state = &state;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<Transition>| async move {
            functions::lifecycle::transition::schedule_transition(state, event.payload)
                .await
                .map_err(lambda_http::Error::from)
        },
    ))
    .await
}
