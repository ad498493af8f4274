//! Lambda entry point of the sweeper, which the rate schedule invokes every 5 minutes: runs
//! every lifecycle step whose time has passed.

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    let state = &state;
    lambda_runtime::run(service_fn(
        move |_: LambdaEvent<serde_json::Value>| async move {
            functions::lifecycle::sweep::schedule_sweep(state)
                .await
                .map_err(lambda_http::Error::from)
        },
    ))
    .await
}
