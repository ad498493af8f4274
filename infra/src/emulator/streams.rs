//! Lambda's event source mappings for DynamoDB streams, locally: every function event
//! `Type: DynamoDB` of the template gets a poller that reads the table's stream from the local
//! endpoint and invokes the function with batches of its records, as Lambda does.
//!
//! Lambda's rules, kept here: one batch in flight per shard, in order (a key's changes stay in
//! order); at most `BatchSize` records, gathered for up to `MaximumBatchingWindowInSeconds`;
//! a function error retries the whole batch (halved first with `BisectBatchOnFunctionError`),
//! a `batchItemFailures` response (with `ReportBatchItemFailures`) retries from the first
//! failed record only; retries back off exponentially and end, after
//! `MaximumRetryAttempts`, by skipping the records with a warning. Records hold user data:
//! logs name functions, shards, counts and sequence numbers, never images.
//!
//! The streams API is called as raw JSON (`X-Amz-Target: DynamoDBStreams_20120810.*`) on the
//! DynamoDB endpoint itself: moto serves both there, and a JSON call is all a poller needs.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Request, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value as Json, json};
use tokio::task::{JoinHandle, JoinSet};
use yaml_serde::Value;

use super::lambda::{InvokeError, Lambda};
use crate::tables::table_definitions;

/// Where a new mapping starts reading its stream (the template's `StartingPosition`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartingPosition {
    /// Only what is written from now on.
    Latest,
    /// Everything the stream still holds.
    TrimHorizon,
}

/// One `Type: DynamoDB` event of a function: which stream feeds which function, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamTrigger {
    /// The function's binary name (`CodeUri: target/lambda/<name>/`).
    pub function: String,
    /// The table's logical id in `Stream: !GetAtt <Table>.StreamArn`.
    pub table_logical_id: String,
    /// The table's collection: its local name is `$TABLE_PREFIX<collection>`.
    pub collection: String,
    pub starting_position: StartingPosition,
    pub batch_size: usize,
    pub batching_window: Duration,
    /// `None`: retried until it succeeds (the template's -1, Lambda's default).
    pub maximum_retry_attempts: Option<u32>,
    /// Older records are discarded unsent (`MaximumRecordAgeInSeconds`; `None`: the -1,
    /// Lambda's default, no limit).
    pub maximum_record_age: Option<Duration>,
    pub bisect_on_function_error: bool,
    /// `FunctionResponseTypes: [ReportBatchItemFailures]`.
    pub reports_batch_item_failures: bool,
}

/// Lambda's defaults and bounds for a DynamoDB event source.
const DEFAULT_BATCH_SIZE: u64 = 100;
const MAX_BATCH_SIZE: u64 = 10_000;
const MAX_BATCHING_WINDOW_SECS: u64 = 300;
const MAX_RETRY_ATTEMPTS: i64 = 10_000;
const RECORD_AGES_SECS: std::ops::RangeInclusive<i64> = 60..=604_800;

/// Every enabled `Type: DynamoDB` event of every `AWS::Serverless::Function` of the template,
/// its table resolved to a collection. None at all is fine: nothing is polled then.
pub fn stream_triggers(template_yaml: &str) -> anyhow::Result<Vec<StreamTrigger>> {
    let template: Value = yaml_serde::from_str(template_yaml).context("parsing template.yaml")?;
    let tables = table_definitions(template_yaml)?;
    let resources = template["Resources"]
        .as_mapping()
        .context("template.yaml has no Resources")?;
    let mut triggers = Vec::new();
    for (logical_id, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let logical_id = logical_id.as_str().unwrap_or_default();
        let properties = &resource["Properties"];
        for (event_id, event) in properties["Events"].as_mapping().into_iter().flatten() {
            if event["Type"].as_str() != Some("DynamoDB") {
                continue;
            }
            let event_id = event_id.as_str().unwrap_or_default();
            let context = || format!("{logical_id}.Events.{event_id}");
            let event = &event["Properties"];
            if event["Enabled"].as_bool() == Some(false) {
                continue;
            }
            let function = function_name(properties).with_context(context)?;
            let table_logical_id = stream_table(&event["Stream"]).with_context(|| {
                format!("{}: Stream must be !GetAtt <Table>.StreamArn", context())
            })?;
            let table = tables
                .iter()
                .find(|t| t.logical_id == table_logical_id)
                .with_context(|| format!("{}: no table {table_logical_id}", context()))?;
            if table.properties.stream_specification.is_none() {
                bail!(
                    "{}: table {table_logical_id} has no StreamSpecification",
                    context()
                );
            }
            triggers.push(StreamTrigger {
                function,
                table_logical_id,
                collection: table.collection.clone(),
                starting_position: starting_position(&event["StartingPosition"])
                    .with_context(context)?,
                batch_size: bounded(&event["BatchSize"], 1, MAX_BATCH_SIZE, DEFAULT_BATCH_SIZE)
                    .with_context(|| format!("{}: BatchSize", context()))?
                    as usize,
                batching_window: Duration::from_secs(
                    bounded(
                        &event["MaximumBatchingWindowInSeconds"],
                        0,
                        MAX_BATCHING_WINDOW_SECS,
                        0,
                    )
                    .with_context(|| format!("{}: MaximumBatchingWindowInSeconds", context()))?,
                ),
                maximum_retry_attempts: retry_attempts(&event["MaximumRetryAttempts"])
                    .with_context(context)?,
                maximum_record_age: record_age(&event["MaximumRecordAgeInSeconds"])
                    .with_context(context)?,
                bisect_on_function_error: event["BisectBatchOnFunctionError"]
                    .as_bool()
                    .unwrap_or(false),
                reports_batch_item_failures: event["FunctionResponseTypes"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .any(|kind| kind.as_str() == Some("ReportBatchItemFailures")),
            });
        }
    }
    Ok(triggers)
}

/// The binary's name, read as routes.rs reads it.
fn function_name(properties: &Value) -> anyhow::Result<String> {
    properties["CodeUri"]
        .as_str()
        .and_then(|uri| uri.strip_prefix("target/lambda/"))
        .map(|rest| rest.trim_end_matches('/').to_string())
        .context("CodeUri must be target/lambda/<name>/")
}

/// The table in `!GetAtt <Table>.StreamArn`, `!GetAtt [<Table>, StreamArn]` or the long
/// `Fn::GetAtt` forms.
fn stream_table(stream: &Value) -> Option<String> {
    let target = match stream {
        Value::Tagged(tagged) if tagged.tag == "GetAtt" || tagged.tag == "!GetAtt" => &tagged.value,
        Value::Mapping(map) => map.get("Fn::GetAtt")?,
        _ => return None,
    };
    let (table, attribute) = match target {
        Value::String(text) => text.split_once('.')?,
        Value::Sequence(parts) => (parts.first()?.as_str()?, parts.get(1)?.as_str()?),
        _ => return None,
    };
    (attribute == "StreamArn" && !table.is_empty()).then(|| table.to_string())
}

fn starting_position(value: &Value) -> anyhow::Result<StartingPosition> {
    match value.as_str() {
        None | Some("LATEST") => Ok(StartingPosition::Latest),
        Some("TRIM_HORIZON") => Ok(StartingPosition::TrimHorizon),
        Some(other) => bail!("StartingPosition {other:?} is not LATEST or TRIM_HORIZON"),
    }
}

/// A literal whole number within Lambda's bounds, or the default when absent.
fn bounded(value: &Value, min: u64, max: u64, default: u64) -> anyhow::Result<u64> {
    if value.is_null() {
        return Ok(default);
    }
    value
        .as_u64()
        .filter(|n| (min..=max).contains(n))
        .with_context(|| format!("must be a number from {min} to {max}"))
}

fn retry_attempts(value: &Value) -> anyhow::Result<Option<u32>> {
    if value.is_null() {
        return Ok(None);
    }
    match value.as_i64() {
        Some(-1) => Ok(None),
        Some(n @ 0..=MAX_RETRY_ATTEMPTS) => Ok(u32::try_from(n).ok()),
        _ => bail!("MaximumRetryAttempts must be -1 or a number from 0 to {MAX_RETRY_ATTEMPTS}"),
    }
}

fn record_age(value: &Value) -> anyhow::Result<Option<Duration>> {
    if value.is_null() {
        return Ok(None);
    }
    match value.as_i64() {
        Some(-1) => Ok(None),
        Some(secs) if RECORD_AGES_SECS.contains(&secs) => {
            Ok(Some(Duration::from_secs(secs.unsigned_abs())))
        }
        _ => bail!(
            "MaximumRecordAgeInSeconds must be -1 or a number from {} to {}",
            RECORD_AGES_SECS.start(),
            RECORD_AGES_SECS.end()
        ),
    }
}

/// What runs a function: [`Lambda`] in the emulator, a stand-in in tests.
pub trait Invoker: Send + Sync + 'static {
    fn invoke(
        &self,
        function: &str,
        payload: Bytes,
    ) -> impl Future<Output = Result<Bytes, InvokeError>> + Send;
}

impl Invoker for Lambda {
    fn invoke(
        &self,
        function: &str,
        payload: Bytes,
    ) -> impl Future<Output = Result<Bytes, InvokeError>> + Send {
        Lambda::invoke(self, function, payload)
    }
}

/// A failed call of the DynamoDB or DynamoDB Streams JSON API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the endpoint did not answer: {0}")]
    Transport(String),
    #[error("{kind} (HTTP {status}): {message}")]
    Service {
        status: u16,
        /// The error's type without its namespace: `ResourceNotFoundException`.
        kind: String,
        message: String,
    },
}

/// How long one API call may take before it counts as failed (and is retried).
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// The JSON APIs of the local DynamoDB endpoint. Calls carry a SigV4-shaped Authorization
/// header, unsigned: the local server ignores the signature but reads the credential's
/// region (and access key, for the account), which must be the functions' own.
#[derive(Clone)]
pub struct StreamsApi {
    endpoint: Uri,
    region: String,
    access_key: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl StreamsApi {
    /// An `http://` endpoint (the local server), in `region` under `access_key`'s account.
    pub fn new(endpoint: &str, region: &str, access_key: &str) -> anyhow::Result<Self> {
        let uri: Uri = endpoint
            .parse()
            .with_context(|| format!("DYNAMODB_ENDPOINT {endpoint:?} is not a URL"))?;
        if uri.scheme_str() != Some("http") {
            bail!("DYNAMODB_ENDPOINT {endpoint:?}: the stream poller reads http:// endpoints only");
        }
        Ok(Self {
            endpoint: uri,
            region: region.to_string(),
            access_key: access_key.to_string(),
            client: Client::builder(TokioExecutor::new()).build_http(),
        })
    }

    /// The endpoint as the functions see it: `AWS_REGION` and `AWS_ACCESS_KEY_ID` (or the
    /// local stack's defaults).
    pub fn from_env(endpoint: &str) -> anyhow::Result<Self> {
        let var = |name: &str, default: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_string())
        };
        Self::new(
            endpoint,
            &var("AWS_REGION", "us-east-1"),
            &var("AWS_ACCESS_KEY_ID", "local"),
        )
    }

    /// The table's current stream, if it has one enabled.
    pub async fn latest_stream_arn(&self, table: &str) -> Result<Option<String>, ApiError> {
        let answer = self
            .call(
                "DynamoDB_20120810.DescribeTable",
                json!({"TableName": table}),
            )
            .await?;
        let enabled = answer["Table"]["StreamSpecification"]["StreamEnabled"].as_bool();
        Ok(answer["Table"]["LatestStreamArn"]
            .as_str()
            .filter(|_| enabled != Some(false))
            .map(str::to_string))
    }

    /// Every shard of the stream, oldest first as DescribeStream lists them.
    pub async fn shards(&self, stream_arn: &str) -> Result<Vec<Shard>, ApiError> {
        let mut shards = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut request = json!({"StreamArn": stream_arn});
            if let Some(shard) = &after {
                request["ExclusiveStartShardId"] = json!(shard);
            }
            let answer = self
                .call("DynamoDBStreams_20120810.DescribeStream", request)
                .await?;
            let description = &answer["StreamDescription"];
            for shard in description["Shards"].as_array().into_iter().flatten() {
                let Some(id) = shard["ShardId"].as_str() else {
                    continue;
                };
                shards.push(Shard {
                    id: id.to_string(),
                    parent: shard["ParentShardId"].as_str().map(str::to_string),
                    open: shard["SequenceNumberRange"]["EndingSequenceNumber"].is_null(),
                });
            }
            match description["LastEvaluatedShardId"].as_str() {
                Some(last) if after.as_deref() != Some(last) => after = Some(last.to_string()),
                _ => return Ok(shards),
            }
        }
    }

    /// An iterator at `position` of the shard.
    pub async fn shard_iterator(
        &self,
        stream_arn: &str,
        shard_id: &str,
        position: &Position,
    ) -> Result<String, ApiError> {
        let mut request = json!({"StreamArn": stream_arn, "ShardId": shard_id});
        match position {
            Position::Start(StartingPosition::Latest) => {
                request["ShardIteratorType"] = json!("LATEST");
            }
            Position::Start(StartingPosition::TrimHorizon) => {
                request["ShardIteratorType"] = json!("TRIM_HORIZON");
            }
            Position::After(sequence_number) => {
                request["ShardIteratorType"] = json!("AFTER_SEQUENCE_NUMBER");
                request["SequenceNumber"] = json!(sequence_number);
            }
        }
        let answer = self
            .call("DynamoDBStreams_20120810.GetShardIterator", request)
            .await?;
        answer["ShardIterator"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| ApiError::Transport("GetShardIterator returned no iterator".into()))
    }

    /// Up to `limit` records from the iterator, and the iterator that follows them (`None`
    /// once a closed shard is read to its end).
    pub async fn records(&self, iterator: &str, limit: usize) -> Result<RecordPage, ApiError> {
        let mut answer = self
            .call(
                "DynamoDBStreams_20120810.GetRecords",
                json!({"ShardIterator": iterator, "Limit": limit}),
            )
            .await?;
        let records = match answer["Records"].take() {
            Json::Array(records) => records,
            _ => Vec::new(),
        };
        Ok(RecordPage {
            records,
            next: answer["NextShardIterator"].as_str().map(str::to_string),
        })
    }

    async fn call(&self, target: &str, body: Json) -> Result<Json, ApiError> {
        let date = chrono::Utc::now().format("%Y%m%d");
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{date}/{}/dynamodb/aws4_request, \
             SignedHeaders=host;x-amz-target, Signature=0",
            self.access_key, self.region
        );
        let request = Request::post(self.endpoint.clone())
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", target)
            .header("authorization", authorization)
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| ApiError::Transport(e.to_string()))?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| ApiError::Transport(e.to_string()))?;
            let status = response.status();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| ApiError::Transport(e.to_string()))?
                .to_bytes();
            Ok::<_, ApiError>((status, body))
        };
        let (status, body) = tokio::time::timeout(CALL_TIMEOUT, exchange)
            .await
            .map_err(|_| ApiError::Transport(format!("{target} took over {CALL_TIMEOUT:?}")))??;
        let answer: Json = serde_json::from_slice(&body).unwrap_or(Json::Null);
        if status.is_success() {
            return Ok(answer);
        }
        let kind = answer["__type"].as_str().unwrap_or("UnknownError");
        Err(ApiError::Service {
            status: status.as_u16(),
            kind: kind.rsplit('#').next().unwrap_or(kind).to_string(),
            message: answer["message"]
                .as_str()
                .or(answer["Message"].as_str())
                .unwrap_or_default()
                .to_string(),
        })
    }
}

/// One shard as DescribeStream lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shard {
    pub id: String,
    pub parent: Option<String>,
    /// Still written to (no ending sequence number yet).
    pub open: bool,
}

/// Where an iterator starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Position {
    Start(StartingPosition),
    /// Just after the record with this sequence number.
    After(String),
}

/// What one GetRecords returned.
#[derive(Debug)]
pub struct RecordPage {
    pub records: Vec<Json>,
    pub next: Option<String>,
}

/// How the poller paces itself.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// The pause between reads of an idle shard (`STREAM_POLL_MS`).
    pub poll: Duration,
    /// The first retry's delay; each next one doubles it, up to `retry_max`.
    pub retry_first: Duration,
    pub retry_max: Duration,
}

impl Timing {
    /// Retries from 100 ms doubling to 10 s, as Lambda's backoff roughly does.
    pub fn with_poll(poll: Duration) -> Self {
        Self {
            poll,
            retry_first: Duration::from_millis(100),
            retry_max: Duration::from_secs(10),
        }
    }

    /// The delay before the `attempt`th retry (1 for the first).
    fn backoff(&self, attempt: u32) -> Duration {
        let doubled = 2u32.checked_pow(attempt.saturating_sub(1).min(31));
        doubled
            .and_then(|factor| self.retry_first.checked_mul(factor))
            .map_or(self.retry_max, |delay| delay.min(self.retry_max))
    }
}

/// A trigger whose stream is resolved and whose first iterators are taken: from here on no
/// record written to the table is missed (for `LATEST`, "now" is when it subscribed).
pub struct Subscription {
    trigger: Arc<StreamTrigger>,
    api: StreamsApi,
    stream_arn: Arc<str>,
    shards: Vec<FirstShard>,
}

/// A shard read from the start, with its first iterator.
#[derive(Clone)]
struct FirstShard {
    id: String,
    start: Position,
    iterator: String,
}

/// Resolves `table`'s stream for the trigger and takes an iterator on each shard it starts
/// from: the open shards at `LATEST`, the oldest ones at `TRIM_HORIZON` (their children are
/// read when they end, as Lambda follows a shard's lineage).
pub async fn subscribe(
    api: &StreamsApi,
    trigger: StreamTrigger,
    table: &str,
) -> anyhow::Result<Subscription> {
    let stream_arn = api
        .latest_stream_arn(table)
        .await
        .with_context(|| format!("describing table {table}"))?
        .with_context(|| {
            format!(
                "table {table} has no stream (made before its StreamSpecification? \
                 recreate it: local-tables delete, then create)"
            )
        })?;
    let listed = api
        .shards(&stream_arn)
        .await
        .with_context(|| format!("describing the stream of {table}"))?;
    let position = Position::Start(trigger.starting_position);
    let mut shards = Vec::new();
    for shard in &listed {
        let starts_here = match trigger.starting_position {
            StartingPosition::Latest => shard.open,
            StartingPosition::TrimHorizon => shard
                .parent
                .as_ref()
                .is_none_or(|parent| !listed.iter().any(|s| &s.id == parent)),
        };
        if !starts_here {
            continue;
        }
        let iterator = api
            .shard_iterator(&stream_arn, &shard.id, &position)
            .await
            .with_context(|| format!("reading the stream of {table}"))?;
        shards.push(FirstShard {
            id: shard.id.clone(),
            start: position.clone(),
            iterator,
        });
    }
    Ok(Subscription {
        trigger: Arc::new(trigger),
        api: api.clone(),
        stream_arn: stream_arn.into(),
        shards,
    })
}

impl Subscription {
    pub fn stream_arn(&self) -> &str {
        &self.stream_arn
    }

    /// Polls every shard in the background, each in its own task, until the task is aborted.
    pub fn spawn<I: Invoker>(self, invoker: Arc<I>, timing: Timing) -> JoinHandle<()> {
        tokio::spawn(self.run(invoker, timing))
    }

    async fn run<I: Invoker>(self, invoker: Arc<I>, timing: Timing) {
        let reader = |id: String, start: Position, iterator: Option<String>| ShardReader {
            trigger: self.trigger.clone(),
            api: self.api.clone(),
            invoker: invoker.clone(),
            timing,
            stream_arn: self.stream_arn.clone(),
            shard_id: id,
            start,
            iterator,
            last_read: None,
            closed: false,
            pending: VecDeque::new(),
            attempts: 0,
            read_failures: 0,
            limit: self.trigger.batch_size,
            gathering_since: None,
        };
        let mut readers = JoinSet::new();
        for shard in self.shards.clone() {
            readers.spawn(reader(shard.id, shard.start, Some(shard.iterator)).run());
        }
        while let Some(ended) = readers.join_next().await {
            let Ok(parent) = ended else {
                continue;
            };
            for child in self.children(&parent, &timing).await {
                let start = Position::Start(StartingPosition::TrimHorizon);
                readers.spawn(reader(child, start, None).run());
            }
        }
    }

    /// The shards that continue one read to its end (retried until the stream answers).
    async fn children(&self, parent: &str, timing: &Timing) -> Vec<String> {
        let mut attempt = 0;
        loop {
            match self.api.shards(&self.stream_arn).await {
                Ok(shards) => {
                    return shards
                        .into_iter()
                        .filter(|s| s.parent.as_deref() == Some(parent))
                        .map(|s| s.id)
                        .collect();
                }
                Err(error) => {
                    attempt += 1;
                    tracing::warn!(function = %self.trigger.function, error = %error, "cannot list the stream's shards");
                    tokio::time::sleep(timing.backoff(attempt)).await;
                }
            }
        }
    }
}

/// GetRecords returns at most this many records a call.
const MAX_RECORDS_PER_READ: usize = 1000;

/// One shard's poller: reads ahead into `pending`, up to a batch, and delivers from its front.
struct ShardReader<I> {
    trigger: Arc<StreamTrigger>,
    api: StreamsApi,
    invoker: Arc<I>,
    timing: Timing,
    stream_arn: Arc<str>,
    shard_id: String,
    /// Where to take an iterator when none has been read from yet.
    start: Position,
    /// `None`: take a new one (the last call failed or none was taken yet).
    iterator: Option<String>,
    /// The sequence number of the last record read: a new iterator starts after it.
    last_read: Option<String>,
    /// The shard is closed and read to its end.
    closed: bool,
    /// Read, not yet delivered, in stream order.
    pending: VecDeque<Json>,
    /// Failed deliveries of the record at the front of `pending`.
    attempts: u32,
    read_failures: u32,
    /// The largest batch to send next: halved by a bisection, the batch size otherwise.
    limit: usize,
    /// When the oldest pending record was read, while a batching window gathers more.
    gathering_since: Option<Instant>,
}

/// How a batch ended, as Lambda judges the function's answer.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Done,
    /// The function answered, reporting the records from this index on as failed (0 is
    /// the whole batch).
    FailedFrom(usize),
    /// The function failed (an error, a crash, a timeout).
    FunctionError(String),
}

impl<I: Invoker> ShardReader<I> {
    /// Returns the shard's id once it is closed and every record of it delivered.
    async fn run(mut self) -> String {
        loop {
            if !self.closed && self.pending.len() < self.trigger.batch_size {
                if let Err(error) = self.read().await {
                    self.read_failures += 1;
                    tracing::warn!(function = %self.trigger.function, shard = %self.shard_id, error = %error, "cannot read the stream");
                    tokio::time::sleep(self.timing.backoff(self.read_failures)).await;
                    // What was read already is still delivered.
                    if self.pending.is_empty() {
                        continue;
                    }
                } else {
                    self.read_failures = 0;
                }
            }
            if self.pending.is_empty() {
                if self.closed {
                    return self.shard_id;
                }
                tokio::time::sleep(self.timing.poll).await;
                continue;
            }
            if self.gathering() {
                tokio::time::sleep(self.timing.poll).await;
                continue;
            }
            self.deliver().await;
        }
    }

    /// One GetRecords into `pending`, taking a fresh iterator first if needed.
    async fn read(&mut self) -> Result<(), ApiError> {
        let iterator = match self.iterator.take() {
            Some(iterator) => iterator,
            None => {
                let position = match &self.last_read {
                    Some(sequence_number) => Position::After(sequence_number.clone()),
                    None => self.start.clone(),
                };
                self.api
                    .shard_iterator(&self.stream_arn, &self.shard_id, &position)
                    .await?
            }
        };
        let wanted = (self.trigger.batch_size - self.pending.len()).clamp(1, MAX_RECORDS_PER_READ);
        let page = self.api.records(&iterator, wanted).await?;
        for record in page.records {
            if let Some(sequence_number) = sequence_number(&record) {
                self.last_read = Some(sequence_number.to_string());
            }
            self.pending.push_back(record);
        }
        match page.next {
            Some(next) => self.iterator = Some(next),
            None => self.closed = true,
        }
        Ok(())
    }

    /// Waiting for a fuller batch within `MaximumBatchingWindowInSeconds`.
    fn gathering(&mut self) -> bool {
        if self.pending.len() >= self.trigger.batch_size || self.closed {
            return false;
        }
        let since = *self.gathering_since.get_or_insert_with(Instant::now);
        since.elapsed() < self.trigger.batching_window
    }

    /// Invokes the function with the batch at the front of `pending` and settles it.
    async fn deliver(&mut self) {
        if self.discard_aged() {
            return;
        }
        let size = self.limit.min(self.pending.len()).max(1);
        let batch: Vec<&Json> = self.pending.iter().take(size).collect();
        let numbers: Vec<&str> = batch
            .iter()
            .map(|r| sequence_number(r).unwrap_or(""))
            .collect();
        let payload = event_payload(&batch, &self.stream_arn);
        let started = Instant::now();
        let answer = self.invoker.invoke(&self.trigger.function, payload).await;
        let outcome = judge(answer, &numbers, self.trigger.reports_batch_item_failures);
        let ms = started.elapsed().as_millis() as u64;
        match outcome {
            Outcome::Done => {
                tracing::info!(function = %self.trigger.function, records = size, ms, "stream batch");
                self.settle(size);
            }
            Outcome::FailedFrom(failed) => {
                let reason = format!("batchItemFailures from sequence number {}", numbers[failed]);
                if failed > 0 {
                    tracing::info!(function = %self.trigger.function, records = failed, ms, "stream batch (partly)");
                    self.settle(failed);
                }
                self.retry(size - failed, false, &reason).await;
            }
            Outcome::FunctionError(error) => self.retry(size, true, &error).await,
        }
    }

    /// Drops the records older than `MaximumRecordAgeInSeconds` from the front of `pending`
    /// (the oldest are first); true if it dropped any.
    fn discard_aged(&mut self) -> bool {
        let Some(maximum) = self.trigger.maximum_record_age else {
            return false;
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        let aged = self
            .pending
            .iter()
            .take_while(|record| {
                record["dynamodb"]["ApproximateCreationDateTime"]
                    .as_f64()
                    .is_some_and(|created| now - created > maximum.as_secs_f64())
            })
            .count();
        if aged == 0 {
            return false;
        }
        let first = self.pending.front().and_then(sequence_number).unwrap_or("");
        let last = self
            .pending
            .get(aged - 1)
            .and_then(sequence_number)
            .unwrap_or("");
        tracing::warn!(function = %self.trigger.function, shard = %self.shard_id, records = aged, first_sequence_number = first, last_sequence_number = last, "stream records skipped: older than MaximumRecordAgeInSeconds");
        self.settle(aged);
        true
    }

    /// The first `delivered` records are done: the next batch starts after them, afresh.
    fn settle(&mut self, delivered: usize) {
        self.pending.drain(..delivered);
        self.attempts = 0;
        self.limit = self.trigger.batch_size;
        self.gathering_since = None;
    }

    /// The first `failing` records failed: halve them (a function error, with bisection),
    /// wait and retry them, or skip them once their retries are spent.
    async fn retry(&mut self, failing: usize, function_error: bool, reason: &str) {
        let function = &self.trigger.function;
        if function_error && self.trigger.bisect_on_function_error && failing > 1 {
            // Splitting a batch is not a retry: it does not count against the attempts.
            self.limit = failing.div_ceil(2);
            tracing::warn!(%function, shard = %self.shard_id, records = failing, error = %reason, "stream batch failed: retrying it in halves");
            return;
        }
        self.attempts += 1;
        let first = self.pending.front().and_then(sequence_number).unwrap_or("");
        if self
            .trigger
            .maximum_retry_attempts
            .is_some_and(|max| self.attempts > max)
        {
            let last = self
                .pending
                .get(failing - 1)
                .and_then(sequence_number)
                .unwrap_or("");
            tracing::warn!(%function, shard = %self.shard_id, records = failing, first_sequence_number = first, last_sequence_number = last, attempts = self.attempts, error = %reason, "stream records skipped: retries exhausted");
            self.settle(failing);
            return;
        }
        let delay = self.timing.backoff(self.attempts);
        tracing::warn!(%function, shard = %self.shard_id, records = failing, first_sequence_number = first, attempt = self.attempts, retry_in_ms = delay.as_millis() as u64, error = %reason, "stream batch failed");
        self.limit = failing;
        tokio::time::sleep(delay).await;
    }
}

fn sequence_number(record: &Json) -> Option<&str> {
    record["dynamodb"]["SequenceNumber"].as_str()
}

/// Lambda's event: the records as GetRecords returned them (DynamoDB JSON images), each
/// naming the stream it came from.
fn event_payload(batch: &[&Json], stream_arn: &str) -> Bytes {
    let records: Vec<Json> = batch
        .iter()
        .map(|record| {
            let mut record = (*record).clone();
            if let Some(fields) = record.as_object_mut() {
                fields.insert("eventSourceARN".into(), json!(stream_arn));
            }
            record
        })
        .collect();
    Bytes::from(json!({ "Records": records }).to_string())
}

/// Lambda's reading of the function's answer. With `ReportBatchItemFailures`, an empty or
/// absent `batchItemFailures` is success; the lowest reported record is where the retry
/// starts; an identifier that is empty, missing or not in the batch fails the whole batch.
/// Without it, any answer is success.
fn judge(answer: Result<Bytes, InvokeError>, batch: &[&str], reports_failures: bool) -> Outcome {
    let body = match answer {
        Ok(body) => body,
        Err(error) => return Outcome::FunctionError(error.to_string()),
    };
    if !reports_failures {
        return Outcome::Done;
    }
    let response: Json = serde_json::from_slice(&body).unwrap_or(Json::Null);
    let Some(failures) = response["batchItemFailures"].as_array() else {
        return Outcome::Done;
    };
    let mut first_failed: Option<usize> = None;
    for failure in failures {
        let index = failure["itemIdentifier"]
            .as_str()
            .filter(|id| !id.is_empty())
            .and_then(|id| batch.iter().position(|n| *n == id));
        let Some(index) = index else {
            return Outcome::FailedFrom(0);
        };
        first_failed = Some(first_failed.map_or(index, |first| first.min(index)));
    }
    first_failed.map_or(Outcome::Done, Outcome::FailedFrom)
}

/// Subscribes every stream trigger of the template and polls them in the background; returns
/// how many. Call it before the emulator reports ready: a trigger at `LATEST` sees every write
/// made after this returns. Local only: without `DYNAMODB_ENDPOINT` nothing is polled.
pub async fn start<I: Invoker>(
    template_yaml: &str,
    invoker: Arc<I>,
    poll: Duration,
) -> anyhow::Result<usize> {
    let triggers = stream_triggers(template_yaml)?;
    if triggers.is_empty() {
        return Ok(0);
    }
    let config = shared::config::StoreConfig::from_env()
        .context("the stream triggers need the tables' settings")?;
    let Some(endpoint) = config.dynamodb_endpoint else {
        tracing::warn!("DYNAMODB_ENDPOINT is not set: no stream triggers run");
        return Ok(0);
    };
    let api = StreamsApi::from_env(&endpoint)?;
    let count = triggers.len();
    for trigger in triggers {
        let table = format!("{}{}", config.table_prefix, trigger.collection);
        let function = trigger.function.clone();
        let subscription = subscribe(&api, trigger, &table).await?;
        tracing::info!(%function, %table, shards = subscription.shards.len(), "stream trigger polling");
        subscription.spawn(invoker.clone(), Timing::with_poll(poll));
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = r#"
Resources:
  ItemsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${Stage}-items"
      AttributeDefinitions: [{ AttributeName: id, AttributeType: S }]
      KeySchema: [{ AttributeName: id, KeyType: HASH }]
      StreamSpecification:
        StreamViewType: NEW_IMAGE
  UsersTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${Stage}-users"
      AttributeDefinitions: [{ AttributeName: id, AttributeType: S }]
      KeySchema: [{ AttributeName: id, KeyType: HASH }]
  GetHealthFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: target/lambda/get-health/
      Events:
        Api: { Type: HttpApi, Properties: { Method: GET, Path: /health } }
  StreamItemsFanOutFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: target/lambda/stream-items-fan-out/
      Events:
        ItemChanges:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt ItemsTable.StreamArn
            StartingPosition: LATEST
            BatchSize: 100
            MaximumBatchingWindowInSeconds: 0
            MaximumRetryAttempts: 10
            BisectBatchOnFunctionError: true
            FunctionResponseTypes: [ReportBatchItemFailures]
"#;

    #[test]
    fn reads_the_dynamodb_events_of_the_template() {
        let triggers = stream_triggers(TEMPLATE).unwrap();
        assert_eq!(
            triggers,
            vec![StreamTrigger {
                function: "stream-items-fan-out".into(),
                table_logical_id: "ItemsTable".into(),
                collection: "items".into(),
                starting_position: StartingPosition::Latest,
                batch_size: 100,
                batching_window: Duration::ZERO,
                maximum_retry_attempts: Some(10),
                maximum_record_age: None,
                bisect_on_function_error: true,
                reports_batch_item_failures: true,
            }]
        );
    }

    #[test]
    fn a_template_without_dynamodb_events_has_no_triggers() {
        let start = TEMPLATE.find("  StreamItemsFanOutFunction:").unwrap();
        assert_eq!(stream_triggers(&TEMPLATE[..start]).unwrap(), vec![]);
    }

    #[test]
    fn long_forms_and_defaults_are_read() {
        let template = TEMPLATE
            .replace(
                "Stream: !GetAtt ItemsTable.StreamArn",
                "Stream: { \"Fn::GetAtt\": [ItemsTable, StreamArn] }",
            )
            .replace("            BatchSize: 100\n", "")
            .replace("MaximumRetryAttempts: 10", "MaximumRetryAttempts: -1")
            .replace(
                "MaximumBatchingWindowInSeconds: 0",
                "MaximumRecordAgeInSeconds: 600",
            )
            .replace("            BisectBatchOnFunctionError: true\n", "")
            .replace("StartingPosition: LATEST", "StartingPosition: TRIM_HORIZON")
            .replace(
                "FunctionResponseTypes: [ReportBatchItemFailures]",
                "Enabled: true",
            );
        let trigger = &stream_triggers(&template).unwrap()[0];
        assert_eq!(trigger.collection, "items");
        assert_eq!(trigger.starting_position, StartingPosition::TrimHorizon);
        assert_eq!(trigger.batch_size, 100);
        assert_eq!(trigger.maximum_retry_attempts, None);
        assert_eq!(trigger.maximum_record_age, Some(Duration::from_secs(600)));
        assert!(!trigger.bisect_on_function_error);
        assert!(!trigger.reports_batch_item_failures);
    }

    #[test]
    fn a_disabled_event_is_not_polled() {
        let template = TEMPLATE.replace(
            "BatchSize: 100",
            "BatchSize: 100\n            Enabled: false",
        );
        assert_eq!(stream_triggers(&template).unwrap(), vec![]);
    }

    #[test]
    fn bad_events_are_refused_with_their_place() {
        let cases = [
            (
                "ItemsTable.StreamArn",
                "UsersTable.StreamArn",
                "has no StreamSpecification",
            ),
            ("ItemsTable.StreamArn", "ItemsTable.Arn", "Stream must be"),
            (
                "ItemsTable.StreamArn",
                "NoTable.StreamArn",
                "no table NoTable",
            ),
            ("BatchSize: 100", "BatchSize: 0", "BatchSize"),
            ("LATEST", "AT_TIMESTAMP", "StartingPosition"),
            (
                "MaximumRetryAttempts: 10",
                "MaximumRetryAttempts: -2",
                "MaximumRetryAttempts",
            ),
            (
                "MaximumBatchingWindowInSeconds: 0",
                "MaximumRecordAgeInSeconds: 59",
                "MaximumRecordAgeInSeconds",
            ),
        ];
        for (from, to, expected) in cases {
            let error = stream_triggers(&TEMPLATE.replace(from, to)).unwrap_err();
            let message = format!("{error:#}");
            assert!(message.contains(expected), "{to}: {message}");
            assert!(
                message.contains("StreamItemsFanOutFunction.Events.ItemChanges"),
                "{message}"
            );
        }
    }

    fn answer(body: &str) -> Result<Bytes, InvokeError> {
        Ok(Bytes::from(body.to_string()))
    }

    #[test]
    fn batch_item_failures_retry_from_the_lowest_failed_record() {
        let batch = ["11", "12", "13", "14"];
        let judged = |body: &str| judge(answer(body), &batch, true);
        assert_eq!(judged(""), Outcome::Done);
        assert_eq!(judged("null"), Outcome::Done);
        assert_eq!(judged("{}"), Outcome::Done);
        assert_eq!(judged(r#"{"batchItemFailures": null}"#), Outcome::Done);
        assert_eq!(judged(r#"{"batchItemFailures": []}"#), Outcome::Done);
        assert_eq!(
            judged(
                r#"{"batchItemFailures": [{"itemIdentifier": "14"}, {"itemIdentifier": "12"}]}"#
            ),
            Outcome::FailedFrom(1)
        );
        for whole in [
            r#"{"batchItemFailures": [{"itemIdentifier": ""}]}"#,
            r#"{"batchItemFailures": [{"itemIdentifier": null}]}"#,
            r#"{"batchItemFailures": [{"id": "12"}]}"#,
            r#"{"batchItemFailures": [{"itemIdentifier": "12"}, {"itemIdentifier": "99"}]}"#,
        ] {
            assert_eq!(judged(whole), Outcome::FailedFrom(0), "{whole}");
        }
    }

    #[test]
    fn without_reported_failures_any_answer_is_success() {
        let body = r#"{"batchItemFailures": [{"itemIdentifier": "12"}]}"#;
        assert_eq!(judge(answer(body), &["11", "12"], false), Outcome::Done);
        let crashed = judge(Err(InvokeError::Crashed), &["11"], false);
        assert!(matches!(crashed, Outcome::FunctionError(_)));
    }

    #[test]
    fn backoff_doubles_up_to_its_ceiling() {
        let timing = Timing::with_poll(Duration::from_millis(100));
        let delays: Vec<u64> = [1, 2, 3, 8, 40, u32::MAX]
            .map(|attempt| timing.backoff(attempt).as_millis() as u64)
            .into();
        assert_eq!(delays, [100, 200, 400, 10_000, 10_000, 10_000]);
    }

    #[test]
    fn the_event_names_the_stream_of_each_record() {
        let record = json!({"eventName": "INSERT", "dynamodb": {"SequenceNumber": "11"}});
        let payload = event_payload(&[&record], "arn:stream");
        let event: Json = serde_json::from_slice(&payload).unwrap();
        assert_eq!(event["Records"][0]["eventSourceARN"], "arn:stream");
        assert_eq!(event["Records"][0]["eventName"], "INSERT");
    }
}
