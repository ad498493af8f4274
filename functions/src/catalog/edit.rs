//! `PATCH|DELETE /auctions/{auctionId}` and `PATCH|DELETE /items/{itemId}`: changes by the
//! auction's owner, managers and staff. In setup everything may change; once published, only
//! what does not touch the bidding (names, descriptions, photos, the payment page). Deletes
//! are for setup only. Every change is audited.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::audit::{self, AuditAction, AuditRecord, audited_update};
use shared::catalog::access::Power;
use shared::catalog::draft::{self, Checks, SettingsInput};
use shared::catalog::{
    AuctionNotifications, AuctionRecord, AuctionStatus, ItemRecord, ItemType, MembershipRecord,
};
use shared::domain::{Money, Timestamp, UserId};
use shared::http::{ApiError, json, no_content, parse_json_fields};
use shared::identity::profile;
use shared::store::{
    AttributeValue, Collection, Condition, Index, Query, Record, Update, from_item, n, s,
    to_attribute, to_item,
};

use super::auctions::visible_auction;
use super::items::visible_item;
use super::view::{AuctionView, ItemView};
use crate::AppState;

/// Changes to an auction; `null` clears an optional field. Each field passes its own rule as
/// the body is parsed (the ones of [`draft::NewAuction`]).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuctionChanges {
    #[serde(
        default,
        deserialize_with = "shared::http::checked_option::<draft::Title, _>"
    )]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "shared::http::checked_nullable::<draft::Description, _>"
    )]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "shared::http::checked_nullable::<draft::HttpsUrl, _>"
    )]
    #[schema(value_type = Option<String>)]
    pub thumbnail: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "shared::http::checked_nullable::<draft::HttpsUrl, _>"
    )]
    #[schema(value_type = Option<String>)]
    pub payment_url: Option<Option<String>>,
    /// Setup only.
    pub starts_at: Option<Timestamp>,
    /// Setup only.
    pub ends_at: Option<Timestamp>,
    /// Setup only.
    #[serde(
        default,
        deserialize_with = "shared::http::checked_option::<profile::TimeZone, _>"
    )]
    pub time_zone: Option<String>,
    /// Setup only.
    pub settings: Option<SettingsInput>,
    /// Changeable at any time (audited as `auction_notifications_updated`).
    pub notifications: Option<NotificationsChange>,
}

/// New notification settings; `inAppEnabled` left out keeps what the auction has.
#[derive(Clone, Copy, Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NotificationsChange {
    pub outbid: bool,
    pub closing_soon: bool,
    pub payment_reminders: bool,
    pub in_app_enabled: Option<bool>,
}

impl NotificationsChange {
    fn applied_to(self, current: &AuctionNotifications) -> AuctionNotifications {
        AuctionNotifications {
            outbid: self.outbid,
            closing_soon: self.closing_soon,
            payment_reminders: self.payment_reminders,
            in_app_enabled: self.in_app_enabled.unwrap_or(current.in_app_enabled),
        }
    }
}

impl AuctionChanges {
    /// Whether the body changes the notification settings and nothing else (a power of its
    /// own: `auction:notifications:*`).
    fn only_notifications(&self) -> bool {
        self.notifications.is_some()
            && self.name.is_none()
            && self.description.is_none()
            && self.thumbnail.is_none()
            && self.payment_url.is_none()
            && self.starts_at.is_none()
            && self.ends_at.is_none()
            && self.time_zone.is_none()
            && self.settings.is_none()
    }
}

/// Changes to an item; `null` clears an optional field. Each field passes its own rule as the
/// body is parsed (the ones of [`draft::NewItem`]).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ItemChanges {
    #[serde(
        default,
        deserialize_with = "shared::http::checked_option::<draft::Title, _>"
    )]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "shared::http::checked_nullable::<draft::Description, _>"
    )]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "shared::http::checked_nullable::<draft::HttpsUrl, _>"
    )]
    #[schema(value_type = Option<String>)]
    pub primary_photo: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "shared::http::checked_option::<draft::Gallery, _>"
    )]
    pub gallery: Option<Vec<String>>,
    /// Setup only.
    #[serde(rename = "type")]
    pub item_type: Option<ItemType>,
    /// Setup only.
    pub starting_price: Option<Money>,
    /// Setup only.
    #[serde(default, deserialize_with = "shared::http::nullable")]
    #[schema(value_type = Option<Money>)]
    pub reserve_price: Option<Option<Money>>,
    /// Setup only.
    #[serde(default, deserialize_with = "shared::http::nullable")]
    #[schema(value_type = Option<Money>)]
    pub buy_now_price: Option<Option<Money>>,
    /// Any time: it only tells donors' receipts what the item is worth (`null` removes it).
    #[serde(default, deserialize_with = "shared::http::nullable")]
    #[schema(value_type = Option<Money>)]
    pub fair_market_value: Option<Option<Money>>,
}

/// A PATCH being worked out: the edits, the fields refused, the fields publishing froze, and
/// the audit entry that records which fields changed.
struct Edits {
    set: Vec<(&'static str, AttributeValue)>,
    remove: Vec<&'static str>,
    changed: Vec<&'static str>,
    checks: Checks,
    frozen: Vec<&'static str>,
}

impl Edits {
    /// Edits at `now` of a body whose field rules refused `refused` (listed with the rest).
    fn new(now: Timestamp, refused: Vec<shared::http::FieldError>) -> Self {
        Self {
            set: vec![("updatedAt", s(now.to_string()))],
            remove: Vec::new(),
            changed: Vec::new(),
            checks: Checks(refused),
            frozen: Vec::new(),
        }
    }

    /// A new name, if one was sent.
    fn name(&mut self, change: Option<String>) {
        if let Some(name) = change {
            self.set("name", s(name));
        }
    }

    /// Records a change of something frozen by publishing (a state conflict, answered 409).
    fn freeze(&mut self, field: &'static str) {
        self.frozen.push(field);
    }

    /// `409 AUCTION_PUBLISHED` naming the frozen fields that were to change, else `422` for
    /// refused ones; `Ok` when the edits may be written.
    fn settle(&mut self) -> Result<(), ApiError> {
        if !self.frozen.is_empty() {
            let mut extensions = serde_json::Map::new();
            extensions.insert("fields".into(), serde_json::json!(self.frozen));
            return Err(ApiError::Conflict {
                code: "AUCTION_PUBLISHED",
                detail: format!("Publishing froze {}.", self.frozen.join(", ")),
                extensions,
            });
        }
        if !self.checks.is_empty() {
            return Err(ApiError::Validation(std::mem::take(&mut self.checks.0)));
        }
        Ok(())
    }

    fn set(&mut self, field: &'static str, value: AttributeValue) {
        self.set.push((field, value));
        self.changed.push(field);
    }

    /// Applies a PATCH of an optional text field: absent leaves it, `null` removes it, a value
    /// (which passed its rule as the body was parsed) is set.
    fn optional_text(&mut self, field: &'static str, change: Option<Option<String>>) {
        if let Some(value) = change {
            self.text(field, value);
        }
    }

    /// Sets an optional text field, or removes it for `null`.
    fn text(&mut self, field: &'static str, value: Option<String>) {
        match value {
            Some(text) => self.set(field, s(text)),
            None => {
                self.remove.push(field);
                self.changed.push(field);
            }
        }
    }

    /// The entry that records this edit of `before`: which fields changed, and each one's
    /// value before and after (a changed payment page stays traceable).
    fn audit<R: Record>(
        &self,
        action: AuditAction,
        actor: UserId,
        auction: &AuctionRecord,
        before: &R,
        now: Timestamp,
    ) -> Result<AuditRecord, ApiError> {
        let mut after = to_item(before)?;
        for (field, value) in &self.set {
            after.insert((*field).to_string(), value.clone());
        }
        for field in &self.remove {
            after.remove(*field);
        }
        let after: R = from_item(after)?;
        let as_json = |record: &R| serde_json::to_value(record).map_err(anyhow::Error::new);
        let (before_json, after_json) = (as_json(before)?, as_json(&after)?);
        let changes: serde_json::Map<String, serde_json::Value> = self
            .changed
            .iter()
            .map(|field| {
                let value =
                    |json: &serde_json::Value| json.get(*field).cloned().unwrap_or_default();
                let change = audit::change(&value(&before_json), &value(&after_json));
                ((*field).to_string(), change)
            })
            .collect();
        let mut entry = AuditRecord::new(action, Some(actor), now)
            .target(before.key_value())
            .detail("fields", self.changed.clone())
            .detail("changes", changes);
        entry.auction_id = Some(auction.id);
        Ok(entry)
    }
}

/// Edits an auction (owner, managers, staff).
#[utoipa::path(
    patch,
    path = "/auctions/{auctionId}",
    tag = "catalog",
    operation_id = "updateAuction",
    security(("bearer" = [])),
    params(("auctionId" = String, Path, description = "The auction's id.")),
    request_body = AuctionChanges,
    responses(
        (status = 200, description = "The auction as it is now.", body = AuctionView),
        (status = 403, description = "Not the auction's owner, a manager or staff.", body = shared::http::Problem),
        (status = 404, description = "No such auction the caller may see.", body = shared::http::Problem),
        (status = 409, description = "`AUCTION_PUBLISHED`: fields frozen by publishing (listed in `fields`).", body = shared::http::Problem),
        (status = 422, description = "Invalid fields.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn patch_auctions_auction(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let (auction, access) = visible_auction(state, &request, Some(&caller)).await?;
    let (changes, refused) = parse_json_fields::<AuctionChanges>(&request)?;
    access.require(
        &auction,
        // A refused field is absent from `changes`, but it was sent to be changed.
        if changes.only_notifications() && refused.is_empty() {
            Power::ChangeNotifications
        } else {
            Power::UpdateAuction
        },
    )?;
    let now = state.clock.now();
    let in_setup = auction.status == AuctionStatus::Setup;
    let mut edits = Edits::new(now, refused);
    edits.name(changes.name);
    edits.optional_text("description", changes.description);
    edits.optional_text("thumbnail", changes.thumbnail);
    edits.optional_text("paymentUrl", changes.payment_url);
    if changes.starts_at.is_some() || changes.ends_at.is_some() {
        if in_setup {
            let (starts_at, ends_at) = (
                changes.starts_at.unwrap_or(auction.starts_at),
                changes.ends_at.unwrap_or(auction.ends_at),
            );
            let spans = &state.config.lifecycle;
            draft::schedule(starts_at, ends_at, now, spans, &mut edits.checks);
            edits.set("startsAt", s(starts_at.to_string()));
            edits.set("endsAt", s(ends_at.to_string()));
        } else {
            edits.freeze(if changes.starts_at.is_some() {
                "startsAt"
            } else {
                "endsAt"
            });
        }
    }
    if let Some(zone) = changes.time_zone {
        if in_setup {
            edits.set("timeZone", s(zone));
        } else {
            edits.freeze("timeZone");
        }
    }
    if let Some(input) = changes.settings {
        if in_setup {
            let settings = draft::settings(
                auction.settings.clone(),
                input,
                auction.currency,
                &mut edits.checks,
            );
            edits.set("settings", to_attribute(&settings)?);
        } else {
            edits.freeze("settings");
        }
    }
    edits.settle()?;
    let mut audits = Vec::new();
    if !edits.changed.is_empty() {
        audits.push(edits.audit(
            AuditAction::AuctionUpdated,
            caller.id(),
            &auction,
            &auction,
            now,
        )?);
    }
    if let Some(notifications) = changes
        .notifications
        .map(|n| n.applied_to(&auction.notifications))
        .filter(|n| *n != auction.notifications)
    {
        edits
            .set
            .push(("notifications", to_attribute(&notifications)?));
        let mut entry = AuditRecord::new(
            AuditAction::AuctionNotificationsUpdated,
            Some(caller.id()),
            now,
        )
        .target(auction.id)
        .detail(
            "notifications",
            serde_json::to_value(notifications).unwrap_or_default(),
        );
        entry.auction_id = Some(auction.id);
        audits.push(entry);
    }
    let update = Update::fields(edits.set, &edits.remove)
        .when(Condition::version_is("version", auction.version));
    let updated: AuctionRecord =
        audited_update(&state.store, &auction.id.to_string(), update, &audits)
            .await?
            .ok_or(ApiError::NotFound)?;
    json(StatusCode::OK, &AuctionView::new(&updated, &access, now)?)
}

/// Deletes an auction in setup with its items (its owner or an administrator).
///
/// The auction's owner may, while they hold `auction:delete:own` (the artist role), and so
/// may anyone holding `auction:delete:any` (administrators). Managers and platform staff
/// may not.
#[utoipa::path(
    delete,
    path = "/auctions/{auctionId}",
    tag = "catalog",
    operation_id = "deleteAuction",
    security(("bearer" = [])),
    params(("auctionId" = String, Path, description = "The auction's id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Not the auction's owner or an administrator.", body = shared::http::Problem),
        (status = 404, description = "No such auction the caller may see.", body = shared::http::Problem),
        (status = 409, description = "`AUCTION_PUBLISHED`: only auctions in setup are deleted.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn delete_auctions_auction(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let (auction, access) = visible_auction(state, &request, Some(&caller)).await?;
    access.require(&auction, Power::DeleteAuction)?;
    let now = state.clock.now();
    if auction.status != AuctionStatus::Setup {
        return Err(ApiError::conflict(
            "AUCTION_PUBLISHED",
            "Only an auction in setup can be deleted.",
        ));
    }
    let query = Query::index(Index::ITEMS_BY_AUCTION, s(auction.id.to_string())).limit(100);
    let items = state.store.query::<ItemRecord>(query).await?.items;
    // The item index lags writes a little: delete only when it shows every item counted.
    if items.len() != auction.item_count as usize {
        return Err(ApiError::Unavailable {
            retry_after_secs: 1,
        });
    }
    let unchanged = Condition::version_is("version", auction.version).and(
        Condition::new("#itemCount = :expectedCount AND #lotsAssigned = :expectedLots")
            .name("#itemCount", "itemCount")
            .name("#lotsAssigned", "lotsAssigned")
            .value(":expectedCount", n(auction.item_count))
            .value(":expectedLots", n(auction.lots_assigned)),
    );
    let mut transaction = state
        .store
        .transaction()
        .delete(
            Collection::Auctions,
            &auction.id.to_string(),
            Some(unchanged),
        )?
        .delete(
            Collection::AuctionMemberships,
            &MembershipRecord::key(auction.id, auction.owner_id),
            None,
        )?;
    for item in &items {
        transaction = transaction.delete(Collection::Items, &item.id.to_string(), None)?;
    }
    let mut audit = AuditRecord::new(AuditAction::AuctionDeleted, Some(caller.id()), now)
        .target(auction.id)
        .detail("name", auction.name.clone())
        .detail("items", items.len());
    audit.auction_id = Some(auction.id);
    state.store.transact(transaction.create(&audit)?).await?;
    tracing::info!(auction.id = %auction.id, items = items.len(), "draft auction deleted");
    no_content()
}

/// Edits an item (owner, managers, staff of its auction).
#[utoipa::path(
    patch,
    path = "/items/{itemId}",
    tag = "catalog",
    operation_id = "updateItem",
    security(("bearer" = [])),
    params(("itemId" = String, Path, description = "The item's id.")),
    request_body = ItemChanges,
    responses(
        (status = 200, description = "The item as it is now.", body = ItemView),
        (status = 403, description = "Not the auction's owner, a manager or staff.", body = shared::http::Problem),
        (status = 404, description = "No such item the caller may see.", body = shared::http::Problem),
        (status = 409, description = "`AUCTION_PUBLISHED`: fields frozen by publishing (listed in `fields`).", body = shared::http::Problem),
        (status = 422, description = "Invalid fields.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn patch_items_item(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let (item, auction, access) = visible_item(state, &request, Some(&caller)).await?;
    access.require(&auction, Power::UpdateItem)?;
    let (changes, refused) = parse_json_fields::<ItemChanges>(&request)?;
    let now = state.clock.now();
    let in_setup = auction.status == AuctionStatus::Setup;
    let mut edits = Edits::new(now, refused);
    edits.name(changes.name);
    edits.optional_text("description", changes.description);
    edits.optional_text("primaryPhoto", changes.primary_photo);
    if let Some(gallery) = changes.gallery {
        edits.set("gallery", to_attribute(&gallery)?);
    }
    let prices_change = changes.starting_price.is_some()
        || changes.reserve_price.is_some()
        || changes.buy_now_price.is_some();
    if changes.item_type.is_some() && !in_setup {
        edits.freeze("type");
    } else if let Some(item_type) = changes.item_type {
        edits.set("type", to_attribute(&item_type)?);
    }
    if prices_change && !in_setup {
        edits.freeze("startingPrice");
    } else if prices_change {
        let starting = changes.starting_price.unwrap_or(item.starting_price);
        let reserve = changes.reserve_price.unwrap_or(item.reserve_price);
        let buy_now = changes.buy_now_price.unwrap_or(item.buy_now_price);
        draft::prices(
            starting,
            reserve,
            buy_now,
            auction.currency,
            &mut edits.checks,
        );
        edits.set("startingPrice", amount(starting));
        for (field, price) in [("reservePrice", reserve), ("buyNowPrice", buy_now)] {
            match price {
                Some(price) => edits.set(field, amount(price)),
                None => {
                    edits.remove.push(field);
                    edits.changed.push(field);
                }
            }
        }
    }
    if let Some(value) = changes.fair_market_value {
        draft::fair_market_value(value, auction.currency, &mut edits.checks);
        match value {
            Some(value) => edits.set("fairMarketValue", amount(value)),
            None => {
                edits.remove.push("fairMarketValue");
                edits.changed.push("fairMarketValue");
            }
        }
    }
    edits.settle()?;
    let audit = edits.audit(AuditAction::ItemUpdated, caller.id(), &auction, &item, now)?;
    let update = Update::fields(edits.set, &edits.remove)
        .when(Condition::version_is("version", item.version));
    let updated: ItemRecord = audited_update(&state.store, &item.id.to_string(), update, &[audit])
        .await?
        .ok_or(ApiError::NotFound)?;
    json(
        StatusCode::OK,
        &ItemView::new(
            &updated,
            &auction,
            &access,
            Some(caller.id()),
            state.clock.now(),
        )?,
    )
}

/// An amount as a DynamoDB Number, as records store it.
fn amount(money: Money) -> AttributeValue {
    n(money.amount().normalize())
}

/// Deletes an item of an auction in setup (owner, managers, administrators).
///
/// The auction's owner (while they hold `item:delete:own`), its managers, and anyone
/// holding `item:delete:any` (administrators) may; platform staff may not.
#[utoipa::path(
    delete,
    path = "/items/{itemId}",
    tag = "catalog",
    operation_id = "deleteItem",
    security(("bearer" = [])),
    params(("itemId" = String, Path, description = "The item's id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Not the auction's owner, a manager or an administrator.", body = shared::http::Problem),
        (status = 404, description = "No such item the caller may see.", body = shared::http::Problem),
        (status = 409, description = "`AUCTION_PUBLISHED`: items are deleted in setup only.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn delete_items_item(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let (item, auction, access) = visible_item(state, &request, Some(&caller)).await?;
    access.require(&auction, Power::DeleteItem)?;
    if auction.status != AuctionStatus::Setup {
        return Err(ApiError::conflict(
            "AUCTION_PUBLISHED",
            "Items can only be deleted while the auction is in setup.",
        ));
    }
    let now = state.clock.now();
    let uncount = Update::new("ADD #itemCount :minusOne SET #updatedAt = :now")
        .name("#itemCount", "itemCount")
        .name("#updatedAt", "updatedAt")
        .value(":minusOne", n(-1))
        .value(":now", s(now.to_string()))
        .when(
            Condition::new("#status = :setup")
                .name("#status", "status")
                .value(":setup", s("setup")),
        );
    let mut audit = AuditRecord::new(AuditAction::ItemDeleted, Some(caller.id()), now)
        .target(item.id)
        .detail("name", item.name.clone());
    audit.auction_id = Some(auction.id);
    let transaction = state
        .store
        .transaction()
        .update(Collection::Auctions, &auction.id.to_string(), uncount)?
        .delete(
            Collection::Items,
            &item.id.to_string(),
            Some(Condition::version_is("version", item.version)),
        )?
        .create(&audit)?;
    state.store.transact(transaction).await?;
    no_content()
}
