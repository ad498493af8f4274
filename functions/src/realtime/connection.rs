//! `$connect` and `$disconnect` (functions `ws-connect`, `ws-disconnect`): a connection
//! opens anonymously or with a ticket, and leaves nothing behind when it closes.

use shared::domain::{SessionId, Timestamp, UserId};
use shared::identity::{Caller, SessionRecord, UserRecord, UserStatus};
use shared::realtime::{ConnectionRecord, SubscriptionRecord, Ticket, TicketRecord};
use shared::store::{Collection, Condition, Read, StoreError, n};

use super::socket::{Reply, SocketRequest, connection_id, log_store_failure};
use crate::AppState;

/// Opens a connection: anonymous without `?ticket=`, signed in as the ticket's user with one.
/// A bad, used or expired ticket refuses the upgrade (`401`); so does an account disabled or a
/// session ended since the ticket was taken.
#[tracing::instrument(skip_all)]
pub async fn ws_connect(state: &AppState, request: SocketRequest) -> Reply {
    let Some(connection) = connection_id(&request) else {
        return Reply::Refuse(400);
    };
    let now = state.clock.now();
    let signed_in = match request.query_string_parameters.first("ticket") {
        None => None,
        Some(text) => match redeem(state, text, now).await {
            Ok(Some(who)) => Some(who),
            Ok(None) => {
                tracing::info!("connection refused: the ticket is not valid");
                return Reply::Refuse(401);
            }
            Err(error) => return unavailable(&error),
        },
    };
    let (user, session) = signed_in.unzip();
    let record = ConnectionRecord::new(connection, user, session.flatten(), now);
    if let Err(error) = state.store.put(&record, None).await {
        return unavailable(&error);
    }
    tracing::info!(signed_in = user.is_some(), "connection opened");
    Reply::Done
}

/// Closes a connection: its record and every subscription it had go. Safe to run twice.
#[tracing::instrument(skip_all)]
pub async fn ws_disconnect(state: &AppState, request: SocketRequest) -> Reply {
    let Some(connection) = connection_id(&request) else {
        return Reply::Done;
    };
    match forget(state, connection, &[]).await {
        Ok(()) => Reply::Done,
        Err(error) => unavailable(&error),
    }
}

/// Deletes `connection`'s record and subscriptions (it closed, or answered `410 Gone`), plus
/// `also` (subscriptions known from elsewhere). The record goes only as it was read, so a
/// subscription added meanwhile is seen on the next try, never left behind.
pub async fn forget(state: &AppState, connection: &str, also: &[String]) -> Result<(), StoreError> {
    for _ in 0..3 {
        let record = state
            .store
            .get::<ConnectionRecord>(connection, Read::Strong)
            .await?;
        let mut keys: Vec<String> = also.to_vec();
        let mut transaction = state.store.transaction();
        if let Some(record) = &record {
            transaction = transaction.delete(
                Collection::Connections,
                connection,
                Some(record.unchanged()),
            )?;
            keys.extend(
                record
                    .auctions
                    .iter()
                    .map(|auction| SubscriptionRecord::key(connection, *auction)),
            );
        }
        keys.sort();
        keys.dedup();
        for key in &keys {
            transaction = transaction.delete(Collection::Connections, key, None)?;
        }
        if transaction.is_empty() {
            return Ok(());
        }
        match state.store.transact(transaction).await {
            Err(StoreError::ConditionFailed(_) | StoreError::TransactionConflict) => continue,
            done => return done,
        }
    }
    Err(StoreError::TransactionConflict)
}

/// The ticket's user and session, the ticket used up; `None` if it is not a live ticket of an
/// account that may still sign in.
async fn redeem(
    state: &AppState,
    text: &str,
    now: Timestamp,
) -> Result<Option<(UserId, Option<SessionId>)>, StoreError> {
    // Deleting it with the condition that it is still valid is what makes it single-use: of
    // two connects with one ticket, only one deletes it.
    let unexpired = Condition::exists(Collection::RealtimeTickets)
        .and(Condition::new("expiresAt > :now").value(":now", n(now.epoch_seconds())));
    let ticket = match state
        .store
        .take::<TicketRecord>(&Ticket::presented(text).hash(), unexpired)
        .await
    {
        Ok(Some(ticket)) => ticket,
        Ok(None) | Err(StoreError::ConditionFailed(_)) => return Ok(None),
        Err(other) => return Err(other),
    };
    let who = (ticket.user_id, ticket.session_id);
    Ok(may_sign_in(state, ticket.user_id, ticket.session_id, now)
        .await?
        .map(|_| who))
}

/// The account of `user` if it is active and `session` (when there is one) still current:
/// what the HTTP guard checks on every request, checked here on connect and subscribe (the
/// fan-out checks it again on every batch).
pub async fn may_sign_in(
    state: &AppState,
    user: UserId,
    session: Option<SessionId>,
    now: Timestamp,
) -> Result<Option<UserRecord>, StoreError> {
    let Some(account) = state
        .store
        .get::<UserRecord>(&user.to_string(), Read::Strong)
        .await?
        .filter(|account| account.status == UserStatus::Active)
    else {
        return Ok(None);
    };
    if let Some(session) = session {
        let current = state
            .store
            .get::<SessionRecord>(&session.to_string(), Read::Strong)
            .await?
            .is_some_and(|s| s.user_id == user && s.is_current(now, account.credentials_version));
        if !current {
            return Ok(None);
        }
    }
    Ok(Some(account))
}

/// Who a connection speaks for, as of now.
#[derive(Debug)]
pub enum Speaker {
    Anonymous,
    SignedIn(Box<Caller>),
    /// Its account was disabled or its session ended since it connected.
    Ended,
}

impl Speaker {
    pub async fn of(state: &AppState, connection: &ConnectionRecord) -> Result<Self, StoreError> {
        let Some(user) = connection.user_id else {
            return Ok(Self::Anonymous);
        };
        Ok(
            match may_sign_in(state, user, connection.session_id, state.clock.now()).await? {
                Some(account) => {
                    Self::SignedIn(Box::new(Caller::load(&state.store, account).await?))
                }
                None => Self::Ended,
            },
        )
    }
}

fn unavailable(error: &StoreError) -> Reply {
    log_store_failure(error);
    Reply::Refuse(500)
}
