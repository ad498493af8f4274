//! Queries on a partition of a table or index, one page at a time.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;

use super::collection::Collection;
use super::cursor;
use super::index::Index;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;

use super::error::{StoreError, classify};
use super::record::Item;
use super::transaction::NonEmpty;
use super::update::Condition;

/// The most items one page may hold.
pub const MAX_PAGE: u32 = 100;

/// The items of one partition, in sort-key order, from an optional cursor on.
#[derive(Clone, Debug)]
pub struct Query {
    index: Index,
    partition_value: AttributeValue,
    sort: Option<Condition>,
    /// Applied to each item the key condition read (a page may then hold fewer than `limit`).
    filter: Option<Condition>,
    descending: bool,
    limit: u32,
    cursor: Option<String>,
}

/// One page of results and the cursor of the next (`None` on the last page).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The same page with each item converted.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

impl Query {
    /// The records of `index` whose partition key equals `value`.
    pub fn index(index: Index, value: AttributeValue) -> Self {
        Self {
            index,
            partition_value: value,
            sort: None,
            filter: None,
            descending: false,
            limit: 20,
            cursor: None,
        }
    }

    /// Narrows the sort key with a condition on `#sort` (`#sort >= :from`); `#sort` is bound
    /// to the index's sort key here.
    pub fn sort(mut self, condition: Condition) -> Self {
        let attribute = self.index.sort.map_or("", |(name, _)| name);
        self.sort = Some(condition.name("#sort", attribute));
        self
    }

    /// Keeps only the items `condition` holds for (a filter: the items it drops are read all
    /// the same, so it narrows small remainders, never a whole partition).
    pub fn filter(mut self, condition: Condition) -> Self {
        self.filter = Some(condition);
        self
    }

    /// Highest sort key first.
    pub fn descending(mut self) -> Self {
        self.descending = true;
        self
    }

    /// At most `limit` items (capped at [`MAX_PAGE`]).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit.clamp(1, MAX_PAGE);
        self
    }

    /// Continues after a cursor from an earlier page of the same query.
    pub fn after(mut self, cursor: Option<&str>) -> Self {
        self.cursor = cursor.map(str::to_string);
        self
    }

    /// Whether its cursor, if any, is one of this query's own: checked before it runs, so a
    /// bad cursor is listed with the request's other bad parameters.
    pub fn cursor_is_valid(&self) -> bool {
        self.cursor
            .as_deref()
            .is_none_or(|text| cursor::decode(text, &self.index, &self.partition_value).is_ok())
    }

    /// The collection this query reads.
    pub fn collection(&self) -> Collection {
        self.index.collection
    }

    /// The index this query reads.
    pub fn index_name(&self) -> &'static str {
        self.index.name
    }

    /// One page of raw items.
    pub(crate) async fn run(self, client: &Client, table: &str) -> Result<Page<Item>, StoreError> {
        let has_cursor = self.cursor.is_some();
        let start = self
            .cursor
            .as_deref()
            .map(|c| cursor::decode(c, &self.index, &self.partition_value))
            .transpose()?;
        let mut key_condition = Condition::new("#partition = :partition")
            .name("#partition", self.index.partition)
            .value(":partition", self.partition_value.clone());
        if let Some(sort) = self.sort {
            key_condition.expression =
                format!("{} AND {}", key_condition.expression, sort.expression);
            key_condition.absorb_placeholders(sort);
        }
        let filter_expression = self.filter.as_ref().map(|f| f.expression.clone());
        if let Some(filter) = self.filter {
            key_condition.absorb_placeholders(filter);
        }
        let key_condition = key_condition.checked()?;
        let output = client
            .query()
            .set_filter_expression(filter_expression)
            .table_name(table)
            .index_name(self.index.name)
            .key_condition_expression(key_condition.expression)
            .set_expression_attribute_names(key_condition.names.into_non_empty())
            .set_expression_attribute_values(key_condition.values.into_non_empty())
            .scan_index_forward(!self.descending)
            .limit(self.limit as i32)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|error| {
                // With a cursor, a malformed start key is the client's doing, not ours.
                let bad_start = has_cursor
                    && error.as_service_error().and_then(|e| e.code())
                        == Some("ValidationException");
                if bad_start {
                    StoreError::InvalidCursor
                } else {
                    classify("Query", error)
                }
            })?;
        let next_cursor = output
            .last_evaluated_key
            .filter(|key| !key.is_empty())
            .map(|key| cursor::encode(&key))
            .transpose()?;
        Ok(Page {
            items: output.items.unwrap_or_default(),
            next_cursor,
        })
    }
}
