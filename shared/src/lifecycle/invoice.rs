//! A bidder's invoice in an auction: what their totals record won, line by line, with the
//! buyer's premium, what they paid, and what is left. Nothing here is stored but the
//! payments and the running `amountPaid` of the totals record: an invoice is worked out from
//! the items' sales whenever it is read, so it cannot drift from them.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::sale::{PaymentStatus, PickupStatus, SaleKind};
use crate::bidding::TotalsRecord;
use crate::catalog::ItemRecord;
use crate::domain::{AuctionId, Currency, ItemId, Money, PaymentId, Timestamp, UserId};
use crate::store::number::money;

/// How a payment was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum PaymentMethod {
    Cash,
    Card,
    Check,
    /// Through the payment provider.
    Online,
}

impl PaymentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "cash",
            PaymentMethod::Card => "card",
            PaymentMethod::Check => "check",
            PaymentMethod::Online => "online",
        }
    }
}

/// Money in, or money given back (a sale recorded paid by mistake and set unpaid again).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum PaymentDirection {
    Received,
    Reversed,
}

/// One payment towards a bidder's invoice, or for a live item won by a guest entered by name
/// (`payments`, by auction and time): append-only, like the audit log, so each ledger can be
/// summed again and checked against `amountPaid`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRecord {
    pub id: PaymentId,
    pub auction_id: AuctionId,
    /// Private: reports name the bidder by number. `None` for a guest entered by name.
    pub bidder_id: Option<UserId>,
    pub bidder_number: Option<u32>,
    /// The guest's name, as the clerk entered it with the live winner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_name: Option<String>,
    #[serde(with = "money")]
    pub amount: Money,
    pub direction: PaymentDirection,
    /// `None` for a sale's status recorded without saying how it was paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<PaymentMethod>,
    /// The cheque number, the card slip, the provider's event id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The items this payment marked paid (or, reversed, unpaid).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemId>,
    /// Who recorded it; `None` for the payment provider.
    pub recorded_by: Option<UserId>,
    pub recorded_at: Timestamp,
}

crate::record!(PaymentRecord, Payments, id);

impl PaymentRecord {
    /// What it adds to the amount paid (negative when reversed).
    pub fn signed_amount(&self) -> Decimal {
        match self.direction {
            PaymentDirection::Received => self.amount.amount(),
            PaymentDirection::Reversed => -self.amount.amount(),
        }
    }
}

/// The buyer's premium on `amount`: `percent` of it, rounded half-even to `currency`'s minor
/// unit. Worked out per line, so paying the lines one by one and paying the invoice at once
/// come to the same money.
pub fn premium(amount: Money, percent: Decimal, currency: Currency) -> Money {
    let premium = (amount.amount() * percent / Decimal::ONE_HUNDRED).round_dp_with_strategy(
        currency.minor_units(),
        RoundingStrategy::MidpointNearestEven,
    );
    Money::from_decimal(premium).unwrap_or(Money::ZERO)
}

/// One item the bidder won.
#[derive(Clone, Debug, PartialEq)]
pub struct InvoiceLine {
    pub item_id: ItemId,
    pub lot_number: u32,
    pub name: String,
    pub kind: SaleKind,
    pub amount: Money,
    pub premium: Money,
    pub fair_market_value: Option<Money>,
    /// The tax-deductible part, for items with a fair market value: what the winner pays
    /// above that value (the premium is a fee, not a gift, and is left out).
    pub deductible: Option<Money>,
    pub payment_status: PaymentStatus,
    pub pickup_status: Option<PickupStatus>,
    /// The sale round the line is for (payments name it).
    pub round: u32,
}

impl InvoiceLine {
    /// The amount with its premium.
    pub fn total(&self) -> Decimal {
        self.amount.amount() + self.premium.amount()
    }
}

/// A bidder's invoice: the items they won, in lot order.
#[derive(Clone, Debug, PartialEq)]
pub struct Invoice {
    pub lines: Vec<InvoiceLine>,
    pub subtotal: Decimal,
    pub premium: Decimal,
    pub total: Decimal,
    pub amount_paid: Decimal,
    /// What is still owed (never below 0).
    pub balance: Decimal,
    /// What was paid beyond the total, to give back (a provider's payment of a line the
    /// organisers had already taken at the desk); usually 0.
    pub credit: Decimal,
}

impl Invoice {
    /// The invoice of `totals`, from `items` (the auction's items, or at least those it won;
    /// others are left out), at the auction's premium and in its currency.
    pub fn of(
        totals: &TotalsRecord,
        items: &[ItemRecord],
        premium_percent: Decimal,
        currency: Currency,
    ) -> Self {
        let mut lines: Vec<InvoiceLine> = items
            .iter()
            .filter(|item| totals.won.contains(&item.id.to_string()))
            .filter_map(|item| {
                let sale = item.sale.as_ref()?;
                (sale.winner == Some(totals.bidder_id)
                    && sale.payment_status != PaymentStatus::Overdue)
                    .then(|| InvoiceLine {
                        item_id: item.id,
                        lot_number: item.lot_number,
                        name: item.name.clone(),
                        kind: sale.kind,
                        amount: sale.amount,
                        premium: premium(sale.amount, premium_percent, currency),
                        fair_market_value: item.fair_market_value,
                        deductible: item.fair_market_value.map(|value| {
                            Money::from_decimal(
                                (sale.amount.amount() - value.amount()).max(Decimal::ZERO),
                            )
                            .unwrap_or(Money::ZERO)
                        }),
                        payment_status: sale.payment_status,
                        pickup_status: sale.pickup_status,
                        round: sale.round,
                    })
            })
            .collect();
        lines.sort_by_key(|line| line.lot_number);
        let subtotal: Decimal = lines.iter().map(|line| line.amount.amount()).sum();
        let premium: Decimal = lines.iter().map(|line| line.premium.amount()).sum();
        let total = subtotal + premium;
        let amount_paid = totals.amount_paid.amount();
        Self {
            lines,
            subtotal,
            premium,
            total,
            amount_paid,
            balance: (total - amount_paid).max(Decimal::ZERO),
            credit: (amount_paid - total).max(Decimal::ZERO),
        }
    }

    /// Paid in full: something was won and nothing is owed.
    pub fn paid(&self) -> bool {
        !self.lines.is_empty() && self.balance.is_zero()
    }

    /// The lines still waiting for their payment.
    pub fn unpaid_lines(&self) -> impl Iterator<Item = &InvoiceLine> {
        self.lines
            .iter()
            .filter(|line| line.payment_status == PaymentStatus::Unpaid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    #[test]
    fn the_premium_rounds_half_to_even_in_the_currency_minor_unit() {
        let usd = Currency::USD;
        let ten = Decimal::from(10);
        // 10 % of 0.25 is 0.025: half-way, to the even cent.
        assert_eq!(premium(money("0.25"), ten, usd), money("0.02"));
        assert_eq!(premium(money("0.35"), ten, usd), money("0.04"));
        assert_eq!(
            premium(money("120"), Decimal::new(125, 1), usd),
            money("15")
        );
        let yen = Currency::parse("JPY").unwrap();
        // 5 % of 250 yen is 12.5: to the even yen, 12.
        assert_eq!(premium(money("250"), Decimal::from(5), yen), money("12"));
        assert_eq!(premium(money("270"), Decimal::from(5), yen), money("14"));
        assert_eq!(premium(money("100"), Decimal::ZERO, usd), Money::ZERO);
    }
}
