//! `Idempotency-Key` (`docs/rules.md`, "Idempotency"): the first response to a keyed request
//! is stored in the same transaction as its writes, and a retry with the same key by the same
//! user within 24 hours gets that response back and writes nothing.

use lambda_http::http::StatusCode;
use lambda_http::http::header::CONTENT_TYPE;
use lambda_http::{Body, Request, Response};
use shared::bidding::IdempotencyRecord;
use shared::domain::Timestamp;
use shared::http::ApiError;
use shared::identity::Caller;
use shared::store::{Collection, Condition, Read, Transaction, n};

use crate::AppState;

const HEADER: &str = "Idempotency-Key";
/// Marks a response that repeats the stored first one.
const REPLAYED: &str = "Idempotent-Replayed";

/// The request's key, if it has one, and what it asks for.
#[derive(Debug)]
pub struct Idempotency {
    id: Option<String>,
    fingerprint: String,
}

impl Idempotency {
    /// Reads the optional header: 1 to 255 visible ASCII characters.
    pub fn from_request(
        request: &Request,
        caller: &Caller,
        fingerprint: &str,
    ) -> Result<Self, ApiError> {
        let id = match request.headers().get(HEADER) {
            None => None,
            Some(value) => {
                let key = value
                    .to_str()
                    .ok()
                    .filter(|k| (1..=255).contains(&k.len()))
                    .filter(|k| k.bytes().all(|b| b.is_ascii_graphic()))
                    .ok_or_else(|| {
                        ApiError::invalid(HEADER, "must be 1 to 255 visible ASCII characters")
                    })?;
                Some(IdempotencyRecord::key(caller.id(), key))
            }
        };
        Ok(Self {
            id,
            fingerprint: fingerprint.to_string(),
        })
    }

    /// The stored response to this key, if a live one exists (a read, only on refusals).
    pub async fn stored(
        &self,
        state: &AppState,
        now: Timestamp,
    ) -> Result<Option<Response<Body>>, ApiError> {
        let Some(id) = &self.id else {
            return Ok(None);
        };
        match state
            .store
            .get::<IdempotencyRecord>(id, Read::Strong)
            .await?
        {
            Some(stored) if stored.live(now) => self.replay(Some(stored), now).map(Some),
            _ => Ok(None),
        }
    }

    /// The stored response, when the key's record beat this request's write.
    pub fn replay(
        &self,
        stored: Option<IdempotencyRecord>,
        now: Timestamp,
    ) -> Result<Response<Body>, ApiError> {
        let stored = stored
            .filter(|s| s.live(now))
            .ok_or(ApiError::Unavailable {
                retry_after_secs: 1,
            })?;
        if stored.fingerprint != self.fingerprint {
            return Err(ApiError::conflict(
                "IDEMPOTENCY_KEY_REUSED",
                "This Idempotency-Key was used for a different request.",
            ));
        }
        let status = StatusCode::from_u16(stored.status).map_err(anyhow::Error::new)?;
        Self::response(status, stored.body, true)
    }

    /// Adds the record of this response to `transaction` (when the request has a key): it
    /// fails the transaction if a live record holds the key already.
    pub fn record(
        &self,
        transaction: Transaction,
        status: StatusCode,
        body: &str,
        now: Timestamp,
    ) -> Result<Transaction, ApiError> {
        let Some(id) = &self.id else {
            return Ok(transaction);
        };
        let record = IdempotencyRecord {
            id: id.clone(),
            fingerprint: self.fingerprint.clone(),
            status: status.as_u16(),
            body: body.to_string(),
            created_at: now,
            expires_at: now.plus(IdempotencyRecord::LIFETIME).epoch_seconds(),
        };
        // TTL deletes lazily: an expired record counts as absent.
        let free = Condition::not_exists(Collection::IdempotencyKeys).or(Condition::new(
            "#expiresAt <= :nowSeconds",
        )
        .name("#expiresAt", "expiresAt")
        .value(":nowSeconds", n(now.epoch_seconds())));
        Ok(transaction.put(&record, Some(free))?)
    }

    /// A JSON response with `body`, marked when it is a replay.
    pub fn response(
        status: StatusCode,
        body: String,
        replayed: bool,
    ) -> Result<Response<Body>, ApiError> {
        let mut response = Response::builder()
            .status(status)
            .header(CONTENT_TYPE, "application/json");
        if replayed {
            response = response.header(REPLAYED, "true");
        }
        response
            .body(Body::Text(body))
            .map_err(|e| ApiError::Unexpected(anyhow::Error::new(e)))
    }
}
