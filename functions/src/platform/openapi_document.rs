//! `GET /openapi.json`: the OpenAPI 3.1 document of every HTTP route, generated from the
//! handlers' own annotations and types.

use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Request, Response};

use shared::http::ApiError;

/// Serves the OpenAPI document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "platform",
    operation_id = "getOpenapi",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API.",
        content_type = "application/json")),
)]
#[tracing::instrument(skip_all)]
pub async fn get_openapi(document: &str, _request: Request) -> Result<Response<Body>, ApiError> {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "public, max-age=300")
        .body(Body::Text(document.to_string()))
        .map_err(|e| ApiError::Unexpected(anyhow::Error::new(e).context("building a response")))
}
