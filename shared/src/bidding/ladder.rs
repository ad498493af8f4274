//! The increment ladder: how much the next bid must add at a given price.

use crate::catalog::IncrementStep;
use crate::domain::Money;

/// The increment at `price`: that of the highest rung starting at or below it.
pub fn increment_at(ladder: &[IncrementStep], price: Money) -> Money {
    ladder
        .iter()
        .take_while(|rung| rung.from <= price)
        .last()
        .or(ladder.first())
        .map_or(Money::ZERO, |rung| rung.increment)
}

/// The least acceptable bid: the starting price before any bid, else the price plus the
/// increment at the price.
pub fn minimum_next(ladder: &[IncrementStep], starting: Money, price: Option<Money>) -> Money {
    match price {
        None => starting,
        Some(price) => price
            .checked_add(increment_at(ladder, price))
            .unwrap_or(price),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_increments;

    fn money(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    #[test]
    fn the_default_ladder_matches_the_rules() {
        let ladder = default_increments();
        for (price, increment) in [
            ("0", "1"),
            ("19.99", "1"),
            ("20", "2"),
            ("99", "2"),
            ("100", "5"),
            ("250", "10"),
            ("500", "25"),
            ("1000", "50"),
            ("2000", "100"),
            ("5000", "250"),
            ("10000", "500"),
            ("20000", "1000"),
            ("50000", "2500"),
            ("100000", "5000"),
            ("999999", "5000"),
        ] {
            assert_eq!(
                increment_at(&ladder, money(price)),
                money(increment),
                "at {price}"
            );
        }
    }

    #[test]
    fn the_first_bid_needs_the_starting_price_and_later_ones_an_increment() {
        let ladder = default_increments();
        assert_eq!(minimum_next(&ladder, money("120"), None), money("120"));
        assert_eq!(
            minimum_next(&ladder, money("120"), Some(money("120"))),
            money("125")
        );
        assert_eq!(
            minimum_next(&ladder, money("120"), Some(money("19"))),
            money("20")
        );
    }
}
