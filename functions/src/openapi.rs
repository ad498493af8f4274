//! The OpenAPI document: every route's `#[utoipa::path]` is listed here, and a test checks
//! that this list, the template, the local router and the binaries agree.

use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{Modify, Number, OpenApi};

use crate::{bidding, catalog, identity, lifecycle, platform, realtime};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Auction platform API",
        version = "1.0.0",
        description = "Auctions for small and starting artists: events, artworks, live bidding.",
        license(name = "Proprietary")
    ),
    paths(
        platform::health::get_health,
        platform::openapi_document::get_openapi,
        identity::register::post_auth_register,
        identity::login::post_auth_login,
        identity::refresh::post_auth_refresh,
        identity::logout::post_auth_logout,
        identity::me::get_me,
        identity::me::patch_me,
        identity::my_sessions::get_me_sessions,
        identity::my_sessions::delete_me_sessions_session,
        identity::password::post_me_password,
        identity::roles::get_permissions,
        identity::roles::get_roles,
        identity::roles::put_roles_role_name,
        identity::groups::get_groups,
        identity::groups::put_groups_group_name,
        identity::users::get_users,
        identity::users::post_users,
        identity::users::get_users_user,
        identity::users::patch_users_user,
        identity::users::delete_users_user,
        identity::purge::delete_me,
        identity::export::get_me_export,
        catalog::auctions::post_auctions,
        catalog::auctions::get_auctions_auction,
        catalog::items::post_auctions_auction_items,
        catalog::items::get_auctions_auction_items,
        catalog::items::get_items_item,
        catalog::publish::post_auctions_auction_publish,
        catalog::join::post_auctions_join,
        catalog::listing::get_auctions,
        catalog::edit::patch_auctions_auction,
        catalog::edit::delete_auctions_auction,
        catalog::edit::patch_items_item,
        catalog::edit::delete_items_item,
        catalog::audit::get_auctions_auction_audit,
        catalog::phase::post_auctions_auction_phase,
        catalog::phase::post_auctions_auction_code,
        catalog::members::get_auctions_auction_members,
        catalog::members::patch_auctions_auction_members_user,
        bidding::bids::post_items_item_bids,
        bidding::buy_now::post_items_item_buy_now,
        bidding::bids::get_items_item_bids,
        bidding::removal::delete_bids_bid,
        bidding::removal::post_bids_bid_restore,
        bidding::mine::get_me_bids,
        bidding::mine::get_me_totals,
        bidding::totals::get_auctions_auction_totals,
        bidding::reconcile::get_auctions_auction_reconcile,
        realtime::tickets::post_realtime_tickets,
        realtime::notifications::get_me_notifications,
        realtime::notifications::post_me_notifications_notification_read,
        realtime::notifications::post_me_notifications_read_all,
        lifecycle::offers::get_me_offers,
        lifecycle::offers::post_offers_offer_accept,
        lifecycle::offers::post_offers_offer_decline,
        lifecycle::payments::post_items_item_payment,
        lifecycle::payments::post_webhooks_payments,
        lifecycle::live::post_items_item_live_winner,
        lifecycle::live::put_items_item_live_winner,
        catalog::checkin::post_auctions_auction_check_in,
        lifecycle::invoices::get_me_invoices,
        lifecycle::invoices::get_auctions_auction_invoices,
        lifecycle::invoices::post_auctions_auction_invoices_bidder_payment,
        lifecycle::pickup::post_items_item_pickup,
        lifecycle::pickup::get_auctions_auction_pickup,
        lifecycle::reports::get_auctions_auction_reports_report,
    ),
    components(schemas(shared::http::Problem, shared::http::FieldError)),
    modifiers(&BearerAuth, &PageLimits),
    tags(
        (name = "platform", description = "The deployment itself."),
        (name = "identity", description = "Accounts, logins and sessions."),
        (name = "administration", description = "Accounts, roles and groups: staff and administrators read them, administrators change them."),
        (name = "catalog", description = "Auctions, items and memberships."),
        (name = "bidding", description = "Bids, buy-now, histories, totals and reconciliation."),
        (name = "realtime", description = "Live bidding: WebSocket tickets (the WebSocket messages and events are in docs/api.md) and in-app notifications."),
        (name = "lifecycle", description = "After the close: payments (by those who run the auction, or the payment provider's signed webhook) and second-chance offers."),
        (name = "event", description = "Running the event: live items' floor winners, check-in, invoices, pickup and reports."),
    ),
)]
pub struct ApiDoc;

/// Declares the `bearer` scheme the routes' `security` refers to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The bounds of every list's `?limit=`, as `shared::http::page_parameters` applies them.
const LIMIT_MINIMUM: usize = 1;
const LIMIT_MAXIMUM: usize = 100;
const LIMIT_DEFAULT: usize = 20;

/// Gives every `limit` query parameter its bounds and default: from `Option<u32>` the
/// routes' declarations would say only `minimum: 0`.
struct PageLimits;

impl Modify for PageLimits {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let operations = openapi.paths.paths.values_mut().flat_map(|item| {
            [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ]
            .into_iter()
            .flatten()
        });
        let limits = operations
            .flat_map(|operation| operation.parameters.iter_mut().flatten())
            .filter_map(|parameter| match parameter {
                RefOr::T(parameter) => Some(parameter),
                RefOr::Ref(_) => None,
            })
            .filter(|parameter| {
                parameter.name == "limit" && matches!(parameter.parameter_in, ParameterIn::Query)
            });
        for parameter in limits {
            if let Some(RefOr::T(Schema::Object(schema))) = &mut parameter.schema {
                schema.minimum = Some(Number::UInt(LIMIT_MINIMUM));
                schema.maximum = Some(Number::UInt(LIMIT_MAXIMUM));
                schema.default = Some(LIMIT_DEFAULT.into());
            }
        }
    }
}

/// The OpenAPI 3.1 document as JSON.
pub fn document_json() -> Result<String, serde_json::Error> {
    ApiDoc::openapi().to_pretty_json()
}
