//! Turns an async test into a libtest-mimic trial running on its own runtime.

use std::future::Future;

use libtest_mimic::{Failed, Trial};

use super::app::TestApp;

/// A trial named `name` that runs `test` to completion.
pub fn trial<F, Fut>(name: &str, test: F) -> Trial
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>>,
{
    Trial::test(name, move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Failed::from(format!("building a runtime: {e}")))?;
        runtime
            .block_on(test())
            .map_err(|e| Failed::from(format!("{e:#}")))
    })
}

/// A trial that gives `test` fresh tables and drops them afterwards, pass or fail: the test
/// runs as a task, so even a failed assertion (a panic) reaches the teardown first.
pub fn app_trial<F, Fut>(name: &str, test: F) -> Trial
where
    F: FnOnce(TestApp) -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    trial(name, move || async move {
        let app = TestApp::spawn().await?;
        let outcome = tokio::spawn(test(app.clone())).await;
        let teardown = app.teardown().await;
        match outcome {
            Ok(result) => result.and(teardown),
            Err(failure) if failure.is_panic() => std::panic::resume_unwind(failure.into_panic()),
            Err(failure) => Err(failure.into()),
        }
    })
}

/// The trials of the listed async test functions, each named `<module path>::<function>`.
/// A test function left out of the list is dead code, which clippy refuses.
#[macro_export]
macro_rules! trials {
    ($($test:ident),* $(,)?) => {
        vec![$($crate::harness::trial(
            concat!(module_path!(), "::", stringify!($test)).trim_start_matches("api::"),
            $test,
        )),*]
    };
}

/// Like `trials!`, for test functions that take a [`TestApp`] (fresh tables, dropped after).
#[macro_export]
macro_rules! app_trials {
    ($($test:ident),* $(,)?) => {
        vec![$($crate::harness::app_trial(
            concat!(module_path!(), "::", stringify!($test)).trim_start_matches("api::"),
            $test,
        )),*]
    };
}
