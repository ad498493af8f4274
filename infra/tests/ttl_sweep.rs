//! The TTL sweeper against the project's moto server: only expired items go, as in DynamoDB.

mod support;

use aws_sdk_dynamodb::types::AttributeValue;
use infra::emulator::streams::{Position, StartingPosition, StreamsApi};
use infra::emulator::ttl::{expiring_tables, sweep};
use support::Moto;

const TEMPLATE: &str = r#"
Resources:
  SessionsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${Stage}-sessions"
      AttributeDefinitions:
        - { AttributeName: userId, AttributeType: S }
        - { AttributeName: id, AttributeType: S }
      KeySchema:
        - { AttributeName: userId, KeyType: HASH }
        - { AttributeName: id, KeyType: RANGE }
      StreamSpecification: { StreamViewType: NEW_IMAGE }
      TimeToLiveSpecification: { AttributeName: expiresAt, Enabled: true }
"#;

#[tokio::test]
async fn ttl_sweep_deletes_only_expired_items() {
    let moto = Moto::start();
    moto.create_tables(TEMPLATE, "test-").await;
    let client = moto.client();
    let definitions = infra::tables::table_definitions(TEMPLATE).unwrap();
    let tables = expiring_tables(&definitions, "test-");
    assert_eq!(tables.len(), 1);
    let table = &tables[0];
    let now: i64 = 1_800_000_000;
    let six_years = 6 * 365 * 24 * 60 * 60;
    let items = [
        ("expired", Some(AttributeValue::N((now - 10).to_string()))),
        (
            "expired-long-ago",
            Some(AttributeValue::N((now - 86_400 * 365).to_string())),
        ),
        ("expires-now", Some(AttributeValue::N(now.to_string()))),
        (
            "expires-later",
            Some(AttributeValue::N((now + 3600).to_string())),
        ),
        // DynamoDB ignores expiries more than five years old, and any that is not a Number.
        (
            "ancient",
            Some(AttributeValue::N((now - six_years).to_string())),
        ),
        ("a-string", Some(AttributeValue::S((now - 10).to_string()))),
        ("never", None),
    ];
    for (id, expires_at) in items {
        let mut put = client
            .put_item()
            .table_name(&table.name)
            .item("userId", AttributeValue::S("u1".into()))
            .item("id", AttributeValue::S(id.into()));
        if let Some(value) = expires_at {
            put = put.item("expiresAt", value);
        }
        put.send().await.unwrap();
    }
    let api = StreamsApi::new(&moto.endpoint, "us-east-1", "local").unwrap();
    let stream = api.latest_stream_arn(&table.name).await.unwrap().unwrap();
    let shard = api.shards(&stream).await.unwrap().remove(0);
    let latest = Position::Start(StartingPosition::Latest);
    let iterator = api
        .shard_iterator(&stream, &shard.id, &latest)
        .await
        .unwrap();

    assert_eq!(sweep(&client, table, now).await.unwrap(), 2);
    assert_eq!(sweep(&client, table, now).await.unwrap(), 0);

    let left = client.scan().table_name(&table.name).send().await.unwrap();
    let mut left: Vec<&str> = left
        .items()
        .iter()
        .map(|item| item["id"].as_s().unwrap().as_str())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "a-string",
            "ancient",
            "expires-later",
            "expires-now",
            "never"
        ]
    );
    // As in DynamoDB, an expiry is a delete to the stream's readers.
    let page = api.records(&iterator, 100).await.unwrap();
    let mut removed: Vec<(&str, &str)> = page
        .records
        .iter()
        .map(|r| {
            (
                r["eventName"].as_str().unwrap(),
                r["dynamodb"]["Keys"]["id"]["S"].as_str().unwrap(),
            )
        })
        .collect();
    removed.sort();
    assert_eq!(
        removed,
        [("REMOVE", "expired"), ("REMOVE", "expired-long-ago")]
    );
}
