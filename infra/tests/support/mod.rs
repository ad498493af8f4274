//! A moto server of the project's own (`infra/local_dynamodb.py`, with its patches) for one
//! test, on a free loopback port, stopped by its PID when the test ends.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use shared::store::Tables;

pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    /// Starts the server and waits until it accepts connections. `make test` creates the
    /// venv first; run `make venv` before a bare `cargo test -p infra`.
    pub fn start() -> Self {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let python = root.join(".venv/bin/python");
        assert!(
            python.exists(),
            "{} not found: run `make venv` first",
            python.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let log_path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("moto-{port}.log"));
        let log = std::fs::File::create(&log_path).expect("the server's log file");
        let child = Command::new(&python)
            .arg(root.join("infra/local_dynamodb.py"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting moto");
        let mut moto = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let address: SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto exited ({status}); see {}", log_path.display());
            }
            assert!(
                Instant::now() < deadline,
                "moto did not answer on {address}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }

    /// A DynamoDB client of this server, with the local stack's credentials and region.
    pub fn client(&self) -> Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("local", "local", None, None, "tests"))
            .endpoint_url(&self.endpoint)
            .build();
        Client::from_conf(config)
    }

    /// Creates the tables of `template` (as `local-tables create` does) under `prefix`.
    pub async fn create_tables(&self, template: &str, prefix: &str) {
        let definitions = infra::tables::table_definitions(template).expect("the test template");
        infra::tables::create_tables(&self.client(), &Tables::new(prefix), &definitions)
            .await
            .expect("creating the tables");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // Child::kill signals this child's PID only.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
