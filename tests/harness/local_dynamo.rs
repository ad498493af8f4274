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
    pub fn start() -> anyhow::Result<Self> {
        if let Some(given) = std::env::var("DYNAMODB_ENDPOINT")
            .ok()
            .filter(|v| !v.is_empty())
        {
            ENDPOINT.get_or_init(|| given);
            return Ok(Self { child: None });
        }
        let server = std::env::var("MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|_| repo_root().join(".venv/bin/moto_server"));
        if !server.exists() {
            bail!(
                "{} not found: run `make venv` (or set DYNAMODB_ENDPOINT)",
                server.display()
            );
        }
        let port = free_port()?;
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", server.display()))?;
        let local = Self { child: Some(child) };
        let address: SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
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

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}
