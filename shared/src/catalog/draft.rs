//! What artists send to create or change auctions and items, and its rules. Each check names
//! the field it refuses, so a client hears of every mistake at once: the rules of one field
//! are also [`FieldRule`]s, applied while the body is parsed; the rules relating fields (the
//! schedule, the prices, a ladder in the auction's currency) are checked once it parsed.

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::TimeDelta;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::auction::{AuctionSettings, EventType, IncrementStep};
use super::item::ItemType;
use crate::config::LifecycleConfig;
use crate::domain::{Currency, Money, MoneyError, Timestamp};
use crate::http::{FieldError, FieldRule, text_rules};
use crate::identity::profile;

/// Longest auction (the shortest is configuration: `MIN_AUCTION_SECONDS`).
const MAX_DURATION_DAYS: i64 = 90;
/// Most photos in an item's gallery.
pub const MAX_GALLERY: usize = 12;

/// Collects field errors while checking a body.
#[derive(Debug, Default)]
pub struct Checks(pub Vec<FieldError>);

impl Checks {
    /// `value` if `outcome` is fine; otherwise records the error and gives `None`.
    pub fn field<T>(&mut self, field: &str, outcome: Result<T, String>) -> Option<T> {
        outcome.map_err(|message| self.fail(field, message)).ok()
    }

    /// Records an error on `field`, unless it has one already (the first word on a field
    /// stands: a refused value's default must not be refused again).
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        if !self.0.iter().any(|seen| seen.field == field) {
            self.0.push(FieldError::new(field, message));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A name (auction or item): trimmed, 1 to 120 characters.
pub fn title(text: &str) -> Result<String, String> {
    let text = text.trim();
    if (1..=120).contains(&text.chars().count()) && !text.chars().any(char::is_control) {
        Ok(text.to_string())
    } else {
        Err("must be 1 to 120 characters".into())
    }
}

/// A description: at most 5000 characters.
pub fn description(text: &str) -> Result<String, String> {
    if text.chars().count() <= 5000 {
        Ok(text.trim().to_string())
    } else {
        Err("must be at most 5000 characters".into())
    }
}

/// An https URL (photos, thumbnails, payment pages).
pub fn https_url(text: &str) -> Result<String, String> {
    profile::picture(text).map_err(str::to_string)
}

/// The auction's time span: it ends after it starts, lasts from `spans.min_auction_secs` (15
/// minutes deployed) to 90 days, and does not start in the past.
pub fn schedule(
    starts_at: Timestamp,
    ends_at: Timestamp,
    now: Timestamp,
    spans: &LifecycleConfig,
    checks: &mut Checks,
) {
    if starts_at < now {
        checks.fail("startsAt", "must not be in the past");
    }
    let duration = ends_at.millis() - starts_at.millis();
    let shortest = i64::from(spans.min_auction_secs);
    if duration < TimeDelta::seconds(shortest).num_milliseconds() {
        checks.fail(
            "endsAt",
            format!(
                "must be at least {} after startsAt",
                seconds_in_words(shortest)
            ),
        );
    } else if duration > TimeDelta::days(MAX_DURATION_DAYS).num_milliseconds() {
        checks.fail("endsAt", "must be at most 90 days after startsAt");
    }
}

/// `900` as "15 minutes", `5` as "5 seconds".
fn seconds_in_words(seconds: i64) -> String {
    if seconds % 60 == 0 {
        format!("{} minutes", seconds / 60)
    } else {
        format!("{seconds} seconds")
    }
}

text_rules! {
    /// [`title`] as a field rule.
    Title = title;
    /// [`description`] as a field rule.
    Description = description;
    /// [`https_url`] as a field rule.
    HttpsUrl = https_url;
}

/// An ISO 4217 code of a currency the platform supports.
pub struct CurrencyCode;

impl FieldRule for CurrencyCode {
    type Input = String;
    type Value = Currency;

    fn check(code: String) -> Result<Currency, String> {
        Currency::parse(&code).map_err(|error| error.to_string())
    }
}

/// An amount that must be more than nothing (a bid, a starting price): a decimal string
/// above 0. A negative one is told the same as `"0"`.
pub struct AboveZero;

impl FieldRule for AboveZero {
    type Input = String;
    type Value = Money;

    fn check(text: String) -> Result<Money, String> {
        match Money::parse(&text) {
            Ok(amount) if !amount.is_zero() => Ok(amount),
            Ok(_) | Err(MoneyError::Negative) => Err("must be above 0".into()),
            Err(error) => Err(error.to_string()),
        }
    }

    fn mistyped() -> Option<String> {
        Some(MoneyError::NotADecimal.to_string())
    }
}

/// [`gallery`] as a field rule.
pub struct Gallery;

impl FieldRule for Gallery {
    type Input = Vec<String>;
    type Value = Vec<String>;

    fn check(urls: Vec<String>) -> Result<Vec<String>, String> {
        gallery(urls)
    }
}

/// A span of seconds from `MIN` to `MAX`: one range gives both the check and the message.
pub struct SecondsWithin<const MIN: u32, const MAX: u32>;

/// A span of seconds from 0 to an hour (soft close, stagger).
pub type UpToAnHour = SecondsWithin<0, 3_600>;

/// A span of seconds from 0 to a week (the ending-soon reminder's lead).
pub type UpToAWeek = SecondsWithin<0, 604_800>;

/// The shortest payment window this process allows (`MIN_PAYMENT_WINDOW_SECONDS`, set once
/// at cold start from configuration).
static SHORTEST_PAYMENT_WINDOW: AtomicU32 = AtomicU32::new(600);

/// Sets the shortest payment window [`PaymentWindow`] allows (cold start only).
pub fn allow_payment_windows_from(seconds: u32) {
    SHORTEST_PAYMENT_WINDOW.store(seconds, Ordering::Relaxed);
}

/// How long winners (and second-chance bidders) have to pay: from `MIN_PAYMENT_WINDOW_SECONDS`
/// (10 minutes deployed) to 7 days, in seconds.
pub struct PaymentWindow;

impl FieldRule for PaymentWindow {
    type Input = u32;
    type Value = u32;

    fn check(seconds: u32) -> Result<u32, String> {
        let shortest = SHORTEST_PAYMENT_WINDOW.load(Ordering::Relaxed);
        if (shortest..=604_800).contains(&seconds) {
            Ok(seconds)
        } else {
            Err(format!("must be from {shortest} to 604800 seconds"))
        }
    }

    fn mistyped() -> Option<String> {
        let shortest = SHORTEST_PAYMENT_WINDOW.load(Ordering::Relaxed);
        Some(format!(
            "must be a whole number of seconds from {shortest} to 604800"
        ))
    }
}

impl<const MIN: u32, const MAX: u32> FieldRule for SecondsWithin<MIN, MAX> {
    type Input = u32;
    type Value = u32;

    fn check(seconds: u32) -> Result<u32, String> {
        if (MIN..=MAX).contains(&seconds) {
            Ok(seconds)
        } else {
            Err(format!("must be from {MIN} to {MAX} seconds"))
        }
    }

    fn mistyped() -> Option<String> {
        Some(format!(
            "must be a whole number of seconds from {MIN} to {MAX}"
        ))
    }
}

/// A buyer's premium: a decimal string from "0" to "50", at most 2 decimals.
pub struct PremiumPercent;

impl FieldRule for PremiumPercent {
    type Input = String;
    type Value = Decimal;

    fn check(text: String) -> Result<Decimal, String> {
        match text.parse::<Decimal>() {
            Ok(p) if p >= Decimal::ZERO && p <= Decimal::from(50) && p.scale() <= 2 => Ok(p),
            _ => {
                Err("must be a decimal string from \"0\" to \"50\" with at most 2 decimals".into())
            }
        }
    }
}

/// Per-auction settings as sent; absent ones keep their current (or default) value. Each
/// passes its own rule as the body is parsed; a ladder is checked against the currency after.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SettingsInput {
    /// 0 to 3600.
    #[serde(
        default,
        deserialize_with = "crate::http::checked_option::<UpToAnHour, _>"
    )]
    pub soft_close_window_sec: Option<u32>,
    /// 0 to 3600.
    #[serde(
        default,
        deserialize_with = "crate::http::checked_option::<UpToAnHour, _>"
    )]
    pub soft_close_extension_sec: Option<u32>,
    /// 0 to 3600.
    #[serde(
        default,
        deserialize_with = "crate::http::checked_option::<UpToAnHour, _>"
    )]
    pub stagger_sec: Option<u32>,
    /// 600 (`MIN_PAYMENT_WINDOW_SECONDS`) to 604800.
    #[serde(
        default,
        deserialize_with = "crate::http::checked_option::<PaymentWindow, _>"
    )]
    pub payment_window_sec: Option<u32>,
    /// How long a second-chance offer stands: 600 (`MIN_PAYMENT_WINDOW_SECONDS`) to 604800;
    /// the payment window when not set.
    #[serde(
        default,
        deserialize_with = "crate::http::checked_option::<PaymentWindow, _>"
    )]
    pub offer_window_sec: Option<u32>,
    /// A decimal string from "0" to "50".
    #[serde(
        default,
        deserialize_with = "crate::http::checked_option::<PremiumPercent, _>"
    )]
    #[schema(value_type = Option<String>)]
    pub buyer_premium_percent: Option<Decimal>,
    pub increments: Option<Vec<IncrementInput>>,
    /// How long before the first lot closes bidders are reminded: 0 (no reminder) to 604800;
    /// default 900.
    #[serde(
        default,
        deserialize_with = "crate::http::checked_option::<UpToAWeek, _>"
    )]
    pub ending_soon_sec: Option<u32>,
}

/// One rung of an increment ladder as sent.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IncrementInput {
    pub from: Money,
    pub increment: Money,
}

/// `base` with `input` applied (its fields passed their own rules as they were parsed), or
/// the ladder refused when the currency cannot hold it.
pub fn settings(
    base: AuctionSettings,
    input: SettingsInput,
    currency: Currency,
    checks: &mut Checks,
) -> AuctionSettings {
    let mut settings = base;
    if input.offer_window_sec.is_some() {
        settings.offer_window_sec = input.offer_window_sec;
    }
    let given = [
        (
            input.soft_close_window_sec,
            &mut settings.soft_close_window_sec,
        ),
        (
            input.soft_close_extension_sec,
            &mut settings.soft_close_extension_sec,
        ),
        (input.stagger_sec, &mut settings.stagger_sec),
        (input.payment_window_sec, &mut settings.payment_window_sec),
        (input.ending_soon_sec, &mut settings.ending_soon_sec),
    ];
    for (value, target) in given {
        if let Some(value) = value {
            *target = value;
        }
    }
    if let Some(percent) = input.buyer_premium_percent {
        settings.buyer_premium_percent = percent;
    }
    if let Some(ladder) = input.increments {
        match increments(&ladder, currency) {
            Ok(steps) => settings.increments = steps,
            Err(message) => checks.fail("settings.increments", message),
        }
    }
    settings
}

/// An increment ladder: 1 to 50 rungs, starting from 0, `from` strictly increasing, every
/// increment positive, all in the currency's precision.
pub fn increments(
    ladder: &[IncrementInput],
    currency: Currency,
) -> Result<Vec<IncrementStep>, String> {
    if ladder.is_empty() || ladder.len() > 50 {
        return Err("must have 1 to 50 rungs".into());
    }
    if !ladder[0].from.is_zero() {
        return Err("the first rung must start from 0".into());
    }
    if ladder.windows(2).any(|pair| pair[1].from <= pair[0].from) {
        return Err("each rung's from must be greater than the one before".into());
    }
    ladder
        .iter()
        .map(|rung| {
            if rung.increment.is_zero() {
                return Err("every increment must be greater than 0".to_string());
            }
            let fits = |m: Money| m.for_currency(currency).map_err(|e| e.to_string());
            Ok(IncrementStep {
                from: fits(rung.from)?,
                increment: fits(rung.increment)?,
            })
        })
        .collect()
}

/// A new auction as an artist sends it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewAuction {
    /// 1 to 120 characters.
    #[serde(deserialize_with = "crate::http::checked::<Title, _>")]
    pub name: String,
    // A value outside the enum is refused like a rule's, so the schedule is checked too.
    #[serde(deserialize_with = "crate::http::checked::<crate::http::OneOf<EventType>, _>")]
    pub event_type: EventType,
    /// At most 5000 characters.
    #[serde(
        default,
        deserialize_with = "crate::http::checked_option::<Description, _>"
    )]
    pub description: Option<String>,
    /// An https URL.
    #[serde(
        default,
        deserialize_with = "crate::http::checked_option::<HttpsUrl, _>"
    )]
    pub thumbnail: Option<String>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// An IANA time zone.
    #[serde(deserialize_with = "crate::http::checked::<profile::TimeZone, _>")]
    pub time_zone: String,
    /// ISO 4217, default USD.
    #[serde(
        default,
        deserialize_with = "crate::http::checked_option::<CurrencyCode, _>"
    )]
    #[schema(value_type = Option<String>)]
    pub currency: Option<Currency>,
    /// An https URL where winners pay.
    #[serde(
        default,
        deserialize_with = "crate::http::checked_option::<HttpsUrl, _>"
    )]
    pub payment_url: Option<String>,
    pub settings: Option<SettingsInput>,
    /// Default: all on.
    pub notifications: Option<super::auction::AuctionNotifications>,
}

/// A new item (artwork) as sent.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewItem {
    /// 1 to 120 characters.
    #[serde(deserialize_with = "crate::http::checked::<Title, _>")]
    pub name: String,
    /// At most 5000 characters.
    #[serde(
        default,
        deserialize_with = "crate::http::checked_option::<Description, _>"
    )]
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub item_type: ItemType,
    // Above 0 (the OpenAPI document says so of items' prices).
    #[serde(deserialize_with = "crate::http::checked::<AboveZero, _>")]
    pub starting_price: Money,
    /// Private: only the owner, managers and staff see it.
    pub reserve_price: Option<Money>,
    pub buy_now_price: Option<Money>,
    /// What the item is worth (0 or more), for donors' receipts: the part of the price above
    /// it is tax-deductible.
    pub fair_market_value: Option<Money>,
    /// An https URL.
    #[serde(
        default,
        deserialize_with = "crate::http::checked_option::<HttpsUrl, _>"
    )]
    pub primary_photo: Option<String>,
    /// At most 12 https URLs.
    #[serde(
        default,
        deserialize_with = "crate::http::checked_option::<Gallery, _>"
    )]
    pub gallery: Option<Vec<String>>,
}

/// The prices of an item, checked together: starting price above 0, reserve at or above it,
/// buy-now above both, all in the currency's precision.
pub fn prices(
    starting: Money,
    reserve: Option<Money>,
    buy_now: Option<Money>,
    currency: Currency,
    checks: &mut Checks,
) {
    for (field, amount) in [
        ("startingPrice", Some(starting)),
        ("reservePrice", reserve),
        ("buyNowPrice", buy_now),
    ] {
        if let Some(Err(error)) = amount.map(|a| a.for_currency(currency)) {
            checks.fail(field, error.to_string());
        }
    }
    if starting.is_zero() {
        checks.fail("startingPrice", "must be above 0");
    }
    if reserve.is_some_and(|r| r < starting) {
        checks.fail("reservePrice", "must not be below the starting price");
    }
    if let Some(buy_now) = buy_now {
        if buy_now <= starting || reserve.is_some_and(|r| buy_now < r) {
            checks.fail(
                "buyNowPrice",
                "must be above the starting price and not below the reserve",
            );
        }
    }
}

/// A fair market value: 0 or more, in the currency's precision.
pub fn fair_market_value(value: Option<Money>, currency: Currency, checks: &mut Checks) {
    if let Some(Err(error)) = value.map(|v| v.for_currency(currency)) {
        checks.fail("fairMarketValue", error.to_string());
    }
}

/// A gallery: at most 12 https URLs.
pub fn gallery(urls: Vec<String>) -> Result<Vec<String>, String> {
    if urls.len() > MAX_GALLERY {
        return Err(format!("must hold at most {MAX_GALLERY} photos"));
    }
    urls.iter().map(|url| https_url(url)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    fn rung(from: &str, increment: &str) -> IncrementInput {
        IncrementInput {
            from: money(from),
            increment: money(increment),
        }
    }

    #[test]
    fn ladders_must_increase_from_zero() {
        assert!(increments(&[rung("0", "1"), rung("20", "2")], Currency::USD).is_ok());
        assert!(increments(&[], Currency::USD).is_err());
        assert!(increments(&[rung("5", "1")], Currency::USD).is_err());
        assert!(
            increments(
                &[rung("0", "1"), rung("20", "2"), rung("20", "5")],
                Currency::USD
            )
            .is_err()
        );
        assert!(increments(&[rung("0", "0")], Currency::USD).is_err());
        let yen = Currency::parse("JPY").unwrap();
        assert!(increments(&[rung("0", "0.5")], yen).is_err());
    }

    #[test]
    fn schedules_are_sane() {
        let at = |t: &str| Timestamp::parse(t).unwrap();
        let now = at("2026-11-21T09:00:00Z");
        let mut checks = Checks::default();
        let spans = LifecycleConfig::default();
        schedule(
            at("2026-11-22T09:00:00Z"),
            at("2026-11-25T09:00:00Z"),
            now,
            &spans,
            &mut checks,
        );
        assert!(checks.is_empty());
        for (starts, ends, field) in [
            ("2026-11-20T09:00:00Z", "2026-11-25T09:00:00Z", "startsAt"),
            ("2026-11-22T09:00:00Z", "2026-11-22T09:10:00Z", "endsAt"),
            ("2026-11-22T09:00:00Z", "2026-11-21T09:00:00Z", "endsAt"),
            ("2026-11-22T09:00:00Z", "2027-06-01T09:00:00Z", "endsAt"),
        ] {
            let mut checks = Checks::default();
            schedule(at(starts), at(ends), now, &spans, &mut checks);
            assert_eq!(checks.0[0].field, field, "{starts} {ends}");
        }
        // A lower minimum (the tests' stack) lets a ten-minute auction through.
        let short = LifecycleConfig {
            min_auction_secs: 5,
            ..LifecycleConfig::default()
        };
        let mut checks = Checks::default();
        schedule(
            at("2026-11-22T09:00:00Z"),
            at("2026-11-22T09:10:00Z"),
            now,
            &short,
            &mut checks,
        );
        assert!(checks.is_empty());
    }

    #[test]
    fn prices_hang_together() {
        let mut checks = Checks::default();
        prices(
            money("100"),
            Some(money("150")),
            Some(money("400")),
            Currency::USD,
            &mut checks,
        );
        assert!(checks.is_empty());
        let mut checks = Checks::default();
        prices(
            money("0"),
            Some(money("50")),
            Some(money("40")),
            Currency::USD,
            &mut checks,
        );
        let fields: Vec<_> = checks.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["startingPrice", "buyNowPrice"]);
        let mut checks = Checks::default();
        prices(
            money("100"),
            Some(money("90")),
            None,
            Currency::USD,
            &mut checks,
        );
        assert_eq!(checks.0[0].field, "reservePrice");
    }

    #[test]
    fn settings_are_bounded() {
        assert_eq!(UpToAnHour::check(3_600), Ok(3_600));
        assert!(UpToAnHour::check(3_601).is_err());
        assert_eq!(UpToAWeek::check(0), Ok(0));
        assert_eq!(UpToAWeek::check(604_800), Ok(604_800));
        assert_eq!(
            UpToAWeek::check(604_801),
            Err("must be from 0 to 604800 seconds".to_string())
        );
        assert!(PaymentWindow::check(60).is_err());
        assert!(PaymentWindow::check(604_801).is_err());
        assert_eq!(PaymentWindow::check(600), Ok(600));
        assert_eq!(
            PremiumPercent::check("12.5".into()),
            Ok(Decimal::new(125, 1))
        );
        for refused in ["50.01", "-1", "1.125", "lots"] {
            assert!(PremiumPercent::check(refused.into()).is_err(), "{refused}");
        }
    }

    #[test]
    fn settings_apply_what_was_given() {
        let mut checks = Checks::default();
        let input = SettingsInput {
            stagger_sec: Some(30),
            buyer_premium_percent: Some(Decimal::new(125, 1)),
            increments: Some(vec![rung("5", "1")]),
            ..Default::default()
        };
        let base = AuctionSettings::default();
        let settings = settings(base.clone(), input, Currency::USD, &mut checks);
        assert_eq!(settings.stagger_sec, 30);
        assert_eq!(settings.buyer_premium_percent, Decimal::new(125, 1));
        assert_eq!(settings.payment_window_sec, base.payment_window_sec);
        assert_eq!(checks.0.len(), 1);
        assert_eq!(checks.0[0].field, "settings.increments");
        // The shortest payment window is configuration: 600 s deployed.
        assert!(PaymentWindow::check(599).is_err());
        assert_eq!(PaymentWindow::check(604_800), Ok(604_800));
    }
}
