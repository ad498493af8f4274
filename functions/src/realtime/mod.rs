//! Live bidding: WebSocket tickets and connections, subscriptions with their snapshot, the
//! fan-out of item changes to subscribers, and the in-app notifications it writes.

pub mod connection;
pub mod fan_out;
pub mod messages;
pub mod notifications;
pub mod socket;
pub mod subscription;
pub mod tickets;
