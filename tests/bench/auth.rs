//! `make bench-auth`: Argon2id hashing and verification on this machine, and login latency
//! through the real handler against the local DynamoDB endpoint (right password, wrong
//! password, unknown account). Prints median, p95, min and max of each.

use std::time::{Duration, Instant};

use functions::identity::login;
use integration_tests::harness::{LocalDynamo, TestApp, api_request};
use shared::http::ApiError;
use shared::identity::PasswordHash;

const ROUNDS: usize = 20;

fn main() -> anyhow::Result<()> {
    let local = LocalDynamo::start()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(run());
    drop(local);
    outcome
}

async fn run() -> anyhow::Result<()> {
    println!(
        "{:<38} {:>9} {:>9} {:>9} {:>9}",
        "operation (ms)", "median", "p95", "min", "max"
    );
    let hash = time(ROUNDS, || async {
        PasswordHash::create("correct horse battery").map(drop)
    })
    .await?;
    report("argon2id hash (m=19MiB, t=2, p=1)", hash);
    let stored = PasswordHash::create("correct horse battery")?;
    let verify = time(ROUNDS, || async {
        anyhow::ensure!(stored.verify("correct horse battery"));
        Ok(())
    })
    .await?;
    report("argon2id verify", verify);

    let app = TestApp::spawn().await?;
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let login_as = |login: &'static str, password: &'static str, expected: u16| {
        let app = app.clone();
        move || {
            let app = app.clone();
            async move {
                let body = serde_json::json!({"login": login, "password": password});
                let request = api_request("POST", "/auth/login", &[], Some(&body), None)?;
                let response = login::post_auth_login(&app.state, request)
                    .await
                    .unwrap_or_else(ApiError::into_response);
                anyhow::ensure!(
                    response.status() == expected,
                    "login answered {}",
                    response.status()
                );
                Ok(())
            }
        }
    };
    report(
        "login, right password",
        time(ROUNDS, login_as("cinos", seeds::DEFAULT_PASSWORD, 200)).await?,
    );
    // Unknown account and wrong password interleaved, so drift on a busy machine hits both
    // alike; wrong passwords rotate over the seven seeded users, below the lockout of five.
    let users = [
        "genesis-admin",
        "genesis-staff",
        "ecom-user",
        "richie",
        "auction_user",
        "auction_artist",
        "cinos",
    ];
    let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        unknown.extend(time(1, login_as("nobody", "wrong horse", 401)).await?);
        wrong.extend(time(1, login_as(users[round % users.len()], "wrong horse", 401)).await?);
    }
    unknown.sort();
    wrong.sort();
    report("login, unknown account", unknown);
    report("login, wrong password", wrong);
    app.teardown().await?;
    println!("(login latency includes the local DynamoDB server, moto, on this machine)");
    Ok(())
}

async fn time<F, Fut>(rounds: usize, mut operation: F) -> anyhow::Result<Vec<Duration>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        operation().await?;
        samples.push(start.elapsed());
    }
    samples.sort();
    Ok(samples)
}

fn report(name: &str, samples: Vec<Duration>) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:<38} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
        ms(at(0.5)),
        ms(at(0.95)),
        ms(samples[0]),
        ms(samples[samples.len() - 1])
    );
}
