//! Reports: `GET /auctions/{auctionId}/reports/{report}` for managers with `report:export`:
//! `items`, `bidders` or `payments`, as `.csv` (RFC 4180, for spreadsheets) or `.json` (for
//! the web app). A report comes in pages of at most 1,000 rows, each read from its own index
//! page by page (never the bids: an item's bid count is on the item), and every page served
//! is audited `report_exported` with its row count.

use std::collections::HashMap;

use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Request, Response};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Value, json};
use shared::audit::{AuditAction, AuditRecord};
use shared::bidding::TotalsRecord;
use shared::catalog::access::Power;
use shared::catalog::{AuctionRecord, ItemRecord, MembershipRecord};
use shared::domain::{Money, UserId};
use shared::http::sealed::{open_cursor, seal_cursor};
use shared::http::{
    ApiError, FieldError, check_cursor, collect, path_parameter, query_parameter, refused_query,
};
use shared::lifecycle::{Invoice, PaymentRecord, premium};
use shared::store::{Index, Query, Read, Record, StoreError, s};

use super::invoices::{accounts, sum, won_items};
use crate::AppState;
use crate::catalog::auctions::visible_auction;
use crate::catalog::view::shown;

/// Rows a page holds unless `?limit=` says otherwise, and the most it may ask for.
const DEFAULT_ROWS: u32 = 500;
const MAX_ROWS: u32 = 1000;

/// Which report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Report {
    Items,
    Bidders,
    Payments,
}

impl Report {
    fn name(self) -> &'static str {
        match self {
            Report::Items => "items",
            Report::Bidders => "bidders",
            Report::Payments => "payments",
        }
    }

    /// The report's columns, in order: the CSV header and the JSON rows' fields.
    fn columns(self) -> &'static [&'static str] {
        match self {
            Report::Items => &[
                "lot",
                "name",
                "type",
                "status",
                "bids",
                "startingPrice",
                "fairMarketValue",
                "bidderNumber",
                "winner",
                "saleKind",
                "amount",
                "buyerPremium",
                "paymentStatus",
                "pickupStatus",
            ],
            Report::Bidders => &[
                "bidderNumber",
                "name",
                "email",
                "status",
                "itemsWon",
                "subtotal",
                "buyerPremium",
                "total",
                "amountPaid",
                "balance",
                "paid",
            ],
            Report::Payments => &[
                "recordedAt",
                "bidderNumber",
                "payer",
                "direction",
                "amount",
                "method",
                "reference",
                "lots",
                "source",
            ],
        }
    }
}

/// How the report is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Csv,
    Json,
}

/// `items.csv` and the like; `None` for any other name.
fn report_of(name: &str) -> Option<(Report, Format)> {
    let (report, format) = name.rsplit_once('.')?;
    let report = match report {
        "items" => Report::Items,
        "bidders" => Report::Bidders,
        "payments" => Report::Payments,
        _ => return None,
    };
    let format = match format {
        "csv" => Format::Csv,
        "json" => Format::Json,
        _ => return None,
    };
    Some((report, format))
}

/// One page of a report: its rows, each a value per column.
struct Table {
    report: Report,
    rows: Vec<Vec<Value>>,
    next_cursor: Option<String>,
}

/// A report as JSON.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportPage {
    /// `items`, `bidders` or `payments`.
    pub report: String,
    /// The column names, in the CSV's order.
    pub columns: Vec<String>,
    /// One object per row, keyed by column (amounts are decimal strings; absent values are
    /// `null`).
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<serde_json::Map<String, Value>>,
    pub next_cursor: Option<String>,
}

/// Serves one page of a report.
#[utoipa::path(
    get,
    path = "/auctions/{auctionId}/reports/{report}",
    tag = "event",
    operation_id = "exportReport",
    security(("bearer" = [])),
    params(
        ("auctionId" = String, Path, description = "The auction's id."),
        ("report" = String, Path, description = "`items`, `bidders` or `payments`, then `.csv` or `.json`: `items.csv`."),
        ("limit" = Option<u32>, Query, description = "At most this many rows (default 500, max 1000)."),
        ("cursor" = Option<String>, Query, description = "Where the previous page ended (a CSV page's `Link: rel=\"next\"` header carries it)."),
    ),
    responses(
        (status = 200, description = "A page of the report: `text/csv` with a header row, or JSON.", body = ReportPage),
        (status = 401, description = "Not signed in.", body = shared::http::Problem),
        (status = 403, description = "Not a manager of the auction with `report:export`.", body = shared::http::Problem),
        (status = 404, description = "No such auction the caller may see, or no such report.", body = shared::http::Problem),
        (status = 422, description = "A bad `limit` or `cursor`.", body = shared::http::Problem),
    ),
)]
#[tracing::instrument(skip_all)]
pub async fn get_auctions_auction_reports_report(
    state: &AppState,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = state.caller(&request).await?;
    let (auction, access) = visible_auction(state, &request, Some(&caller)).await?;
    access.require(&auction, Power::ExportReports)?;
    let name: String = path_parameter(&request, "report")?;
    let (report, format) = report_of(&name).ok_or(ApiError::NotFoundSaying(
        "No such report: items, bidders or payments, each as .csv or .json.",
    ))?;
    let mut errors = Vec::new();
    let limit = rows_limit(&request, &mut errors);
    // Sealed: a bidders page ends on a membership, whose key names the account.
    let key = state.cursor_key()?;
    let cursor = collect(
        open_cursor(key, query_parameter(&request, "cursor")),
        &mut errors,
    )?
    .flatten();
    let query = first_query(report, &auction).after(cursor.as_deref());
    check_cursor(&query, &mut errors);
    refused_query(errors)?;
    let mut table = match report {
        Report::Items => items_report(state, &auction, query, limit).await?,
        Report::Bidders => bidders_report(state, &auction, query, limit).await?,
        Report::Payments => payments_report(state, &auction, query, limit).await?,
    };
    let now = state.clock.now();
    let mut audit = AuditRecord::new(AuditAction::ReportExported, Some(caller.id()), now)
        .target(auction.id)
        .detail("report", report.name())
        .detail(
            "format",
            match format {
                Format::Csv => "csv",
                Format::Json => "json",
            },
        )
        .detail("rows", table.rows.len())
        .detail("continued", cursor.is_some());
    audit.auction_id = Some(auction.id);
    state.store.put(&audit, None).await?;
    tracing::info!(auction.id = %auction.id, report = report.name(), rows = table.rows.len(), "report exported");
    table.next_cursor = seal_cursor(key, table.next_cursor)?;
    match format {
        Format::Json => shared::http::json(StatusCode::OK, &json_page(table)),
        Format::Csv => csv_response(&request, &auction, &name, table, limit),
    }
}

/// `?limit=`: 1 to [`MAX_ROWS`], [`DEFAULT_ROWS`] when absent.
fn rows_limit(request: &Request, errors: &mut Vec<FieldError>) -> u32 {
    match query_parameter(request, "limit") {
        None => DEFAULT_ROWS,
        Some(text) => match text.parse::<u32>() {
            Ok(limit) if (1..=MAX_ROWS).contains(&limit) => limit,
            _ => {
                errors.push(FieldError::new(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_ROWS}"),
                ));
                DEFAULT_ROWS
            }
        },
    }
}

/// The index query a report reads its rows from.
fn first_query(report: Report, auction: &AuctionRecord) -> Query {
    let partition = s(auction.id.to_string());
    match report {
        Report::Items => Query::index(Index::ITEMS_BY_AUCTION, partition),
        Report::Bidders => Query::index(Index::MEMBERSHIPS_BY_NUMBER, partition),
        Report::Payments => Query::index(Index::PAYMENTS_BY_AUCTION, partition),
    }
}

/// Up to `limit` records of `query`, store page after store page, and where they ended.
async fn records<R: Record>(
    state: &AppState,
    query: Query,
    limit: u32,
) -> Result<(Vec<R>, Option<String>), StoreError> {
    let mut records = Vec::new();
    let mut query = query;
    loop {
        let wanted = limit - records.len() as u32;
        let page = state.store.query::<R>(query.clone().limit(wanted)).await?;
        records.extend(page.items);
        match page.next_cursor {
            Some(next) if (records.len() as u32) < limit => {
                query = query.after(Some(&next));
            }
            next => return Ok((records, next)),
        }
    }
}

/// An amount as clients see it, as a cell.
fn amount(money: Money, auction: &AuctionRecord) -> Result<Value, ApiError> {
    Ok(json!(shown(money, auction.currency)?.to_string()))
}

/// Every lot: what it is, how it sold and where it stands.
async fn items_report(
    state: &AppState,
    auction: &AuctionRecord,
    query: Query,
    limit: u32,
) -> Result<Table, ApiError> {
    let (items, next_cursor) = records::<ItemRecord>(state, query, limit).await?;
    let winners = accounts(state, items.iter().filter_map(|i| i.sale.as_ref()?.winner)).await?;
    let percent = auction.settings.buyer_premium_percent;
    let rows = items
        .iter()
        .map(|item| {
            let sale = item.sale.as_ref();
            let winner = sale.and_then(|sale| match sale.winner {
                Some(id) => winners.get(&id).map(|u| u.display_name.clone()),
                None => sale.manual_name.clone(),
            });
            Ok(vec![
                json!(item.lot_number),
                json!(item.name),
                json!(item.item_type),
                json!(item.status),
                json!(item.bidding.bid_count),
                amount(item.starting_price, auction)?,
                item.fair_market_value
                    .map(|v| amount(v, auction))
                    .transpose()?
                    .unwrap_or(Value::Null),
                json!(sale.and_then(|s| s.bidder_number)),
                json!(winner),
                json!(sale.map(|s| s.kind)),
                sale.map(|s| amount(s.amount, auction))
                    .transpose()?
                    .unwrap_or(Value::Null),
                sale.map(|s| amount(premium(s.amount, percent, auction.currency), auction))
                    .transpose()?
                    .unwrap_or(Value::Null),
                json!(sale.map(|s| s.payment_status)),
                json!(sale.and_then(|s| s.pickup_status)),
            ])
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(Table {
        report: Report::Items,
        rows,
        next_cursor,
    })
}

/// Every bidder by number: who they are and their invoice.
async fn bidders_report(
    state: &AppState,
    auction: &AuctionRecord,
    query: Query,
    limit: u32,
) -> Result<Table, ApiError> {
    let (members, next_cursor) = records::<MembershipRecord>(state, query, limit).await?;
    let users = accounts(state, members.iter().map(|m| m.user_id)).await?;
    let keys: Vec<String> = members
        .iter()
        .map(|m| TotalsRecord::key(auction.id, m.user_id))
        .collect();
    let totals: HashMap<UserId, TotalsRecord> = state
        .store
        .get_many::<TotalsRecord>(&keys, Read::Eventual)
        .await?
        .into_iter()
        .map(|t| (t.bidder_id, t))
        .collect();
    let all: Vec<TotalsRecord> = totals.values().cloned().collect();
    let won = won_items(state, &all, Read::Eventual).await?;
    let currency = auction.currency;
    let rows = members
        .iter()
        .map(|member| {
            let user = users.get(&member.user_id);
            let invoice = totals
                .get(&member.user_id)
                .map(|t| Invoice::of(t, &won, auction.settings.buyer_premium_percent, currency));
            let money = |pick: fn(&Invoice) -> Decimal| -> Result<Value, ApiError> {
                let value = invoice.as_ref().map_or(Decimal::ZERO, pick);
                Ok(json!(sum(value, currency)?.to_string()))
            };
            Ok(vec![
                json!(member.bidder_number),
                json!(user.map(|u| &u.display_name)),
                json!(user.map(|u| &u.email)),
                json!(member.status),
                json!(invoice.as_ref().map_or(0, |i| i.lines.len())),
                money(|i| i.subtotal)?,
                money(|i| i.premium)?,
                money(|i| i.total)?,
                money(|i| i.amount_paid)?,
                money(|i| i.balance)?,
                json!(invoice.as_ref().is_some_and(Invoice::paid)),
            ])
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(Table {
        report: Report::Bidders,
        rows,
        next_cursor,
    })
}

/// Every payment recorded, in the order it was: at the desk, by the provider, and the
/// reversals of payments set back.
async fn payments_report(
    state: &AppState,
    auction: &AuctionRecord,
    query: Query,
    limit: u32,
) -> Result<Table, ApiError> {
    let (payments, next_cursor) = records::<PaymentRecord>(state, query, limit).await?;
    let mut keys: Vec<String> = payments
        .iter()
        .flat_map(|p| p.items.iter().map(|id| id.to_string()))
        .collect();
    keys.sort();
    keys.dedup();
    let lots: HashMap<_, u32> = state
        .store
        .get_many::<ItemRecord>(&keys, Read::Eventual)
        .await?
        .into_iter()
        .map(|item| (item.id, item.lot_number))
        .collect();
    let rows = payments
        .iter()
        .map(|payment| {
            let mut numbers: Vec<u32> = payment
                .items
                .iter()
                .filter_map(|id| lots.get(id).copied())
                .collect();
            numbers.sort_unstable();
            let numbers: Vec<String> = numbers.iter().map(u32::to_string).collect();
            Ok(vec![
                json!(payment.recorded_at),
                json!(payment.bidder_number),
                json!(payment.payer_name),
                json!(payment.direction),
                amount(payment.amount, auction)?,
                json!(payment.method),
                json!(payment.reference),
                json!(numbers.join(" ")),
                json!(if payment.recorded_by.is_some() {
                    "desk"
                } else {
                    "provider"
                }),
            ])
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(Table {
        report: Report::Payments,
        rows,
        next_cursor,
    })
}

fn json_page(table: Table) -> ReportPage {
    let columns = table.report.columns();
    ReportPage {
        report: table.report.name().to_string(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        rows: table
            .rows
            .into_iter()
            .map(|row| columns.iter().map(|c| c.to_string()).zip(row).collect())
            .collect(),
        next_cursor: table.next_cursor,
    }
}

/// The page as CSV, with the next page's address in a `Link` header.
fn csv_response(
    request: &Request,
    auction: &AuctionRecord,
    name: &str,
    table: Table,
    limit: u32,
) -> Result<Response<Body>, ApiError> {
    let mut body = csv_line(table.report.columns().iter().map(|c| c.to_string()));
    for row in table.rows {
        body.push_str(&csv_line(row.iter().map(cell_text)));
    }
    let mut response = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/csv; charset=utf-8")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}-{name}\"", auction.id),
        )
        .header(header::CACHE_CONTROL, "no-store");
    if let Some(cursor) = table.next_cursor {
        let path = request.uri().path();
        response = response.header(
            header::LINK,
            // A sealed cursor is URL-safe base64: it needs no escaping in a query string.
            format!("<{path}?limit={limit}&cursor={cursor}>; rel=\"next\""),
        );
    }
    response
        .body(Body::Text(body))
        .map_err(|e| ApiError::Unexpected(anyhow::Error::new(e).context("building a report")))
}

/// A cell as the spreadsheet gets it: strings as they are, numbers and flags as written,
/// nothing for `null`.
fn cell_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// One CSV record (RFC 4180): cells that could start a spreadsheet formula get a leading `'`,
/// cells with a comma, a quote or a line break are quoted, and the line ends in CRLF.
pub fn csv_line(cells: impl Iterator<Item = String>) -> String {
    let cells: Vec<String> = cells.map(|cell| quoted(&inert(cell))).collect();
    let mut line = cells.join(",");
    line.push_str("\r\n");
    line
}

/// `cell`, made inert against formula injection: one that begins with `=`, `+`, `-`, `@`, a
/// tab or a carriage return is read as text once prefixed with `'`.
fn inert(cell: String) -> String {
    match cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        true => format!("'{cell}"),
        false => cell,
    }
}

fn quoted(cell: &str) -> String {
    match cell.contains([',', '"', '\r', '\n']) {
        true => format!("\"{}\"", cell.replace('"', "\"\"")),
        false => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_inert_and_specials_quoted() {
        let line = csv_line(
            [
                "=HYPERLINK(\"http://x\",\"y\")",
                "+1",
                "-2",
                "@SUM(A1)",
                "\tx",
                "\rx",
                "plain",
                "a,b",
                "two\nlines",
                "",
            ]
            .into_iter()
            .map(String::from),
        );
        assert_eq!(
            line,
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'+1,'-2,'@SUM(A1),'\tx,\"'\rx\",plain,\"a,b\",\"two\nlines\",\r\n"
        );
    }

    #[test]
    fn report_names_are_the_three_reports_in_two_formats() {
        assert_eq!(report_of("items.csv"), Some((Report::Items, Format::Csv)));
        assert_eq!(
            report_of("bidders.json"),
            Some((Report::Bidders, Format::Json))
        );
        assert_eq!(
            report_of("payments.csv"),
            Some((Report::Payments, Format::Csv))
        );
        assert_eq!(report_of("bids.csv"), None);
        assert_eq!(report_of("items.xlsx"), None);
        assert_eq!(report_of("items"), None);
    }
}
