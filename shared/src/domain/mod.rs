//! Domain primitives and pure rules: no I/O here. Each type validates on construction,
//! so an invalid value cannot reach the store.

mod id;
mod money;
mod time;

pub use id::{
    AuctionId, BidId, Id, IdError, IdKind, ImageId, ItemId, NotificationId, OfferId, PaymentId,
    SessionId, UserId, kind,
};
pub use money::{Currency, CurrencyAmount, Money, MoneyError};
pub use time::{Clock, ManualClock, SystemClock, Timestamp, TimestampError};
