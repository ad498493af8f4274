//! Money: exact decimals (`rust_decimal`), never floats in arithmetic. JSON carries amounts
//! as strings (`"12000.00"`); the store keeps them as DynamoDB Numbers (see `store::number`).
//! `Money` itself cannot be serialised: a response shows a [`CurrencyAmount`], which writes
//! the currency's minor units, so no route can forget them.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// Digits before the point. With at most 3 after it, every amount has at most 15 significant
/// digits, which is what lets the store round-trip it exactly through a DynamoDB Number.
const MAX_INTEGER_DIGITS: usize = 12;
/// The most minor-unit digits of any supported currency (KWD, BHD: 3).
const MAX_SCALE: u32 = 3;

/// Currencies we accept (ISO 4217) with their minor-unit digits.
const CURRENCIES: &[(&str, u32)] = &[
    ("AUD", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MXN", 2),
    ("MYR", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("PHP", 2),
    ("PLN", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TWD", 2),
    ("USD", 2),
    ("ZAR", 2),
];

/// Why a text or number is not an acceptable amount of money.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum MoneyError {
    #[error("must be a decimal string such as \"12.50\"")]
    NotADecimal,
    #[error("must not be negative")]
    Negative,
    #[error("must be less than 1000000000000")]
    TooLarge,
    #[error("has more decimals than {currency} allows ({allowed})")]
    TooManyDecimals {
        currency: &'static str,
        allowed: u32,
    },
    /// The code sent is kept for the program, never told to the client.
    #[error("must be a supported ISO 4217 currency code")]
    UnknownCurrency(String),
}

/// An ISO 4217 currency we support, with its minor-unit precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    minor_units: u32,
}

impl Currency {
    /// The platform's default currency.
    pub const USD: Currency = Currency {
        code: "USD",
        minor_units: 2,
    };

    /// Parses an upper-case ISO 4217 code.
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        CURRENCIES
            .iter()
            .find(|(known, _)| *known == code)
            .map(|&(code, minor_units)| Currency { code, minor_units })
            .ok_or_else(|| MoneyError::UnknownCurrency(code.chars().take(8).collect()))
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Digits after the decimal point (2 for USD, 0 for JPY).
    pub fn minor_units(&self) -> u32 {
        self.minor_units
    }
}

impl Default for Currency {
    fn default() -> Self {
        Self::USD
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// A non-negative amount of money below one trillion, with at most 3 decimals.
/// Which currency it is in lives with the auction; [`Money::for_currency`] checks an amount
/// against one and [`Money::in_currency`] makes it presentable in one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Parses a plain decimal string (`"12"`, `"12.5"`, `"12000.00"`): no sign, exponent,
    /// spaces or thousands separators.
    pub fn parse(text: &str) -> Result<Self, MoneyError> {
        if text.starts_with('-') {
            return Err(MoneyError::Negative);
        }
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !digits_only(whole)
            || !digits_only(fraction)
            || (text.contains('.') && fraction.is_empty())
        {
            return Err(MoneyError::NotADecimal);
        }
        if whole.trim_start_matches('0').len() > MAX_INTEGER_DIGITS {
            return Err(MoneyError::TooLarge);
        }
        if fraction.len() > MAX_SCALE as usize {
            return Err(MoneyError::TooManyDecimals {
                currency: "any supported currency",
                allowed: MAX_SCALE,
            });
        }
        let value = Decimal::from_str(text).map_err(|_| MoneyError::NotADecimal)?;
        Self::from_decimal(value)
    }

    /// Checks a computed amount against the same bounds as parsed ones.
    pub fn from_decimal(value: Decimal) -> Result<Self, MoneyError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(MoneyError::Negative);
        }
        if value >= Decimal::from(10_i64.pow(MAX_INTEGER_DIGITS as u32)) {
            return Err(MoneyError::TooLarge);
        }
        if value.normalize().scale() > MAX_SCALE {
            return Err(MoneyError::TooManyDecimals {
                currency: "any supported currency",
                allowed: MAX_SCALE,
            });
        }
        Ok(Money(value.normalize()))
    }

    /// This amount, if `currency` can express it (no more decimals than its minor units).
    pub fn for_currency(self, currency: Currency) -> Result<Self, MoneyError> {
        if self.0.normalize().scale() > currency.minor_units() {
            return Err(MoneyError::TooManyDecimals {
                currency: currency.code(),
                allowed: currency.minor_units(),
            });
        }
        Ok(self)
    }

    /// This amount written with exactly `currency`'s minor units (`12` → `12.00` in USD).
    pub fn in_currency(self, currency: Currency) -> Result<CurrencyAmount, MoneyError> {
        let mut value = self.for_currency(currency)?.0;
        value.rescale(currency.minor_units());
        Ok(CurrencyAmount(value))
    }

    pub fn amount(&self) -> Decimal {
        self.0
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    /// The sum, or `TooLarge` past the bound.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.0
            .checked_add(other.0)
            .ok_or(MoneyError::TooLarge)
            .and_then(Money::from_decimal)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Only strings: a JSON number may already have lost precision in the client.
        struct MoneyText;
        impl serde::de::Visitor<'_> for MoneyText {
            type Value = Money;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal string such as \"12.50\"")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Money, E> {
                Money::parse(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(MoneyText)
    }
}

fn decimal_string_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(r"^\d{1,12}(\.\d{1,3})?$"))
        .examples(["12000.00"])
        .description(Some(
            "An amount in the auction's currency, as a decimal string.",
        ))
        .into()
}

impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        decimal_string_schema()
    }
}
impl utoipa::ToSchema for Money {}

/// An amount as clients see it: a decimal string with exactly its currency's minor units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CurrencyAmount(Decimal);

impl fmt::Display for CurrencyAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for CurrencyAmount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl utoipa::PartialSchema for CurrencyAmount {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        decimal_string_schema()
    }
}
impl utoipa::ToSchema for CurrencyAmount {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn money(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    #[test]
    fn parses_plain_decimals() {
        assert_eq!(money("12000.00").amount(), Decimal::from(12000));
        assert_eq!(money("0.5").to_string(), "0.5");
        assert_eq!(money("007").to_string(), "7");
    }

    #[test]
    fn refuses_what_is_not_a_plain_decimal() {
        for text in [
            "", "1e5", "+1", " 1", "1.", ".5", "1,000", "12.5.1", "abc", "NaN",
        ] {
            assert_eq!(Money::parse(text), Err(MoneyError::NotADecimal), "{text:?}");
        }
        assert_eq!(Money::parse("-1"), Err(MoneyError::Negative));
        assert_eq!(Money::parse("1000000000000"), Err(MoneyError::TooLarge));
        assert!(matches!(
            Money::parse("1.2345"),
            Err(MoneyError::TooManyDecimals { .. })
        ));
    }

    #[test]
    fn formats_in_the_currency_minor_units() {
        assert_eq!(
            money("12000")
                .in_currency(Currency::USD)
                .unwrap()
                .to_string(),
            "12000.00"
        );
        let yen = Currency::parse("JPY").unwrap();
        assert_eq!(money("500").in_currency(yen).unwrap().to_string(), "500");
        assert_eq!(
            money("500.5").for_currency(yen),
            Err(MoneyError::TooManyDecimals {
                currency: "JPY",
                allowed: 0
            })
        );
        assert!(money("1.005").in_currency(Currency::USD).is_err());
    }

    #[test]
    fn json_is_a_string_and_numbers_are_refused() {
        let amount = money("12.5").in_currency(Currency::USD).unwrap();
        assert_eq!(serde_json::to_string(&amount).unwrap(), "\"12.50\"");
        assert_eq!(
            serde_json::from_str::<Money>("\"12.50\"").unwrap(),
            money("12.5")
        );
        assert!(serde_json::from_str::<Money>("12.5").is_err());
    }

    #[test]
    fn unknown_currencies_are_refused() {
        assert_eq!(
            Currency::parse("usd"),
            Err(MoneyError::UnknownCurrency("usd".into()))
        );
        assert_eq!(Currency::parse("KWD").unwrap().minor_units(), 3);
    }

    #[test]
    fn sums_stay_within_bounds() {
        let big = money("999999999999");
        assert_eq!(big.checked_add(money("1")), Err(MoneyError::TooLarge));
        assert_eq!(
            money("1.25").checked_add(money("2.5")).unwrap(),
            money("3.75")
        );
    }

    proptest! {
        #[test]
        fn display_parses_back(cents in 0u64..100_000_000_000_000) {
            let amount = Money::from_decimal(Decimal::new(cents as i64, 2)).unwrap();
            prop_assert_eq!(Money::parse(&amount.to_string()).unwrap(), amount);
        }

        #[test]
        fn parse_never_panics(text in ".{0,40}") {
            let _ = Money::parse(&text);
        }
    }
}
