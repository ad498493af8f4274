//! `make bench`: bidding through the real handler (`POST /items/{itemId}/bids`) against the
//! local DynamoDB endpoint. Concurrent bidders on one hot item and spread over many items
//! (accepted bids per second), DynamoDB calls per accepted bid (uncontended bids counted one by
//! one, concurrent phases as a mean), write request units per accepted bid estimated from the
//! records one bid wrote, and the raw ceiling of plain conditional UpdateItems measured in the
//! same run with the same concurrency.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use chrono::TimeDelta;
use functions::bidding::bids::post_items_item_bids;
use functions::catalog::{auctions, items, publish};
use integration_tests::call;
use integration_tests::harness::{
    LocalDynamo, TestApp, answer, api_request, endpoint, text, token_of,
};
use serde_json::{Value, json};
use shared::audit::AuditAction;
use shared::bidding::{BidRecord, TotalsRecord};
use shared::catalog::{ItemRecord, MembershipRecord};
use shared::domain::{AuctionId, Clock, Money, UserId};
use shared::http::ApiError;
use shared::store::{AttributeValue, Collection, Index, Item, Query, Read, Store, key_of, s};
use tokio::task::JoinSet;

/// Concurrent bidders in both concurrent phases (and workers of the raw ceiling).
const BIDDERS: usize = 16;
/// Requests each bidder sends in a concurrent phase (at most: a leader nobody outbids stops).
const ROUNDS: usize = 25;
/// Items of the many-items phase (an auction holds at most 96).
const SPREAD: usize = 32;
/// Uncontended bids counted one by one.
const SEQUENTIAL: usize = 50;
/// Uncontended bids again at the end of the run (latency against fuller tables).
const LATE: usize = 10;
/// Plain conditional UpdateItems of the raw ceiling (in total, over `BIDDERS` workers).
const CEILING_UPDATES: usize = 2_000;
/// What one guard pass reads: the user, the session, the groups and the roles.
const AUTH_CALLS: f64 = 4.0;
const AUTH_TABLES: [&str; 4] = ["users", "sessions", "groups", "roles"];

fn main() -> anyhow::Result<()> {
    // The handlers' own logs, when asked for (`RUST_LOG=error make bench`).
    if std::env::var_os("RUST_LOG").is_some() {
        shared::telemetry::init();
    }
    let local = LocalDynamo::start()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(run());
    drop(local);
    outcome
}

tokio::task_local! {
    /// The DynamoDB calls of the request running in this task, as the interceptor saw them.
    static CALLS: RefCell<Vec<Call>>;
}

/// One request to DynamoDB: the operation, the tables it names and, for a transaction, its
/// writes (`Update items`, `ConditionCheck auctions`, ...).
#[derive(Clone, Debug)]
struct Call {
    operation: String,
    tables: Vec<String>,
    writes: Vec<String>,
}

impl Call {
    fn authenticates(&self) -> bool {
        matches!(self.operation.as_str(), "GetItem" | "BatchGetItem")
            && self
                .tables
                .iter()
                .all(|t| AUTH_TABLES.contains(&t.as_str()))
    }

    fn describe(&self) -> String {
        if self.writes.is_empty() {
            format!("{} {}", self.operation, self.tables.join("+"))
        } else {
            format!("{} [{}]", self.operation, self.writes.join(", "))
        }
    }
}

/// Records each request sent by the task's handler call in [`CALLS`] (outside a scope: nothing).
#[derive(Debug)]
struct PerRequest;

impl Intercept for PerRequest {
    fn name(&self) -> &'static str {
        "PerRequest"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let operation = request
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.split_once('.'))
            .map_or("?", |(_, op)| op)
            .to_string();
        let body: Value = request
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null);
        let call = describe_call(operation, &body);
        let _ = CALLS.try_with(|calls| calls.borrow_mut().push(call));
        Ok(())
    }
}

/// A table name without the test's prefix (`t0123456789ab-items` is `items`).
fn collection_of(table: &str) -> String {
    table
        .split_once('-')
        .map_or(table, |(_, name)| name)
        .to_string()
}

fn describe_call(operation: String, body: &Value) -> Call {
    let mut tables = Vec::new();
    let mut writes = Vec::new();
    if let Some(table) = body["TableName"].as_str() {
        tables.push(collection_of(table));
    }
    if let Some(requested) = body["RequestItems"].as_object() {
        tables.extend(requested.keys().map(|t| collection_of(t)));
    }
    for write in body["TransactItems"].as_array().into_iter().flatten() {
        if let Some((kind, detail)) = write.as_object().and_then(|w| w.iter().next()) {
            let table = collection_of(detail["TableName"].as_str().unwrap_or("?"));
            writes.push(format!("{kind} {table}"));
        }
    }
    Call {
        operation,
        tables,
        writes,
    }
}

/// Points the app's state at a client that also records each handler call's requests (the
/// same tables, configuration and round-trip counter).
async fn trace_requests(app: &mut TestApp) -> anyhow::Result<()> {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .interceptor(app.round_trips.clone())
        .interceptor(PerRequest)
        .endpoint_url(endpoint())
        .build();
    let store = Store::new(
        aws_sdk_dynamodb::Client::from_conf(config),
        app.store.tables().clone(),
    );
    app.state =
        functions::AppState::new(app.state.config.clone(), store.clone(), app.clock.clone())?;
    app.store = store;
    Ok(())
}

/// A bid's answer and the DynamoDB calls it took.
struct Sent {
    status: u16,
    body: Value,
    calls: Vec<Call>,
}

impl Sent {
    fn code(&self) -> &str {
        text(&self.body, "code")
    }

    fn money(&self, pointer: &str) -> anyhow::Result<Money> {
        let shown = self.body.pointer(pointer).and_then(Value::as_str);
        let shown = shown.with_context(|| format!("no {pointer} in {}", self.body))?;
        Ok(Money::parse(shown)?)
    }
}

/// `POST /items/{itemId}/bids` through the real handler, as API Gateway would call it.
async fn place(
    app: &TestApp,
    item: &str,
    token: &str,
    amount: Money,
    maximum: Option<Money>,
) -> anyhow::Result<Sent> {
    let mut body = json!({"amount": amount.to_string()});
    if let Some(maximum) = maximum {
        body["maxAmount"] = json!(maximum.to_string());
    }
    let request = api_request(
        "POST",
        "/items/{itemId}/bids",
        &[("itemId", item)],
        Some(&body),
        Some(token),
    )?;
    let (response, calls) = CALLS
        .scope(RefCell::new(Vec::new()), async {
            let response = post_items_item_bids(&app.state, request)
                .await
                .unwrap_or_else(ApiError::into_response);
            (response, CALLS.with(RefCell::take))
        })
        .await;
    let (status, body) = answer(&response)?;
    Ok(Sent {
        status,
        body,
        calls,
    })
}

/// `place`, which must be accepted.
async fn accepted(
    app: &TestApp,
    item: &str,
    token: &str,
    amount: Money,
    maximum: Option<Money>,
) -> anyhow::Result<Sent> {
    let sent = place(app, item, token, amount, maximum).await?;
    anyhow::ensure!(
        sent.status == 201,
        "a bid of {amount} answered {}: {}",
        sent.status,
        sent.body
    );
    Ok(sent)
}

struct Bidder {
    id: UserId,
    token: String,
    /// Their bidder number in the auction (from their first bid).
    number: u32,
}

/// The auction's layout: one hot item, `SPREAD` items, one for uncontended bids, one for a
/// proxy answer.
struct Lots {
    auction: AuctionId,
    hot: String,
    spread: Vec<String>,
    sequential: String,
    proxy: String,
}

async fn run() -> anyhow::Result<()> {
    let mut app = TestApp::spawn().await?;
    trace_requests(&mut app).await?;
    let outcome = bench(&app).await;
    app.teardown().await?;
    outcome
}

async fn bench(app: &TestApp) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let lots = auction(app).await?;
    // Open for bids; tokens are taken from here on (they live 15 minutes of this clock).
    app.clock
        .advance(TimeDelta::days(1) + TimeDelta::minutes(1));
    let mut bidders = Vec::with_capacity(BIDDERS);
    for n in 0..BIDDERS {
        let (id, token) = app.direct_user(&format!("benchbidder{n}")).await?;
        bidders.push(Bidder {
            id,
            token,
            number: 0,
        });
    }
    let guard = guard_calls(app, &bidders[0].token).await?;

    // First bids (each makes the bidder a member), one at a time.
    let start = Money::parse("1.00")?;
    let mut minimum = start;
    let mut first = Vec::new();
    for bidder in &mut bidders {
        let before = app.round_trips.count();
        let sent = accepted(app, &lots.sequential, &bidder.token, minimum, None).await?;
        first.push(app.round_trips.count() - before);
        minimum = sent.money("/item/nextMinimumBid")?;
        bidder.number = sent.body["bid"]["bidderNumber"]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .context("no bidder number")?;
    }

    // Uncontended bids, counted one by one: two bidders take the lead from each other.
    let early = uncontended(app, &lots.sequential, &bidders, 0..SEQUENTIAL, minimum).await?;
    let last = early.last.context("no uncontended bid")?;
    let plain = plain_writes(app, &lots, &bidders, &last).await?;

    // A bid answered by the leader's maximum: two entries, the leader's totals alone move.
    let (leader, challenger) = (&bidders[2], &bidders[3]);
    let opening = accepted(
        app,
        &lots.proxy,
        &leader.token,
        start,
        Some(Money::parse("50.00")?),
    )
    .await?;
    let above = opening.money("/item/nextMinimumBid")?;
    let answered = accepted(app, &lots.proxy, &challenger.token, above, None).await?;
    let proxy = proxy_writes(app, &lots, leader, challenger, &answered).await?;

    let hot = concurrent(
        app,
        "hot item",
        &bidders,
        std::slice::from_ref(&lots.hot),
        start,
    )
    .await?;
    let many = concurrent(app, "many items", &bidders, &lots.spread, start).await?;
    let ceiling = ceiling(app).await?;
    // The same uncontended bids again, now that the tables hold every bid of the run.
    let late = uncontended(
        app,
        &lots.sequential,
        &bidders,
        SEQUENTIAL..SEQUENTIAL + LATE,
        early.minimum,
    )
    .await?;

    print_report(&Report {
        guard,
        first,
        sequential: early.calls,
        early: early.latency,
        late: late.latency,
        sample: last.calls,
        phases: vec![hot, many],
        plain,
        proxy,
        ceiling,
    });
    Ok(())
}

/// A public auction of cinos with every lot, published; its ids.
async fn auction(app: &TestApp) -> anyhow::Result<Lots> {
    let token = token_of(app, "cinos").await?;
    let starts = app.clock.now().plus(TimeDelta::days(1));
    let ends = starts.plus(TimeDelta::days(3));
    let body = json!({
        "name": "Bench", "eventType": "public", "timeZone": "UTC",
        "startsAt": starts.to_string(), "endsAt": ends.to_string(),
        "settings": {"increments": [{"from": "0", "increment": "1"}]}
    });
    let (status, created) = call!(
        auctions::post_auctions,
        app,
        "POST",
        "/auctions",
        [],
        Some(&body),
        Some(&token)
    );
    anyhow::ensure!(status == 201, "create answered {status}: {created}");
    let id = text(&created, "id").to_string();
    let mut lots = Vec::new();
    for _ in 0..SPREAD + 3 {
        let item = json!({"name": "Lot", "type": "silent", "startingPrice": "1.00"});
        let (status, added) = call!(
            items::post_auctions_auction_items,
            app,
            "POST",
            "/auctions/{auctionId}/items",
            [("auctionId", id.as_str())],
            Some(&item),
            Some(&token)
        );
        anyhow::ensure!(status == 201, "add item answered {status}: {added}");
        lots.push(text(&added, "id").to_string());
    }
    let (status, published) = call!(
        publish::post_auctions_auction_publish,
        app,
        "POST",
        "/auctions/{auctionId}/publish",
        [("auctionId", id.as_str())],
        None,
        Some(&token)
    );
    anyhow::ensure!(status == 200, "publish answered {status}: {published}");
    let proxy = lots.pop().context("no lot")?;
    let sequential = lots.pop().context("no lot")?;
    let hot = lots.pop().context("no lot")?;
    Ok(Lots {
        auction: AuctionId::parse(&id)?,
        hot,
        spread: lots,
        sequential,
        proxy,
    })
}

/// Uncontended bids in a row on `item`, one at a time.
struct Uncontended {
    /// Calls of each bid (the round-trip counter before and after it).
    calls: Vec<u64>,
    latency: Vec<Duration>,
    /// The item's minimum after the last bid.
    minimum: Money,
    last: Option<Sent>,
}

/// Bids `turns` of the uncontended sequence: bidders 0 and 1 take the lead from each other
/// (turn `n` is bidder `n % 2`), each bidding the minimum.
async fn uncontended(
    app: &TestApp,
    item: &str,
    bidders: &[Bidder],
    turns: std::ops::Range<usize>,
    mut minimum: Money,
) -> anyhow::Result<Uncontended> {
    let mut calls = Vec::new();
    let mut latency = Vec::new();
    let mut last = None;
    for n in turns {
        let bidder = &bidders[n % 2];
        let before = app.round_trips.count();
        let began = Instant::now();
        let sent = accepted(app, item, &bidder.token, minimum, None).await?;
        latency.push(began.elapsed());
        let counted = app.round_trips.count() - before;
        anyhow::ensure!(
            counted == sent.calls.len() as u64,
            "the round-trip counter saw {counted} calls, the request {}",
            sent.calls.len()
        );
        calls.push(counted);
        minimum = sent.money("/item/nextMinimumBid")?;
        last = Some(sent);
    }
    calls.sort_unstable();
    latency.sort_unstable();
    Ok(Uncontended {
        calls,
        latency,
        minimum,
        last,
    })
}

/// The calls of one guard pass alone (authentication, nothing else).
async fn guard_calls(app: &TestApp, token: &str) -> anyhow::Result<u64> {
    let request = api_request("GET", "/me", &[], None, Some(token))?;
    let before = app.round_trips.count();
    app.state.caller(&request).await?;
    Ok(app.round_trips.count() - before)
}

/// What happened to one request of a concurrent phase, and the calls it made itself.
enum Outcome {
    /// `raised_own` when the bidder led already and only raised their maximum.
    Accepted {
        calls: u64,
        raised_own: bool,
    },
    TooLow {
        calls: u64,
    },
    /// `MAXIMUM_NOT_RAISED`: the bidder led already.
    Leading,
    Unavailable,
    Other(u16, String),
}

/// The lowest amount each item takes and who leads it, as the latest answer seen by any bidder
/// says (what a live page would show them).
struct Known {
    start: Money,
    items: Mutex<HashMap<String, (Money, Option<u32>)>>,
}

impl Known {
    fn new(start: Money) -> Self {
        Self {
            start,
            items: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, item: &str) -> (Money, Option<u32>) {
        let known = self.items.lock().unwrap_or_else(|e| e.into_inner());
        known.get(item).copied().unwrap_or((self.start, None))
    }

    /// A newer answer: `minimum` now, led by `leader` when the answer says.
    fn raise(&self, item: &str, minimum: Money, leader: Option<u32>) {
        let mut known = self.items.lock().unwrap_or_else(|e| e.into_inner());
        let entry = known.entry(item.to_string()).or_insert((minimum, leader));
        if minimum > entry.0 {
            *entry = (minimum, leader);
        } else if minimum == entry.0 && entry.1.is_none() {
            entry.1 = leader;
        }
    }
}

struct Phase {
    name: String,
    items: usize,
    requests: usize,
    accepted: usize,
    raised_own: usize,
    too_low: usize,
    leading: usize,
    unavailable: usize,
    other: Vec<(u16, String)>,
    elapsed: Duration,
    /// Every call of the phase (refused and retried requests included).
    calls: u64,
    /// The calls each accepted request made itself.
    accepted_calls: Vec<u64>,
    /// The calls each request refused as too low made itself.
    refused_calls: Vec<u64>,
    /// What the store holds afterwards.
    stored: Stored,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.accepted as f64 / self.elapsed.as_secs_f64()
    }
}

/// How long a leader waits for someone to outbid them before giving up its remaining turns
/// (bidders do not bid against themselves).
const PATIENCE: Duration = Duration::from_millis(500);

/// `BIDDERS` bidders at once, each sending up to `ROUNDS` bids of the latest known minimum;
/// over `items`, each bidder starting at its own and moving on one item per round.
async fn concurrent(
    app: &TestApp,
    name: &str,
    bidders: &[Bidder],
    items: &[String],
    start: Money,
) -> anyhow::Result<Phase> {
    let items = Arc::new(items.to_vec());
    let known = Arc::new(Known::new(start));
    let before = app.round_trips.count();
    let began = Instant::now();
    let mut tasks = JoinSet::new();
    for (n, bidder) in bidders.iter().enumerate() {
        let (app, token, me) = (app.clone(), bidder.token.clone(), bidder.number);
        let (items, known) = (items.clone(), known.clone());
        tasks.spawn(async move {
            let mut outcomes = Vec::with_capacity(ROUNDS);
            let mut last = Instant::now();
            'rounds: for round in 0..ROUNDS {
                let item = &items[(2 * n + round) % items.len()];
                let waiting = Instant::now();
                let amount = loop {
                    match known.get(item) {
                        (_, Some(leader)) if leader == me => {
                            if waiting.elapsed() > PATIENCE {
                                break 'rounds;
                            }
                            tokio::time::sleep(Duration::from_millis(2)).await;
                        }
                        (minimum, _) => break minimum,
                    }
                };
                let sent = place(&app, item, &token, amount, None).await?;
                last = Instant::now();
                let calls = sent.calls.len() as u64;
                outcomes.push(match (sent.status, sent.code()) {
                    (201, _) => {
                        let leader = sent.body["item"]["leaderBidderNumber"]
                            .as_u64()
                            .and_then(|n| u32::try_from(n).ok());
                        known.raise(item, sent.money("/item/nextMinimumBid")?, leader);
                        Outcome::Accepted {
                            calls,
                            raised_own: sent.money("/bid/amount")? != amount,
                        }
                    }
                    (409, "BID_TOO_LOW") => {
                        known.raise(item, sent.money("/minimumBid")?, None);
                        Outcome::TooLow { calls }
                    }
                    (409, "MAXIMUM_NOT_RAISED") => Outcome::Leading,
                    (503, _) => {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Outcome::Unavailable
                    }
                    (status, _) => Outcome::Other(status, sent.body.to_string()),
                });
            }
            anyhow::Ok((outcomes, last))
        });
    }
    let mut phase = Phase {
        name: name.to_string(),
        items: items.len(),
        requests: 0,
        accepted: 0,
        raised_own: 0,
        too_low: 0,
        leading: 0,
        unavailable: 0,
        other: Vec::new(),
        elapsed: Duration::ZERO,
        calls: 0,
        accepted_calls: Vec::new(),
        refused_calls: Vec::new(),
        stored: Stored::default(),
    };
    while let Some(done) = tasks.join_next().await {
        let (outcomes, last) = done??;
        // Until the last answer: a leader's final wait for a challenger is not bidding time.
        phase.elapsed = phase.elapsed.max(last - began);
        for outcome in outcomes {
            phase.requests += 1;
            match outcome {
                Outcome::Accepted { calls, raised_own } => {
                    phase.accepted += 1;
                    phase.raised_own += usize::from(raised_own);
                    phase.accepted_calls.push(calls);
                }
                Outcome::TooLow { calls } => {
                    phase.too_low += 1;
                    phase.refused_calls.push(calls);
                }
                Outcome::Leading => phase.leading += 1,
                Outcome::Unavailable => phase.unavailable += 1,
                Outcome::Other(status, body) => phase.other.push((status, body)),
            }
        }
    }
    phase.calls = app.round_trips.count() - before;
    phase.stored = stored_bids(app, &items).await?;
    phase.accepted_calls.sort_unstable();
    phase.refused_calls.sort_unstable();
    Ok(phase)
}

/// What the store holds of the bids on some fresh items: every accepted answer should be one
/// own entry with a sequence of its own, counted by the item.
#[derive(Default)]
struct Stored {
    own_entries: usize,
    sequences: usize,
    counted: u64,
}

async fn stored_bids(app: &TestApp, items: &[String]) -> anyhow::Result<Stored> {
    let mut stored = Stored::default();
    for item in items {
        let mut sequences = std::collections::BTreeSet::new();
        let mut cursor: Option<String> = None;
        loop {
            let query = Query::index(Index::BIDS_BY_ITEM, s(item.as_str()))
                .limit(100)
                .after(cursor.as_deref());
            let page = app.store.query::<BidRecord>(query).await?;
            for bid in &page.items {
                stored.own_entries += usize::from(!bid.automatic);
                sequences.insert(bid.sequence);
            }
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        stored.sequences += sequences.len();
        let record = app
            .store
            .get::<ItemRecord>(item, Read::Strong)
            .await?
            .with_context(|| format!("no item {item}"))?;
        stored.counted += record.bidding.accepted;
    }
    Ok(stored)
}

/// Plain conditional UpdateItems, `BIDDERS` workers at once, each on its own record.
struct Ceiling {
    updates: usize,
    elapsed: Duration,
    calls: u64,
}

impl Ceiling {
    fn rate(&self) -> f64 {
        self.updates as f64 / self.elapsed.as_secs_f64()
    }
}

async fn ceiling(app: &TestApp) -> anyhow::Result<Ceiling> {
    let table = app.store.tables().name(Collection::Totals);
    for worker in 0..BIDDERS {
        app.store
            .client()
            .put_item()
            .table_name(&table)
            .item("id", s(format!("ceiling-{worker}")))
            .item("v", AttributeValue::N("0".into()))
            .send()
            .await?;
    }
    let per_worker = CEILING_UPDATES / BIDDERS;
    let before = app.round_trips.count();
    let began = Instant::now();
    let mut tasks = JoinSet::new();
    for worker in 0..BIDDERS {
        let (client, table) = (app.store.client().clone(), table.clone());
        tasks.spawn(async move {
            for expected in 0..per_worker {
                client
                    .update_item()
                    .table_name(&table)
                    .key("id", s(format!("ceiling-{worker}")))
                    .update_expression("SET #v = #v + :one")
                    .condition_expression("#v = :expected")
                    .expression_attribute_names("#v", "v")
                    .expression_attribute_values(":one", AttributeValue::N("1".into()))
                    .expression_attribute_values(
                        ":expected",
                        AttributeValue::N(expected.to_string()),
                    )
                    .send()
                    .await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(Ceiling {
        updates: per_worker * BIDDERS,
        elapsed: began.elapsed(),
        calls: app.round_trips.count() - before,
    })
}

/// One item a transaction wrote or checked, as stored now.
struct Written {
    what: String,
    write: &'static str,
    bytes: usize,
}

impl Written {
    fn units(&self) -> usize {
        transactional_wru(self.bytes)
    }
}

/// 2 WRU per started KB of the item, for each item a transaction writes or checks.
fn transactional_wru(bytes: usize) -> usize {
    2 * bytes.div_ceil(1024).max(1)
}

/// The stored item of `collection` with key `key`, attribute for attribute.
async fn stored(app: &TestApp, collection: Collection, key: &str) -> anyhow::Result<Item> {
    app.store
        .client()
        .get_item()
        .table_name(app.store.tables().name(collection))
        .set_key(Some(key_of(collection, key)))
        .consistent_read(true)
        .send()
        .await?
        .item
        .with_context(|| format!("no {} {key}", collection.name()))
}

async fn written(
    app: &TestApp,
    what: &str,
    write: &'static str,
    collection: Collection,
    key: &str,
) -> anyhow::Result<Written> {
    let item = stored(app, collection, key).await?;
    Ok(Written {
        what: what.to_string(),
        write,
        bytes: item_size(&item),
    })
}

/// The entries of the item's bids that the accepted request `sent` wrote (its sequence).
async fn entries_of(app: &TestApp, item: &str, sent: &Sent) -> anyhow::Result<Vec<BidRecord>> {
    let own = text(&sent.body["bid"], "id");
    let recent = app
        .store
        .query::<BidRecord>(
            Query::index(Index::BIDS_BY_ITEM, s(item))
                .descending()
                .limit(8),
        )
        .await?
        .items;
    let sequence = recent
        .iter()
        .find(|bid| bid.id.to_string() == own)
        .map(|bid| bid.sequence)
        .with_context(|| format!("bid {own} not found"))?;
    Ok(recent
        .into_iter()
        .filter(|bid| bid.sequence == sequence)
        .collect())
}

/// The audit entry of the accepted bid `sent`.
async fn audit_of(app: &TestApp, sent: &Sent) -> anyhow::Result<String> {
    let own = text(&sent.body["bid"], "id");
    let entries = app.audits(AuditAction::BidPlaced).await?;
    entries
        .into_iter()
        .find(|entry| entry.details.get("bidId").and_then(Value::as_str) == Some(own))
        .map(|entry| entry.id)
        .with_context(|| format!("no audit entry of bid {own}"))
}

/// The records of a plain bid that took the lead (the last uncontended one).
async fn plain_writes(
    app: &TestApp,
    lots: &Lots,
    bidders: &[Bidder],
    sent: &Sent,
) -> anyhow::Result<Vec<Written>> {
    // Bidders 0 and 1 alternate: the last bid took the lead from the other.
    let leader = &bidders[(SEQUENTIAL - 1) % 2];
    let outbid = &bidders[SEQUENTIAL % 2];
    let auction = lots.auction;
    let mut writes = vec![
        written(app, "item", "Update", Collection::Items, &lots.sequential).await?,
        written(
            app,
            "auction",
            "ConditionCheck",
            Collection::Auctions,
            &auction.to_string(),
        )
        .await?,
        written(
            app,
            "membership",
            "ConditionCheck",
            Collection::AuctionMemberships,
            &MembershipRecord::key(auction, leader.id),
        )
        .await?,
    ];
    for entry in entries_of(app, &lots.sequential, sent).await? {
        let what = if entry.automatic {
            "bid (automatic)"
        } else {
            "bid"
        };
        writes.push(written(app, what, "Put", Collection::Bids, &entry.id.to_string()).await?);
    }
    for (what, bidder) in [("totals, new leader", leader), ("totals, outbid", outbid)] {
        let key = TotalsRecord::key(auction, bidder.id);
        writes.push(written(app, what, "Update", Collection::Totals, &key).await?);
    }
    let audit = audit_of(app, sent).await?;
    writes.push(written(app, "audit entry", "Put", Collection::AuditLogs, &audit).await?);
    Ok(writes)
}

/// The records of a bid the leader's maximum answered.
async fn proxy_writes(
    app: &TestApp,
    lots: &Lots,
    leader: &Bidder,
    challenger: &Bidder,
    sent: &Sent,
) -> anyhow::Result<Vec<Written>> {
    let auction = lots.auction;
    let mut writes = vec![
        written(app, "item", "Update", Collection::Items, &lots.proxy).await?,
        written(
            app,
            "auction",
            "ConditionCheck",
            Collection::Auctions,
            &auction.to_string(),
        )
        .await?,
        written(
            app,
            "membership",
            "ConditionCheck",
            Collection::AuctionMemberships,
            &MembershipRecord::key(auction, challenger.id),
        )
        .await?,
    ];
    for entry in entries_of(app, &lots.proxy, sent).await? {
        let what = if entry.automatic {
            "bid (automatic answer)"
        } else {
            "bid"
        };
        writes.push(written(app, what, "Put", Collection::Bids, &entry.id.to_string()).await?);
    }
    let key = TotalsRecord::key(auction, leader.id);
    writes.push(written(app, "totals, leader", "Update", Collection::Totals, &key).await?);
    let audit = audit_of(app, sent).await?;
    writes.push(written(app, "audit entry", "Put", Collection::AuditLogs, &audit).await?);
    Ok(writes)
}

/// An item's size as DynamoDB counts it: names plus values.
fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::N(number) => number_size(number),
        AttributeValue::B(blob) => blob.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(name, value)| name.len() + value_size(value) + 1)
                .sum::<usize>()
        }
        AttributeValue::L(list) => 3 + list.iter().map(|v| value_size(v) + 1).sum::<usize>(),
        AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
        AttributeValue::Ns(set) => set.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(set) => set.iter().map(|b| b.as_ref().len()).sum(),
        _ => 0,
    }
}

/// Roughly one byte per two significant digits, plus one.
fn number_size(number: &str) -> usize {
    let mantissa = number.split(['e', 'E']).next().unwrap_or_default();
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
    significant.max(1).div_ceil(2) + 1
}

struct Report {
    guard: u64,
    first: Vec<u64>,
    sequential: Vec<u64>,
    early: Vec<Duration>,
    late: Vec<Duration>,
    sample: Vec<Call>,
    phases: Vec<Phase>,
    plain: Vec<Written>,
    proxy: Vec<Written>,
    ceiling: Ceiling,
}

fn median(sorted: &[u64]) -> u64 {
    sorted
        .get(sorted.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(0)
}

fn print_report(report: &Report) {
    let Report {
        guard,
        first,
        sequential,
        early,
        late,
        sample,
        phases,
        plain,
        proxy,
        ceiling,
    } = report;
    println!(
        "bidding through post_items_item_bids, {BIDDERS} concurrent bidders, local DynamoDB (moto) at {}",
        endpoint()
    );
    println!();
    println!(
        "{:<26} {:>8} {:>8} {:>7} {:>7} {:>7} {:>4} {:>5} {:>7} {:>10} {:>10}",
        "1. throughput",
        "requests",
        "accepted",
        "own max",
        "too low",
        "leading",
        "503",
        "other",
        "seconds",
        "accepted/s",
        "requests/s"
    );
    for phase in phases {
        println!(
            "{:<26} {:>8} {:>8} {:>7} {:>7} {:>7} {:>4} {:>5} {:>7.2} {:>10.1} {:>10.1}",
            format!(
                "{} ({} item{})",
                phase.name,
                phase.items,
                plural(phase.items)
            ),
            phase.requests,
            phase.accepted,
            phase.raised_own,
            phase.too_low,
            phase.leading,
            phase.unavailable,
            phase.other.len(),
            phase.elapsed.as_secs_f64(),
            phase.rate(),
            phase.requests as f64 / phase.elapsed.as_secs_f64()
        );
    }
    println!(
        "  ({BIDDERS} bidders, up to {ROUNDS} requests each, each bidding the latest minimum any \
         answer showed and not while the latest answer shows them leading; \"own max\": accepted \
         though already leading, raising only their maximum; \"too low\", \"leading\": 409 \
         BID_TOO_LOW, MAXIMUM_NOT_RAISED)"
    );
    for phase in phases {
        let stored = &phase.stored;
        let lost = phase.accepted.saturating_sub(stored.own_entries);
        println!(
            "  stored after {}: {} own bid entries, {} distinct sequences, items count {} \
             accepted{}",
            phase.name,
            stored.own_entries,
            stored.sequences,
            stored.counted,
            if stored.own_entries == phase.accepted
                && stored.sequences == phase.accepted
                && stored.counted == phase.accepted as u64
            {
                " (all accepted bids accounted for)".to_string()
            } else {
                format!(
                    " (MISMATCH: {} accepted answers, {lost} not stored)",
                    phase.accepted
                )
            }
        );
        for (status, body) in phase.other.iter().take(3) {
            println!("  unexpected answer in {}: {status} {body}", phase.name);
        }
    }

    println!();
    println!(
        "{:<48} {:>7} {:>5} {:>7}   {:>7} {:>5} {:>7}",
        "2. DynamoDB calls per accepted bid", "median", "max", "mean", "median", "max", "mean"
    );
    println!(
        "{:<48} {:>21}   {:>21}",
        "", "total", "after auth (total - 4)"
    );
    let row = |name: &str, sorted: &[u64], mean: f64| {
        let after = |calls: u64| calls.saturating_sub(AUTH_CALLS as u64);
        if sorted.is_empty() {
            println!(
                "{name:<48} {:>7} {:>5} {:>7}   {:>7} {:>5} {:>7}",
                "-", "-", "-", "-", "-", "-"
            );
            return;
        }
        println!(
            "{:<48} {:>7} {:>5} {:>7.2}   {:>7} {:>5} {:>7.2}",
            name,
            median(sorted),
            sorted.last().copied().unwrap_or(0),
            mean,
            after(median(sorted)),
            after(sorted.last().copied().unwrap_or(0)),
            mean - AUTH_CALLS
        );
    };
    let mean = |calls: &[u64]| calls.iter().sum::<u64>() as f64 / calls.len().max(1) as f64;
    let mut first = first.clone();
    first.sort_unstable();
    let mut sequential = sequential.clone();
    sequential.sort_unstable();
    row(
        &format!("uncontended, one at a time ({} bids)", sequential.len()),
        &sequential,
        mean(&sequential),
    );
    for phase in phases {
        row(
            &format!("{}, concurrent (mean: phase / accepted)", phase.name),
            &phase.accepted_calls,
            phase.calls as f64 / phase.accepted.max(1) as f64,
        );
    }
    println!("  other requests:");
    row(
        &format!("first bid of a bidder, joining ({} bids)", first.len()),
        &first,
        mean(&first),
    );
    for phase in phases {
        row(
            &format!("refused as too low, {} (per request)", phase.name),
            &phase.refused_calls,
            mean(&phase.refused_calls),
        );
    }
    println!(
        "  (median/max: counted before and after each bid, or for concurrent phases the calls \
         the accepted request made itself; the concurrent mean counts every call of the phase, \
         refused requests and lost races included, over the accepted bids)"
    );
    let ms = |sorted: &[Duration]| {
        sorted
            .get(sorted.len().saturating_sub(1) / 2)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "  uncontended bid latency, median: {:.1} ms over the run's first {} bids, {:.1} ms over \
         {} more after the concurrent phases (moto copies whole tables per transaction)",
        ms(early),
        early.len(),
        ms(late),
        late.len()
    );
    let auth = sample.iter().filter(|call| call.authenticates()).count();
    println!(
        "  one guard pass alone, measured: {guard} calls; in one uncontended bid {auth} of its {} \
         calls read users/sessions/groups/roles:",
        sample.len()
    );
    for (n, call) in sample.iter().enumerate() {
        println!("    {:>2}. {}", n + 1, call.describe());
    }
    if auth as f64 != AUTH_CALLS {
        println!(
            "  note: the guard ran {} times in this bid, so \"after auth (total - 4)\" still holds \
             {} auth calls",
            auth as f64 / AUTH_CALLS,
            auth as f64 - AUTH_CALLS
        );
    }

    println!();
    println!(
        "3. write request units per accepted bid (transactional: 2 WRU per started KB of each item)"
    );
    for (title, writes) in [
        ("plain bid that takes the lead", plain),
        ("bid answered by the leader's maximum (proxy)", proxy),
    ] {
        println!(
            "  {:<44} {:<15} {:>7} {:>5}",
            title, "write", "bytes", "WRU"
        );
        for write in writes {
            println!(
                "    {:<42} {:<15} {:>7} {:>5}",
                write.what,
                write.write,
                write.bytes,
                write.units()
            );
        }
        println!(
            "    {:<42} {:<15} {:>7} {:>5}",
            format!("total ({} writes)", writes.len()),
            "",
            writes.iter().map(|w| w.bytes).sum::<usize>(),
            writes.iter().map(Written::units).sum::<usize>()
        );
    }
    println!(
        "  (sizes from the stored items: attribute names + values, numbers ~1 byte per 2 \
         significant digits + 1, maps/lists 3 + 1 per element)"
    );

    println!();
    println!(
        "{:<46} {:>10} {:>18}",
        "4. against the raw ceiling", "per second", "ratio to ceiling"
    );
    println!(
        "{:<46} {:>10.1} {:>18}",
        format!(
            "conditional UpdateItem ({BIDDERS} workers, {} calls)",
            ceiling.calls
        ),
        ceiling.rate(),
        "1"
    );
    for phase in phases {
        println!(
            "{:<46} {:>10.1} {:>18.3}",
            format!("accepted bids, {}", phase.name),
            phase.rate(),
            phase.rate() / ceiling.rate()
        );
        println!(
            "{:<46} {:>10.1} {:>18.3}",
            format!("  DynamoDB calls during {}", phase.name),
            phase.calls as f64 / phase.elapsed.as_secs_f64(),
            phase.calls as f64 / phase.elapsed.as_secs_f64() / ceiling.rate()
        );
    }
    let median_calls = median(&sequential);
    let transaction = sample
        .iter()
        .find(|call| call.operation == "TransactWriteItems");
    let (writes, tables) = transaction.map_or((0, 0), |call| {
        let mut tables: Vec<&str> = call
            .writes
            .iter()
            .filter_map(|w| w.split_once(' ').map(|(_, table)| table))
            .collect();
        tables.sort_unstable();
        tables.dedup();
        (call.writes.len(), tables.len())
    });
    let footnote = [
        format!(
            "* A bid is {median_calls} calls where the ceiling is one: {auth} auth reads ({guard} \
             per guard pass), 1 strongly consistent GetItem of the item and 1 TransactWriteItems"
        ),
        format!(
            "  of {writes} writes (conditional, on {tables} tables), so its rate is expected well \
             below the ceiling's: under 1/{median_calls} of it even"
        ),
        "  before contention, as a transaction costs the server far more than one UpdateItem."
            .to_string(),
        "  The local endpoint (infra/local_dynamodb.py) runs moto one request at a time, as moto \
         does not isolate transactions: so the rates"
            .to_string(),
        "  above are moto's on this machine, not DynamoDB's; call counts, write units and \
         contention behaviour carry over."
            .to_string(),
        "  moto also deep-copies every table a transaction touches (once per write), so its \
         transactions slow down"
            .to_string(),
        "  as the tables fill: compare the latency of the first and the last uncontended bids \
         in 2."
            .to_string(),
        format!(
            "  On the hot item each accepted bid races up to {} others for one version of the \
             item; the losers are refused as",
            BIDDERS - 1
        ),
        "  too low after their own reads, hence its mean calls per accepted bid far above the \
         uncontended count."
            .to_string(),
    ];
    for line in footnote {
        println!("  {line}");
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
