//! Placing a bid (English auction with proxy bidding), exactly as `docs/rules.md` states
//! ("Proxy bidding", "Ties", "Soft close", "Reserve", "Buy now"): a bidder B with maximum M_B
//! against the leader L with maximum M_L at price P.

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ladder::{increment_at, minimum_next};
use crate::catalog::IncrementStep;
use crate::domain::{BidId, Money, Timestamp, UserId};
use crate::store::number::money;

/// What an item's bidding follows.
#[derive(Clone, Copy, Debug)]
pub struct ItemRules<'a> {
    pub starting_price: Money,
    pub reserve: Option<Money>,
    pub increments: &'a [IncrementStep],
    pub soft_close_window_sec: u32,
    pub soft_close_extension_sec: u32,
    /// Buying at this price closes the item at once, while no bid has reached it.
    pub buy_now: Option<Money>,
}

/// The current leader. Their maximum is private to them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Leader {
    pub bidder: UserId,
    pub bidder_number: u32,
    #[serde(with = "money")]
    pub maximum: Money,
    /// When this maximum was placed: on equal maxima the earlier one wins.
    pub placed_at: Timestamp,
    pub bid: BidId,
}

/// An item's bid state, as its record carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BidSummary {
    /// `None` until the first bid.
    pub price: Option<Money>,
    pub leader: Option<Leader>,
    /// Entries shown in the bid history.
    pub bid_count: u32,
    /// The effective close, moved by soft-close extensions.
    pub ends_at: Timestamp,
    /// Requests accepted so far: each accepted bid carries its number, the order replay
    /// follows (two bids may arrive in the same millisecond, and retries reorder arrivals).
    pub accepted: u64,
    /// Closed by a buy-now: no bid is taken after it.
    pub bought: bool,
}

impl BidSummary {
    /// An item no one has bid on yet, closing at `ends_at`.
    pub fn opening(ends_at: Timestamp) -> Self {
        Self {
            price: None,
            leader: None,
            bid_count: 0,
            ends_at,
            accepted: 0,
            bought: false,
        }
    }
}

/// A bid as a bidder places it; `maximum == amount` for a plain bid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BidRequest {
    pub id: BidId,
    pub bidder: UserId,
    pub bidder_number: u32,
    pub amount: Money,
    pub maximum: Money,
    /// The server's clock when the bid arrived.
    pub placed_at: Timestamp,
    /// A buy-now rather than a bid.
    pub buy_now: bool,
}

/// One entry the decision adds to the item's bids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BidEntry {
    pub id: BidId,
    pub bidder: UserId,
    pub bidder_number: u32,
    /// The public amount of this entry.
    pub amount: Money,
    /// Placed by the engine for a leader whose maximum answered the bid.
    pub automatic: bool,
    /// Shown in the history (a leader raising only their maximum is not).
    pub visible: bool,
}

/// What an accepted request did, as the bidder is told it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A new bid: it leads, or the leader's maximum answered it.
    Placed,
    /// The leader raised their own maximum: the price stays where it was (unless the new
    /// maximum reaches the reserve), and the bid history shows nothing new then.
    MaximumRaised,
    /// Bought at the buy-now price: the item is sold.
    Bought,
}

/// An accepted bid's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub outcome: Outcome,
    pub summary: BidSummary,
    /// This bid's place in the item's accepted bids (1, 2, ...).
    pub sequence: u64,
    pub entries: Vec<BidEntry>,
    /// The leader before this bid, when the lead changed hands (they are outbid).
    pub outbid: Option<Leader>,
}

/// Why a bid was refused. Refused bids change nothing, and never extend the close.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// At or after the item's effective close.
    Closed,
    /// Below the minimum next bid.
    TooLow { minimum: Money },
    /// A maximum below the bid's own amount.
    MaximumBelowAmount,
    /// The leader sent a maximum that does not raise the one they have.
    MaximumNotRaised,
    /// The item has no buy-now price, or a bid has reached it.
    BuyNowUnavailable,
}

/// Decides `request` against `summary` under `rules`.
pub fn decide(
    rules: &ItemRules<'_>,
    summary: &BidSummary,
    request: &BidRequest,
) -> Result<Decision, Rejection> {
    if summary.bought || request.placed_at >= summary.ends_at {
        return Err(Rejection::Closed);
    }
    if request.buy_now {
        return buy_now(rules, summary, request);
    }
    if request.maximum < request.amount {
        return Err(Rejection::MaximumBelowAmount);
    }
    let minimum = minimum_next(rules.increments, rules.starting_price, summary.price);
    if request.amount < minimum {
        return Err(Rejection::TooLow { minimum });
    }
    let increment = |at: Money| increment_at(rules.increments, at);
    let plus = |a: Money, b: Money| a.checked_add(b).unwrap_or(a);
    // The price jumps to the reserve when a maximum reaches it and the price is below it.
    let reserve_jump = |price: Money, maximum: Money| match rules.reserve {
        Some(reserve) if maximum >= reserve && reserve > price => reserve,
        _ => price,
    };
    let own = |amount: Money, visible: bool| BidEntry {
        id: request.id,
        bidder: request.bidder,
        bidder_number: request.bidder_number,
        amount,
        automatic: false,
        visible,
    };
    let new_leader = || Leader {
        bidder: request.bidder,
        bidder_number: request.bidder_number,
        maximum: request.maximum,
        placed_at: request.placed_at,
        bid: request.id,
    };

    let (outcome, price, leader, entries, outbid) = match (&summary.leader, summary.price) {
        // The first bid leads at its amount (or the reserve its maximum reaches).
        (None, _) | (_, None) => {
            let price = reserve_jump(request.amount, request.maximum);
            (
                Outcome::Placed,
                price,
                new_leader(),
                vec![own(price, true)],
                None,
            )
        }
        // Rule 2: the leader only raises their maximum.
        (Some(leader), Some(price)) if leader.bidder == request.bidder => {
            if request.maximum <= leader.maximum {
                return Err(Rejection::MaximumNotRaised);
            }
            let raised = reserve_jump(price, request.maximum);
            let leader = Leader {
                maximum: request.maximum,
                placed_at: request.placed_at,
                bid: request.id,
                ..leader.clone()
            };
            (
                Outcome::MaximumRaised,
                raised,
                leader,
                vec![own(raised, raised != price)],
                None,
            )
        }
        // Rule 3: B's maximum beats L's: B leads one increment above M_L, within M_B.
        (Some(leader), Some(_)) if request.maximum > leader.maximum => {
            let price = plus(leader.maximum, increment(leader.maximum))
                .min(request.maximum)
                .max(request.amount);
            let price = reserve_jump(price, request.maximum);
            (
                Outcome::Placed,
                price,
                new_leader(),
                vec![own(price, true)],
                Some(leader.clone()),
            )
        }
        // Rule 4: L's maximum holds (equal maxima: the earlier wins). L answers automatically.
        (Some(leader), Some(_)) => {
            let price = plus(request.maximum, increment(request.maximum)).min(leader.maximum);
            let price = reserve_jump(price, leader.maximum);
            let automatic = BidEntry {
                id: BidId::from_uuid(Uuid::new_v5(&request.id.uuid(), b"automatic")),
                bidder: leader.bidder,
                bidder_number: leader.bidder_number,
                amount: price,
                automatic: true,
                visible: true,
            };
            (
                Outcome::Placed,
                price,
                leader.clone(),
                vec![own(request.amount, true), automatic],
                None,
            )
        }
    };

    let window = TimeDelta::seconds(i64::from(rules.soft_close_window_sec));
    let ends_at = if request.placed_at.plus(window) > summary.ends_at {
        let extension = TimeDelta::seconds(i64::from(rules.soft_close_extension_sec));
        summary.ends_at.max(request.placed_at.plus(extension))
    } else {
        summary.ends_at
    };
    let shown = u32::try_from(entries.iter().filter(|e| e.visible).count()).unwrap_or(0);
    let sequence = summary.accepted + 1;
    Ok(Decision {
        outcome,
        summary: BidSummary {
            price: Some(price),
            leader: Some(leader),
            bid_count: summary.bid_count + shown,
            ends_at,
            accepted: sequence,
            bought: false,
        },
        sequence,
        entries,
        outbid,
    })
}

/// Buying now: the buyer leads at the buy-now price and the item closes at once.
fn buy_now(
    rules: &ItemRules<'_>,
    summary: &BidSummary,
    request: &BidRequest,
) -> Result<Decision, Rejection> {
    let price = match rules.buy_now {
        Some(price) if summary.price.is_none_or(|current| current < price) => price,
        _ => return Err(Rejection::BuyNowUnavailable),
    };
    let sequence = summary.accepted + 1;
    let buyer = Leader {
        bidder: request.bidder,
        bidder_number: request.bidder_number,
        maximum: price,
        placed_at: request.placed_at,
        bid: request.id,
    };
    let outbid = summary
        .leader
        .clone()
        .filter(|leader| leader.bidder != request.bidder);
    Ok(Decision {
        outcome: Outcome::Bought,
        summary: BidSummary {
            price: Some(price),
            leader: Some(buyer),
            bid_count: summary.bid_count + 1,
            ends_at: summary.ends_at.min(request.placed_at),
            accepted: sequence,
            bought: true,
        },
        sequence,
        entries: vec![BidEntry {
            id: request.id,
            bidder: request.bidder,
            bidder_number: request.bidder_number,
            amount: price,
            automatic: false,
            visible: true,
        }],
        outbid,
    })
}

/// The summary an item's accepted bids produce from scratch, given in the order they were
/// accepted, each decided against the state before it.
pub fn replay(
    rules: &ItemRules<'_>,
    opening_ends_at: Timestamp,
    requests: &[BidRequest],
) -> BidSummary {
    let numbered: Vec<(u64, BidRequest)> = (1..).zip(requests.iter().cloned()).collect();
    replay_each(rules, opening_ends_at, &numbered).0
}

/// [`replay`] of requests with their sequence numbers (which they keep, so a removed bid leaves
/// a gap), with each request's outcome in turn: a request that no longer passes once an
/// earlier bid is removed is refused and changes nothing.
pub fn replay_each(
    rules: &ItemRules<'_>,
    opening_ends_at: Timestamp,
    requests: &[(u64, BidRequest)],
) -> (BidSummary, Vec<Result<Decision, Rejection>>) {
    let mut summary = BidSummary::opening(opening_ends_at);
    let mut outcomes = Vec::with_capacity(requests.len());
    for (sequence, request) in requests {
        summary.accepted = sequence.saturating_sub(1);
        let outcome = decide(rules, &summary, request);
        if let Ok(decision) = &outcome {
            summary = decision.summary.clone();
        }
        outcomes.push(outcome);
    }
    (summary, outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_increments;
    use proptest::prelude::*;

    fn money(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    fn at(seconds: i64) -> Timestamp {
        Timestamp::parse("2026-12-01T18:00:00Z")
            .unwrap()
            .plus(TimeDelta::seconds(seconds))
    }

    struct Bidders(Vec<UserId>);

    impl Bidders {
        fn new() -> Self {
            Self((0..5).map(|_| UserId::new()).collect())
        }

        fn bid(&self, who: usize, amount: &str, maximum: &str, second: i64) -> BidRequest {
            BidRequest {
                id: BidId::new(),
                bidder: self.0[who],
                bidder_number: 100 + who as u32,
                amount: money(amount),
                maximum: money(maximum),
                placed_at: at(second),
                buy_now: false,
            }
        }
    }

    fn rules<'a>(ladder: &'a [IncrementStep], reserve: Option<&str>) -> ItemRules<'a> {
        ItemRules {
            starting_price: money("100"),
            reserve: reserve.map(money),
            increments: ladder,
            soft_close_window_sec: 120,
            soft_close_extension_sec: 120,
            buy_now: Some(money("700")),
        }
    }

    fn closing() -> BidSummary {
        BidSummary::opening(at(3_600))
    }

    #[test]
    fn the_first_bid_must_reach_the_starting_price() {
        let ladder = default_increments();
        let bidders = Bidders::new();
        let refused = decide(
            &rules(&ladder, None),
            &closing(),
            &bidders.bid(0, "99", "99", 0),
        );
        assert_eq!(
            refused,
            Err(Rejection::TooLow {
                minimum: money("100")
            })
        );
        let decision = decide(
            &rules(&ladder, None),
            &closing(),
            &bidders.bid(0, "100", "300", 0),
        )
        .unwrap();
        assert_eq!(decision.summary.price, Some(money("100")));
        assert_eq!(decision.summary.bid_count, 1);
    }

    #[test]
    fn a_higher_maximum_leads_one_increment_above_the_old_maximum() {
        let ladder = default_increments();
        let rules = rules(&ladder, None);
        let bidders = Bidders::new();
        let first = decide(&rules, &closing(), &bidders.bid(0, "100", "150", 0)).unwrap();
        let second = decide(&rules, &first.summary, &bidders.bid(1, "105", "400", 1)).unwrap();
        assert_eq!(second.summary.price, Some(money("155")));
        assert_eq!(
            second.summary.leader.as_ref().map(|l| l.bidder),
            Some(bidders.0[1])
        );
        assert_eq!(second.outbid.map(|l| l.bidder), Some(bidders.0[0]));
    }

    #[test]
    fn a_lower_maximum_is_answered_automatically_by_the_leader() {
        let ladder = default_increments();
        let rules = rules(&ladder, None);
        let bidders = Bidders::new();
        let first = decide(&rules, &closing(), &bidders.bid(0, "100", "400", 0)).unwrap();
        let second = decide(&rules, &first.summary, &bidders.bid(1, "150", "150", 1)).unwrap();
        assert_eq!(second.summary.price, Some(money("155")));
        assert_eq!(
            second.summary.leader.as_ref().map(|l| l.bidder),
            Some(bidders.0[0])
        );
        assert_eq!(second.entries.len(), 2);
        assert!(second.entries[1].automatic && second.entries[1].bidder == bidders.0[0]);
        assert_eq!(second.outbid, None);
        assert_eq!(second.summary.bid_count, 3);
    }

    #[test]
    fn equal_maxima_keep_the_earlier_leader_at_that_maximum() {
        let ladder = default_increments();
        let rules = rules(&ladder, None);
        let bidders = Bidders::new();
        let first = decide(&rules, &closing(), &bidders.bid(0, "100", "300", 0)).unwrap();
        let second = decide(&rules, &first.summary, &bidders.bid(1, "300", "300", 1)).unwrap();
        assert_eq!(
            second.summary.leader.as_ref().map(|l| l.bidder),
            Some(bidders.0[0])
        );
        assert_eq!(second.summary.price, Some(money("300")));
    }

    #[test]
    fn a_leader_raising_their_maximum_does_not_raise_the_price_unless_to_meet_the_reserve() {
        let ladder = default_increments();
        let bidders = Bidders::new();
        let plain = rules(&ladder, None);
        let first = decide(&plain, &closing(), &bidders.bid(0, "100", "200", 0)).unwrap();
        let raised = decide(&plain, &first.summary, &bidders.bid(0, "105", "900", 1)).unwrap();
        assert_eq!(
            (first.outcome, raised.outcome),
            (Outcome::Placed, Outcome::MaximumRaised)
        );
        assert_eq!(raised.summary.price, Some(money("100")));
        assert_eq!(
            raised.summary.bid_count, 1,
            "a maximum raise is not shown in the history"
        );
        assert_eq!(
            decide(&plain, &raised.summary, &bidders.bid(0, "105", "800", 2)),
            Err(Rejection::MaximumNotRaised)
        );

        let reserved = rules(&ladder, Some("500"));
        let first = decide(&reserved, &closing(), &bidders.bid(0, "100", "200", 0)).unwrap();
        let raised = decide(&reserved, &first.summary, &bidders.bid(0, "105", "600", 1)).unwrap();
        assert_eq!(
            raised.summary.price,
            Some(money("500")),
            "the price jumps to the reserve"
        );
    }

    #[test]
    fn a_late_bid_extends_the_close_and_a_refused_one_never_does() {
        let ladder = default_increments();
        let rules = rules(&ladder, None);
        let bidders = Bidders::new();
        let late = decide(&rules, &closing(), &bidders.bid(0, "100", "100", 3_590)).unwrap();
        assert_eq!(late.summary.ends_at, at(3_590 + 120));
        let early = decide(&rules, &closing(), &bidders.bid(0, "100", "100", 60)).unwrap();
        assert_eq!(early.summary.ends_at, at(3_600));
        assert_eq!(
            decide(&rules, &closing(), &bidders.bid(0, "100", "100", 3_600)),
            Err(Rejection::Closed)
        );
        assert!(decide(&rules, &closing(), &bidders.bid(0, "50", "50", 3_590)).is_err());
    }

    #[test]
    fn buy_now_closes_the_item_until_a_bid_reaches_its_price() {
        let ladder = default_increments();
        let rules = rules(&ladder, None);
        let bidders = Bidders::new();
        let first = decide(&rules, &closing(), &bidders.bid(0, "100", "900", 0)).unwrap();
        let buy = BidRequest {
            buy_now: true,
            ..bidders.bid(1, "0", "0", 5)
        };
        let bought = decide(&rules, &first.summary, &buy).unwrap();
        assert_eq!(bought.summary.price, Some(money("700")));
        assert!(bought.summary.bought);
        assert_eq!(bought.summary.ends_at, at(5));
        assert_eq!(bought.outbid.map(|l| l.bidder), Some(bidders.0[0]));
        assert_eq!(
            decide(&rules, &bought.summary, &bidders.bid(2, "800", "800", 6)),
            Err(Rejection::Closed)
        );

        let reached = decide(&rules, &first.summary, &bidders.bid(2, "700", "700", 6)).unwrap();
        assert_eq!(
            decide(&rules, &reached.summary, &buy),
            Err(Rejection::BuyNowUnavailable)
        );
    }

    proptest! {
        #[test]
        fn any_sequence_keeps_the_invariants_and_replays_to_the_same_summary(
            bids in proptest::collection::vec((0usize..4, 0u32..400, 0u32..300, 0i64..40), 1..40),
            reserve in proptest::option::of(100u32..900),
        ) {
            let ladder = default_increments();
            let reserve = reserve.map(|r| r.to_string());
            let rules = rules(&ladder, reserve.as_deref());
            let bidders = Bidders::new();
            let mut summary = closing();
            let mut accepted = Vec::new();
            let mut second = 3_400;
            for (who, over_minimum, extra, gap) in bids {
                second += gap;
                let minimum = minimum_next(&ladder, rules.starting_price, summary.price);
                let amount = minimum.checked_add(Money::parse(&over_minimum.to_string()).unwrap()).unwrap();
                let maximum = amount.checked_add(Money::parse(&extra.to_string()).unwrap()).unwrap();
                let request = BidRequest { amount, maximum, ..bidders.bid(who, "1", "1", second) };
                let before = summary.clone();
                match decide(&rules, &summary, &request) {
                    Ok(decision) => {
                        let after = &decision.summary;
                        let leader = after.leader.as_ref().unwrap();
                        let price = after.price.unwrap();
                        prop_assert!(price <= leader.maximum, "the price never exceeds the leader's maximum");
                        prop_assert!(before.price.is_none_or(|p| price >= p), "the price never decreases");
                        prop_assert!(request.amount >= minimum_next(&ladder, rules.starting_price, before.price));
                        prop_assert!(after.ends_at >= before.ends_at);
                        summary = decision.summary;
                        accepted.push(request);
                    }
                    Err(_) => prop_assert_eq!(&summary, &before),
                }
            }
            prop_assert_eq!(replay(&rules, closing().ends_at, &accepted), summary);
        }
    }
}
