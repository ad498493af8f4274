//! The local stack as `make dev` runs it (`infra/dev.sh`: tables, seeds, secrets, the
//! emulator in front of the real function binaries), for the tests that call it over HTTP.
//! One stack serves the whole run, on the run's DynamoDB endpoint under a table prefix of its
//! own; [`stop_shared_stack`] stops it by its PID at the end.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::local_dynamo::{endpoint, free_port, repo_root};

/// How long a first `make dev` may take to build every binary on a slow machine.
const START_TIMEOUT: Duration = Duration::from_secs(900);

/// A running `infra/dev.sh`, the leader of its own process group.
#[derive(Debug)]
pub struct LocalStack {
    child: Child,
    pub base: String,
    pub api_port: u16,
    /// The WebSocket API (and its `@connections`): `ws://127.0.0.1:<port>`.
    pub ws_url: String,
    /// Scheduler and EventBridge: `http://127.0.0.1:<port>`.
    pub services_url: String,
    pub table_prefix: String,
    pub output: PathBuf,
    /// `LOCAL_LOGS`: `dynamodb.log` and `functions.log` (the emulator's and every function's).
    pub logs: PathBuf,
}

/// What `make dev` is told, beyond the defaults.
#[derive(Clone, Debug, Default)]
pub struct StackOptions {
    /// Use the test run's DynamoDB endpoint instead of starting a server of its own.
    pub shared_dynamodb: bool,
    pub dynamo_port: Option<u16>,
    /// More environment for `make dev` (the lifecycle's short windows).
    pub env: Vec<(&'static str, &'static str)>,
}

/// The shared stack's lifecycle, in seconds where a deployed stage has minutes: auctions and
/// payment windows as short as a test needs, and closes armed two seconds early. The sweeper
/// runs only when a test invokes it.
pub const SHORT_WINDOWS: [(&str, &str); 4] = [
    ("MIN_AUCTION_SECONDS", "2"),
    ("MIN_PAYMENT_WINDOW_SECONDS", "2"),
    ("CLOSE_LEAD_SECONDS", "2"),
    ("RATE_SCHEDULES", "off"),
];

impl LocalStack {
    /// Starts `infra/dev.sh` and waits until it reports that the stack is up.
    pub fn start(name: &str, options: &StackOptions) -> anyhow::Result<Self> {
        let api_port = free_port()?;
        let ws_port = free_port()?;
        let services_port = free_port()?;
        let table_prefix = format!(
            "{name}-{}-",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let logs = repo_root().join(".local/logs").join(&table_prefix);
        std::fs::create_dir_all(&logs)?;
        let output = logs.join("dev.out");
        let out = std::fs::File::create(&output)?;
        let mut command = Command::new("bash");
        command
            .arg(repo_root().join("infra/dev.sh"))
            .env("API_PORT", api_port.to_string())
            .env("WS_PORT", ws_port.to_string())
            .env("SERVICES_PORT", services_port.to_string())
            .envs(options.env.iter().copied())
            .env("TABLE_PREFIX", &table_prefix)
            .env("LOCAL_LOGS", &logs)
            .env_remove("DYNAMODB_ENDPOINT")
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .process_group(0);
        if options.shared_dynamodb {
            command.env("DYNAMODB_ENDPOINT", endpoint());
        }
        if let Some(port) = options.dynamo_port {
            command.env("DYNAMO_PORT", port.to_string());
        }
        let child = command.spawn().context("starting infra/dev.sh")?;
        let mut stack = Self {
            child,
            base: format!("http://127.0.0.1:{api_port}"),
            api_port,
            ws_url: format!("ws://127.0.0.1:{ws_port}"),
            services_url: format!("http://127.0.0.1:{services_port}"),
            table_prefix,
            output,
            logs,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        // The banner's last line: the seeded logins above it are printed by then.
        while !stack
            .printed()?
            .contains("Press Ctrl-C to stop everything.")
        {
            if let Some(status) = stack.child.try_wait()? {
                bail!("make dev exited ({status}):\n{}", stack.printed()?);
            }
            if Instant::now() > deadline {
                bail!(
                    "make dev was not up within {START_TIMEOUT:?}:\n{}",
                    stack.printed()?
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(stack)
    }

    /// Everything `make dev` has printed so far.
    pub fn printed(&self) -> anyhow::Result<String> {
        let mut text = String::new();
        std::fs::File::open(&self.output)?.read_to_string(&mut text)?;
        Ok(text)
    }

    /// Sends SIGTERM to `make dev` by its PID and waits for it to stop everything it started.
    pub fn stop(mut self) -> anyhow::Result<ExitStatus> {
        let pid = libc::pid_t::try_from(self.child.id())?;
        // SAFETY: signalling our own child, not yet reaped.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() > deadline {
                // SAFETY: as above; the whole group, so nothing it started outlives the test.
                unsafe {
                    libc::kill(-pid, libc::SIGKILL);
                }
                bail!("make dev did not stop within 60 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

static SHARED: OnceLock<Mutex<Option<Result<LocalStack, String>>>> = OnceLock::new();

/// The base URL of the run's shared stack, started on first use.
pub fn shared_stack() -> anyhow::Result<String> {
    with_shared_stack(|stack| stack.base.clone())
}

/// The WebSocket URL of the run's shared stack.
pub fn shared_stack_ws() -> anyhow::Result<String> {
    with_shared_stack(|stack| stack.ws_url.clone())
}

/// The Scheduler and EventBridge endpoint of the run's shared stack.
pub fn shared_stack_services() -> anyhow::Result<String> {
    with_shared_stack(|stack| stack.services_url.clone())
}

/// The prefix of the shared stack's tables (on the run's endpoint, [`super::endpoint`]).
pub fn shared_stack_prefix() -> anyhow::Result<String> {
    with_shared_stack(|stack| stack.table_prefix.clone())
}

/// The folder of the shared stack's logs.
pub fn shared_stack_logs() -> anyhow::Result<PathBuf> {
    with_shared_stack(|stack| stack.logs.clone())
}

fn with_shared_stack<T>(read: impl FnOnce(&LocalStack) -> T) -> anyhow::Result<T> {
    let mut slot = SHARED
        .get_or_init(|| Mutex::new(None))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let started = slot.get_or_insert_with(|| {
        LocalStack::start(
            "stack",
            &StackOptions {
                shared_dynamodb: true,
                env: SHORT_WINDOWS.to_vec(),
                ..StackOptions::default()
            },
        )
        .map_err(|e| format!("{e:#}"))
    });
    match started {
        Ok(stack) => Ok(read(stack)),
        Err(error) => bail!("the local stack did not start: {error}"),
    }
}

/// Stops the shared stack, if a test started it.
pub fn stop_shared_stack() -> anyhow::Result<()> {
    let taken = SHARED.get().and_then(|slot| {
        slot.lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    });
    if let Some(Ok(stack)) = taken {
        let status = stack.stop()?;
        anyhow::ensure!(status.success(), "make dev stopped with {status}");
    }
    Ok(())
}

/// One HTTP exchange: status, headers and body.
#[derive(Debug)]
pub struct Exchange {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Exchange {
    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_slice(&self.body)
            .with_context(|| format!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

/// Sends one request to `url` with `headers` and `body`.
pub async fn exchange(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> anyhow::Result<Exchange> {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let mut request = hyper::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = client
        .request(request.body(Full::new(Bytes::from(body)))?)
        .await
        .with_context(|| format!("{method} {url}"))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await?.to_bytes();
    Ok(Exchange {
        status,
        headers,
        body,
    })
}
