//! The stream poller against the project's moto server: what reaches the function, in which
//! batches, and what is retried, as Lambda's DynamoDB event source mapping does it.

mod support;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use hyper::body::Bytes;
use infra::emulator::lambda::InvokeError;
use infra::emulator::streams::{
    Invoker, StartingPosition, StreamTrigger, StreamsApi, Subscription, Timing, subscribe,
};
use serde_json::{Value as Json, json};
use support::Moto;

const TEMPLATE: &str = r#"
Resources:
  ItemsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${Stage}-items"
      AttributeDefinitions: [{ AttributeName: id, AttributeType: S }]
      KeySchema: [{ AttributeName: id, KeyType: HASH }]
      StreamSpecification: { StreamViewType: NEW_AND_OLD_IMAGES }
"#;
const TABLE: &str = "test-items";

/// Answers the poller's invocations as a script says and keeps every event it was given.
struct Scripted<F> {
    events: Mutex<Vec<Json>>,
    answer: F,
}

type Answer = Result<Json, InvokeError>;

impl<F: Fn(usize, &Json) -> Answer + Send + Sync + 'static> Scripted<F> {
    fn new(answer: F) -> Arc<Self> {
        Arc::new(Self {
            events: Mutex::new(Vec::new()),
            answer,
        })
    }

    fn events(&self) -> Vec<Json> {
        self.events.lock().unwrap().clone()
    }

    /// Waits (at most 20 s) until the events so far satisfy `done`.
    async fn wait_until(&self, done: impl Fn(&[Json]) -> bool) -> Vec<Json> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let events = self.events();
            if done(&events) {
                return events;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "gave up waiting; events so far: {:?}",
                events.iter().map(ids).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl<F: Fn(usize, &Json) -> Answer + Send + Sync + 'static> Invoker for Scripted<F> {
    fn invoke(
        &self,
        function: &str,
        payload: Bytes,
    ) -> impl Future<Output = Result<Bytes, InvokeError>> + Send {
        assert_eq!(function, "stream-items-fan-out");
        let event: Json = serde_json::from_slice(&payload).expect("the event is JSON");
        let index = {
            let mut events = self.events.lock().unwrap();
            events.push(event.clone());
            events.len() - 1
        };
        let answer = (self.answer)(index, &event).map(|body| Bytes::from(body.to_string()));
        async move { answer }
    }
}

/// The ids of an event's records, in order.
fn ids(event: &Json) -> Vec<String> {
    records(event)
        .iter()
        .map(|r| {
            r["dynamodb"]["Keys"]["id"]["S"]
                .as_str()
                .unwrap_or("?")
                .to_string()
        })
        .collect()
}

fn records(event: &Json) -> Vec<Json> {
    event["Records"].as_array().cloned().unwrap_or_default()
}

fn total_records(events: &[Json]) -> usize {
    events.iter().map(|e| records(e).len()).sum()
}

fn sequence_number(record: &Json) -> &str {
    record["dynamodb"]["SequenceNumber"].as_str().unwrap()
}

fn trigger(batch_size: usize) -> StreamTrigger {
    StreamTrigger {
        function: "stream-items-fan-out".into(),
        table_logical_id: "ItemsTable".into(),
        collection: "items".into(),
        starting_position: StartingPosition::Latest,
        batch_size,
        batching_window: Duration::ZERO,
        maximum_retry_attempts: None,
        maximum_record_age: None,
        bisect_on_function_error: false,
        reports_batch_item_failures: true,
    }
}

fn timing() -> Timing {
    Timing {
        poll: Duration::from_millis(20),
        retry_first: Duration::from_millis(10),
        retry_max: Duration::from_millis(100),
    }
}

async fn setup(trigger: StreamTrigger) -> (Moto, Client, Subscription) {
    let moto = Moto::start();
    moto.create_tables(TEMPLATE, "test-").await;
    let api = StreamsApi::new(&moto.endpoint, "us-east-1", "local").unwrap();
    let subscription = subscribe(&api, trigger, TABLE).await.unwrap();
    let client = moto.client();
    (moto, client, subscription)
}

async fn put(client: &Client, id: &str) {
    client
        .put_item()
        .table_name(TABLE)
        .item("id", AttributeValue::S(id.into()))
        .item("n", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
}

fn ok() -> Answer {
    Ok(json!({"batchItemFailures": []}))
}

#[tokio::test]
async fn records_arrive_in_order_in_the_lambda_event_shape() {
    let moto = Moto::start();
    moto.create_tables(TEMPLATE, "test-").await;
    let client = moto.client();
    // Written before the trigger subscribed: LATEST does not deliver it.
    put(&client, "early").await;
    let api = StreamsApi::new(&moto.endpoint, "us-east-1", "local").unwrap();
    let subscription = subscribe(&api, trigger(2), TABLE).await.unwrap();
    let stream_arn = subscription.stream_arn().to_string();
    let function = Scripted::new(|_, _| ok());
    let poller = subscription.spawn(function.clone(), timing());

    for id in ["a", "b", "c", "d", "e"] {
        put(&client, id).await;
    }
    client
        .update_item()
        .table_name(TABLE)
        .key("id", AttributeValue::S("a".into()))
        .update_expression("SET n = :two")
        .expression_attribute_values(":two", AttributeValue::N("2".into()))
        .send()
        .await
        .unwrap();
    client
        .delete_item()
        .table_name(TABLE)
        .key("id", AttributeValue::S("b".into()))
        .send()
        .await
        .unwrap();

    function
        .wait_until(|events| total_records(events) >= 7)
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    poller.abort();
    let events = function.events();
    assert!(events.len() >= 4, "7 records in batches of at most 2");
    assert!(events.iter().all(|e| (1..=2).contains(&records(e).len())));
    let all: Vec<Json> = events.iter().flat_map(records).collect();
    let changes: Vec<(String, String)> = all
        .iter()
        .map(|r| {
            let name = r["eventName"].as_str().unwrap().to_string();
            (
                name,
                r["dynamodb"]["Keys"]["id"]["S"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    let expected = [
        ("INSERT", "a"),
        ("INSERT", "b"),
        ("INSERT", "c"),
        ("INSERT", "d"),
        ("INSERT", "e"),
        ("MODIFY", "a"),
        ("REMOVE", "b"),
    ]
    .map(|(name, id)| (name.to_string(), id.to_string()));
    assert_eq!(changes, expected);
    let numbers: Vec<u128> = all
        .iter()
        .map(|r| sequence_number(r).parse().unwrap())
        .collect();
    assert!(
        numbers.windows(2).all(|pair| pair[0] < pair[1]),
        "{numbers:?}"
    );
    for record in &all {
        assert_eq!(record["eventSourceARN"], json!(stream_arn));
        assert_eq!(record["eventSource"], "aws:dynamodb");
        assert_eq!(record["awsRegion"], "us-east-1");
        assert_eq!(record["dynamodb"]["StreamViewType"], "NEW_AND_OLD_IMAGES");
        assert!(record["dynamodb"]["ApproximateCreationDateTime"].is_number());
        assert!(record["eventID"].is_string());
    }
    // Images stay DynamoDB JSON, as Lambda delivers them.
    assert_eq!(
        all[0]["dynamodb"]["NewImage"],
        json!({"id": {"S": "a"}, "n": {"N": "1"}})
    );
    assert!(all[0]["dynamodb"].get("OldImage").is_none());
    assert_eq!(all[5]["dynamodb"]["OldImage"]["n"], json!({"N": "1"}));
    assert_eq!(all[5]["dynamodb"]["NewImage"]["n"], json!({"N": "2"}));
    assert_eq!(all[6]["dynamodb"]["OldImage"]["id"], json!({"S": "b"}));
    assert!(all[6]["dynamodb"].get("NewImage").is_none());
}

#[tokio::test]
async fn batch_item_failures_retry_from_the_failed_record_only() {
    let (_moto, client, subscription) = setup(trigger(10)).await;
    for id in ["a", "b", "c", "d", "e"] {
        put(&client, id).await;
    }
    // The first batch reports c and e failed: the retry starts at c, the lowest.
    let function = Scripted::new(|index, event| {
        if index > 0 {
            return ok();
        }
        let failed: Vec<Json> = records(event)
            .iter()
            .filter(|r| ["c", "e"].contains(&r["dynamodb"]["Keys"]["id"]["S"].as_str().unwrap()))
            .map(|r| json!({"itemIdentifier": sequence_number(r)}))
            .rev()
            .collect();
        Ok(json!({ "batchItemFailures": failed }))
    });
    let poller = subscription.spawn(function.clone(), timing());
    function.wait_until(|events| events.len() >= 2).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    poller.abort();
    let batches: Vec<Vec<String>> = function.events().iter().map(ids).collect();
    assert_eq!(
        batches,
        [vec!["a", "b", "c", "d", "e"], vec!["c", "d", "e"]]
    );
}

#[tokio::test]
async fn an_unknown_item_identifier_fails_the_whole_batch() {
    let (_moto, client, subscription) = setup(trigger(10)).await;
    put(&client, "a").await;
    put(&client, "b").await;
    let function = Scripted::new(|index, _| match index {
        0 => Ok(json!({"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]})),
        _ => ok(),
    });
    let poller = subscription.spawn(function.clone(), timing());
    function.wait_until(|events| events.len() >= 2).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    poller.abort();
    let batches: Vec<Vec<String>> = function.events().iter().map(ids).collect();
    assert_eq!(batches, [vec!["a", "b"], vec!["a", "b"]]);
}

#[tokio::test]
async fn a_function_error_retries_the_whole_batch() {
    let (_moto, client, subscription) = setup(trigger(10)).await;
    for id in ["a", "b", "c"] {
        put(&client, id).await;
    }
    let function = Scripted::new(|index, _| match index {
        0 | 1 => Err(InvokeError::FunctionError(r#"{"errorType":"boom"}"#.into())),
        _ => ok(),
    });
    let poller = subscription.spawn(function.clone(), timing());
    function.wait_until(|events| events.len() >= 3).await;
    put(&client, "d").await;
    function.wait_until(|events| events.len() >= 4).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    poller.abort();
    let batches: Vec<Vec<String>> = function.events().iter().map(ids).collect();
    let abc = vec!["a", "b", "c"];
    assert_eq!(batches, [abc.clone(), abc.clone(), abc, vec!["d"]]);
}

#[tokio::test]
async fn bisection_isolates_a_failing_record_and_skips_it_after_its_retries() {
    let mut trigger = trigger(10);
    trigger.bisect_on_function_error = true;
    trigger.maximum_retry_attempts = Some(1);
    let (_moto, client, subscription) = setup(trigger).await;
    for id in ["a", "b", "poison", "d"] {
        put(&client, id).await;
    }
    let function = Scripted::new(|_, event| {
        if ids(event).iter().any(|id| id == "poison") {
            Err(InvokeError::FunctionError(
                r#"{"errorType":"poisoned"}"#.into(),
            ))
        } else {
            ok()
        }
    });
    let poller = subscription.spawn(function.clone(), timing());
    function
        .wait_until(|events| events.last().is_some_and(|e| ids(e) == ["d"]))
        .await;
    put(&client, "e").await;
    function
        .wait_until(|events| events.last().is_some_and(|e| ids(e) == ["e"]))
        .await;
    poller.abort();
    let batches: Vec<Vec<String>> = function.events().iter().map(ids).collect();
    // Halved until the poison is alone (splits are not retries), then tried once more.
    assert_eq!(
        batches,
        [
            vec!["a", "b", "poison", "d"],
            vec!["a", "b"],
            vec!["poison", "d"],
            vec!["poison"],
            vec!["poison"],
            vec!["d"],
            vec!["e"],
        ]
    );
}

#[tokio::test]
async fn records_written_after_a_failed_transaction_still_arrive() {
    let (_moto, client, subscription) = setup(trigger(10)).await;
    let function = Scripted::new(|_, _| ok());
    let poller = subscription.spawn(function.clone(), timing());
    put(&client, "before").await;
    function
        .wait_until(|events| total_records(events) >= 1)
        .await;
    // Its first Put is applied, then the condition fails: moto rolls the tables back.
    let item = |id: &str| {
        Put::builder()
            .table_name(TABLE)
            .item("id", AttributeValue::S(id.into()))
    };
    let failed = client
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .put(item("in-the-transaction").build().unwrap())
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    item("before")
                        .condition_expression("attribute_not_exists(id)")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await;
    assert!(failed.is_err(), "the transaction's condition fails");
    put(&client, "after").await;
    function
        .wait_until(|events| total_records(events) >= 2)
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    poller.abort();
    let seen: Vec<String> = function.events().iter().flat_map(ids).collect();
    // The rolled-back write left no record; the later one is read from the same iterator.
    assert_eq!(seen, ["before", "after"]);
}

#[tokio::test]
async fn records_older_than_the_maximum_age_are_discarded() {
    let mut trigger = trigger(10);
    // Lambda's least is 60 s; a test need not wait that long.
    trigger.maximum_record_age = Some(Duration::from_secs(1));
    let (_moto, client, subscription) = setup(trigger).await;
    let function = Scripted::new(|_, event| {
        if ids(event).iter().any(|id| id == "old") {
            Err(InvokeError::FunctionError(r#"{"errorType":"boom"}"#.into()))
        } else {
            ok()
        }
    });
    let poller = subscription.spawn(function.clone(), timing());
    put(&client, "old").await;
    function.wait_until(|events| events.len() >= 2).await;
    // Only once "old" is past its age: "new" waits behind it, and must stay young meanwhile.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    put(&client, "new").await;
    function
        .wait_until(|events| events.last().is_some_and(|e| ids(e) == ["new"]))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    poller.abort();
    let batches: Vec<Vec<String>> = function.events().iter().map(ids).collect();
    assert_eq!(batches.last().unwrap(), &["new"]);
    assert_eq!(
        batches.iter().filter(|b| b.as_slice() == ["new"]).count(),
        1
    );
}
