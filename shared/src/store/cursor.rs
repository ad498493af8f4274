//! Pagination cursors: DynamoDB's `LastEvaluatedKey`, base64-encoded. Clients treat them as
//! opaque; they are not secret, but they are checked on the way back in, so an edited cursor
//! can neither reach outside the partition its query lists nor fail as a server error.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::error::StoreError;
use super::index::{Index, KeyType};
use super::record::Item;

/// Longer cursors are refused before decoding.
const MAX_CURSOR_LEN: usize = 1024;

#[derive(Serialize, Deserialize)]
enum KeyValue {
    S(String),
    N(String),
}

/// Encodes a `LastEvaluatedKey` (key attributes are strings or numbers only).
pub(crate) fn encode(key: &Item) -> Result<String, StoreError> {
    let values: BTreeMap<&str, KeyValue> = key
        .iter()
        .map(|(name, value)| match value {
            AttributeValue::S(s) => Ok((name.as_str(), KeyValue::S(s.clone()))),
            AttributeValue::N(n) => Ok((name.as_str(), KeyValue::N(n.clone()))),
            _ => Err(StoreError::InvalidCursor),
        })
        .collect::<Result<_, _>>()?;
    let json = serde_json::to_vec(&values).map_err(|_| StoreError::InvalidCursor)?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

/// Decodes a cursor for a query of `index` on the partition `partition`: it must hold exactly
/// that index's start-key attributes, with their types, in that same partition.
pub(crate) fn decode(
    cursor: &str,
    index: &Index,
    partition: &AttributeValue,
) -> Result<Item, StoreError> {
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(StoreError::InvalidCursor);
    }
    let json = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| StoreError::InvalidCursor)?;
    let values: BTreeMap<String, KeyValue> =
        serde_json::from_slice(&json).map_err(|_| StoreError::InvalidCursor)?;
    let expected = index.start_key_attributes();
    if values.len() != expected.len() {
        return Err(StoreError::InvalidCursor);
    }
    let mut key: Item = HashMap::new();
    for (name, kind) in expected {
        let value = match (values.get(name), kind) {
            (Some(KeyValue::S(s)), KeyType::S) => AttributeValue::S(s.clone()),
            (Some(KeyValue::N(n)), KeyType::N) if n.parse::<Decimal>().is_ok() => {
                AttributeValue::N(n.clone())
            }
            _ => return Err(StoreError::InvalidCursor),
        };
        key.insert(name.to_string(), value);
    }
    if key.get(index.partition) != Some(partition) {
        return Err(StoreError::InvalidCursor);
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(lot: &str) -> Item {
        HashMap::from([
            ("id".to_string(), AttributeValue::S("item-1".into())),
            ("auctionId".to_string(), AttributeValue::S("a-1".into())),
            ("lotNumber".to_string(), AttributeValue::N(lot.into())),
        ])
    }

    fn forged(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn round_trips_within_its_partition() {
        let cursor = encode(&key("3")).unwrap();
        let partition = AttributeValue::S("a-1".into());
        assert_eq!(
            decode(&cursor, &Index::ITEMS_BY_AUCTION, &partition).unwrap(),
            key("3")
        );
    }

    #[test]
    fn refuses_another_partition() {
        let cursor = encode(&key("3")).unwrap();
        let other = AttributeValue::S("a-2".into());
        assert!(matches!(
            decode(&cursor, &Index::ITEMS_BY_AUCTION, &other),
            Err(StoreError::InvalidCursor)
        ));
    }

    #[test]
    fn refuses_other_attributes_or_types() {
        let partition = AttributeValue::S("a-1".into());
        let forgeries = [
            forged(r#"{"auctionId":{"S":"a-1"}}"#),
            forged(r#"{"auctionId":{"S":"a-1"},"id":{"S":"x"},"bogus":{"S":"y"}}"#),
            forged(r#"{"auctionId":{"S":"a-1"},"id":{"S":"x"},"lotNumber":{"S":"3"}}"#),
            forged(r#"{"auctionId":{"S":"a-1"},"id":{"S":"x"},"lotNumber":{"N":"three"}}"#),
            forged(r#"{"auctionId":{"S":"a-1"},"id":{"N":"1"},"lotNumber":{"N":"3"}}"#),
        ];
        for cursor in forgeries {
            assert!(
                decode(&cursor, &Index::ITEMS_BY_AUCTION, &partition).is_err(),
                "{cursor}"
            );
        }
    }

    #[test]
    fn refuses_garbage() {
        let partition = AttributeValue::S("a-1".into());
        for cursor in ["", "!!!", "e30", &"A".repeat(2000)] {
            assert!(
                decode(cursor, &Index::ITEMS_BY_AUCTION, &partition).is_err(),
                "{cursor}"
            );
        }
    }
}
