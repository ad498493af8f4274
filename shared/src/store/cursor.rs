//! Opaque pagination cursors: DynamoDB's `LastEvaluatedKey`, encoded so clients cannot
//! read it, and checked on the way back in so it cannot reach outside the query it came from.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::error::StoreError;
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

/// Decodes a cursor for a query on `partition`: it must name that same partition value.
pub(crate) fn decode(cursor: &str, partition: (&str, &AttributeValue)) -> Result<Item, StoreError> {
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(StoreError::InvalidCursor);
    }
    let json = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| StoreError::InvalidCursor)?;
    let values: BTreeMap<String, KeyValue> =
        serde_json::from_slice(&json).map_err(|_| StoreError::InvalidCursor)?;
    let key: Item = values
        .into_iter()
        .map(|(name, value)| {
            let value = match value {
                KeyValue::S(s) => AttributeValue::S(s),
                KeyValue::N(n) => AttributeValue::N(n),
            };
            (name, value)
        })
        .collect::<HashMap<_, _>>();
    let (name, expected) = partition;
    if key.get(name) != Some(expected) {
        return Err(StoreError::InvalidCursor);
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Item {
        HashMap::from([
            ("id".to_string(), AttributeValue::S("item-1".into())),
            ("auctionId".to_string(), AttributeValue::S("a-1".into())),
            ("lotNumber".to_string(), AttributeValue::N("3".into())),
        ])
    }

    #[test]
    fn round_trips_within_its_partition() {
        let cursor = encode(&key()).unwrap();
        let partition = AttributeValue::S("a-1".into());
        assert_eq!(decode(&cursor, ("auctionId", &partition)).unwrap(), key());
    }

    #[test]
    fn refuses_another_partition() {
        let cursor = encode(&key()).unwrap();
        let other = AttributeValue::S("a-2".into());
        assert!(matches!(
            decode(&cursor, ("auctionId", &other)),
            Err(StoreError::InvalidCursor)
        ));
    }

    #[test]
    fn refuses_garbage() {
        let partition = AttributeValue::S("a-1".into());
        for cursor in ["", "!!!", "e30", &"A".repeat(2000)] {
            assert!(
                decode(cursor, ("auctionId", &partition)).is_err(),
                "{cursor}"
            );
        }
    }
}
