//! Typed identifiers: a UUID tagged with what it identifies, so an item id cannot be
//! passed where an auction id is expected.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;
use uuid::Uuid;

/// Marker types naming what an [`Id`] identifies.
pub mod kind {
    macro_rules! kinds {
        ($($name:ident => $label:literal),* $(,)?) => {$(
            #[doc = concat!("Marks the id of ", $label, ".")]
            #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
            pub enum $name {}
            impl super::IdKind for $name { const LABEL: &'static str = $label; }
        )*};
    }
    kinds! {
        Auction => "an auction",
        Item => "an item",
        Bid => "a bid",
        User => "a user",
        Session => "a session",
        Image => "an image",
        Notification => "a notification",
        Offer => "a second-chance offer",
        Payment => "a payment",
    }
}

/// What an id names, for error messages.
pub trait IdKind {
    const LABEL: &'static str;
}

/// A UUID identifying one record of kind `K`.
pub struct Id<K> {
    uuid: Uuid,
    kind: PhantomData<fn() -> K>,
}

pub type AuctionId = Id<kind::Auction>;
pub type ItemId = Id<kind::Item>;
pub type BidId = Id<kind::Bid>;
pub type UserId = Id<kind::User>;
pub type SessionId = Id<kind::Session>;
pub type ImageId = Id<kind::Image>;
pub type NotificationId = Id<kind::Notification>;
pub type OfferId = Id<kind::Offer>;
pub type PaymentId = Id<kind::Payment>;

/// A string that is not a UUID.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("{value:?} is not a valid id of {label} (expected a UUID)")]
pub struct IdError {
    pub label: &'static str,
    pub value: String,
}

impl<K: IdKind> Id<K> {
    /// A new random (v4) id: unguessable, so ids never leak counts or order.
    pub fn new() -> Self {
        Self::from_uuid(Uuid::new_v4())
    }

    pub fn from_uuid(uuid: Uuid) -> Self {
        Self {
            uuid,
            kind: PhantomData,
        }
    }

    /// Parses the hyphenated UUID form clients send (any letter case).
    pub fn parse(value: &str) -> Result<Self, IdError> {
        // Only the canonical 36-character form: the same record must have one spelling.
        if value.len() != 36 {
            return Err(Self::error(value));
        }
        Uuid::parse_str(value)
            .map(Self::from_uuid)
            .map_err(|_| Self::error(value))
    }

    pub fn uuid(&self) -> Uuid {
        self.uuid
    }

    fn error(value: &str) -> IdError {
        IdError {
            label: K::LABEL,
            value: value.chars().take(64).collect(),
        }
    }
}

impl<K: IdKind> Default for Id<K> {
    fn default() -> Self {
        Self::new()
    }
}

// Manual impls: derives would wrongly require `K` itself to be Clone, Eq, and so on.
impl<K> Clone for Id<K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K> Copy for Id<K> {}
impl<K> PartialEq for Id<K> {
    fn eq(&self, other: &Self) -> bool {
        self.uuid == other.uuid
    }
}
impl<K> Eq for Id<K> {}
impl<K> std::hash::Hash for Id<K> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.uuid.hash(state)
    }
}
impl<K> PartialOrd for Id<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<K> Ord for Id<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.uuid.cmp(&other.uuid)
    }
}

impl<K> fmt::Display for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.uuid.hyphenated().fmt(f)
    }
}

impl<K: IdKind> fmt::Debug for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.uuid)
    }
}

impl<K: IdKind> FromStr for Id<K> {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl<K> Serialize for Id<K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de, K: IdKind> Deserialize<'de> for Id<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl<K> utoipa::PartialSchema for Id<K> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Uuid,
            )))
            .into()
    }
}
impl<K> utoipa::ToSchema for Id<K> {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_its_own_display() {
        let id = AuctionId::new();
        assert_eq!(AuctionId::parse(&id.to_string()), Ok(id));
    }

    #[test]
    fn rejects_non_uuids_naming_the_kind() {
        let err = ItemId::parse("42").unwrap_err();
        assert_eq!(err.label, "an item");
        assert!(err.to_string().contains("not a valid id of an item"));
    }

    #[test]
    fn rejects_the_simple_and_braced_spellings() {
        let uuid = Uuid::new_v4();
        assert!(UserId::parse(&uuid.simple().to_string()).is_err());
        assert!(UserId::parse(&uuid.braced().to_string()).is_err());
    }

    #[test]
    fn serializes_as_a_plain_string() {
        let id = BidId::new();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        let back: BidId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
        assert!(serde_json::from_str::<BidId>("\"nope\"").is_err());
    }

    proptest! {
        #[test]
        fn never_panics_on_any_text(text in ".{0,80}") {
            let _ = AuctionId::parse(&text);
        }
    }
}
