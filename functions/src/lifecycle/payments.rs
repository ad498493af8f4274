//! Payments: `POST /items/{itemId}/payment` (those who run the auction record a sale's payment
//! status) and `POST /webhooks/payments` (the payment provider does, signed with HMAC-SHA256
//! over the raw body). A payment after the deadline is still taken while the second-chance
//! offer it led to is unanswered (the offer is withdrawn and the item is the winner's again);
//! once the item has passed on, it is refused.

use aws_lc_rs::hmac;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use shared::audit::{AuditAction, AuditRecord};
use shared::bidding::{IdempotencyRecord, TotalsRecord};
use shared::catalog::ItemRecord;
use shared::catalog::access::Power;
use shared::domain::{ItemId, Money, PaymentId, Timestamp, UserId};
use shared::http::{ApiError, json, parse_json_body};
use shared::lifecycle::{
    PaymentDirection, PaymentMethod, PaymentRecord, PaymentStatus, PickupStatus, premium,
};
use shared::store::{
    AttributeValue, Collection, Condition, Read, StoreError, Transaction, Update, n, s,
    to_attribute,
};

use super::invoices::{ledger_unchanged, ledger_update, read_invoice};
use super::{Holding, find_auction, phase, totals_move};
use crate::AppState;
use crate::catalog::items::visible_item;

/// How old a webhook's timestamp may be.
const WEBHOOK_TOLERANCE_SECS: i64 = 300;

/// How long a provider's event id is remembered (its retries come within days).
const WEBHOOK_MEMORY_SECS: i64 = 30 * 24 * 60 * 60;

/// The status to record.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PaymentChange {
    /// `paid` or `unpaid`.
    pub status: PaymentStatus,
    /// How it was paid, for the payments report (recorded paid only).
    pub method: Option<PaymentMethod>,
}

/// The sale's payment as it now stands.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentView {
    pub item_id: ItemId,
    pub round: u32,
    pub payment_status: PaymentStatus,
    pub paid_at: Option<Timestamp>,
}

/// Records the item's payment status (owner with `payment:record:own`, managers, staff with
/// `payment:record:any`).
#[utoipa::path(
    post,
    path = "/items/{itemId}/payment",
    tag = "lifecycle",
    operation_id = "recordItemPayment",
    security(("bearer" = [])),
    params(("itemId" = String, Path, description = "The item's id.")),
    request_body = PaymentChange,
    responses(
        (status = 200, description = "The sale's payment status.", body = PaymentView),
        (status = 403, description = "Not one who runs the auction.", body = shared::http::Problem),
        (status = 404, description = "No such item the caller may see.", body = shared::http::Problem),
        (status = 409, description = "`NO_SALE` (not sold), `SALE_PASSED_ON` (the item went to another bidder or unsold) or `SALE_OVERDUE` (an overdue sale can only be recorded paid).", body = shared::http::Problem),
        (status = 422, description = "`status` is not `paid` or `unpaid`.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_items_item_payment(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let (item, auction, access) = visible_item(state, &request, Some(&caller)).await?;
    let item_id = item.id;
    access.require(&auction, Power::RecordPayment)?;
    let change: PaymentChange = parse_json_body(&request)?;
    if change.status == PaymentStatus::Overdue {
        return Err(ApiError::invalid(
            "status",
            "must be paid or unpaid (a sale becomes overdue at its deadline)",
        ));
    }
    let round = item.sale.as_ref().map(|sale| sale.round);
    let view = record(
        state,
        item_id,
        round,
        change.status,
        Payer::Manager(caller.id(), change.method),
        None,
    )
    .await?;
    json(StatusCode::OK, &view)
}

/// A payment provider's event, as its body carries it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentEvent {
    /// The provider's own id of the event: a retry carries the same.
    pub id: String,
    /// `payment.succeeded` records the sale paid; others are acknowledged and ignored.
    #[serde(rename = "type")]
    pub kind: String,
    pub item_id: ItemId,
    /// The sale round the payment was asked for (the `round` of the item's sale).
    pub round: u32,
}

/// What the webhook did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookReceipt {
    /// `recorded`, `ignored` (an event type this does not act on) or `duplicate` (seen before).
    pub result: &'static str,
}

/// The payment provider's webhook. `Payment-Signature: t=<unix seconds>,v1=<hex>`, the HMAC-SHA256
/// of `<t>.<raw body>` with the shared secret; a timestamp more than 5 minutes old is refused,
/// and an event id seen before changes nothing.
#[utoipa::path(
    post,
    path = "/webhooks/payments",
    tag = "lifecycle",
    operation_id = "receivePaymentWebhook",
    request_body = PaymentEvent,
    params(("Payment-Signature" = String, Header, description = "`t=<unix seconds>,v1=<hex HMAC-SHA256 of t.body>`.")),
    responses(
        (status = 200, description = "Taken (or seen before).", body = WebhookReceipt),
        (status = 401, description = "`BAD_SIGNATURE`: missing, wrong or too old.", body = shared::http::Problem),
        (status = 404, description = "No such item.", body = shared::http::Problem),
        (status = 409, description = "`NO_SALE` or `SALE_PASSED_ON`: the payment is for a sale that no longer stands.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_webhooks_payments(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let key = state.config.payment_webhook_key.as_ref().ok_or_else(|| {
        ApiError::Unexpected(anyhow::anyhow!(
            "PAYMENT_WEBHOOK_KEY_SECRET is not configured"
        ))
    })?;
    let body: &[u8] = match request.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => b"",
    };
    let header = request
        .headers()
        .get("payment-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    verify_signature(&key.0, header, body, state.clock.now())?;
    let event: PaymentEvent = parse_json_body(&request)?;
    if event.id.is_empty() || event.id.len() > 200 {
        return Err(ApiError::invalid("id", "must be 1 to 200 characters"));
    }
    if event.kind != "payment.succeeded" {
        return json(StatusCode::OK, &WebhookReceipt { result: "ignored" });
    }
    match record(
        state,
        event.item_id,
        Some(event.round),
        PaymentStatus::Paid,
        Payer::Provider,
        Some(&event.id),
    )
    .await
    {
        Ok(_) => json(StatusCode::OK, &WebhookReceipt { result: "recorded" }),
        Err(ApiError::Conflict {
            code: "DUPLICATE_EVENT",
            ..
        }) => json(
            StatusCode::OK,
            &WebhookReceipt {
                result: "duplicate",
            },
        ),
        Err(other) => Err(other),
    }
}

/// Checks `t=<seconds>,v1=<hex>` against the body, in constant time.
pub fn verify_signature(
    key: &[u8],
    header: &str,
    body: &[u8],
    now: Timestamp,
) -> Result<(), ApiError> {
    let refused = |detail: &str| ApiError::Unauthorized {
        code: "BAD_SIGNATURE",
        detail: detail.into(),
    };
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value.to_string()),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return Err(refused(
            "The Payment-Signature header is missing or has no timestamp.",
        ));
    };
    if (now.epoch_seconds() - timestamp).abs() > WEBHOOK_TOLERANCE_SECS {
        return Err(refused(
            "The signature's timestamp is more than 5 minutes away.",
        ));
    }
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let message = signed_message(timestamp, body);
    let matches = signatures
        .iter()
        .any(|hex| decode_hex(hex).is_some_and(|tag| hmac::verify(&key, &message, &tag).is_ok()));
    if matches {
        Ok(())
    } else {
        Err(refused("The signature does not match the body."))
    }
}

/// What the provider signs: `<t>.<raw body>`.
fn signed_message(timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut message = format!("{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    message
}

/// The `Payment-Signature` header the provider sends for `body` at `timestamp` (what the
/// provider's side does; the tests sign their webhooks with it).
pub fn signature_header(key: &[u8], timestamp: i64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let tag = hmac::sign(&key, &signed_message(timestamp, body));
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Who records a payment status.
#[derive(Clone, Copy, Debug)]
enum Payer {
    /// One who runs the auction, saying how it was paid if they know.
    Manager(UserId, Option<PaymentMethod>),
    /// The payment provider, through its signed webhook.
    Provider,
}

impl Payer {
    fn actor(self) -> Option<UserId> {
        match self {
            Payer::Manager(user, _) => Some(user),
            Payer::Provider => None,
        }
    }
}

/// Sets sale `round`'s payment status to `status`. Paying an overdue sale whose offer is
/// still unanswered takes the item back for its winner. With `event`, the provider's event id
/// is remembered in the same transaction: a replay is `DUPLICATE_EVENT`. The winner's invoice
/// moves with it: the line's amount and premium join (or leave) what they paid.
async fn record(
    state: &AppState,
    item_id: ItemId,
    round: Option<u32>,
    status: PaymentStatus,
    payer: Payer,
    event: Option<&str>,
) -> Result<PaymentView, ApiError> {
    for _ in 0..8 {
        let now = state.clock.now();
        let item = state
            .store
            .get::<ItemRecord>(&item_id.to_string(), Read::Strong)
            .await?
            .ok_or(ApiError::NotFound)?;
        let Some(sale) = item.sale.clone() else {
            // A sale that passed on to no one left the item unsold, with its bidders passed
            // over; a payment named by its round was for a sale that once stood.
            return Err(if round.is_some() || !item.passed_over.is_empty() {
                passed_on()
            } else {
                ApiError::conflict("NO_SALE", "This item has no sale.")
            });
        };
        if round.is_some_and(|r| r != sale.round) {
            return Err(passed_on());
        }
        let view = |status, paid_at| PaymentView {
            item_id,
            round: sale.round,
            payment_status: status,
            paid_at,
        };
        if sale.payment_status == PaymentStatus::Overdue && status == PaymentStatus::Unpaid {
            return Err(ApiError::conflict(
                "SALE_OVERDUE",
                "The deadline passed unpaid: the sale can only be recorded paid now.",
            ));
        }
        let unchanged = sale.payment_status == status;
        let mut transaction = state.store.transaction();
        if let Some(event) = event {
            transaction = transaction.create(&IdempotencyRecord {
                id: format!("webhook:payments:{event}"),
                fingerprint: format!("payment:{item_id}:{}", sale.round),
                status: 200,
                body: String::new(),
                created_at: now,
                expires_at: now.epoch_seconds() + WEBHOOK_MEMORY_SECS,
            })?;
        }
        if unchanged {
            if event.is_none() {
                return Ok(view(sale.payment_status, sale.paid_at));
            }
        } else {
            let ledger = ledger_entry(state, &item, status, payer, event, now).await?;
            transaction = payment_writes(transaction, &item, status, payer, ledger.as_ref(), now)?;
        }
        match state.store.transact(transaction).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed(failed))
                if failed.collection == Collection::IdempotencyKeys =>
            {
                return Err(ApiError::conflict(
                    "DUPLICATE_EVENT",
                    "This event was taken before.",
                ));
            }
            Err(StoreError::ConditionFailed(_) | StoreError::TransactionConflict) => continue,
            Err(other) => return Err(other.into()),
        }
        if unchanged {
            return Ok(view(sale.payment_status, sale.paid_at));
        }
        tracing::info!(item.id = %item_id, round = sale.round, status = status.as_str(), "payment status recorded");
        if let Err(error) = phase::advance(state, item.auction_id).await {
            tracing::warn!(%error, "the auction's phase was not advanced; the sweeper will");
        }
        let paid_at = (status == PaymentStatus::Paid).then_some(now);
        return Ok(view(status, paid_at));
    }
    Err(ApiError::Unavailable {
        retry_after_secs: 1,
    })
}

/// How a sale's payment status is written down: the payment (or reversal) of the line, and
/// for a winner with an invoice, their ledger before and after.
struct LedgerEntry {
    payment: PaymentRecord,
    /// `None` for a winner entered by name: no account, no invoice.
    ledger: Option<Ledger>,
}

/// A winner's `amountPaid` moved by one line.
struct Ledger {
    before: Money,
    after: Money,
    /// Every item on the invoice is paid afterwards.
    all_paid: bool,
}

async fn ledger_entry(
    state: &AppState,
    item: &ItemRecord,
    status: PaymentStatus,
    payer: Payer,
    event: Option<&str>,
    now: Timestamp,
) -> Result<Option<LedgerEntry>, ApiError> {
    let Some(sale) = item.sale.as_ref() else {
        return Ok(None);
    };
    let auction = find_auction(state, item.auction_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let line = sale.amount.amount()
        + premium(
            sale.amount,
            auction.settings.buyer_premium_percent,
            auction.currency,
        )
        .amount();
    let paid = status == PaymentStatus::Paid;
    let invoice = match sale.winner {
        Some(winner) => match read_invoice(state, &auction, winner).await? {
            Some(found) => Some(found),
            None => return Ok(None),
        },
        None => None,
    };
    let ledger = invoice
        .as_ref()
        .map(|(totals, invoice, _)| {
            let before = totals.amount_paid;
            let after = match paid {
                true => before.amount() + line,
                false => (before.amount() - line).max(Decimal::ZERO),
            };
            let others_paid = invoice
                .lines
                .iter()
                .filter(|l| l.item_id != item.id)
                .all(|l| l.payment_status == PaymentStatus::Paid);
            Ok::<_, ApiError>(Ledger {
                before,
                after: Money::from_decimal(after).map_err(anyhow::Error::new)?,
                all_paid: paid && others_paid,
            })
        })
        .transpose()?;
    let (amount, direction) = match (paid, &ledger) {
        (true, _) => (line, PaymentDirection::Received),
        (false, Some(l)) => (
            l.before.amount() - l.after.amount(),
            PaymentDirection::Reversed,
        ),
        (false, None) => (line, PaymentDirection::Reversed),
    };
    let method = match payer {
        Payer::Manager(_, method) => method,
        Payer::Provider => Some(PaymentMethod::Online),
    };
    Ok(Some(LedgerEntry {
        payment: PaymentRecord {
            id: PaymentId::new(),
            auction_id: item.auction_id,
            bidder_id: sale.winner,
            bidder_number: invoice.as_ref().map(|(totals, ..)| totals.bidder_number),
            payer_name: sale.manual_name.clone(),
            amount: Money::from_decimal(amount).map_err(anyhow::Error::new)?,
            direction,
            method: method.filter(|_| paid),
            reference: event.map(str::to_string),
            items: vec![item.id],
            recorded_by: payer.actor(),
            recorded_at: now,
        },
        ledger,
    }))
}

fn passed_on() -> ApiError {
    ApiError::conflict(
        "SALE_PASSED_ON",
        "This sale no longer stands: the item went to another bidder or unsold.",
    )
}

/// The writes of a payment status change on `item` (read at its version): the sale, the
/// winner's ledger and payment, and for a late payment whose offer is unanswered, the offer
/// withdrawn and the item back in the winner's totals.
fn payment_writes(
    transaction: Transaction,
    item: &ItemRecord,
    status: PaymentStatus,
    payer: Payer,
    ledger: Option<&LedgerEntry>,
    now: Timestamp,
) -> Result<Transaction, ApiError> {
    let sale = item.sale.as_ref().ok_or(ApiError::NotFound)?;
    let paid = status == PaymentStatus::Paid;
    let mut expression = String::from("SET #sale.#paymentStatus = :status, #updatedAt = :now");
    if paid {
        expression.push_str(", #sale.#paidAt = :now, #sale.#pickupStatus = :waiting");
    }
    let late = sale.payment_status == PaymentStatus::Overdue;
    if late {
        expression.push_str(", #passedOver = :passed REMOVE #offer");
    }
    if !paid {
        expression.push_str(" REMOVE #sale.#pickupStatus, #sale.#pickedUpAt");
    }
    expression.push_str(" ADD #version :one");
    let mut update = Update::new(expression)
        .name("#sale", "sale")
        .name("#paymentStatus", "paymentStatus")
        .name("#pickupStatus", "pickupStatus")
        .name("#updatedAt", "updatedAt")
        .name("#version", "version")
        .value(":status", s(status.as_str()))
        .value(":now", s(now.to_string()))
        .value(":one", n(1))
        .when(Condition::version_is("version", item.version));
    if paid {
        update = update
            .name("#paidAt", "paidAt")
            .value(":waiting", s(PickupStatus::NotPickedUp.as_str()));
    } else {
        update = update.name("#pickedUpAt", "pickedUpAt");
    }
    let mut transaction = transaction;
    if late {
        let passed: Vec<UserId> = item
            .passed_over
            .iter()
            .copied()
            .filter(|bidder| Some(*bidder) != sale.winner)
            .collect();
        update = update
            .name("#passedOver", "passedOver")
            .name("#offer", "offer")
            .value(":passed", to_attribute(&passed)?);
        if let Some(offer) = &item.offer {
            transaction = transaction.update(
                Collection::Offers,
                &offer.offer_id.to_string(),
                Update::new("SET #status = :withdrawn, #updatedAt = :now")
                    .name("#status", "status")
                    .name("#updatedAt", "updatedAt")
                    .value(":withdrawn", s("withdrawn"))
                    .value(":now", s(now.to_string()))
                    .when(
                        Condition::new("#status = :pending")
                            .name("#status", "status")
                            .value(":pending", s("pending")),
                    ),
            )?;
        }
    }
    if let Some(winner) = sale.winner {
        let key = TotalsRecord::key(item.auction_id, winner);
        match (late, ledger.and_then(|entry| entry.ledger.as_ref())) {
            (true, Some(ledger)) => {
                transaction = transaction.update(
                    Collection::Totals,
                    &key,
                    rejoined_with_ledger(item, sale.amount.amount(), ledger, now),
                )?;
            }
            (true, None) => {
                transaction = transaction.update(
                    Collection::Totals,
                    &key,
                    totals_move(item, sale.amount.amount(), None, Some(Holding::Won), now),
                )?;
            }
            (false, Some(ledger)) => {
                transaction = transaction.update(
                    Collection::Totals,
                    &key,
                    ledger_update(ledger.before, ledger.after, ledger.all_paid, now),
                )?;
            }
            (false, None) => {}
        }
    }
    if let Some(entry) = ledger {
        transaction = transaction.create(&entry.payment)?;
    }
    let mut audit = AuditRecord::new(AuditAction::PaymentStatusChanged, payer.actor(), now)
        .target(item.id)
        .detail("round", sale.round)
        .detail("from", sale.payment_status.as_str())
        .detail("to", status.as_str())
        .detail(
            "source",
            match payer {
                Payer::Manager(..) => "manager",
                Payer::Provider => "provider",
            },
        );
    if let Some(entry) = ledger {
        audit = audit.detail("amount", entry.payment.amount.to_string());
    }
    audit.auction_id = Some(item.auction_id);
    Ok(transaction
        .update(Collection::Items, &item.id.to_string(), update)?
        .create(&audit)?)
}

/// A late payment's totals: the item back among the winner's won ones, and the ledger moved,
/// in one update (a transaction writes each record once).
fn rejoined_with_ledger(
    item: &ItemRecord,
    amount: Decimal,
    ledger: &Ledger,
    now: Timestamp,
) -> Update {
    Update::new(
        "ADD #subtotal :delta, #won :item \
         SET #updatedAt = :now, #amountPaid = :after, #paid = :paid",
    )
    .name("#subtotal", "subtotal")
    .name("#won", "won")
    .name("#updatedAt", "updatedAt")
    .name("#paid", "paid")
    .value(":delta", n(amount))
    .value(":item", AttributeValue::Ss(vec![item.id.to_string()]))
    .value(":now", s(now.to_string()))
    .value(":after", n(ledger.after.amount()))
    .value(":paid", AttributeValue::Bool(ledger.all_paid))
    .when(ledger_unchanged(ledger.before))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked_over_the_raw_body_and_their_age() {
        let key = b"a webhook signing key of 32 bytes!";
        let now = Timestamp::parse("2026-12-04T10:00:00Z").unwrap();
        let body = br#"{"id":"evt_1"}"#;
        let t = now.epoch_seconds();
        assert!(verify_signature(key, &signature_header(key, t, body), body, now).is_ok());
        assert!(
            verify_signature(
                key,
                &signature_header(key, t, body),
                br#"{"id":"evt_2"}"#,
                now
            )
            .is_err()
        );
        assert!(
            verify_signature(
                b"another key, also 32 bytes long!!",
                &signature_header(key, t, body),
                body,
                now
            )
            .is_err()
        );
        assert!(verify_signature(key, &signature_header(key, t - 301, body), body, now).is_err());
        assert!(verify_signature(key, "", body, now).is_err());
        assert!(verify_signature(key, &format!("t={t},v1=zz"), body, now).is_err());
    }
}
