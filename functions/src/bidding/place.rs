//! Placing a bid or a buy-now (`docs/rules.md`, "Proxy bidding", "Atomicity"): one strongly
//! consistent read of the item, the decision, then one transaction that writes it only if the
//! item is still in the state the decision was made from. A lost race re-decides from the item
//! the failed condition returns; a stale decision is never written.

use std::time::Duration;

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request};
use serde::Serialize;
use shared::audit::{AuditAction, AuditRecord};
use shared::bidding::{
    BidRecord, BidRequest, BidState, BiddingTerms, Decision, Holding, Outcome, Rejection,
    TotalsChange, TotalsRecord, totals_changes,
};
use shared::catalog::access::READ_ANY;
use shared::catalog::{
    AuctionRecord, BidderCounterRecord, EventType, ItemRecord, ItemStatus, ItemType,
    MembershipRecord, MembershipRole, MembershipStatus,
};
use shared::domain::{BidId, CurrencyAmount, ItemId, Money, Timestamp};
use shared::http::{ApiError, path_parameter};
use shared::identity::Caller;
use shared::lifecycle::{PaymentStatus, Sale, SaleKind};
use shared::store::{
    AttributeValue, Collection, Condition, Read, StoreError, Transaction, Update, n, s,
    to_attribute,
};

use super::idempotency::Idempotency;
use crate::AppState;
use crate::catalog::join::cache_bidder_number;
use crate::catalog::view::{ItemView, Shown};

/// Decisions tried before a bidder is asked to come back (each after a lost race).
const ATTEMPTS: u32 = 8;

/// What the bidder asks for.
#[derive(Clone, Copy, Debug)]
pub enum Ask {
    /// A bid of `amount`, answered automatically up to `maximum`.
    Bid { amount: Money, maximum: Money },
    /// The item at its buy-now price.
    BuyNow,
}

/// An entry of an item's bids, as anyone who may see the item sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BidView {
    pub id: BidId,
    pub item_id: ItemId,
    pub amount: CurrencyAmount,
    pub placed_at: Timestamp,
    pub bidder_number: u32,
    pub is_automatic: bool,
}

impl BidView {
    pub fn new(bid: &BidRecord, terms: &BiddingTerms) -> Result<Self, ApiError> {
        Ok(Self {
            id: bid.id,
            item_id: bid.item_id,
            amount: super::shown(bid.amount, terms)?,
            placed_at: bid.placed_at,
            bidder_number: bid.bidder_number,
            is_automatic: bid.automatic,
        })
    }
}

/// An accepted bid and the item as it now stands.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlacedBid {
    /// What the request did: `placed` (a new bid), `maximum_raised` (the leader raised their
    /// own maximum, which is never echoed: `bid.amount` is the price, unchanged unless the new
    /// maximum reached the reserve) or `bought` (a buy-now).
    pub outcome: Outcome,
    pub bid: BidView,
    pub item: ItemView,
}

/// How the caller takes part in the auction, and what the transaction must check or write
/// for it.
#[derive(Clone, Debug)]
enum Bidder {
    /// An active bidder with this number: the transaction checks the membership is still so.
    Member { number: u32, cache: bool },
    /// A first bid in a public auction: the membership is made with the next number.
    Joining {
        number: u32,
        counter: Option<u32>,
        update_membership: bool,
    },
}

impl Bidder {
    fn number(&self) -> u32 {
        match self {
            Bidder::Member { number, .. } | Bidder::Joining { number, .. } => *number,
        }
    }
}

/// Places `ask` on the item of the request's path for the authenticated `caller`.
pub async fn place(
    state: &AppState,
    request: &Request,
    caller: Caller,
    ask: Ask,
) -> Result<lambda_http::Response<Body>, ApiError> {
    let item_id: ItemId = path_parameter(request, "itemId")?;
    let idempotency = Idempotency::from_request(request, &caller, &fingerprint(item_id, ask))?;
    let mut item = state
        .store
        .get::<ItemRecord>(&item_id.to_string(), Read::Strong)
        .await?
        .ok_or(ApiError::NotFound)?;
    let terms = terms(state, &item, &caller).await?;
    refuse_staff(&caller, &item, &terms)?;
    // A private auction's items do not exist for those outside it: nothing about the item
    // (its currency's precision, whether the caller could bid) is answered before this.
    let mut bidder = resolve_bidder(state, &caller, &item, &terms, Cache::Use).await?;
    if item.item_type == ItemType::Live {
        return Err(ApiError::conflict(
            "LIVE_ITEM",
            "This is a live item: it is sold on the floor, not online.",
        ));
    }
    require_bidding_permission(&caller, ask)?;
    check_amounts(ask, &terms)?;

    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            // Spread the retries of bidders who lost the same race.
            let ceiling = 5u64 << attempt.min(5);
            tokio::time::sleep(Duration::from_millis(fastrand::u64(1..=ceiling))).await;
        }
        let now = state.clock.now();
        let bid = request_of(ask, &caller, &bidder, now);
        let decision = match open_for_bids(&item)
            .and_then(|()| shared::bidding::decide(&item.rules(&terms), &item.summary(), &bid))
        {
            Ok(decision) => decision,
            Err(rejection) => {
                if let Some(stored) = idempotency.stored(state, now).await? {
                    return Ok(stored);
                }
                return Err(refusal(state, &item, &terms, rejection).await);
            }
        };
        let records = BidRecord::from_decision(&item, &bid, &decision, now);
        let placed = placed_view(&item, &terms, &decision, &records, &caller, now)?;
        let body = serde_json::to_string(&placed).map_err(anyhow::Error::new)?;
        let sale = match decision.summary.bought {
            true => Some(buy_now_sale(state, &item, &bidder, &caller, &decision, now).await?),
            false => None,
        };
        let transaction = writes(
            state,
            &item,
            &terms,
            &bidder,
            &caller,
            &decision,
            &records,
            sale.as_ref(),
            now,
        )?;
        let transaction = idempotency.record(transaction, StatusCode::CREATED, &body, now)?;
        match state.store.transact(transaction).await {
            Ok(()) => {
                tracing::info!(
                    item.id = %item.id,
                    bid.id = %bid.id,
                    bidder_number = bidder.number(),
                    sequence = decision.sequence,
                    attempt,
                    "bid accepted"
                );
                if let Some(sale) = &sale {
                    crate::lifecycle::close::announce_sale(state, &item, sale).await;
                }
                return Idempotency::response(StatusCode::CREATED, body, false);
            }
            Err(StoreError::ConditionFailed(failed)) => match failed.collection {
                Collection::IdempotencyKeys => return idempotency.replay(failed.current()?, now),
                Collection::Auctions => return Err(auction_not_open()),
                Collection::Items => {
                    item = failed.current()?.ok_or(ApiError::NotFound)?;
                }
                // The membership changed (revoked, made staff) or a number was taken meanwhile:
                // ask the membership itself, not the number cached on the account.
                Collection::AuctionMemberships | Collection::AuctionBidderCounters => {
                    bidder = resolve_bidder(state, &caller, &item, &terms, Cache::Skip).await?;
                }
                // The account vanished (purged) meanwhile.
                _ => return Err(ApiError::Unauthenticated),
            },
            Err(StoreError::TransactionConflict) => {
                item = state
                    .store
                    .get::<ItemRecord>(&item_id.to_string(), Read::Strong)
                    .await?
                    .ok_or(ApiError::NotFound)?;
            }
            Err(other) => return Err(other.into()),
        }
    }
    tracing::warn!(item.id = %item.id, "bid lost every race it was retried in");
    Err(ApiError::Unavailable {
        retry_after_secs: 1,
    })
}

/// The sale a buy-now makes: the buyer's at the price, with the auction's payment window.
async fn buy_now_sale(
    state: &AppState,
    item: &ItemRecord,
    bidder: &Bidder,
    caller: &Caller,
    decision: &Decision,
    now: Timestamp,
) -> Result<Sale, ApiError> {
    let auction = state
        .store
        .get::<AuctionRecord>(&item.auction_id.to_string(), Read::Eventual)
        .await?
        .ok_or(ApiError::NotFound)?;
    let amount = decision
        .summary
        .price
        .ok_or_else(|| anyhow::anyhow!("a buy-now without a price"))?;
    Ok(Sale {
        winner: Some(caller.id()),
        bidder_number: Some(bidder.number()),
        manual_name: None,
        amount,
        sold_at: now,
        due_at: now.plus(chrono::TimeDelta::seconds(i64::from(
            auction.settings.payment_window_sec,
        ))),
        payment_status: PaymentStatus::Unpaid,
        round: 0,
        kind: SaleKind::BuyNow,
        reminded: false,
        paid_at: None,
        pickup_status: None,
        picked_up_at: None,
    })
}

/// After a buy-now closed the item: its payment schedules and the close's events (the change
/// stands whatever happens here).
/// What a retry must repeat exactly for its stored response to be replayed.
fn fingerprint(item: ItemId, ask: Ask) -> String {
    match ask {
        Ask::Bid { amount, maximum } => format!("bid:{item}:{amount}:{maximum}"),
        Ask::BuyNow => format!("buy-now:{item}"),
    }
}

/// The item's bidding terms: on the item once its auction is published. An item published
/// before terms were copied reads its auction (one more round trip).
async fn terms(
    state: &AppState,
    item: &ItemRecord,
    caller: &Caller,
) -> Result<BiddingTerms, ApiError> {
    if let Some(terms) = &item.terms {
        return Ok(terms.clone());
    }
    let auction = state
        .store
        .get::<AuctionRecord>(&item.auction_id.to_string(), Read::Strong)
        .await?
        .ok_or(ApiError::NotFound)?;
    if auction.status.is_published() {
        Ok(BiddingTerms::of(&auction, item.lot_number))
    } else if auction.owner_id == caller.id() || caller.can(READ_ANY) {
        Err(auction_not_open())
    } else {
        Err(ApiError::NotFound)
    }
}

/// Amounts in the auction's currency precision.
fn check_amounts(ask: Ask, terms: &BiddingTerms) -> Result<(), ApiError> {
    if let Ask::Bid { amount, maximum } = ask {
        for (field, value) in [("amount", amount), ("maxAmount", maximum)] {
            value
                .for_currency(terms.currency)
                .map_err(|e| ApiError::invalid(field, e.to_string()))?;
        }
    }
    Ok(())
}

fn not_allowed(detail: &str) -> ApiError {
    ApiError::Forbidden {
        code: "NOT_ALLOWED_TO_BID",
        detail: detail.into(),
    }
}

/// The artist and those who run the platform never bid (no shill bidding); they see every
/// item of the auction, so saying so tells them nothing new.
fn refuse_staff(caller: &Caller, item: &ItemRecord, terms: &BiddingTerms) -> Result<(), ApiError> {
    if caller.id() == item.owner_id || caller.id() == terms.auction_owner {
        return Err(not_allowed("The artist cannot bid on their own items."));
    }
    if caller.can(READ_ANY) {
        return Err(not_allowed("Platform staff cannot bid."));
    }
    Ok(())
}

/// Accounts without the permission to bid (or to buy now) are refused.
fn require_bidding_permission(caller: &Caller, ask: Ask) -> Result<(), ApiError> {
    let permission = match ask {
        Ask::Bid { .. } => "bid:place",
        Ask::BuyNow => "buy_now:place",
    };
    if !caller.can(permission) {
        return Err(not_allowed("Your account may not bid."));
    }
    Ok(())
}

/// Works out the caller's bidder number: from their user record when they hold one in the
/// auction (no read), else from their membership, else the next number of a public auction.
async fn resolve_bidder(
    state: &AppState,
    caller: &Caller,
    item: &ItemRecord,
    terms: &BiddingTerms,
    cache: Cache,
) -> Result<Bidder, ApiError> {
    let cached = caller.user.bidder_number(item.auction_id);
    if let (Cache::Use, Some(number)) = (cache, cached) {
        return Ok(Bidder::Member {
            number,
            cache: false,
        });
    }
    let membership = state
        .store
        .get::<MembershipRecord>(
            &MembershipRecord::key(item.auction_id, caller.id()),
            Read::Strong,
        )
        .await?;
    let update_membership = match &membership {
        Some(m) if m.status == MembershipStatus::Revoked => {
            return Err(not_allowed("Your membership of this auction was revoked."));
        }
        Some(m) if m.role.narrowed_by(m.role_override) != MembershipRole::Bidder => {
            return Err(not_allowed("Those who run an auction cannot bid in it."));
        }
        Some(m) => match m.bidder_number {
            Some(number) => {
                return Ok(Bidder::Member {
                    number,
                    cache: true,
                });
            }
            None => true,
        },
        // Outsiders never learn that a private auction's item exists.
        None if terms.event_type == EventType::Private => return Err(ApiError::NotFound),
        None => false,
    };
    let counter = state
        .store
        .get::<BidderCounterRecord>(&item.auction_id.to_string(), Read::Strong)
        .await?
        .map(|c| c.last);
    Ok(Bidder::Joining {
        number: counter.map_or(FIRST_BIDDER_NUMBER, |last| last + 1),
        counter,
        update_membership,
    })
}

const FIRST_BIDDER_NUMBER: u32 = 100;

/// Whether the bidder number cached on the account may stand in for the membership.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cache {
    Use,
    Skip,
}

fn request_of(ask: Ask, caller: &Caller, bidder: &Bidder, now: Timestamp) -> BidRequest {
    let (amount, maximum, buy_now) = match ask {
        Ask::Bid { amount, maximum } => (amount, maximum, false),
        // The decision prices a buy-now itself.
        Ask::BuyNow => (Money::ZERO, Money::ZERO, true),
    };
    BidRequest {
        id: BidId::new(),
        bidder: caller.id(),
        bidder_number: bidder.number(),
        amount,
        maximum,
        placed_at: now,
        buy_now,
    }
}

/// Items whose outcome is recorded take no bids.
fn open_for_bids(item: &ItemRecord) -> Result<(), Rejection> {
    match item.status {
        ItemStatus::Upcoming | ItemStatus::Open => Ok(()),
        _ => Err(Rejection::Closed),
    }
}

fn auction_not_open() -> ApiError {
    ApiError::conflict("AUCTION_NOT_OPEN", "The auction is not taking bids.")
}

/// The answer to a refused bid. An auction that takes no bids says so first.
async fn refusal(
    state: &AppState,
    item: &ItemRecord,
    terms: &BiddingTerms,
    rejection: Rejection,
) -> ApiError {
    let auction = state
        .store
        .get::<AuctionRecord>(&item.auction_id.to_string(), Read::Strong)
        .await;
    match auction {
        Ok(Some(auction)) if !auction.takes_bids(state.clock.now()) => return auction_not_open(),
        Ok(_) => {}
        Err(error) => return error.into(),
    }
    match rejection {
        Rejection::Closed => ApiError::conflict("ITEM_CLOSED", "This item takes no more bids."),
        Rejection::TooLow { minimum } => match super::shown(minimum, terms) {
            Ok(shown) => {
                let mut extensions = serde_json::Map::new();
                extensions.insert("minimumBid".into(), serde_json::json!(shown));
                ApiError::Conflict {
                    code: "BID_TOO_LOW",
                    detail: format!("The minimum bid is {shown}."),
                    extensions,
                }
            }
            Err(error) => error,
        },
        Rejection::MaximumBelowAmount => {
            ApiError::invalid("maxAmount", "must be at least the amount")
        }
        Rejection::MaximumNotRaised => ApiError::conflict(
            "MAXIMUM_NOT_RAISED",
            "You lead this item already; a new bid must raise your maximum.",
        ),
        Rejection::BuyNowUnavailable => ApiError::conflict(
            "BUY_NOW_UNAVAILABLE",
            "This item has no buy-now price, or bids have reached it.",
        ),
    }
}

/// The response: what the request did, the caller's own entry and the item as the
/// transaction leaves it (written at `now`).
fn placed_view(
    item: &ItemRecord,
    terms: &BiddingTerms,
    decision: &Decision,
    records: &[BidRecord],
    caller: &Caller,
    now: Timestamp,
) -> Result<PlacedBid, ApiError> {
    let own = records
        .iter()
        .find(|r| !r.automatic)
        .ok_or_else(|| anyhow::anyhow!("a decision without the bidder's own entry"))?;
    let after = ItemRecord {
        ends_at: decision.summary.ends_at,
        bidding: BidState::from_summary(&decision.summary),
        updated_at: now,
        ..item.clone()
    };
    let status = if decision.summary.bought {
        ItemStatus::Sold
    } else {
        ItemStatus::Open
    };
    Ok(PlacedBid {
        outcome: decision.outcome,
        bid: BidView::new(own, terms)?,
        item: ItemView::shown(
            &after,
            Shown {
                currency: terms.currency,
                increments: &terms.increments,
                status,
                sees_private: false,
                viewer: Some(caller.id()),
            },
        )?,
    })
}

/// Every write of an accepted bid, in one transaction: the auction still takes bids, the item's
/// summary (only if unchanged since it was read, and still open), the membership, the bid
/// entries, the totals of whoever gained or lost the lead, and the audit entry.
#[allow(clippy::too_many_arguments)]
fn writes(
    state: &AppState,
    item: &ItemRecord,
    terms: &BiddingTerms,
    bidder: &Bidder,
    caller: &Caller,
    decision: &Decision,
    records: &[BidRecord],
    sale: Option<&Sale>,
    now: Timestamp,
) -> Result<Transaction, ApiError> {
    let auction_key = item.auction_id.to_string();
    let membership_key = MembershipRecord::key(item.auction_id, caller.id());
    let mut transaction = state
        .store
        .transaction()
        .check(
            Collection::Auctions,
            &auction_key,
            takes_bids_condition(now),
        )?
        .update(
            Collection::Items,
            &item.id.to_string(),
            summary_update(item, &decision.summary, sale, now, true)?,
        )?;
    transaction = match bidder {
        Bidder::Member { cache, .. } => {
            let transaction = transaction.check(
                Collection::AuctionMemberships,
                &membership_key,
                Condition::new("#status = :active AND #role = :bidder")
                    .name("#status", "status")
                    .name("#role", "role")
                    .value(":active", s("active"))
                    .value(":bidder", s("bidder")),
            )?;
            if *cache {
                transaction.update(
                    Collection::Users,
                    &caller.id().to_string(),
                    cache_bidder_number(item.auction_id, bidder.number()),
                )?
            } else {
                transaction
            }
        }
        Bidder::Joining {
            number,
            counter,
            update_membership,
        } => {
            let claim = Update::new("SET #last = :number")
                .name("#last", "last")
                .value(":number", n(*number))
                .when(match counter {
                    Some(last) => Condition::new("#last = :seen")
                        .name("#last", "last")
                        .value(":seen", n(*last)),
                    None => Condition::not_exists(Collection::AuctionBidderCounters),
                })
                .upsert();
            let transaction =
                transaction.update(Collection::AuctionBidderCounters, &auction_key, claim)?;
            let transaction = if *update_membership {
                let numbered = Update::new("SET #number = :number, #updatedAt = :now")
                    .name("#number", "bidderNumber")
                    .name("#updatedAt", "updatedAt")
                    .value(":number", n(*number))
                    .value(":now", s(now.to_string()))
                    .when(
                        Condition::new(
                            "attribute_not_exists(#number) AND #status = :active AND #role = :bidder",
                        )
                        .name("#status", "status")
                        .name("#role", "role")
                        .value(":active", s("active"))
                        .value(":bidder", s("bidder")),
                    );
                transaction.update(Collection::AuctionMemberships, &membership_key, numbered)?
            } else {
                transaction.create(&MembershipRecord {
                    id: membership_key.clone(),
                    auction_id: item.auction_id,
                    user_id: caller.id(),
                    role: MembershipRole::Bidder,
                    role_override: None,
                    status: MembershipStatus::Active,
                    bidder_number: Some(*number),
                    created_at: now,
                    updated_at: now,
                    version: 1,
                })?
            };
            transaction.update(
                Collection::Users,
                &caller.id().to_string(),
                cache_bidder_number(item.auction_id, *number),
            )?
        }
    };
    for record in records {
        transaction = transaction.create(record)?;
    }
    for change in totals_changes(&item.summary(), &decision.summary) {
        // A buy-now is won at once: the buyer's totals hold it as won, not led.
        let won = sale.is_some_and(|sale| sale.winner == Some(change.bidder));
        transaction = transaction.update(
            Collection::Totals,
            &TotalsRecord::key(item.auction_id, change.bidder),
            totals_update(item, &change, won, now),
        )?;
    }
    let own = records.iter().find(|r| !r.automatic);
    let action = match decision.outcome {
        Outcome::Bought => AuditAction::BuyNow,
        Outcome::Placed | Outcome::MaximumRaised => AuditAction::BidPlaced,
    };
    let mut audit = AuditRecord::new(action, Some(caller.id()), now)
        .target(item.id)
        .detail("sequence", decision.sequence)
        .detail("bidderNumber", bidder.number());
    if let Some(own) = own {
        audit = audit
            .detail("bidId", own.id.to_string())
            .detail("amount", super::shown(own.amount, terms)?.to_string());
    }
    audit.auction_id = Some(item.auction_id);
    Ok(transaction.create(&audit)?)
}

/// The auction takes bids: opened by hand, or published and started when no one set the phase
/// (as [`AuctionRecord::takes_bids`] says).
fn takes_bids_condition(now: Timestamp) -> Condition {
    Condition::new(
        "(#manual = :true AND #status = :open) OR \
         ((attribute_not_exists(#manual) OR #manual = :false) \
          AND #status IN (:ready, :open) AND #startsAt <= :now)",
    )
    .name("#manual", "manualPhase")
    .name("#status", "status")
    .name("#startsAt", "startsAt")
    .value(":true", AttributeValue::Bool(true))
    .value(":false", AttributeValue::Bool(false))
    .value(":open", s("open"))
    .value(":ready", s("ready"))
    .value(":now", s(now.to_string()))
}

/// Writes `summary` onto `item`, only if the item is as it was read and, with `cutoff` (a new
/// bid), still takes bids and its close (the hard cutoff) has not passed.
pub(super) fn summary_update(
    item: &ItemRecord,
    summary: &shared::bidding::BidSummary,
    sale: Option<&Sale>,
    now: Timestamp,
    cutoff: bool,
) -> Result<Update, ApiError> {
    let status = if summary.bought {
        ItemStatus::Sold
    } else {
        item.status
    };
    let closes = if sale.is_some() {
        ", #sale = :sale, #closedAt = :now"
    } else {
        ""
    };
    let mut update = Update::new(format!(
        "SET #bidding = :bidding, #endsAt = :endsAt, #status = :status, #updatedAt = :now{closes} \
         ADD #version :one"
    ))
    .name("#bidding", "bidding")
    .name("#endsAt", "endsAt")
    .name("#status", "status")
    .name("#updatedAt", "updatedAt")
    .name("#version", "version")
    .value(":bidding", to_attribute(&BidState::from_summary(summary))?)
    .value(":endsAt", s(summary.ends_at.to_string()))
    .value(":status", to_attribute(&status)?)
    .value(":now", s(now.to_string()))
    .value(":one", n(1));
    if let Some(sale) = sale {
        update = update
            .name("#sale", "sale")
            .name("#closedAt", "closedAt")
            .value(":sale", to_attribute(sale)?);
    }
    let unchanged = Condition::version_is("version", item.version);
    if !cutoff {
        return Ok(update.when(unchanged));
    }
    Ok(update.when(
        unchanged.and(
            Condition::new("#endsAt > :now AND #status IN (:upcoming, :open)")
                .name("#endsAt", "endsAt")
                .name("#status", "status")
                .value(":now", s(now.to_string()))
                .value(":upcoming", s("upcoming"))
                .value(":open", s("open")),
        ),
    ))
}

/// Moves one bidder's totals by `change` (made on first use); with `won`, the item goes to
/// the ones they won (a buy-now) rather than the ones they lead.
pub(crate) fn totals_update(
    item: &ItemRecord,
    change: &TotalsChange,
    won: bool,
    now: Timestamp,
) -> Update {
    let holding = AttributeValue::Ss(vec![item.id.to_string()]);
    let expression = match (change.holding, won) {
        (Holding::Gained, false) => "ADD #subtotal :delta, #items :item SET",
        (Holding::Lost, _) => "ADD #subtotal :delta DELETE #items :item SET",
        (Holding::Kept, false) => "ADD #subtotal :delta SET",
        (Holding::Gained, true) => "ADD #subtotal :delta, #won :item SET",
        (Holding::Kept, true) => "ADD #subtotal :delta, #won :item DELETE #items :item SET",
    };
    let paid = if won { ", #paid = :unpaid" } else { "" };
    let update = Update::new(format!(
        "{expression} #auctionId = :auction, #bidderId = :bidder, \
         #bidderNumber = :number, #updatedAt = :now{paid}"
    ))
    .name("#subtotal", "subtotal")
    .name("#auctionId", "auctionId")
    .name("#bidderId", "bidderId")
    .name("#bidderNumber", "bidderNumber")
    .name("#updatedAt", "updatedAt")
    .value(":delta", n(change.delta))
    .value(":auction", s(item.auction_id.to_string()))
    .value(":bidder", s(change.bidder.to_string()))
    .value(":number", n(change.bidder_number))
    .value(":now", s(now.to_string()))
    .upsert();
    // A newly won item is unpaid: the invoice is not paid in full any more.
    let update = if won {
        update
            .name("#paid", "paid")
            .value(":unpaid", AttributeValue::Bool(false))
    } else {
        update
    };
    match (change.holding, won) {
        (Holding::Kept, false) => update,
        (Holding::Gained, true) => update.name("#won", "won").value(":item", holding),
        (Holding::Kept, true) => update
            .name("#won", "won")
            .name("#items", "items")
            .value(":item", holding),
        (Holding::Gained | Holding::Lost, _) => {
            update.name("#items", "items").value(":item", holding)
        }
    }
}
