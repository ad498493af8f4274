//! DynamoDB's Time to Live, locally: moto never expires items, so the emulator sweeps every
//! table whose template sets `TimeToLiveSpecification {AttributeName, Enabled: true}` and
//! deletes the items whose attribute, a Number of epoch seconds, is in the past. As in
//! DynamoDB the deletions are ordinary deletes to everything downstream (they show in the
//! table's stream), an item renewed meanwhile is kept, and an expiry more than five years
//! old is taken for a mistake and ignored.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::tables::{TableDefinition, table_definitions};

/// A table whose items expire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpiringTable {
    /// The local table name (`$TABLE_PREFIX<collection>`).
    pub name: String,
    /// The attribute holding the expiry.
    pub attribute: String,
    /// The key attributes: all a sweep reads of an item.
    pub keys: Vec<String>,
}

/// DynamoDB does not expire items whose TTL is more than five years in the past.
const OLDEST_EXPIRY_SECS: i64 = 5 * 365 * 24 * 60 * 60 + 24 * 60 * 60;

/// Deletes only what is expired, as the sweep's scan saw it, and is still expired.
const EXPIRED: &str = "attribute_type(#expiry, :number) AND #expiry < :now";

/// The tables with TTL enabled, named under `prefix`.
pub fn expiring_tables(definitions: &[TableDefinition], prefix: &str) -> Vec<ExpiringTable> {
    definitions
        .iter()
        .filter_map(|definition| {
            let ttl = definition
                .properties
                .time_to_live_specification
                .as_ref()
                .filter(|ttl| ttl.enabled)?;
            Some(ExpiringTable {
                name: format!("{prefix}{}", definition.collection),
                attribute: ttl.attribute_name.clone(),
                keys: definition
                    .properties
                    .key_schema
                    .iter()
                    .map(|key| key.attribute_name.clone())
                    .collect(),
            })
        })
        .collect()
}

/// Deletes the table's items expired at `now` (epoch seconds); returns how many.
pub async fn sweep(client: &Client, table: &ExpiringTable, now: i64) -> anyhow::Result<usize> {
    let mut deleted = 0;
    // Every key first: moto pages a scan by its last key, which a delete would take away.
    for key in expired_keys(client, table, now).await? {
        let delete = client
            .delete_item()
            .table_name(&table.name)
            .set_key(Some(key))
            .condition_expression(EXPIRED)
            .expression_attribute_names("#expiry", &table.attribute)
            .expression_attribute_values(":number", AttributeValue::S("N".into()))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .send()
            .await;
        match delete {
            Ok(_) => deleted += 1,
            // Renewed (or deleted) since the scan: not expired any more.
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) => {}
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("deleting an expired item of {}", table.name));
            }
        }
    }
    Ok(deleted)
}

/// The keys of the items expired at `now`, every page of the scan.
async fn expired_keys(
    client: &Client,
    table: &ExpiringTable,
    now: i64,
) -> anyhow::Result<Vec<HashMap<String, AttributeValue>>> {
    let mut names = HashMap::from([("#expiry".to_string(), table.attribute.clone())]);
    let mut projection = Vec::new();
    for (index, key) in table.keys.iter().enumerate() {
        names.insert(format!("#key{index}"), key.clone());
        projection.push(format!("#key{index}"));
    }
    let mut keys = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(&table.name)
            .filter_expression(format!("{EXPIRED} AND #expiry >= :oldest"))
            .projection_expression(projection.join(", "))
            .set_expression_attribute_names(Some(names.clone()))
            .expression_attribute_values(":number", AttributeValue::S("N".into()))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(
                ":oldest",
                AttributeValue::N((now - OLDEST_EXPIRY_SECS).to_string()),
            )
            .set_exclusive_start_key(start)
            .send()
            .await
            .with_context(|| format!("scanning {} for expired items", table.name))?;
        keys.extend(page.items.unwrap_or_default());
        match page.last_evaluated_key {
            Some(last) if !last.is_empty() => start = Some(last),
            _ => return Ok(keys),
        }
    }
}

/// Sweeps every expiring table of the template now and then every `every`, in the
/// background; returns how many tables. A failed sweep is logged and tried again next time.
/// Local only: without `DYNAMODB_ENDPOINT` (DynamoDB expires items itself) nothing is swept.
pub async fn start(template_yaml: &str, every: Duration) -> anyhow::Result<usize> {
    let definitions = table_definitions(template_yaml)?;
    if expiring_tables(&definitions, "").is_empty() {
        return Ok(0);
    }
    let config = shared::config::StoreConfig::from_env()
        .context("the TTL sweeper needs the tables' settings")?;
    if config.dynamodb_endpoint.is_none() {
        tracing::warn!("DYNAMODB_ENDPOINT is not set: no TTL sweeps");
        return Ok(0);
    }
    let tables = expiring_tables(&definitions, &config.table_prefix);
    let client = shared::store::Store::connect(&config)
        .await
        .client()
        .clone();
    let count = tables.len();
    tracing::info!(tables = count, every_secs = every.as_secs(), "TTL sweeps");
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every.max(Duration::from_secs(1)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let now = chrono::Utc::now().timestamp();
            for table in &tables {
                match sweep(&client, table, now).await {
                    Ok(0) => {}
                    Ok(deleted) => {
                        tracing::info!(table = %table.name, deleted, "expired items deleted");
                    }
                    Err(error) => {
                        tracing::warn!(table = %table.name, error = %format!("{error:#}"), "TTL sweep failed");
                    }
                }
            }
        }
    });
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tables_with_ttl_enabled_expire() {
        let template = r#"
Resources:
  SessionsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${Stage}-sessions"
      AttributeDefinitions: [{ AttributeName: id, AttributeType: S }]
      KeySchema: [{ AttributeName: id, KeyType: HASH }]
      TimeToLiveSpecification: { AttributeName: expiresAt, Enabled: true }
  OldTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${Stage}-old"
      AttributeDefinitions: [{ AttributeName: id, AttributeType: S }]
      KeySchema: [{ AttributeName: id, KeyType: HASH }]
      TimeToLiveSpecification: { AttributeName: expiresAt, Enabled: false }
  UsersTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${Stage}-users"
      AttributeDefinitions: [{ AttributeName: id, AttributeType: S }]
      KeySchema: [{ AttributeName: id, KeyType: HASH }]
"#;
        let definitions = table_definitions(template).unwrap();
        assert_eq!(
            expiring_tables(&definitions, "local-"),
            vec![ExpiringTable {
                name: "local-sessions".into(),
                attribute: "expiresAt".into(),
                keys: vec!["id".into()],
            }]
        );
    }
}
