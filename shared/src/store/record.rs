//! Typed records: a struct that lives in one collection and knows its own key.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::collection::Collection;
use super::error::StoreError;

/// A DynamoDB item as the SDK carries it.
pub type Item = HashMap<String, AttributeValue>;

/// A record stored in `COLLECTION`, serialised with serde_dynamo (camelCase attributes).
pub trait Record: Serialize + DeserializeOwned {
    const COLLECTION: Collection;

    /// The value of the collection's key attribute for this record.
    fn key_value(&self) -> String;
}

/// A record guarded by an optimistic version: every write states the version it read.
pub trait Versioned: Record {
    /// The attribute holding the version number.
    const VERSION_ATTRIBUTE: &'static str = "version";

    fn version(&self) -> u64;
}

/// The key of the record in `collection` whose key attribute is `value`.
pub fn key_of(collection: Collection, value: impl Into<String>) -> Item {
    HashMap::from([(
        collection.key_attribute().to_string(),
        AttributeValue::S(value.into()),
    )])
}

/// Encodes a record. `None` fields are left out rather than stored as NULL, so an
/// absent optional value can never collide with an index key's type.
pub fn to_item<R: Record>(record: &R) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(record)?;
    item.retain(|_, value| !matches!(value, AttributeValue::Null(_)));
    Ok(item)
}

/// Encodes one value (a nested map, a list) as an attribute, for update expressions.
pub fn to_attribute<T: Serialize>(value: &T) -> Result<AttributeValue, StoreError> {
    Ok(serde_dynamo::to_attribute_value(value)?)
}

/// Decodes a record.
pub fn from_item<R: Record>(item: Item) -> Result<R, StoreError> {
    Ok(serde_dynamo::from_item(item)?)
}

/// Implements [`Record`] for a struct stored in `collection` and keyed by its field `key`
/// (any `Display`); with `versioned`, also [`Versioned`] through its `version` field.
#[macro_export]
macro_rules! record {
    ($type:ty, $collection:ident, $key:ident) => {
        impl $crate::store::Record for $type {
            const COLLECTION: $crate::store::Collection = $crate::store::Collection::$collection;
            fn key_value(&self) -> String {
                self.$key.to_string()
            }
        }
    };
    ($type:ty, $collection:ident, $key:ident, versioned) => {
        $crate::record!($type, $collection, $key);
        impl $crate::store::Versioned for $type {
            fn version(&self) -> u64 {
                self.version
            }
        }
    };
}
