//! Live bidding over API Gateway's WebSocket API: single-use tickets that sign a connection
//! in, the connections and their subscriptions as stored, the events clients receive, and the
//! `@connections` client that sends them.

pub mod connections;
pub mod events;
pub mod notifications;
pub mod push;
pub mod tickets;

pub use connections::{
    CONNECTION_SECS, ConnectionRecord, MAX_SUBSCRIPTIONS, Standing, SubscriptionRecord,
};
pub use events::{ErrorCode, ItemSnapshot, ServerEvent};
pub use notifications::{
    DeliveryChannel, NotificationKind, NotificationRecord, NotificationStatus,
};
pub use push::{PushError, Pusher};
pub use tickets::{TICKET_SECS, Ticket, TicketRecord};
