//! The local DynamoDB endpoint for one test run.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

static ENDPOINT: OnceLock<String> = OnceLock::new();

/// The endpoint every test of this run uses (set by [`LocalDynamo::start`]).
pub fn endpoint() -> &'static str {
    ENDPOINT
        .get()
        .map(String::as_str)
        .unwrap_or("http://127.0.0.1:1")
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The server this run started, if any; dropping it stops that process by its PID.
#[derive(Debug)]
pub struct LocalDynamo {
    child: Option<Child>,
}

impl LocalDynamo {
    /// Uses `DYNAMODB_ENDPOINT` when set; otherwise starts the project's pinned moto server
    /// on a free loopback port and waits until it answers.
    /// Call it before any test thread starts: it also sets dummy AWS credentials.
    pub fn start() -> anyhow::Result<Self> {
        set_local_credentials();
        if let Some(given) = std::env::var("DYNAMODB_ENDPOINT")
            .ok()
            .filter(|v| !v.is_empty())
        {
            ENDPOINT.get_or_init(|| given);
            return Ok(Self { child: None });
        }
        // moto, serving one request at a time so transactions are isolated as in DynamoDB
        // (`infra/local_dynamodb.py` says why).
        let server = repo_root().join(".venv/bin/python");
        if !server.exists() {
            bail!(
                "{} not found: run `make venv` (or set DYNAMODB_ENDPOINT)",
                server.display()
            );
        }
        let port = free_port()?;
        let log_path = repo_root().join(".local/logs/dynamodb-tests.log");
        std::fs::create_dir_all(repo_root().join(".local/logs"))?;
        let log = std::fs::File::create(&log_path)?;
        let child = Command::new(&server)
            .arg(repo_root().join("infra/local_dynamodb.py"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", server.display()))?;
        let mut local = Self { child: Some(child) };
        let address: SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            if let Some(child) = local.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                bail!(
                    "the local DynamoDB server exited ({status}); see {}",
                    log_path.display()
                );
            }
            if Instant::now() > deadline {
                bail!("the local DynamoDB server did not answer on {address} within 30 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        ENDPOINT.get_or_init(|| format!("http://{address}"));
        Ok(local)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

impl Drop for LocalDynamo {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// The local server accepts any credentials, but the SDK insists on having some.
fn set_local_credentials() {
    for (name, value) in [
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("AWS_REGION", "us-east-1"),
    ] {
        if std::env::var_os(name).is_none() {
            // SAFETY: called from `main` before the test threads start; nothing else runs.
            unsafe { std::env::set_var(name, value) };
        }
    }
}
