//! All-or-nothing writes across collections. Every conditional write asks DynamoDB for the
//! current item on failure, so the caller can re-decide from the state that beat it.

use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem};

use super::collection::{Collection, Tables};
use super::error::StoreError;
use super::record::{Record, Versioned, key_of, to_item};
use super::update::{Condition, Update, with_condition};

/// At most this many writes per transaction (DynamoDB's limit).
pub const MAX_WRITES: usize = 100;

/// A transaction being assembled; run it with [`super::Store::transact`].
#[derive(Debug)]
pub struct Transaction {
    tables: Tables,
    pub(crate) writes: Vec<(Collection, TransactWriteItem)>,
}

impl Transaction {
    pub(crate) fn new(tables: Tables) -> Self {
        Self {
            tables,
            writes: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.writes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// Creates `record`; fails if a record with its key exists.
    pub fn create<R: Record>(self, record: &R) -> Result<Self, StoreError> {
        self.put(record, Some(Condition::not_exists(R::COLLECTION)))
    }

    /// Replaces `record` if the stored one is at `expected_version`.
    pub fn replace_if_version<R: Versioned>(
        self,
        record: &R,
        expected_version: u64,
    ) -> Result<Self, StoreError> {
        self.put(
            record,
            Some(Condition::version_is(
                R::VERSION_ATTRIBUTE,
                expected_version,
            )),
        )
    }

    /// Writes `record` whatever is stored; with a condition, only if it holds.
    pub fn put<R: Record>(
        mut self,
        record: &R,
        condition: Option<Condition>,
    ) -> Result<Self, StoreError> {
        let put = Put::builder()
            .table_name(self.tables.name(R::COLLECTION))
            .set_item(Some(to_item(record)?));
        let put = with_condition!(put, condition);
        let put = put.build().map_err(sdk_build)?;
        self.writes
            .push((R::COLLECTION, TransactWriteItem::builder().put(put).build()));
        Ok(self)
    }

    /// Applies an update expression to the record of `collection` with key `key`.
    pub fn update(
        mut self,
        collection: Collection,
        key: &str,
        update: Update,
    ) -> Result<Self, StoreError> {
        let built = update.into_transact(
            collection,
            self.tables.name(collection),
            key_of(collection, key),
        )?;
        self.writes.push((
            collection,
            TransactWriteItem::builder().update(built).build(),
        ));
        Ok(self)
    }

    /// Deletes the record of `collection` with key `key`, if `condition` holds.
    pub fn delete(
        mut self,
        collection: Collection,
        key: &str,
        condition: Option<Condition>,
    ) -> Result<Self, StoreError> {
        let delete = Delete::builder()
            .table_name(self.tables.name(collection))
            .set_key(Some(key_of(collection, key)));
        let delete = with_condition!(delete, condition);
        let delete = delete.build().map_err(sdk_build)?;
        self.writes.push((
            collection,
            TransactWriteItem::builder().delete(delete).build(),
        ));
        Ok(self)
    }

    /// Requires `condition` on a record the transaction does not write.
    pub fn check(
        mut self,
        collection: Collection,
        key: &str,
        condition: Condition,
    ) -> Result<Self, StoreError> {
        let check = ConditionCheck::builder()
            .table_name(self.tables.name(collection))
            .set_key(Some(key_of(collection, key)));
        let check = with_condition!(check, Some(condition))
            .build()
            .map_err(sdk_build)?;
        self.writes.push((
            collection,
            TransactWriteItem::builder().condition_check(check).build(),
        ));
        Ok(self)
    }
}

/// The SDK refuses to build a request missing a required field: a bug in our code.
pub(crate) fn sdk_build(error: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Sdk {
        operation: "build request",
        source: Box::new(error),
    }
}

/// Empty maps must be left out of a request altogether.
pub(crate) trait NonEmpty: Sized {
    fn into_non_empty(self) -> Option<Self>;
}

impl<V> NonEmpty for std::collections::HashMap<String, V> {
    fn into_non_empty(self) -> Option<Self> {
        (!self.is_empty()).then_some(self)
    }
}
