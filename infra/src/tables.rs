//! Table definitions read from the SAM template, and their creation on any
//! DynamoDB-compatible endpoint under a table prefix.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use serde::Deserialize;
use shared::store::Tables;
use yaml_serde::Value;

/// The template's tables are named `!Sub "${Stage}-<collection>"`.
const STAGE_PREFIX: &str = "${Stage}-";

/// One table as the template defines it.
#[derive(Clone, Debug, PartialEq)]
pub struct TableDefinition {
    pub logical_id: String,
    /// The collection name: the table name without the stage prefix.
    pub collection: String,
    pub properties: TableProperties,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableProperties {
    pub attribute_definitions: Vec<AttributeSpec>,
    pub key_schema: Vec<KeySpec>,
    #[serde(default)]
    pub global_secondary_indexes: Vec<IndexSpec>,
    pub stream_specification: Option<StreamSpec>,
    pub time_to_live_specification: Option<TtlSpec>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeSpec {
    pub attribute_name: String,
    pub attribute_type: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeySpec {
    pub attribute_name: String,
    pub key_type: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IndexSpec {
    pub index_name: String,
    pub key_schema: Vec<KeySpec>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamSpec {
    pub stream_view_type: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TtlSpec {
    pub attribute_name: String,
    pub enabled: bool,
}

impl TableDefinition {
    /// The partition-key attribute of the table.
    pub fn hash_key(&self) -> Option<&str> {
        self.properties
            .key_schema
            .iter()
            .find(|k| k.key_type == "HASH")
            .map(|k| k.attribute_name.as_str())
    }
}

#[derive(Deserialize)]
struct Template {
    #[serde(rename = "Resources")]
    resources: BTreeMap<String, Resource>,
}

#[derive(Deserialize)]
struct Resource {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(rename = "Properties", default)]
    properties: Value,
}

/// Every `AWS::DynamoDB::Table` of the template, in logical-id order.
pub fn table_definitions(template_yaml: &str) -> anyhow::Result<Vec<TableDefinition>> {
    let template: Template =
        yaml_serde::from_str(template_yaml).context("template.yaml is not a SAM template")?;
    template
        .resources
        .into_iter()
        .filter(|(_, resource)| resource.kind == "AWS::DynamoDB::Table")
        .map(|(logical_id, resource)| {
            let collection = collection_name(&resource.properties)
                .with_context(|| format!("table {logical_id}"))?;
            let properties = yaml_serde::from_value(resource.properties)
                .with_context(|| format!("table {logical_id} has properties we cannot read"))?;
            Ok(TableDefinition {
                logical_id,
                collection,
                properties,
            })
        })
        .collect()
}

/// Reads the collection out of `TableName: !Sub "${Stage}-<collection>"` (or `Fn::Sub`).
fn collection_name(properties: &Value) -> anyhow::Result<String> {
    let name = properties.get("TableName").context("has no TableName")?;
    let sub = match name {
        Value::Tagged(tagged) if tagged.tag == "Sub" || tagged.tag == "!Sub" => &tagged.value,
        Value::Mapping(map) => map.get("Fn::Sub").context("TableName is not a Sub")?,
        _ => bail!("TableName must be !Sub \"{STAGE_PREFIX}<collection>\""),
    };
    sub.as_str()
        .and_then(|text| text.strip_prefix(STAGE_PREFIX))
        .filter(|collection| !collection.is_empty() && !collection.contains('$'))
        .map(str::to_string)
        .with_context(|| format!("TableName must be !Sub \"{STAGE_PREFIX}<collection>\""))
}

/// What [`create_tables`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Created {
    pub created: Vec<String>,
    pub existing: Vec<String>,
}

/// Creates every table that does not exist yet under `tables`' prefix. Existing tables are
/// left as they are, so running it twice is harmless.
pub async fn create_tables(
    client: &Client,
    tables: &Tables,
    definitions: &[TableDefinition],
) -> anyhow::Result<Created> {
    let mut report = Created::default();
    for definition in definitions {
        let name = format!("{}{}", tables.prefix(), definition.collection);
        let request = create_table_request(client, &name, &definition.properties)?;
        match request.send().await {
            Ok(_) => {}
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_in_use_exception()) =>
            {
                report.existing.push(name);
                continue;
            }
            Err(error) => return Err(error).with_context(|| format!("creating table {name}")),
        }
        if let Some(ttl) = &definition.properties.time_to_live_specification {
            client
                .update_time_to_live()
                .table_name(&name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(&ttl.attribute_name)
                        .enabled(ttl.enabled)
                        .build()?,
                )
                .send()
                .await
                .with_context(|| format!("enabling TTL on {name}"))?;
        }
        report.created.push(name);
    }
    Ok(report)
}

/// Deletes every table of the template under `tables`' prefix (missing ones are skipped).
pub async fn delete_tables(
    client: &Client,
    tables: &Tables,
    definitions: &[TableDefinition],
) -> anyhow::Result<()> {
    for definition in definitions {
        let name = format!("{}{}", tables.prefix(), definition.collection);
        match client.delete_table().table_name(&name).send().await {
            Ok(_) => {}
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) => {}
            Err(error) => return Err(error).with_context(|| format!("deleting table {name}")),
        }
    }
    Ok(())
}

fn create_table_request(
    client: &Client,
    name: &str,
    properties: &TableProperties,
) -> anyhow::Result<aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder> {
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(&properties.key_schema)?));
    for attribute in &properties.attribute_definitions {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(&attribute.attribute_name)
                .attribute_type(ScalarAttributeType::from(attribute.attribute_type.as_str()))
                .build()?,
        );
    }
    for index in &properties.global_secondary_indexes {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(&index.index_name)
                .set_key_schema(Some(key_schema(&index.key_schema)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()?,
        );
    }
    if let Some(stream) = &properties.stream_specification {
        request = request.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(stream.stream_view_type.as_str()))
                .build()?,
        );
    }
    Ok(request)
}

fn key_schema(keys: &[KeySpec]) -> anyhow::Result<Vec<KeySchemaElement>> {
    keys.iter()
        .map(|key| {
            Ok(KeySchemaElement::builder()
                .attribute_name(&key.attribute_name)
                .key_type(KeyType::from(key.key_type.as_str()))
                .build()?)
        })
        .collect()
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
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - { AttributeName: id, AttributeType: S }
        - { AttributeName: auctionId, AttributeType: S }
        - { AttributeName: lotNumber, AttributeType: N }
      KeySchema: [{ AttributeName: id, KeyType: HASH }]
      GlobalSecondaryIndexes:
        - IndexName: byAuction
          KeySchema:
            - { AttributeName: auctionId, KeyType: HASH }
            - { AttributeName: lotNumber, KeyType: RANGE }
          Projection: { ProjectionType: ALL }
  Api:
    Type: AWS::Serverless::HttpApi
"#;

    #[test]
    fn reads_tables_and_their_indexes() {
        let tables = table_definitions(TEMPLATE).unwrap();
        assert_eq!(tables.len(), 1);
        assert_eq!(tables[0].collection, "items");
        assert_eq!(tables[0].hash_key(), Some("id"));
        assert_eq!(
            tables[0].properties.global_secondary_indexes[0].index_name,
            "byAuction"
        );
    }

    #[test]
    fn refuses_literal_table_names() {
        let template = TEMPLATE.replace(r#"!Sub "${Stage}-items""#, "items");
        let error = table_definitions(&template).unwrap_err();
        assert!(format!("{error:#}").contains("TableName must be"));
    }
}
