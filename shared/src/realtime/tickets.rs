//! Tickets: how a signed-in client opens a WebSocket without its access token ever being in a
//! URL (where access logs and browser history would keep it). `POST /realtime/tickets` hands
//! out a random ticket valid for [`TICKET_SECS`]; only its hash is stored, and `$connect`
//! deletes it conditionally as it uses it, so two connections can never share one.

use serde::{Deserialize, Serialize};

use crate::domain::{SessionId, Timestamp, UserId};
use crate::identity::Secret;
use crate::identity::sessions::{random_secret, secret_hash};

/// How long a ticket may wait to be used.
pub const TICKET_SECS: i64 = 60;

/// A ticket as its holder sees it: the text goes into `?ticket=` and nowhere else.
#[derive(Clone, Debug)]
pub struct Ticket(Secret);

impl Ticket {
    pub fn generate() -> anyhow::Result<Self> {
        Ok(Self(Secret::new(random_secret()?)))
    }

    /// A ticket a client presented (not checked: only a stored hash makes it valid).
    pub fn presented(text: &str) -> Self {
        Self(Secret::new(text))
    }

    pub fn text(&self) -> &Secret {
        &self.0
    }

    /// The key of its record.
    pub fn hash(&self) -> String {
        secret_hash(self.0.expose())
    }
}

/// A ticket not used yet, keyed by its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketRecord {
    pub id: String,
    pub user_id: UserId,
    /// The session the ticket was taken in: ending it ends the connection's rights too.
    pub session_id: Option<SessionId>,
    pub created_at: Timestamp,
    /// Epoch seconds: refused after, and removed by DynamoDB's TTL.
    pub expires_at: i64,
}

crate::record!(TicketRecord, RealtimeTickets, id);

impl TicketRecord {
    pub fn new(ticket: &Ticket, user: UserId, session: Option<SessionId>, now: Timestamp) -> Self {
        Self {
            id: ticket.hash(),
            user_id: user,
            session_id: session,
            created_at: now,
            expires_at: now.epoch_seconds() + TICKET_SECS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_is_stored_by_its_hash_and_never_shown() {
        let ticket = Ticket::generate().unwrap();
        let now = Timestamp::parse("2026-12-03T10:00:00Z").unwrap();
        let record = TicketRecord::new(&ticket, UserId::new(), None, now);
        assert_eq!(record.id, Ticket::presented(ticket.text().expose()).hash());
        assert_ne!(record.id, ticket.text().expose());
        assert_eq!(record.expires_at, now.epoch_seconds() + 60);
        assert!(!format!("{ticket:?}").contains(ticket.text().expose()));
    }
}
