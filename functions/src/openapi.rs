//! The OpenAPI document: every route's `#[utoipa::path]` is listed here, and a test checks
//! that this list, the template, the local router and the binaries agree.

use utoipa::OpenApi;

use crate::platform;

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
    ),
    components(schemas(shared::http::Problem, shared::http::FieldError)),
    tags((name = "platform", description = "The deployment itself.")),
)]
pub struct ApiDoc;

/// The OpenAPI 3.1 document as JSON.
pub fn document_json() -> Result<String, serde_json::Error> {
    ApiDoc::openapi().to_pretty_json()
}
