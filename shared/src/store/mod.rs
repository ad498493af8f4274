//! The DynamoDB store for the flat collections: typed records, conditional writes and
//! transactions whose failures come back typed, and opaque pagination cursors.
//! There is no Scan here: every list is a Query on a key or an index.

mod collection;
mod cursor;
mod error;
mod index;
pub mod number;
mod query;
mod record;
mod transaction;
mod update;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::BehaviorVersion;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{KeysAndAttributes, ReturnValue};

pub use aws_sdk_dynamodb::types::AttributeValue;
pub use collection::{Collection, Tables};
pub use error::{ConditionFailed, StoreError};
pub use index::{Index, KeyType};
pub use query::{Page, Query};
pub use record::{Item, Record, Versioned, from_item, key_of, to_attribute, to_item};
pub use transaction::{MAX_WRITES, Transaction};
pub use update::{Condition, Update, n, s};

use crate::config::StoreConfig;
use error::classify;
use transaction::NonEmpty;
use update::with_condition;

/// How fresh a read must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    /// May miss writes of the last moment; half the cost.
    Eventual,
    /// Sees every write acknowledged before it.
    Strong,
}

/// The platform's data, one table per collection.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    tables: Tables,
}

impl Store {
    /// Builds the client once per cold start, pointed at a local endpoint when configured.
    pub async fn connect(config: &StoreConfig) -> Self {
        let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
        let mut builder = aws_sdk_dynamodb::config::Builder::from(&sdk);
        if let Some(endpoint) = &config.dynamodb_endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        Self::new(
            Client::from_conf(builder.build()),
            Tables::new(config.table_prefix.clone()),
        )
    }

    pub fn new(client: Client, tables: Tables) -> Self {
        Self { client, tables }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// Proves the store answers: one cheap read of a key that never exists.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let collection = Collection::Auctions;
        self.client
            .get_item()
            .table_name(self.tables.name(collection))
            .set_key(Some(key_of(collection, "health-probe")))
            .projection_expression("#key")
            .expression_attribute_names("#key", collection.key_attribute())
            .send()
            .await
            .map_err(|e| classify("GetItem", e))?;
        Ok(())
    }

    /// The record of `R`'s collection with key `key`, if any.
    pub async fn get<R: Record>(&self, key: &str, read: Read) -> Result<Option<R>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(self.tables.name(R::COLLECTION))
            .set_key(Some(key_of(R::COLLECTION, key)))
            .consistent_read(read == Read::Strong)
            .send()
            .await
            .map_err(|e| classify("GetItem", e))?;
        output.item.map(from_item).transpose()
    }

    /// The records of `R`'s collection with these keys (missing ones are left out), in one
    /// round trip per 100 keys.
    pub async fn get_many<R: Record>(
        &self,
        keys: &[String],
        read: Read,
    ) -> Result<Vec<R>, StoreError> {
        let table = self.tables.name(R::COLLECTION);
        let mut records = Vec::with_capacity(keys.len());
        let mut unique: Vec<&String> = keys.iter().collect();
        unique.sort();
        unique.dedup();
        for chunk in unique.chunks(100) {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(
                        chunk
                            .iter()
                            .map(|k| key_of(R::COLLECTION, k.as_str()))
                            .collect(),
                    ))
                    .consistent_read(read == Read::Strong)
                    .build()
                    .map_err(transaction::sdk_build)?,
            );
            // DynamoDB may hand back part of a batch as unprocessed: ask again, a few times.
            for _ in 0..5 {
                let Some(request) = pending.take() else { break };
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&table, request)
                    .send()
                    .await
                    .map_err(|e| classify("BatchGetItem", e))?;
                for item in output
                    .responses
                    .and_then(|mut r| r.remove(&table))
                    .unwrap_or_default()
                {
                    records.push(from_item(item)?);
                }
                pending = output
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&table))
                    .filter(|k| !k.keys().is_empty());
            }
            if pending.is_some() {
                return Err(StoreError::Throttled(
                    "BatchGetItem left keys unprocessed".into(),
                ));
            }
        }
        Ok(records)
    }

    /// Creates `record`; `ConditionFailed` (with the existing record) if its key is taken.
    pub async fn create<R: Record>(&self, record: &R) -> Result<(), StoreError> {
        self.put(record, Some(Condition::not_exists(R::COLLECTION)))
            .await
    }

    /// Replaces `record` if the stored version is `expected_version`; otherwise
    /// `ConditionFailed` carrying the record as it is now.
    pub async fn replace_if_version<R: Versioned>(
        &self,
        record: &R,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        let condition = Condition::version_is(R::VERSION_ATTRIBUTE, expected_version);
        self.put(record, Some(condition)).await
    }

    /// Writes `record`, only if `condition` holds when one is given.
    pub async fn put<R: Record>(
        &self,
        record: &R,
        condition: Option<Condition>,
    ) -> Result<(), StoreError> {
        let request = self
            .client
            .put_item()
            .table_name(self.tables.name(R::COLLECTION))
            .set_item(Some(to_item(record)?));
        let request = with_condition!(request, condition);
        match request.send().await {
            Ok(_) => Ok(()),
            Err(error) => Err(match error.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    condition_failed(R::COLLECTION, failed.item.clone())
                }
                _ => classify("PutItem", error),
            }),
        }
    }

    /// Applies `update` to the record with key `key` and returns the record as updated.
    pub async fn update<R: Record>(&self, key: &str, update: Update) -> Result<R, StoreError> {
        let request = self
            .client
            .update_item()
            .table_name(self.tables.name(R::COLLECTION))
            .set_key(Some(key_of(R::COLLECTION, key)))
            .return_values(ReturnValue::AllNew);
        match update.into_request(R::COLLECTION, request)?.send().await {
            Ok(output) => from_item(output.attributes.unwrap_or_default()),
            Err(error) => Err(match error.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    condition_failed(R::COLLECTION, failed.item.clone())
                }
                _ => classify("UpdateItem", error),
            }),
        }
    }

    /// Deletes the record of `collection` with key `key`, only if `condition` holds.
    pub async fn delete(
        &self,
        collection: Collection,
        key: &str,
        condition: Option<Condition>,
    ) -> Result<(), StoreError> {
        let request = self
            .client
            .delete_item()
            .table_name(self.tables.name(collection))
            .set_key(Some(key_of(collection, key)));
        let request = with_condition!(request, condition);
        match request.send().await {
            Ok(_) => Ok(()),
            Err(error) => Err(match error.as_service_error() {
                Some(DeleteItemError::ConditionalCheckFailedException(failed)) => {
                    condition_failed(collection, failed.item.clone())
                }
                _ => classify("DeleteItem", error),
            }),
        }
    }

    /// Deletes the `R` with key `key` if `condition` holds and returns it: `None` if there was
    /// none, `ConditionFailed` if the condition did not hold. Two callers can never both take
    /// the same record.
    pub async fn take<R: Record>(
        &self,
        key: &str,
        condition: Condition,
    ) -> Result<Option<R>, StoreError> {
        let request = self
            .client
            .delete_item()
            .table_name(self.tables.name(R::COLLECTION))
            .set_key(Some(key_of(R::COLLECTION, key)))
            .return_values(ReturnValue::AllOld);
        let request = with_condition!(request, Some(condition));
        match request.send().await {
            Ok(output) => output.attributes.map(from_item).transpose(),
            Err(error) => Err(match error.as_service_error() {
                Some(DeleteItemError::ConditionalCheckFailedException(failed)) => {
                    condition_failed(R::COLLECTION, failed.item.clone())
                }
                _ => classify("DeleteItem", error),
            }),
        }
    }

    /// One page of `R`s matching `query`, which must be on an index of `R`'s collection.
    pub async fn query<R: Record>(&self, query: Query) -> Result<Page<R>, StoreError> {
        if query.collection() != R::COLLECTION {
            return Err(StoreError::WrongIndex {
                index: query.index_name(),
                collection: R::COLLECTION.name(),
            });
        }
        let page = query
            .run(&self.client, &self.tables.name(R::COLLECTION))
            .await?;
        let items = page
            .items
            .into_iter()
            .map(from_item)
            .collect::<Result<_, _>>()?;
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }

    /// How many records `index` holds under `partition` (a count query: it reads the keys, a
    /// megabyte a page, and returns no records).
    pub async fn count(&self, index: Index, partition: &str) -> Result<u64, StoreError> {
        let mut total = 0u64;
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(self.tables.name(index.collection))
                .index_name(index.name)
                .key_condition_expression("#partition = :partition")
                .expression_attribute_names("#partition", index.partition)
                .expression_attribute_values(":partition", s(partition))
                .select(aws_sdk_dynamodb::types::Select::Count)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|error| classify("Query", error))?;
            total += u64::try_from(output.count).unwrap_or_default();
            match output.last_evaluated_key.filter(|key| !key.is_empty()) {
                Some(key) => start = Some(key),
                None => return Ok(total),
            }
        }
    }

    /// Every `R` on `index` under `partition`, page by page, or `None` as soon as there are
    /// more than `at_most`: a request reads a whole set (an item's bids, an auction's lots)
    /// only up to a bound it can afford, whatever the data.
    pub async fn query_at_most<R: Record>(
        &self,
        index: Index,
        partition: &str,
        at_most: usize,
    ) -> Result<Option<Vec<R>>, StoreError> {
        let mut records = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let query = Query::index(index, s(partition))
                .limit(100)
                .after(cursor.as_deref());
            let page = self.query::<R>(query).await?;
            records.extend(page.items);
            if records.len() > at_most {
                return Ok(None);
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(Some(records)),
            }
        }
    }

    /// One page of `query` as JSON, whatever the records' types (personal-data exports).
    pub async fn query_json(&self, query: Query) -> Result<Page<serde_json::Value>, StoreError> {
        let table = self.tables.name(query.collection());
        let page = query.run(&self.client, &table).await?;
        let items = page
            .items
            .into_iter()
            .map(serde_dynamo::from_item)
            .collect::<Result<_, _>>()?;
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }

    /// Starts a transaction on this store's tables.
    pub fn transaction(&self) -> Transaction {
        Transaction::new(self.tables.clone())
    }

    /// Runs `transaction` all-or-nothing. A failed condition comes back as
    /// `ConditionFailed` naming the write and carrying its current record.
    pub async fn transact(&self, transaction: Transaction) -> Result<(), StoreError> {
        if transaction.is_empty() {
            return Ok(());
        }
        if transaction.len() > MAX_WRITES {
            return Err(StoreError::TooManyWrites(transaction.len()));
        }
        let collections: Vec<Collection> = transaction.writes.iter().map(|(c, _)| *c).collect();
        let writes = transaction.writes.into_iter().map(|(_, w)| w).collect();
        let error = match self
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await
        {
            Ok(_) => return Ok(()),
            Err(error) => error,
        };
        let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
            error.as_service_error()
        else {
            return Err(classify("TransactWriteItems", error));
        };
        let reasons = cancelled.cancellation_reasons();
        let code_at = |i: usize| reasons.get(i).and_then(|r| r.code()).unwrap_or("None");
        if let Some(i) = (0..reasons.len()).find(|&i| code_at(i) == "ConditionalCheckFailed") {
            if let Some(collection) = collections.get(i) {
                return Err(condition_failed(*collection, reasons[i].item.clone()).at(i));
            }
        }
        if (0..reasons.len()).any(|i| code_at(i) == "TransactionConflict") {
            return Err(StoreError::TransactionConflict);
        }
        if (0..reasons.len()).any(|i| {
            matches!(
                code_at(i),
                "ThrottlingError" | "ProvisionedThroughputExceeded"
            )
        }) {
            return Err(StoreError::Throttled(Box::new(error)));
        }
        Err(classify("TransactWriteItems", error))
    }
}

fn condition_failed(collection: Collection, current: Option<Item>) -> StoreError {
    StoreError::ConditionFailed(ConditionFailed {
        collection,
        operation: 0,
        current,
    })
}

impl StoreError {
    fn at(self, operation: usize) -> Self {
        match self {
            Self::ConditionFailed(failed) => Self::ConditionFailed(ConditionFailed {
                operation,
                ..failed
            }),
            other => other,
        }
    }
}
