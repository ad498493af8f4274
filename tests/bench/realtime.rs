//! `make bench-realtime`: live bidding end to end on the local stack (`make dev`'s emulator,
//! the real function binaries, moto). N WebSocket subscribers (default 1,000) follow one
//! auction; bids are placed over HTTP through the real handler, one every `BID_INTERVAL_MS`;
//! every subscriber should receive every `bid_placed`. Prints the events delivered, the
//! latency from the bid's `placedAt` to the frame's arrival (p50, p95, p99, max) and the posts
//! per second the fan-out sustained.
//!
//! Settings: `SUBSCRIBERS` (1000), `BIDS` (20), `BID_INTERVAL_MS` (1000).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{TimeDelta, Utc};
use futures_util::{SinkExt, StreamExt};
use integration_tests::harness::{LocalStack, StackOptions, exchange, free_port};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;

/// How long to wait for the last events after the last bid.
const DRAIN: Duration = Duration::from_secs(60);
/// Subscribers connecting at once while the benchmark sets up.
const CONNECTING: usize = 16;

fn setting(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(text) => text.parse().with_context(|| format!("{name}={text:?}")),
        Err(_) => Ok(default),
    }
}

fn main() -> anyhow::Result<()> {
    let subscribers = setting("SUBSCRIBERS", 1000)?;
    let bids = setting("BIDS", 20)?;
    let interval = Duration::from_millis(setting("BID_INTERVAL_MS", 1000)? as u64);
    println!("starting the local stack (make dev)...");
    let stack = LocalStack::start(
        "bench-rt",
        &StackOptions {
            shared_dynamodb: false,
            dynamo_port: Some(free_port()?),
            ..StackOptions::default()
        },
    )?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(run(&stack, subscribers, bids, interval));
    drop(runtime);
    stack.stop()?;
    outcome
}

/// An arrival: the event's `placedAt` and when this client read it.
type Arrival = (chrono::DateTime<Utc>, chrono::DateTime<Utc>);

/// Per bid (by `placedAt`): how long its fan-out took, first arrival to last.
fn fan_out_spans(arrivals: &[Arrival]) -> Vec<(usize, f64)> {
    let mut by_bid: std::collections::BTreeMap<chrono::DateTime<Utc>, Vec<chrono::DateTime<Utc>>> =
        Default::default();
    for (placed, arrived) in arrivals {
        by_bid.entry(*placed).or_default().push(*arrived);
    }
    by_bid
        .values()
        .filter_map(|times| {
            let (first, last) = (times.iter().min()?, times.iter().max()?);
            Some((
                times.len(),
                ((*last - *first).num_milliseconds().max(1)) as f64 / 1000.0,
            ))
        })
        .collect()
}

async fn run(
    stack: &LocalStack,
    subscribers: usize,
    bids: usize,
    interval: Duration,
) -> anyhow::Result<()> {
    let base = stack.base.as_str();
    let artist = token(base, "cinos").await?;
    let bidders = [
        token(base, "ecom-user").await?,
        token(base, "richie").await?,
    ];
    let (auction, item) = open_auction(base, &artist).await?;

    let arrivals: Arc<Mutex<Vec<Arrival>>> = Arc::default();
    let started = Instant::now();
    let mut readers = Vec::with_capacity(subscribers);
    let mut connecting = futures_util::stream::iter(0..subscribers)
        .map(|_| subscribe(&stack.ws_url, &auction, arrivals.clone()))
        .buffer_unordered(CONNECTING);
    while let Some(reader) = connecting.next().await {
        readers.push(reader?);
    }
    println!(
        "{subscribers} subscribers connected and subscribed in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut amount: String = "10.00".into();
    let bidding = Instant::now();
    for round in 0..bids {
        let answer = exchange(
            "POST",
            &format!("{base}/items/{item}/bids"),
            &[
                (
                    "authorization",
                    format!("Bearer {}", bidders[round % 2]).as_str(),
                ),
                ("content-type", "application/json"),
            ],
            json!({ "amount": amount }).to_string().into_bytes(),
        )
        .await?;
        if answer.status != 201 {
            bail!(
                "bid {round} answered {}: {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
            );
        }
        amount = answer.json()?["item"]["nextMinimumBid"]
            .as_str()
            .context("nextMinimumBid")?
            .to_string();
        tokio::time::sleep(interval).await;
    }
    let expected = subscribers * bids;
    let deadline = Instant::now() + DRAIN;
    while arrivals.lock().await.len() < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let arrivals = arrivals.lock().await.clone();
    for reader in readers {
        reader.abort();
    }
    report(&arrivals, expected, subscribers, bids, bidding.elapsed());
    Ok(())
}

async fn token(base: &str, login: &str) -> anyhow::Result<String> {
    let answer = exchange(
        "POST",
        &format!("{base}/auth/login"),
        &[("content-type", "application/json")],
        json!({ "login": login, "password": "dev-password-123" })
            .to_string()
            .into_bytes(),
    )
    .await?;
    Ok(answer.json()?["accessToken"]
        .as_str()
        .with_context(|| format!("logging in as {login}: {}", answer.status))?
        .to_string())
}

/// A public auction with one item, published and opened by hand: (auction id, item id).
async fn open_auction(base: &str, artist: &str) -> anyhow::Result<(String, String)> {
    let bearer = format!("Bearer {artist}");
    let headers = [
        ("authorization", bearer.as_str()),
        ("content-type", "application/json"),
    ];
    let call = |method: &'static str, path: String, body: Value| async move {
        let answer = exchange(
            method,
            &format!("{base}{path}"),
            &headers,
            body.to_string().into_bytes(),
        )
        .await?;
        if !(200..300).contains(&answer.status) {
            bail!(
                "{method} {path}: {} {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
            );
        }
        answer.json()
    };
    let starts = (Utc::now() + TimeDelta::minutes(5)).format("%Y-%m-%dT%H:%M:%S.000Z");
    let ends = (Utc::now() + TimeDelta::days(1)).format("%Y-%m-%dT%H:%M:%S.000Z");
    let auction = call(
        "POST",
        "/auctions".into(),
        json!({"name": format!("Realtime bench {}", Utc::now().timestamp_millis()),
               "eventType": "public", "startsAt": starts.to_string(), "endsAt": ends.to_string(),
               "timeZone": "Europe/London"}),
    )
    .await?;
    let auction = auction["id"].as_str().context("auction id")?.to_string();
    let item = call(
        "POST",
        format!("/auctions/{auction}/items"),
        json!({"name": "Bench lot", "type": "silent", "startingPrice": "10.00"}),
    )
    .await?;
    let item = item["id"].as_str().context("item id")?.to_string();
    call("POST", format!("/auctions/{auction}/publish"), Value::Null).await?;
    call(
        "POST",
        format!("/auctions/{auction}/phase"),
        json!({"status": "open"}),
    )
    .await?;
    Ok((auction, item))
}

/// One anonymous subscriber: connected, subscribed, then a task recording every `bid_placed`.
async fn subscribe(
    url: &str,
    auction: &str,
    arrivals: Arc<Mutex<Vec<Arrival>>>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .context("connecting")?;
    let subscribe = json!({"action": "subscribe", "auctionId": auction}).to_string();
    socket.send(Message::text(subscribe)).await?;
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .context("no answer to subscribe")?
            .context("closed before subscribing")??;
        if let Message::Text(text) = frame {
            let event: Value = serde_json::from_str(&text)?;
            match event["type"].as_str() {
                Some("subscribed") => break,
                _ => bail!("subscribe answered {text}"),
            }
        }
    }
    Ok(tokio::spawn(async move {
        while let Some(Ok(frame)) = socket.next().await {
            let Message::Text(text) = frame else { continue };
            let arrived = Utc::now();
            let Ok(event) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            if event["type"] != "bid_placed" {
                continue;
            }
            let Some(placed) = event["placedAt"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            else {
                continue;
            };
            arrivals
                .lock()
                .await
                .push((placed.with_timezone(&Utc), arrived));
        }
    }))
}

fn report(arrivals: &[Arrival], expected: usize, subscribers: usize, bids: usize, took: Duration) {
    let mut latencies: Vec<i64> = arrivals
        .iter()
        .map(|(placed, arrived)| (*arrived - *placed).num_milliseconds())
        .collect();
    latencies.sort_unstable();
    let at = |q: f64| -> i64 {
        if latencies.is_empty() {
            return -1;
        }
        let rank = ((latencies.len() as f64) * q).ceil() as usize;
        latencies[rank.clamp(1, latencies.len()) - 1]
    };
    let spans = fan_out_spans(arrivals);
    let (posts, seconds) = spans.iter().fold((0usize, 0f64), |(n, t), (count, span)| {
        (n + count, t + span)
    });
    println!("subscribers:        {subscribers}");
    println!(
        "bids placed:        {bids} (one every {:.1} s)",
        took.as_secs_f64() / bids.max(1) as f64
    );
    println!("events delivered:   {} of {expected}", arrivals.len());
    println!(
        "latency placedAt -> client: p50 {} ms, p95 {} ms, p99 {} ms, max {} ms",
        at(0.50),
        at(0.95),
        at(0.99),
        latencies.last().copied().unwrap_or(-1)
    );
    println!(
        "posts per second:   {:.0} (while fanning out: each bid's events, first arrival to last)",
        posts as f64 / seconds.max(0.001)
    );
}
