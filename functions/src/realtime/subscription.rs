//! `subscribe` and `unsubscribe` (functions `ws-subscribe`, `ws-unsubscribe`): a connection
//! follows the auctions its caller may see, up to [`MAX_SUBSCRIPTIONS`], and gets a snapshot of
//! each as it subscribes, so nothing between loading the page and subscribing is missed.

use shared::catalog::access::AuctionAccess;
use shared::catalog::{AuctionRecord, EventType, ItemRecord};
use shared::domain::AuctionId;
use shared::identity::Caller;
use shared::realtime::{
    ConnectionRecord, ErrorCode, ItemSnapshot, MAX_SUBSCRIPTIONS, ServerEvent, Standing,
    SubscriptionRecord,
};
use shared::store::{AttributeValue, Collection, Index, Read, StoreError, Update, s};

use super::connection::Speaker;
use super::socket::{Reply, SocketRequest, auction_of, connection_id, log_store_failure};
use crate::AppState;
use crate::catalog::publish::MAX_LOTS;
use crate::catalog::view::ItemView;

/// Tries of a subscription change that lost a race with another message of its connection.
const ATTEMPTS: usize = 3;

/// Follows an auction: `subscribed` with its snapshot, or `error` (`NOT_FOUND` for an auction
/// the connection's caller may not see, exactly as for one that does not exist).
#[tracing::instrument(skip_all)]
pub async fn ws_subscribe(state: &AppState, request: SocketRequest) -> Reply {
    match subscribe(state, &request).await {
        Ok(reply) => reply,
        Err(error) => unavailable(&error),
    }
}

/// Stops following an auction: `unsubscribed`, also when it was not followed.
#[tracing::instrument(skip_all)]
pub async fn ws_unsubscribe(state: &AppState, request: SocketRequest) -> Reply {
    match unsubscribe(state, &request).await {
        Ok(reply) => reply,
        Err(error) => unavailable(&error),
    }
}

async fn subscribe(state: &AppState, request: &SocketRequest) -> Result<Reply, StoreError> {
    let auction_id = match auction_of(request) {
        Ok(id) => id,
        Err(reply) => return Ok(reply),
    };
    let Some(mut connection) = open_connection(state, request).await? else {
        return Ok(not_open());
    };
    let caller = match Speaker::of(state, &connection).await? {
        Speaker::Anonymous => None,
        Speaker::SignedIn(caller) => Some(*caller),
        Speaker::Ended => return Ok(ended()),
    };
    let Some((auction, access)) = visible(state, caller.as_ref(), auction_id).await? else {
        return Ok(not_found());
    };
    for _ in 0..ATTEMPTS {
        if connection.auctions.contains(&auction_id) {
            return snapshot(state, &auction, &access, caller.as_ref()).await;
        }
        if connection.auctions.len() >= MAX_SUBSCRIPTIONS {
            return Ok(Reply::error(
                ErrorCode::TooManySubscriptions,
                format!(
                    "A connection follows at most {MAX_SUBSCRIPTIONS} auctions; unsubscribe from one first."
                ),
            ));
        }
        match add(state, &connection, auction_id, standing(&auction, &access)).await {
            Ok(()) => return snapshot(state, &auction, &access, caller.as_ref()).await,
            Err(StoreError::ConditionFailed(_) | StoreError::TransactionConflict) => {
                let Some(now) = open_connection(state, request).await? else {
                    return Ok(not_open());
                };
                connection = now;
            }
            Err(other) => return Err(other),
        }
    }
    Ok(busy())
}

async fn unsubscribe(state: &AppState, request: &SocketRequest) -> Result<Reply, StoreError> {
    let auction_id = match auction_of(request) {
        Ok(id) => id,
        Err(reply) => return Ok(reply),
    };
    let done = Reply::Frame(ServerEvent::Unsubscribed { auction_id });
    for _ in 0..ATTEMPTS {
        let Some(connection) = open_connection(state, request).await? else {
            return Ok(not_open());
        };
        let Some(position) = connection.auctions.iter().position(|a| *a == auction_id) else {
            return Ok(done);
        };
        match remove(state, &connection, auction_id, position).await {
            Ok(()) => return Ok(done),
            Err(StoreError::ConditionFailed(_) | StoreError::TransactionConflict) => continue,
            Err(other) => return Err(other),
        }
    }
    Ok(busy())
}

/// The connection's record, if it is still open.
async fn open_connection(
    state: &AppState,
    request: &SocketRequest,
) -> Result<Option<ConnectionRecord>, StoreError> {
    let Some(id) = connection_id(request) else {
        return Ok(None);
    };
    let now = state.clock.now().epoch_seconds();
    Ok(state
        .store
        .get::<ConnectionRecord>(id, Read::Strong)
        .await?
        .filter(|connection| connection.expires_at > now))
}

/// The auction and the caller's standing in it, if they may see it (as `GET /auctions/{id}`
/// decides: drafts for their owner and staff, private auctions for members too).
async fn visible(
    state: &AppState,
    caller: Option<&Caller>,
    auction_id: AuctionId,
) -> Result<Option<(AuctionRecord, AuctionAccess)>, StoreError> {
    let Some(auction) = state
        .store
        .get::<AuctionRecord>(&auction_id.to_string(), Read::Strong)
        .await?
    else {
        return Ok(None);
    };
    let access = AuctionAccess::of(&state.store, caller, &auction).await?;
    Ok(access.can_view(&auction).then_some((auction, access)))
}

/// Adds the auction to the connection's list (if the list is as read) and writes its
/// subscription, in one transaction.
async fn add(
    state: &AppState,
    connection: &ConnectionRecord,
    auction: AuctionId,
    standing: Standing,
) -> Result<(), StoreError> {
    let now = state.clock.now();
    let listed = Update::new("SET auctions = list_append(auctions, :added)")
        .value(":added", AttributeValue::L(vec![s(auction.to_string())]))
        .when(connection.unchanged());
    let transaction = state
        .store
        .transaction()
        .update(Collection::Connections, &connection.id, listed)?
        .put(
            &SubscriptionRecord::new(connection, auction, standing, now),
            None,
        )?;
    state.store.transact(transaction).await
}

/// Why the caller may follow `auction` (which [`AuctionAccess::can_view`] allowed): what the
/// fan-out checks again.
fn standing(auction: &AuctionRecord, access: &AuctionAccess) -> Standing {
    if access.owner || access.staff_reader {
        Standing::Privileged
    } else if auction.event_type == EventType::Public {
        Standing::Public
    } else {
        Standing::Member
    }
}

/// Takes the auction at `position` off the connection's list and deletes its subscription.
async fn remove(
    state: &AppState,
    connection: &ConnectionRecord,
    auction: AuctionId,
    position: usize,
) -> Result<(), StoreError> {
    let unlisted = Update::new(format!("REMOVE auctions[{position}]")).when(connection.unchanged());
    let key = SubscriptionRecord::key(&connection.id, auction);
    let transaction = state
        .store
        .transaction()
        .update(Collection::Connections, &connection.id, unlisted)?
        .delete(Collection::Connections, &key, None)?;
    state.store.transact(transaction).await
}

/// `subscribed`: the auction's status and every lot as the caller may see it now.
async fn snapshot(
    state: &AppState,
    auction: &AuctionRecord,
    access: &AuctionAccess,
    caller: Option<&Caller>,
) -> Result<Reply, StoreError> {
    let now = state.clock.now();
    let items = state
        .store
        .query_at_most::<ItemRecord>(Index::ITEMS_BY_AUCTION, &auction.id.to_string(), MAX_LOTS)
        .await?
        .unwrap_or_default();
    let mut snapshots = Vec::with_capacity(items.len());
    for item in &items {
        let Ok(view) = ItemView::new(item, auction, access, caller.map(Caller::id), now) else {
            tracing::error!(item.id = %item.id, "an item's amounts do not fit its currency");
            return Ok(busy());
        };
        snapshots.push(ItemSnapshot {
            item_id: item.id,
            status: view.status,
            current_bid: view.current_bid,
            bid_count: view.bid_count,
            next_minimum_bid: view.next_minimum_bid,
            ends_at: view.ends_at,
            leader_bidder_number: view.leader_bidder_number,
            sequence: item.bidding.accepted,
        });
    }
    Ok(Reply::Frame(ServerEvent::Subscribed {
        auction_id: auction.id,
        status: auction.effective_status(now),
        items: snapshots,
    }))
}

fn not_found() -> Reply {
    Reply::error(ErrorCode::NotFound, "No such auction.")
}

fn not_open() -> Reply {
    Reply::error(
        ErrorCode::Unauthenticated,
        "This connection is no longer open; connect again.",
    )
}

fn ended() -> Reply {
    Reply::error(
        ErrorCode::Unauthenticated,
        "The account or session of this connection has ended; sign in and connect again.",
    )
}

fn busy() -> Reply {
    Reply::error(ErrorCode::Unavailable, "Please try again.")
}

fn unavailable(error: &StoreError) -> Reply {
    log_store_failure(error);
    busy()
}
