//! `POST /realtime/tickets`: a single-use ticket to open a signed-in WebSocket connection.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::http::{ApiError, json};
use shared::identity::Secret;
use shared::realtime::{TICKET_SECS, Ticket, TicketRecord};

use crate::AppState;

/// A ticket and where to use it: connect to `url?ticket=<ticket>` within `expiresIn` seconds.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketView {
    pub ticket: Secret,
    /// Seconds it stays usable.
    pub expires_in: i64,
    /// The WebSocket URL.
    pub url: String,
}

/// Hands the caller a ticket for the WebSocket API, so their access token never travels in a
/// URL. The ticket opens one connection, once, within a minute.
#[utoipa::path(
    post,
    path = "/realtime/tickets",
    tag = "realtime",
    operation_id = "createRealtimeTicket",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "A ticket for one connection.", body = TicketView),
        (status = 401, description = "No valid token.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn post_realtime_tickets(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let url =
        state.config.realtime.websocket_url.clone().ok_or_else(|| {
            ApiError::Unexpected(anyhow::anyhow!("WEBSOCKET_URL is not configured"))
        })?;
    let ticket = Ticket::generate()?;
    let record = TicketRecord::new(&ticket, caller.id(), caller.session, state.clock.now());
    state.store.create(&record).await?;
    json(
        StatusCode::CREATED,
        &TicketView {
            ticket: ticket.text().clone(),
            expires_in: TICKET_SECS,
            url,
        },
    )
}
