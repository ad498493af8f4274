//! `GET /auctions?status=`: the auctions the caller may see, by when they run. A status group
//! spans several stored phases (an auction still stored `ready` is open once it starts), so
//! the list walks a fixed plan of index partitions; its cursor says which partition it reached
//! and where in it. The position may name an auction the caller was not shown (a private
//! one), so the cursor is sealed with `CURSOR_KEY`.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use shared::catalog::{AuctionAccess, AuctionRecord, AuctionStatus, EventType, views};
use shared::domain::Timestamp;
use shared::http::sealed::{open, seal};
use shared::http::{
    ApiError, FieldError, collect, json, page_parameters_into, query_parameter, refused_query,
};
use shared::identity::Caller;
use shared::store::{Condition, Index, Query, s};

use super::view::AuctionView;
use crate::AppState;

/// At most this many index pages are read for one list page, however many are filtered out.
const MAX_QUERIES: usize = 20;

/// A page of auctions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuctionList {
    pub items: Vec<AuctionView>,
    pub next_cursor: Option<String>,
}

/// Which auctions to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Group {
    Upcoming,
    Open,
    Past,
    /// The caller's own auctions in setup.
    Draft,
}

/// One partition to read and the phase (in force now) its auctions must be in.
struct Step {
    status: Option<AuctionStatus>,
    starts: Option<(&'static str, Timestamp)>,
    keep: AuctionStatus,
}

fn plan(group: Group, now: Timestamp) -> Vec<Step> {
    use AuctionStatus::*;
    let step = |status, starts, keep| Step {
        status: Some(status),
        starts,
        keep,
    };
    match group {
        Group::Upcoming => vec![step(Ready, Some((">", now)), Ready)],
        Group::Open => vec![step(Open, None, Open), step(Ready, Some(("<=", now)), Open)],
        Group::Past => vec![
            step(Pending, None, Pending),
            step(Complete, None, Complete),
            step(Closed, None, Closed),
            step(Open, None, Pending),
            step(Ready, Some(("<=", now)), Pending),
        ],
        Group::Draft => vec![Step {
            status: None,
            starts: None,
            keep: Setup,
        }],
    }
}

#[derive(Serialize, Deserialize)]
struct Position {
    step: usize,
    inner: Option<String>,
}

/// The cursor of `position`, sealed: it may point at an auction the caller was not shown.
fn encode(state: &AppState, position: &Position) -> Result<String, ApiError> {
    let plain = serde_json::to_vec(position)
        .map_err(|e| ApiError::Unexpected(anyhow::Error::new(e).context("a list position")))?;
    seal(state.cursor_key()?, &plain)
}

fn decode(state: &AppState, cursor: &str, steps: usize) -> Result<Position, ApiError> {
    let invalid = || ApiError::invalid("cursor", "is not a cursor this list issued");
    let plain = open(state.cursor_key()?, cursor)?;
    serde_json::from_slice::<Position>(&plain)
        .ok()
        .filter(|position| position.step < steps)
        .ok_or_else(invalid)
}

/// Lists auctions the caller may see: `upcoming`, `open` (default), `past`, or `draft` (the
/// caller's own, in setup).
#[utoipa::path(
    get,
    path = "/auctions",
    tag = "catalog",
    operation_id = "listAuctions",
    params(
        ("status" = Option<String>, Query, description = "`upcoming`, `open` (default), `past` or `draft`."),
        ("limit" = Option<u32>, Query, description = "1 to 100, default 20."),
        ("cursor" = Option<String>, Query, description = "From the previous page."),
    ),
    responses(
        (status = 200, description = "A page of auctions.", body = AuctionList),
        (status = 401, description = "`draft` needs a signed-in caller.", body = shared::http::Problem),
        (status = 422, description = "Unknown status, bad limit or cursor.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_auctions(state: &AppState, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = state.optional_caller(&request).await?;
    // Every parameter at fault is listed in one answer.
    let mut errors = Vec::new();
    let group = match query_parameter(&request, "status").unwrap_or("open") {
        "upcoming" => Some(Group::Upcoming),
        "open" => Some(Group::Open),
        "past" => Some(Group::Past),
        "draft" => Some(Group::Draft),
        _ => {
            errors.push(FieldError::new(
                "status",
                "must be upcoming, open, past or draft",
            ));
            None
        }
    };
    if group == Some(Group::Draft) && caller.is_none() {
        return Err(ApiError::Unauthenticated);
    }
    let (limit, cursor) = page_parameters_into(&request, &mut errors);
    let now = state.clock.now();
    let steps = plan(group.unwrap_or(Group::Open), now);
    let position = match (&cursor, group) {
        (Some(cursor), Some(_)) => collect(decode(state, cursor, steps.len()), &mut errors)?,
        // Which list the cursor belongs to is unknown: it must at least be one of ours.
        (Some(cursor), None) => collect(open(state.cursor_key()?, cursor), &mut errors)?.and(None),
        (None, _) => None,
    };
    refused_query(errors)?;
    let mut position = position.unwrap_or(Position {
        step: 0,
        inner: None,
    });
    let mut items = Vec::new();
    for _ in 0..MAX_QUERIES {
        let Some(step) = steps.get(position.step) else {
            with_visits(state, &mut items).await?;
            return json(
                StatusCode::OK,
                &AuctionList {
                    items,
                    next_cursor: None,
                },
            );
        };
        let wanted = limit - u32::try_from(items.len()).unwrap_or(limit);
        let page = state
            .store
            .query::<AuctionRecord>(
                query(step, caller.as_ref())
                    .limit(wanted)
                    .after(position.inner.as_deref()),
            )
            .await?;
        for auction in page.items {
            if auction.effective_status(now) == step.keep {
                if let Some(view) = shown(state, caller.as_ref(), &auction, now).await? {
                    items.push(view);
                }
            }
        }
        position = match page.next_cursor {
            Some(inner) => Position {
                step: position.step,
                inner: Some(inner),
            },
            None => Position {
                step: position.step + 1,
                inner: None,
            },
        };
        if items.len() >= limit as usize {
            break;
        }
    }
    let next_cursor = if position.step < steps.len() {
        Some(encode(state, &position)?)
    } else {
        None
    };
    with_visits(state, &mut items).await?;
    json(StatusCode::OK, &AuctionList { items, next_cursor })
}

/// Fills in how often each listed auction was visited (one read for the page).
async fn with_visits(state: &AppState, items: &mut [AuctionView]) -> Result<(), ApiError> {
    let subjects: Vec<String> = items.iter().map(|a| views::auction_subject(a.id)).collect();
    let counts = views::views_of(&state.store, &subjects).await?;
    for (view, subject) in items.iter_mut().zip(&subjects) {
        view.visits = Some(counts.get(subject).copied().unwrap_or(0));
    }
    Ok(())
}

fn query(step: &Step, caller: Option<&Caller>) -> Query {
    match (step.status, caller) {
        (Some(status), _) => {
            let query = Query::index(Index::AUCTIONS_BY_STATUS, s(status.as_str()));
            match step.starts {
                Some((operator, at)) => query.sort(
                    Condition::new(format!("#sort {operator} :at")).value(":at", s(at.to_string())),
                ),
                None => query,
            }
        }
        (None, Some(caller)) => {
            Query::index(Index::AUCTIONS_BY_OWNER, s(caller.id().to_string())).descending()
        }
        // Drafts need a caller; checked before planning.
        (None, None) => Query::index(Index::AUCTIONS_BY_OWNER, s("")),
    }
}

/// The auction as the caller may see it, or `None` if they may not.
async fn shown(
    state: &AppState,
    caller: Option<&Caller>,
    auction: &AuctionRecord,
    now: Timestamp,
) -> Result<Option<AuctionView>, ApiError> {
    // Public published auctions are visible to all: no membership read needed for them.
    let access = if auction.event_type == EventType::Public
        && auction.status.is_published()
        && caller.is_none()
    {
        AuctionAccess::default()
    } else {
        AuctionAccess::of(&state.store, caller, auction).await?
    };
    if !access.can_view(auction) {
        return Ok(None);
    }
    Ok(Some(AuctionView::new(auction, &access, now)?))
}
