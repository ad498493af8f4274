//! Money stored as a DynamoDB Number, so condition expressions compare amounts numerically.
//! serde_dynamo writes Numbers only from Rust numbers, so amounts pass through `f64`: exact,
//! because `Money` has at most 15 significant digits and `f64` round-trips 15.
//! Use as `#[serde(with = "crate::store::number::money")]` on record fields.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserializer, Serializer};

use crate::domain::Money;

fn to_f64(value: &Money) -> f64 {
    value.amount().to_f64().unwrap_or(f64::NAN)
}

struct NumberVisitor;

impl serde::de::Visitor<'_> for NumberVisitor {
    type Value = Money;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a DynamoDB Number holding an amount of money")
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Money, E> {
        Money::from_decimal(Decimal::from(v)).map_err(E::custom)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Money, E> {
        Money::from_decimal(Decimal::from(v)).map_err(E::custom)
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Money, E> {
        // `{v}` is the shortest text that parses back to `v`: the digits that were stored.
        let text = format!("{v}");
        text.parse::<Decimal>()
            .map_err(E::custom)
            .and_then(|d| Money::from_decimal(d).map_err(E::custom))
    }
}

/// A required amount.
pub mod money {
    use super::*;

    pub fn serialize<S: Serializer>(value: &Money, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(to_f64(value))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        deserializer.deserialize_any(NumberVisitor)
    }
}

/// An optional amount (left out of the item when `None`).
pub mod money_option {
    use super::*;

    pub fn serialize<S: Serializer>(
        value: &Option<Money>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => serializer.serialize_f64(to_f64(value)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Money>, D::Error> {
        deserializer.deserialize_option(OptionalNumber)
    }

    /// Inside a nested map a `None` is stored as NULL rather than left out.
    struct OptionalNumber;

    impl<'de> serde::de::Visitor<'de> for OptionalNumber {
        type Value = Option<Money>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a DynamoDB Number holding an amount of money, or NULL")
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_any(NumberVisitor).map(Some)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::AttributeValue;
    use proptest::prelude::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Priced {
        #[serde(with = "money")]
        price: Money,
        #[serde(with = "money_option", default)]
        reserve: Option<Money>,
    }

    #[test]
    fn stored_as_a_number() {
        let priced = Priced {
            price: Money::parse("12000.05").unwrap(),
            reserve: None,
        };
        let item: std::collections::HashMap<String, AttributeValue> =
            serde_dynamo::to_item(&priced).unwrap();
        assert_eq!(item["price"], AttributeValue::N("12000.05".into()));
    }

    proptest! {
        #[test]
        fn every_amount_round_trips_exactly(units in 0i64..1_000_000_000_000_000, scale in 0u32..=3) {
            let amount = Money::from_decimal(Decimal::new(units / 10i64.pow(3 - scale), scale)).unwrap();
            let priced = Priced { price: amount, reserve: Some(amount) };
            let item: std::collections::HashMap<String, AttributeValue> =
                serde_dynamo::to_item(&priced).unwrap();
            let back: Priced = serde_dynamo::from_item(item).unwrap();
            prop_assert_eq!(back, priced);
            // Nested in a map, `None` is NULL and reads back as `None`.
            let nested = Priced { price: amount, reserve: None };
            let value: AttributeValue = serde_dynamo::to_attribute_value(&nested).unwrap();
            let back: Priced = serde_dynamo::from_attribute_value(value).unwrap();
            prop_assert_eq!(back, nested);
        }
    }
}
