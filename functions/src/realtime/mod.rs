//! Live bidding: WebSocket tickets and connections, subscriptions with their snapshot, the
//! fan-out of item changes to subscribers, and the in-app notifications it writes.
//!
//! | function | handler |
//! |---|---|
//! | `post-realtime-tickets` | [`tickets::post_realtime_tickets`] |
//! | `ws-connect`, `ws-disconnect` | [`connection::ws_connect`], [`connection::ws_disconnect`] |
//! | `ws-subscribe`, `ws-unsubscribe` | [`subscription::ws_subscribe`], [`subscription::ws_unsubscribe`] |
//! | `ws-ping`, `ws-default` | [`messages::ws_ping`], [`messages::ws_default`] |
//! | `stream-items-fan-out` | [`fan_out::stream_items_fan_out`] |
//! | `get-me-notifications`, `post-me-notifications-*` | [`notifications`] |

pub mod connection;
pub mod fan_out;
pub mod messages;
pub mod notifications;
pub mod socket;
pub mod subscription;
pub mod tickets;
