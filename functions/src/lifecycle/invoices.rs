//! Invoices (`docs/rules.md`, "Invoices"): `GET /me/invoices` for bidders, and for those who
//! run an auction `GET /auctions/{auctionId}/invoices` and
//! `POST /auctions/{auctionId}/invoices/{bidderId}/payment`, which records money taken at the
//! desk. An invoice is worked out from the bidder's totals and the sales of what they won; the
//! only money stored is each payment and the running `amountPaid`, moved in one transaction.

use std::collections::HashMap;

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use shared::audit::{AuditAction, AuditRecord};
use shared::bidding::TotalsRecord;
use shared::catalog::access::Power;
use shared::catalog::{AuctionRecord, ItemRecord};
use shared::domain::{
    AuctionId, Currency, CurrencyAmount, ItemId, Money, PaymentId, Timestamp, UserId,
};
use shared::http::{
    ApiError, FieldError, check_cursor, json, page_parameters_into, parse_json_body,
    path_parameter, refused_query,
};
use shared::identity::UserRecord;
use shared::lifecycle::{
    Invoice, InvoiceLine, PaymentDirection, PaymentMethod, PaymentRecord, PaymentStatus,
    PickupStatus, SaleKind,
};
use shared::store::{
    AttributeValue, Collection, Condition, Index, Query, Read, StoreError, Transaction, Update, n,
    s,
};

use super::phase;
use crate::AppState;
use crate::bidding::idempotency::Idempotency;
use crate::bidding::mine::{auctions_of, list_parameters};
use crate::catalog::auctions::visible_auction;
use crate::catalog::view::shown;

/// The longest payment reference (a cheque number, a card slip's code).
const MAX_REFERENCE: usize = 100;

/// One item on an invoice.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceLineView {
    pub item_id: ItemId,
    pub lot_number: u32,
    pub name: String,
    /// `online`, `buyNow`, `live` or `secondChance`.
    pub kind: SaleKind,
    pub amount: CurrencyAmount,
    pub buyer_premium: CurrencyAmount,
    pub total: CurrencyAmount,
    /// The item's fair market value, when it has one (charity events).
    pub fair_market_value: Option<CurrencyAmount>,
    /// The tax-deductible part of the amount: what was paid above the fair market value.
    pub deductible: Option<CurrencyAmount>,
    pub payment_status: PaymentStatus,
    /// Once paid: `notPickedUp` or `pickedUp`.
    pub pickup_status: Option<PickupStatus>,
}

/// A bidder's invoice in one auction.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceView {
    pub auction_id: AuctionId,
    pub auction_name: String,
    /// ISO 4217: every amount is in it.
    pub currency: String,
    /// The bidder's id (in the path of the payment route); shown to them and to those who
    /// run the auction only.
    pub bidder_id: UserId,
    pub bidder_number: u32,
    /// The bidder's name, for those who run the auction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    pub lines: Vec<InvoiceLineView>,
    pub subtotal: CurrencyAmount,
    pub buyer_premium_percent: String,
    /// The premium of every line, each rounded half-even to the currency's minor unit.
    pub buyer_premium: CurrencyAmount,
    pub total: CurrencyAmount,
    pub amount_paid: CurrencyAmount,
    pub balance: CurrencyAmount,
    /// Paid beyond the total, to give back; `0` almost always.
    pub credit: CurrencyAmount,
    /// Something was won and nothing is owed.
    pub paid: bool,
    /// The sum of the lines' deductible parts, when any line has a fair market value.
    pub deductible: Option<CurrencyAmount>,
    /// Where the bidder pays online, if the auction has such a page.
    pub payment_url: Option<String>,
}

impl InvoiceView {
    pub fn new(
        invoice: &Invoice,
        totals: &TotalsRecord,
        auction: &AuctionRecord,
        display_name: Option<String>,
    ) -> Result<Self, ApiError> {
        let currency = auction.currency;
        let lines = invoice
            .lines
            .iter()
            .map(|line| line_view(line, currency))
            .collect::<Result<_, _>>()?;
        let deductibles: Vec<Money> = invoice.lines.iter().filter_map(|l| l.deductible).collect();
        let deductible = match deductibles.is_empty() {
            true => None,
            false => Some(sum(deductibles.iter().map(Money::amount).sum(), currency)?),
        };
        Ok(Self {
            auction_id: auction.id,
            auction_name: auction.name.clone(),
            currency: currency.code().to_string(),
            bidder_id: totals.bidder_id,
            bidder_number: totals.bidder_number,
            display_name,
            lines,
            subtotal: sum(invoice.subtotal, currency)?,
            buyer_premium_percent: auction
                .settings
                .buyer_premium_percent
                .normalize()
                .to_string(),
            buyer_premium: sum(invoice.premium, currency)?,
            total: sum(invoice.total, currency)?,
            amount_paid: sum(invoice.amount_paid, currency)?,
            balance: sum(invoice.balance, currency)?,
            credit: sum(invoice.credit, currency)?,
            paid: invoice.paid(),
            deductible,
            payment_url: auction.payment_url.clone(),
        })
    }
}

fn line_view(line: &InvoiceLine, currency: Currency) -> Result<InvoiceLineView, ApiError> {
    Ok(InvoiceLineView {
        item_id: line.item_id,
        lot_number: line.lot_number,
        name: line.name.clone(),
        kind: line.kind,
        amount: shown(line.amount, currency)?,
        buyer_premium: shown(line.premium, currency)?,
        total: sum(line.total(), currency)?,
        fair_market_value: line
            .fair_market_value
            .map(|v| shown(v, currency))
            .transpose()?,
        deductible: line.deductible.map(|v| shown(v, currency)).transpose()?,
        payment_status: line.payment_status,
        pickup_status: line.pickup_status,
    })
}

/// A sum of stored amounts, as clients see amounts.
pub(crate) fn sum(amount: Decimal, currency: Currency) -> Result<CurrencyAmount, ApiError> {
    let money = Money::from_decimal(amount)
        .map_err(|e| ApiError::Unexpected(anyhow::Error::new(e).context("an invoice sum")))?;
    shown(money, currency)
}

/// A page of invoices.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceList {
    pub items: Vec<InvoiceView>,
    pub next_cursor: Option<String>,
}

/// The items `totals` won (strongly read when `read` says so).
pub(crate) async fn won_items(
    state: &AppState,
    totals: &[TotalsRecord],
    read: Read,
) -> Result<Vec<ItemRecord>, StoreError> {
    let keys: Vec<String> = totals.iter().flat_map(|t| t.won.iter().cloned()).collect();
    state.store.get_many::<ItemRecord>(&keys, read).await
}

/// A bidder's totals, their invoice and the items on it, read strongly; `None` without totals.
pub(crate) async fn read_invoice(
    state: &AppState,
    auction: &AuctionRecord,
    bidder: UserId,
) -> Result<Option<(TotalsRecord, Invoice, Vec<ItemRecord>)>, StoreError> {
    let key = TotalsRecord::key(auction.id, bidder);
    let Some(totals) = state.store.get::<TotalsRecord>(&key, Read::Strong).await? else {
        return Ok(None);
    };
    let items = won_items(state, std::slice::from_ref(&totals), Read::Strong).await?;
    let invoice = Invoice::of(
        &totals,
        &items,
        auction.settings.buyer_premium_percent,
        auction.currency,
    );
    Ok(Some((totals, invoice, items)))
}

/// The update that moves a bidder's `amountPaid` from `before` to `after`, and their `paid`
/// flag, if no other payment moved it meanwhile.
pub(crate) fn ledger_update(before: Money, after: Money, paid: bool, now: Timestamp) -> Update {
    Update::new("SET #amountPaid = :after, #paid = :paid, #updatedAt = :now")
        .name("#amountPaid", "amountPaid")
        .name("#paid", "paid")
        .name("#updatedAt", "updatedAt")
        .value(":after", n(after.amount()))
        .value(":paid", AttributeValue::Bool(paid))
        .value(":now", s(now.to_string()))
        .when(ledger_unchanged(before))
}

/// `amountPaid` is still `before` (absent counts as 0).
pub(crate) fn ledger_unchanged(before: Money) -> Condition {
    let held = Condition::new("#amountPaid = :before")
        .name("#amountPaid", "amountPaid")
        .value(":before", n(before.amount()));
    match before.is_zero() {
        true => held
            .or(Condition::new("attribute_not_exists(#amountPaid)")
                .name("#amountPaid", "amountPaid")),
        false => held,
    }
}

/// The caller's invoices, one per auction they won something in (or only `auctionId`'s).
#[utoipa::path(
    get,
    path = "/me/invoices",
    tag = "event",
    operation_id = "listMyInvoices",
    security(("bearer" = [])),
    params(
        ("auctionId" = Option<String>, Query, description = "Only this auction's invoice."),
        ("limit" = Option<u32>, Query, description = "At most this many (default 20, max 100)."),
        ("cursor" = Option<String>, Query, description = "Where the previous page ended."),
    ),
    responses(
        (status = 200, description = "A page of the caller's invoices.", body = InvoiceList),
        (status = 401, description = "Not signed in.", body = shared::http::Problem),
        (status = 422, description = "A bad `auctionId`, `limit` or `cursor`.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_me_invoices(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    caller.require("totals:read:own")?;
    let (filter, limit, cursor, mut errors) = list_parameters(&request);
    let mut query = Query::index(Index::TOTALS_BY_BIDDER, s(caller.id().to_string()))
        .filter(won_something())
        .limit(limit)
        .after(cursor.as_deref());
    if let Some(auction) = filter {
        query = query
            .sort(Condition::new("#sort = :auction").value(":auction", s(auction.to_string())));
    }
    check_cursor(&query, &mut errors);
    refused_query(errors)?;
    let page = state.store.query::<TotalsRecord>(query).await?;
    let auctions = auctions_of(state, page.items.iter().map(|t| t.auction_id)).await?;
    let items = won_items(state, &page.items, Read::Eventual).await?;
    let invoices = page
        .items
        .iter()
        .filter_map(|totals| {
            let auction = auctions.get(&totals.auction_id)?;
            let invoice = Invoice::of(
                totals,
                &items,
                auction.settings.buyer_premium_percent,
                auction.currency,
            );
            Some(InvoiceView::new(&invoice, totals, auction, None))
        })
        .collect::<Result<_, _>>()?;
    json(
        StatusCode::OK,
        &InvoiceList {
            items: invoices,
            next_cursor: page.next_cursor,
        },
    )
}

/// Totals that won at least one item: the others have nothing to invoice.
fn won_something() -> Condition {
    Condition::new("attribute_exists(#won)").name("#won", "won")
}

/// Every invoice of the auction, by bidder number (owner with `payment:record:own`, managers,
/// staff with `payment:record:any`).
#[utoipa::path(
    get,
    path = "/auctions/{auctionId}/invoices",
    tag = "event",
    operation_id = "listAuctionInvoices",
    security(("bearer" = [])),
    params(
        ("auctionId" = String, Path, description = "The auction's id."),
        ("limit" = Option<u32>, Query, description = "At most this many (default 20, max 100)."),
        ("cursor" = Option<String>, Query, description = "Where the previous page ended."),
    ),
    responses(
        (status = 200, description = "A page of invoices, with the bidders' names.", body = InvoiceList),
        (status = 401, description = "Not signed in.", body = shared::http::Problem),
        (status = 403, description = "Not one who runs the auction.", body = shared::http::Problem),
        (status = 404, description = "No such auction the caller may see.", body = shared::http::Problem),
        (status = 422, description = "A bad `limit` or `cursor`.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_auctions_auction_invoices(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let (auction, access) = visible_auction(state, &request, Some(&caller)).await?;
    access.require(&auction, Power::RecordPayment)?;
    let mut errors = Vec::new();
    let (limit, cursor) = page_parameters_into(&request, &mut errors);
    let query = Query::index(Index::TOTALS_BY_AUCTION, s(auction.id.to_string()))
        .filter(won_something())
        .limit(limit)
        .after(cursor.as_deref());
    check_cursor(&query, &mut errors);
    refused_query(errors)?;
    let page = state.store.query::<TotalsRecord>(query).await?;
    let items = won_items(state, &page.items, Read::Eventual).await?;
    let names = display_names(state, page.items.iter().map(|t| t.bidder_id)).await?;
    let invoices = page
        .items
        .iter()
        .map(|totals| {
            let invoice = Invoice::of(
                totals,
                &items,
                auction.settings.buyer_premium_percent,
                auction.currency,
            );
            let name = names.get(&totals.bidder_id).cloned();
            InvoiceView::new(&invoice, totals, &auction, name)
        })
        .collect::<Result<_, _>>()?;
    json(
        StatusCode::OK,
        &InvoiceList {
            items: invoices,
            next_cursor: page.next_cursor,
        },
    )
}

/// The accounts of `users` (the purged ones are left out).
pub(crate) async fn accounts(
    state: &AppState,
    users: impl Iterator<Item = UserId>,
) -> Result<HashMap<UserId, UserRecord>, StoreError> {
    let mut keys: Vec<String> = users.map(|id| id.to_string()).collect();
    keys.sort();
    keys.dedup();
    Ok(state
        .store
        .get_many::<UserRecord>(&keys, Read::Eventual)
        .await?
        .into_iter()
        .map(|user| (user.id, user))
        .collect())
}

/// The display names of these accounts (the purged ones are left out).
pub(crate) async fn display_names(
    state: &AppState,
    users: impl Iterator<Item = UserId>,
) -> Result<HashMap<UserId, String>, StoreError> {
    Ok(accounts(state, users)
        .await?
        .into_iter()
        .map(|(id, user)| (id, user.display_name))
        .collect())
}

/// Money taken for an invoice at the desk.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InvoicePayment {
    /// Above 0 and at most the balance, in the auction's currency.
    pub amount: Money,
    pub method: PaymentMethod,
    /// A cheque number, a card slip's code: 1 to 100 characters.
    pub reference: Option<String>,
}

/// A payment as recorded.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentView {
    pub id: PaymentId,
    pub amount: CurrencyAmount,
    /// `received`, or `reversed` for a sale set back to unpaid.
    pub direction: PaymentDirection,
    pub method: Option<PaymentMethod>,
    pub reference: Option<String>,
    pub recorded_at: Timestamp,
}

impl PaymentView {
    pub fn new(payment: &PaymentRecord, currency: Currency) -> Result<Self, ApiError> {
        Ok(Self {
            id: payment.id,
            amount: shown(payment.amount, currency)?,
            direction: payment.direction,
            method: payment.method,
            reference: payment.reference.clone(),
            recorded_at: payment.recorded_at,
        })
    }
}

/// The payment and the invoice it leaves.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvoicePaymentReceipt {
    pub payment: PaymentView,
    pub invoice: InvoiceView,
}

/// Records a payment towards a bidder's invoice: part of the balance or all of it, never
/// more. Paying the balance marks every item on the invoice paid, in the same transaction.
#[utoipa::path(
    post,
    path = "/auctions/{auctionId}/invoices/{bidderId}/payment",
    tag = "event",
    operation_id = "recordInvoicePayment",
    security(("bearer" = [])),
    params(
        ("auctionId" = String, Path, description = "The auction's id."),
        ("bidderId" = String, Path, description = "The bidder's id, as their invoice shows it."),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key within 24 hours get the first response back."),
    ),
    request_body = InvoicePayment,
    responses(
        (status = 201, description = "Recorded.", body = InvoicePaymentReceipt),
        (status = 401, description = "Not signed in.", body = shared::http::Problem),
        (status = 403, description = "Not one who runs the auction.", body = shared::http::Problem),
        (status = 404, description = "No such auction the caller may see, or no invoice of this bidder in it.", body = shared::http::Problem),
        (status = 409, description = "`NOTHING_TO_PAY` (nothing won yet), `INVOICE_PAID` (nothing owed) or `OVERPAYMENT` (more than the balance).", body = shared::http::Problem),
        (status = 422, description = "A bad amount, method or reference.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_auctions_auction_invoices_bidder_payment(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let (auction, access) = visible_auction(state, &request, Some(&caller)).await?;
    access.require(&auction, Power::RecordPayment)?;
    let bidder: UserId = path_parameter(&request, "bidderId")?;
    let payment: InvoicePayment = parse_json_body(&request)?;
    let reference = checked_payment(&payment, auction.currency)?;
    let fingerprint = format!(
        "invoice-payment:{}:{bidder}:{}:{}:{}",
        auction.id,
        payment.amount,
        payment.method.as_str(),
        reference.as_deref().unwrap_or("")
    );
    let idempotency = Idempotency::from_request(&request, &caller, &fingerprint)?;
    for _ in 0..8 {
        let now = state.clock.now();
        if let Some(stored) = idempotency.stored(state, now).await? {
            return Ok(stored);
        }
        let (totals, invoice, items) =
            read_invoice(state, &auction, bidder)
                .await?
                .ok_or(ApiError::NotFoundSaying(
                    "This bidder has no invoice in this auction.",
                ))?;
        refuse_payment(&invoice, payment.amount, auction.currency)?;
        let after = Money::from_decimal(invoice.amount_paid + payment.amount.amount())
            .map_err(anyhow::Error::new)?;
        let in_full = after.amount() >= invoice.total;
        let settled: Vec<&InvoiceLine> = match in_full {
            true => invoice.unpaid_lines().collect(),
            false => Vec::new(),
        };
        let record = PaymentRecord {
            id: PaymentId::new(),
            auction_id: auction.id,
            bidder_id: Some(bidder),
            bidder_number: Some(totals.bidder_number),
            payer_name: None,
            amount: payment.amount,
            direction: PaymentDirection::Received,
            method: Some(payment.method),
            reference: reference.clone(),
            items: settled.iter().map(|line| line.item_id).collect(),
            recorded_by: Some(caller.id()),
            recorded_at: now,
        };
        let receipt = receipt_after(&record, &totals, &items, &auction, after, now)?;
        let body = serde_json::to_string(&receipt).map_err(anyhow::Error::new)?;
        let transaction = payment_transaction(
            state,
            &record,
            &totals,
            &invoice,
            &items,
            after,
            caller.id(),
            now,
        )?;
        let transaction = idempotency.record(transaction, StatusCode::CREATED, &body, now)?;
        match state.store.transact(transaction).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed(failed))
                if failed.collection == Collection::IdempotencyKeys =>
            {
                return idempotency.replay(failed.current()?, now);
            }
            // Another payment, a close or a deadline moved the invoice meanwhile: read it again.
            Err(StoreError::ConditionFailed(_) | StoreError::TransactionConflict) => continue,
            Err(other) => return Err(other.into()),
        }
        tracing::info!(auction.id = %auction.id, bidder_number = totals.bidder_number, in_full, "invoice payment recorded");
        if in_full {
            if let Err(error) = phase::advance(state, auction.id).await {
                tracing::warn!(%error, "the auction's phase was not advanced; the sweeper will");
            }
        }
        return Idempotency::response(StatusCode::CREATED, body, false);
    }
    Err(ApiError::Unavailable {
        retry_after_secs: 1,
    })
}

/// The payment's amount in the currency's precision and above 0, and its reference trimmed.
fn checked_payment(
    payment: &InvoicePayment,
    currency: Currency,
) -> Result<Option<String>, ApiError> {
    let mut errors = Vec::new();
    if let Err(error) = payment.amount.for_currency(currency) {
        errors.push(FieldError::new("amount", error.to_string()));
    } else if payment.amount.is_zero() {
        errors.push(FieldError::new("amount", "must be above 0"));
    }
    let reference = payment.reference.as_deref().map(str::trim);
    if let Some(text) = reference {
        if text.is_empty()
            || text.chars().count() > MAX_REFERENCE
            || text.chars().any(char::is_control)
        {
            errors.push(FieldError::new(
                "reference",
                format!("must be 1 to {MAX_REFERENCE} characters, without control characters"),
            ));
        }
    }
    refused_query(errors)?;
    Ok(reference.map(str::to_string))
}

/// Refuses a payment the invoice cannot take.
fn refuse_payment(invoice: &Invoice, amount: Money, currency: Currency) -> Result<(), ApiError> {
    if invoice.lines.is_empty() {
        return Err(ApiError::conflict(
            "NOTHING_TO_PAY",
            "This bidder has won nothing yet.",
        ));
    }
    if invoice.balance.is_zero() {
        return Err(ApiError::conflict(
            "INVOICE_PAID",
            "This invoice is paid: nothing is owed.",
        ));
    }
    if amount.amount() > invoice.balance {
        return Err(ApiError::conflict(
            "OVERPAYMENT",
            format!(
                "The balance is {}: a payment of {} would be more than is owed.",
                sum(invoice.balance, currency)?,
                sum(amount.amount(), currency)?
            ),
        ));
    }
    Ok(())
}

/// The receipt as it will stand once the payment is written: the ledger at `after`, and paid
/// in full, every item on it paid.
fn receipt_after(
    record: &PaymentRecord,
    totals: &TotalsRecord,
    items: &[ItemRecord],
    auction: &AuctionRecord,
    after: Money,
    now: Timestamp,
) -> Result<InvoicePaymentReceipt, ApiError> {
    let totals = TotalsRecord {
        amount_paid: after,
        ..totals.clone()
    };
    let items: Vec<ItemRecord> = items
        .iter()
        .cloned()
        .map(|mut item| {
            if record.items.contains(&item.id) {
                if let Some(sale) = item.sale.as_mut() {
                    mark_paid(sale, now);
                }
            }
            item
        })
        .collect();
    let invoice = Invoice::of(
        &totals,
        &items,
        auction.settings.buyer_premium_percent,
        auction.currency,
    );
    Ok(InvoicePaymentReceipt {
        payment: PaymentView::new(record, auction.currency)?,
        invoice: InvoiceView::new(&invoice, &totals, auction, None)?,
    })
}

fn mark_paid(sale: &mut shared::lifecycle::Sale, now: Timestamp) {
    sale.payment_status = PaymentStatus::Paid;
    sale.paid_at = Some(now);
    sale.pickup_status = Some(PickupStatus::NotPickedUp);
}

/// The payment's writes: the ledger (if the invoice is as read), the payment, its audit entry
/// and, paid in full, every unpaid item on the invoice marked paid (if unchanged since read).
#[allow(clippy::too_many_arguments)]
fn payment_transaction(
    state: &AppState,
    record: &PaymentRecord,
    totals: &TotalsRecord,
    invoice: &Invoice,
    items: &[ItemRecord],
    after: Money,
    actor: UserId,
    now: Timestamp,
) -> Result<Transaction, ApiError> {
    let in_full = after.amount() >= invoice.total;
    let ledger = ledger_update(totals.amount_paid, after, in_full, now).when(
        ledger_unchanged(totals.amount_paid).and(
            Condition::new("#subtotal = :subtotal")
                .name("#subtotal", "subtotal")
                .value(":subtotal", n(totals.subtotal.amount())),
        ),
    );
    let lots: Vec<u32> = items
        .iter()
        .filter(|item| record.items.contains(&item.id))
        .map(|item| item.lot_number)
        .collect();
    let balance = (invoice.total - after.amount()).max(Decimal::ZERO);
    let mut audit = AuditRecord::new(AuditAction::PaymentStatusChanged, Some(actor), now)
        .target(record.id)
        .detail("bidderNumber", record.bidder_number)
        .detail("amount", record.amount.to_string())
        .detail("method", record.method.map(PaymentMethod::as_str))
        .detail("balance", balance.normalize().to_string())
        .detail("to", if in_full { "paid" } else { "partlyPaid" })
        .detail("lots", lots)
        .detail("source", "invoice");
    if let Some(reference) = &record.reference {
        audit = audit.detail("reference", reference.as_str());
    }
    audit.auction_id = Some(record.auction_id);
    let mut transaction = state
        .store
        .transaction()
        .update(Collection::Totals, &totals.id, ledger)?
        .create(record)?
        .create(&audit)?;
    for item in items.iter().filter(|item| record.items.contains(&item.id)) {
        transaction = transaction.update(
            Collection::Items,
            &item.id.to_string(),
            paid_update(item, now),
        )?;
    }
    Ok(transaction)
}

/// Marks the item's sale paid (waiting for pickup), if the item is as read.
pub(crate) fn paid_update(item: &ItemRecord, now: Timestamp) -> Update {
    Update::new(
        "SET #sale.#paymentStatus = :paid, #sale.#paidAt = :now, #sale.#pickupStatus = :waiting, \
         #updatedAt = :now ADD #version :one",
    )
    .name("#sale", "sale")
    .name("#paymentStatus", "paymentStatus")
    .name("#paidAt", "paidAt")
    .name("#pickupStatus", "pickupStatus")
    .name("#updatedAt", "updatedAt")
    .name("#version", "version")
    .value(":paid", s(PaymentStatus::Paid.as_str()))
    .value(":waiting", s(PickupStatus::NotPickedUp.as_str()))
    .value(":now", s(now.to_string()))
    .value(":one", n(1))
    .when(Condition::version_is("version", item.version))
}
