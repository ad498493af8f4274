//! `emulator`: the local HTTP API. Serves the routes of `template.yaml` on `API_PORT`
//! (default 9000) and runs the function binaries of `target/debug/` behind them, up to
//! `FUNCTION_CONCURRENCY` processes each (default 4), rebuilding a function whose sources
//! changed on its next call. The template's WebSocket API, if it declares one, is served on
//! `WS_PORT` (default 9001), `@connections` included. Used by `make dev`; stops every function
//! on SIGTERM or Ctrl-C.
//!
//! Functions with `Type: DynamoDB` events get their tables' stream records (polled every
//! `STREAM_POLL_MS`, default 100), and tables with TTL lose their expired items (swept every
//! `TTL_SWEEP_SECS`, default 60), as on AWS. EventBridge Scheduler and `PutEvents` answer on
//! `SERVICES_PORT` (default 9002): one-time schedules invoke their target function at their
//! time, events reach the functions whose `EventBridgeRule` matches them, and `ScheduleV2`
//! rate schedules fire at their rate (unless `RATE_SCHEDULES=off`: the tests invoke the
//! sweeper themselves, so that it never races what they watch).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use infra::emulator::events::EventBus;
use infra::emulator::http_api::HttpFront;
use infra::emulator::lambda::Lambda;
use infra::emulator::reload::Sources;
use infra::emulator::routes::HttpApi;
use infra::emulator::scheduler::SchedulerApi;
use infra::emulator::services::ServicesFront;
use infra::emulator::websocket::{Settings, WebSocketFront};
use infra::emulator::websocket_routes::WebSocketApi;
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Its lines lead with `emulator`, as a function's lead with `<name>[<instance>]`.
    lambda_http::tracing::init_default_subscriber_with_writer(|| Prefixed);
    let port: u16 = setting("API_PORT", 9000)?;
    let concurrency: usize = setting("FUNCTION_CONCURRENCY", 4)?;
    let template_path = infra::template_path();
    let root = template_path
        .parent()
        .context("template.yaml has no folder")?
        .to_path_buf();
    let template = std::fs::read_to_string(&template_path).context("reading template.yaml")?;
    let api = HttpApi::from_template(&template)?;
    let binaries = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("debug");
    let missing: Vec<&str> = api
        .functions
        .iter()
        .map(|f| f.name.as_str())
        .filter(|name| !binaries.join(name).is_file())
        .collect();
    if !missing.is_empty() {
        bail!(
            "not built: {} (run `cargo build -p functions --bins` first)",
            missing.join(", ")
        );
    }
    let sources = Arc::new(Sources::new(root));
    let lambda = Lambda::start(&api.functions, binaries, concurrency, sources.clone()).await?;
    // Before the listeners bind: once they answer `make dev` says ready, and every table
    // write from then on must reach the stream triggers.
    let poll: u64 = setting("STREAM_POLL_MS", 100)?;
    let poll = Duration::from_millis(poll.max(1));
    infra::emulator::streams::start(&template, lambda.clone(), poll).await?;
    let sweep: u64 = setting("TTL_SWEEP_SECS", 60)?;
    infra::emulator::ttl::start(&template, Duration::from_secs(sweep)).await?;
    match WebSocketApi::from_template(&template)? {
        Some(websocket) => {
            let ws_port: u16 = setting("WS_PORT", 9001)?;
            let listener = TcpListener::bind(("127.0.0.1", ws_port))
                .await
                .with_context(|| format!("binding 127.0.0.1:{ws_port}"))?;
            tracing::info!(
                url = %format!("ws://127.0.0.1:{ws_port}"),
                routes = websocket.routes.len(),
                "WebSocket API listening"
            );
            let front = WebSocketFront::new(websocket, lambda.clone(), Settings::from_env()?);
            tokio::spawn(front.serve(listener));
        }
        None => tracing::info!("template.yaml declares no WebSocket API: no WebSocket listener"),
    }
    let (rules, rates) = infra::emulator::events::from_template(&template)?;
    let services_port: u16 = setting("SERVICES_PORT", 9002)?;
    let listener = TcpListener::bind(("127.0.0.1", services_port))
        .await
        .with_context(|| format!("binding 127.0.0.1:{services_port}"))?;
    tracing::info!(
        url = %format!("http://127.0.0.1:{services_port}"),
        rules = rules.len(),
        rate_schedules = rates.len(),
        "Scheduler and EventBridge listening"
    );
    let scheduler = Arc::new(SchedulerApi::default());
    tokio::spawn(scheduler.clone().run(lambda.clone()));
    match std::env::var("RATE_SCHEDULES").as_deref() {
        Ok("off") => tracing::info!("RATE_SCHEDULES=off: no rate schedule fires"),
        Ok("on") | Err(_) => {
            tokio::spawn(infra::emulator::events::run_rates(rates, lambda.clone()));
        }
        Ok(other) => bail!("RATE_SCHEDULES={other:?} is neither on nor off"),
    }
    let services = Arc::new(ServicesFront {
        scheduler,
        bus: EventBus::new(rules, lambda.clone()),
    });
    tokio::spawn(services.serve(listener));
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("binding 127.0.0.1:{port}"))?;
    tracing::info!(
        url = %format!("http://127.0.0.1:{port}"),
        routes = api.routes.len(),
        functions = api.functions.len(),
        "HTTP API listening"
    );
    let front = HttpFront::new(api, lambda.clone());
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    tokio::select! {
        () = front.serve(listener) => {}
        () = sources.watch() => {}
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    lambda.stop_all();
    tracing::info!("stopped");
    Ok(())
}

/// Standard output, each log line prefixed; the subscriber writes a line at a time.
struct Prefixed;

impl std::io::Write for Prefixed {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut out = std::io::stdout().lock();
        out.write_all(b"emulator ")?;
        out.write_all(line)?;
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().flush()
    }
}

/// A numeric setting from the environment, or its default.
fn setting<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T> {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .map_err(|_| anyhow::anyhow!("{name}={value:?} is not a valid number")),
        Err(_) => Ok(default),
    }
}
