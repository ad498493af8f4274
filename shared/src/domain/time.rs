//! Server time: UTC at millisecond precision, from an injectable clock. Clients never
//! supply the time a thing happened.

use std::fmt;
use std::sync::Mutex;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// A UTC instant truncated to the millisecond, written `2026-11-21T09:00:00.000Z`.
/// That fixed-width form also sorts correctly as a DynamoDB string sort key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

/// Text that is not an RFC 3339 timestamp.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("must be an ISO-8601 timestamp with a time zone, such as \"2026-11-21T09:00:00.000Z\"")]
pub struct TimestampError;

impl Timestamp {
    pub fn from_datetime(at: DateTime<Utc>) -> Self {
        let millis = at.timestamp_millis();
        Self(DateTime::from_timestamp_millis(millis).unwrap_or(at))
    }

    pub fn from_millis(millis: i64) -> Option<Self> {
        DateTime::from_timestamp_millis(millis).map(Self)
    }

    /// Parses RFC 3339 with any offset; the result is in UTC, truncated to milliseconds.
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        DateTime::parse_from_rfc3339(text)
            .map(|at| Self::from_datetime(at.with_timezone(&Utc)))
            .map_err(|_| TimestampError)
    }

    pub fn millis(&self) -> i64 {
        self.0.timestamp_millis()
    }

    /// Whole seconds since the epoch, the unit of DynamoDB TTL attributes.
    pub fn epoch_seconds(&self) -> i64 {
        self.0.timestamp()
    }

    pub fn datetime(&self) -> DateTime<Utc> {
        self.0
    }

    /// The instant as a Scheduler `at(...)` expression takes it (`2026-12-04T10:00:05`, UTC),
    /// rounded up to the whole second so that a schedule never fires before it.
    pub fn format_at(&self) -> String {
        let millis = self.0.timestamp_subsec_millis();
        let whole = if millis == 0 {
            self.0
        } else {
            self.plus(TimeDelta::milliseconds(i64::from(1_000 - millis)))
                .0
        };
        whole.format("%Y-%m-%dT%H:%M:%S").to_string()
    }

    /// This instant moved by `delta` (unchanged if that would leave chrono's range, which
    /// spans hundreds of thousands of years).
    pub fn plus(&self, delta: TimeDelta) -> Self {
        Self(self.0.checked_add_signed(delta).unwrap_or(self.0))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .examples(["2026-11-21T09:00:00.000Z"])
            .into()
    }
}
impl utoipa::ToSchema for Timestamp {}

/// Where "now" comes from: the system clock in functions, a manual one in tests.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> Timestamp;
}

/// The server's UTC clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_datetime(Utc::now())
    }
}

/// A clock that stands still until told to move, for tests of time rules.
#[derive(Debug)]
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        Self(Mutex::new(start))
    }

    pub fn set(&self, at: Timestamp) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = at;
    }

    pub fn advance(&self, delta: TimeDelta) {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now = now.plus(delta);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn writes_utc_with_milliseconds() {
        let at = Timestamp::parse("2026-11-21T10:00:00.123456+01:00").unwrap();
        assert_eq!(at.to_string(), "2026-11-21T09:00:00.123Z");
    }

    #[test]
    fn refuses_timestamps_without_a_zone() {
        assert_eq!(Timestamp::parse("2026-11-21T09:00:00"), Err(TimestampError));
        assert_eq!(Timestamp::parse("yesterday"), Err(TimestampError));
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let start = Timestamp::parse("2026-11-21T09:00:00.000Z").unwrap();
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(TimeDelta::seconds(90));
        assert_eq!(clock.now().to_string(), "2026-11-21T09:01:30.000Z");
    }

    #[test]
    fn system_clock_has_millisecond_precision() {
        let now = SystemClock.now();
        assert_eq!(now.datetime().timestamp_subsec_nanos() % 1_000_000, 0);
    }

    proptest! {
        #[test]
        fn text_order_is_time_order(a in 0i64..4_102_444_800_000, b in 0i64..4_102_444_800_000) {
            let (ta, tb) = (Timestamp::from_millis(a).unwrap(), Timestamp::from_millis(b).unwrap());
            prop_assert_eq!(ta.cmp(&tb), ta.to_string().cmp(&tb.to_string()));
            prop_assert_eq!(Timestamp::parse(&ta.to_string()).unwrap(), ta);
        }
    }
}
