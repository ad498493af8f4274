//! Lambda entry point of `GET /openapi.json`: needs no store, so it builds no clients.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let document = functions::openapi::document_json()?;
    shared::http::serve(|request| {
        functions::platform::openapi_document::get_openapi(&document, request)
    })
    .await
}
