//! Check-out on the local stack: a mixed auction (a silent lot and live ones) from check-in to
//! complete, with invoices and their buyer's premium, payments in parts, pickup and the three
//! reports in both formats; and who may do each of it.

use std::time::Duration;

use integration_tests::harness::{Exchange, exchange};
use integration_tests::trials;
use libtest_mimic::Trial;
use serde_json::{Value, json};

use crate::event::{Event, refused};
use crate::realtime::User;

pub fn trials() -> Vec<Trial> {
    trials![
        a_mixed_auction_runs_from_check_in_to_complete_with_invoices_pickup_and_reports,
        only_those_who_run_the_auction_see_invoices_take_payments_record_pickup_and_export,
    ]
}

/// Lot 1 is silent with a buy-now price and a fair market value; its name is a spreadsheet
/// formula. Lots 2 to 4 are live; lot 2's name needs CSV quoting. The premium is 15 %.
async fn mixed_event() -> anyhow::Result<Event> {
    let lots = [
        json!({"name": "=HYPERLINK(\"http://evil.example\",\"prize\")", "type": "silent",
               "startingPrice": "10.00", "buyNowPrice": "120.30", "fairMarketValue": "50.00"}),
        json!({"name": "Lot 2, \"the big one\"", "type": "live", "startingPrice": "10.00",
               "fairMarketValue": "200.00"}),
        json!({"name": "Lot 3", "type": "live", "startingPrice": "10.00"}),
        json!({"name": "Lot 4", "type": "live", "startingPrice": "10.00"}),
    ];
    Event::with(json!({"buyerPremiumPercent": "15"}), &lots).await
}

/// `method path` as `user` with an `Idempotency-Key`.
async fn keyed(
    event: &Event,
    method: &str,
    path: &str,
    user: &User,
    body: Value,
    key: &str,
) -> anyhow::Result<Exchange> {
    let bearer = format!("Bearer {}", user.token);
    let headers = [
        ("content-type", "application/json"),
        ("authorization", bearer.as_str()),
        ("idempotency-key", key),
    ];
    exchange(
        method,
        &format!("{}{path}", event.stack.base),
        &headers,
        body.to_string().into_bytes(),
    )
    .await
}

/// Waits until `item` is open (the auction opens on its schedule, 2 s after it was made).
async fn until_open(event: &Event, item: &str) -> anyhow::Result<()> {
    for _ in 0..40 {
        let view = event
            .stack
            .expect(
                200,
                "GET",
                &format!("/items/{item}"),
                Some(&event.artist.token),
                None,
            )
            .await?;
        if view["status"] == "open" {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    anyhow::bail!("item {item} never opened")
}

/// Parses RFC 4180 text: quoted cells with doubled quotes, commas and line breaks in them,
/// records ending in CRLF.
fn parse_csv(text: &str) -> anyhow::Result<Vec<Vec<String>>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut cell = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, other) => cell.push(other),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut cell)),
            (false, '\r') => {
                anyhow::ensure!(chars.next() == Some('\n'), "a record ends in CRLF");
                record.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut record));
            }
            (false, other) => cell.push(other),
        }
    }
    anyhow::ensure!(
        !quoted && cell.is_empty() && record.is_empty(),
        "the text ends after a whole record: {text:?}"
    );
    Ok(records)
}

/// A report's rows as column name → cell, from CSV (every page, following `Link`) or JSON
/// (following `nextCursor`), with the number of pages it took.
async fn report(
    event: &Event,
    name: &str,
    limit: u32,
) -> anyhow::Result<(Vec<serde_json::Map<String, Value>>, Vec<usize>)> {
    let mut path = format!(
        "/auctions/{}/reports/{name}?limit={limit}",
        event.auction.id
    );
    let mut rows = Vec::new();
    let mut pages = Vec::new();
    let token = Some(event.artist.token.as_str());
    loop {
        let answer = event.stack.call("GET", &path, token, None).await?;
        anyhow::ensure!(
            answer.status == 200,
            "{path}: {} {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        );
        let next = if name.ends_with(".csv") {
            assert_eq!(answer.header("content-type"), "text/csv; charset=utf-8");
            assert!(
                answer
                    .header("content-disposition")
                    .starts_with("attachment; filename="),
                "{}",
                answer.header("content-disposition")
            );
            let records = parse_csv(std::str::from_utf8(&answer.body)?)?;
            let (header, body) = records
                .split_first()
                .ok_or_else(|| anyhow::anyhow!("{name}: no header row"))?;
            pages.push(body.len());
            for record in body {
                assert_eq!(record.len(), header.len(), "{name}: {record:?}");
                rows.push(
                    header
                        .iter()
                        .cloned()
                        .zip(record.iter().map(|c| json!(c)))
                        .collect(),
                );
            }
            let link = answer.header("link");
            (!link.is_empty()).then(|| {
                link.trim_start_matches('<')
                    .split_once(">; rel=\"next\"")
                    .map(|(next, _)| next.to_string())
                    .unwrap_or_default()
            })
        } else {
            let page = answer.json()?;
            let page_rows = page["rows"].as_array().cloned().unwrap_or_default();
            pages.push(page_rows.len());
            for row in page_rows {
                let columns: Vec<&str> = page["columns"]
                    .as_array()
                    .map(|c| c.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let row = row.as_object().cloned().unwrap_or_default();
                assert_eq!(row.keys().count(), columns.len(), "{row:?}");
                rows.push(row);
            }
            // Sealed cursors are URL-safe base64: they go in a query string as they are.
            page["nextCursor"].as_str().map(|cursor| {
                format!(
                    "/auctions/{}/reports/{name}?limit={limit}&cursor={cursor}",
                    event.auction.id
                )
            })
        };
        match next {
            Some(next) => path = next,
            None => return Ok((rows, pages)),
        }
    }
}

/// A row's cell as text, whether it came from CSV or JSON (`null` is empty, as in CSV).
fn cell(row: &serde_json::Map<String, Value>, column: &str) -> String {
    match &row[column] {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The row whose `column` is `value`.
fn row_where<'a>(
    rows: &'a [serde_json::Map<String, Value>],
    column: &str,
    value: &str,
) -> &'a serde_json::Map<String, Value> {
    rows.iter()
        .find(|row| cell(row, column) == value)
        .unwrap_or_else(|| panic!("no row with {column} = {value}: {rows:?}"))
}

/// A walk-in is checked in; the first bidder buys lot 1 now; the clerk sells lot 2 to the
/// walk-in and a manager corrects it to the first bidder; lot 3 goes to the walk-in, lot 4 to
/// a guest by name. The first bidder's invoice (two lines, 15 % premium rounded half-even,
/// deductible parts) is paid in two parts, an overpayment refused between them and a replay
/// answered from its key; pickup is refused before payment and recorded after. Every report
/// is exported in both formats, in pages, parsed back and checked row by row, with formula
/// cells inert in CSV; each export is audited with its row count; the auction ends complete
/// and reconciled.
async fn a_mixed_auction_runs_from_check_in_to_complete_with_invoices_pickup_and_reports()
-> anyhow::Result<()> {
    let event = mixed_event().await?;
    let id = event.auction.id.clone();
    let [lot1, lot2, lot3, lot4] = [0, 1, 2, 3].map(|i| event.auction.items[i].clone());
    let [(first, first_number), (second, second_number)] = &event.bidders;
    let clerk = &event.clerk;
    let manager = Some(event.artist.token.as_str());

    let walk_in = event
        .stack
        .expect(
            201,
            "POST",
            &format!("/auctions/{id}/check-in"),
            Some(&clerk.token),
            Some(json!({"email": format!("guest-{}@example.com", &id[..8]), "displayName": "@SUM(1+1)"})),
        )
        .await?;
    let walk_in_number = walk_in["bidderNumber"].as_u64().unwrap_or_default();
    let walk_in_id = walk_in["userId"].as_str().unwrap_or_default().to_string();

    until_open(&event, &lot1).await?;
    let bought = event
        .stack
        .call(
            "POST",
            &format!("/items/{lot1}/buy-now"),
            Some(&first.token),
            Some(json!({})),
        )
        .await?;
    assert_eq!(
        bought.status,
        201,
        "{}",
        String::from_utf8_lossy(&bought.body)
    );
    for (lot, who, price) in [
        (&lot2, json!({"bidderNumber": walk_in_number}), "450.00"),
        (&lot3, json!({"bidderNumber": walk_in_number}), "75.00"),
        (&lot4, json!({"manualName": "Guest at table 7"}), "80.00"),
    ] {
        let mut body = who;
        body["hammerPrice"] = json!(price);
        let entered = event.enter("POST", Some(clerk), lot, body).await?;
        assert_eq!(
            entered.status,
            201,
            "{}",
            String::from_utf8_lossy(&entered.body)
        );
    }
    let corrected = event
        .enter(
            "PUT",
            Some(&event.artist),
            &lot2,
            json!({"bidderNumber": first_number, "hammerPrice": "500.00"}),
        )
        .await?;
    assert_eq!(
        corrected.status,
        200,
        "{}",
        String::from_utf8_lossy(&corrected.body)
    );

    // The first bidder's invoice, as they see it.
    let mine = event
        .stack
        .expect(
            200,
            "GET",
            &format!("/me/invoices?auctionId={id}"),
            Some(&first.token),
            None,
        )
        .await?;
    let invoices = mine["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(invoices.len(), 1, "{mine}");
    let invoice = &invoices[0];
    let lines: Vec<(&str, &str, &str, &str, &str, &str)> = invoice["lines"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .map(|l| {
                    let t = |f: &str| l[f].as_str().unwrap_or("-");
                    (
                        t("itemId"),
                        t("kind"),
                        t("amount"),
                        t("buyerPremium"),
                        t("total"),
                        t("deductible"),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        lines,
        [
            (
                lot1.as_str(),
                "buyNow",
                "120.30",
                "18.04",
                "138.34",
                "70.30"
            ),
            (lot2.as_str(), "live", "500.00", "75.00", "575.00", "300.00"),
        ],
        "18.045 rounds half-even to 18.04: {invoice}"
    );
    for (field, value) in [
        ("subtotal", "620.30"),
        ("buyerPremium", "93.04"),
        ("total", "713.34"),
        ("amountPaid", "0.00"),
        ("balance", "713.34"),
        ("credit", "0.00"),
        ("deductible", "370.30"),
        ("buyerPremiumPercent", "15"),
    ] {
        assert_eq!(invoice[field], value, "{field}: {invoice}");
    }
    assert_eq!(invoice["paid"], false);
    assert_eq!(invoice.get("displayName"), None, "{invoice}");
    let nothing = event
        .stack
        .expect(
            200,
            "GET",
            &format!("/me/invoices?auctionId={id}"),
            Some(&second.token),
            None,
        )
        .await?;
    assert_eq!(nothing["items"], json!([]), "{nothing}");

    // Those who run the auction see every invoice, with names.
    let all = event
        .stack
        .expect(
            200,
            "GET",
            &format!("/auctions/{id}/invoices"),
            manager,
            None,
        )
        .await?;
    let listed: Vec<(u64, &str, &str)> = all["items"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|i| {
                    (
                        i["bidderNumber"].as_u64().unwrap_or_default(),
                        i["displayName"].as_str().unwrap_or("-"),
                        i["total"].as_str().unwrap_or("-"),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        listed,
        [
            (*first_number, first.display_name.as_str(), "713.34"),
            (walk_in_number, "@SUM(1+1)", "86.25"),
        ],
        "the walk-in lost lot 2 to the correction and keeps lot 3: {all}"
    );

    // Pickup waits for the payment.
    let early = event
        .stack
        .call(
            "POST",
            &format!("/items/{lot1}/pickup"),
            Some(&clerk.token),
            Some(json!({"status": "pickedUp"})),
        )
        .await?;
    refused(&early, 409, "NOT_PAID");

    // The first bidder pays in two parts; more than the balance is refused between them.
    let pay = format!("/auctions/{id}/invoices/{}/payment", first.id);
    let part = keyed(
        &event,
        "POST",
        &pay,
        &event.artist,
        json!({"amount": "400.00", "method": "cash"}),
        "part-1",
    )
    .await?;
    assert_eq!(part.status, 201, "{}", String::from_utf8_lossy(&part.body));
    let part = part.json()?;
    assert_eq!(part["payment"]["amount"], "400.00");
    assert_eq!(part["invoice"]["amountPaid"], "400.00");
    assert_eq!(part["invoice"]["balance"], "313.34");
    assert_eq!(part["invoice"]["paid"], false);
    assert!(
        part["invoice"]["lines"]
            .as_array()
            .is_some_and(|l| l.iter().all(|l| l["paymentStatus"] == "unpaid")),
        "a part payment marks no item paid: {part}"
    );
    let over = event
        .stack
        .call(
            "POST",
            &pay,
            manager,
            Some(json!({"amount": "313.35", "method": "card"})),
        )
        .await?;
    refused(&over, 409, "OVERPAYMENT");
    for wrong in [
        json!({"amount": "0", "method": "cash"}),
        json!({"amount": "1.001", "method": "cash"}),
        json!({"amount": "10.00", "method": "barter"}),
        json!({"amount": "10.00", "method": "cash", "reference": ""}),
    ] {
        let answer = event
            .stack
            .call("POST", &pay, manager, Some(wrong.clone()))
            .await?;
        assert_eq!(
            answer.status,
            422,
            "{wrong}: {}",
            String::from_utf8_lossy(&answer.body)
        );
    }
    let rest_body = json!({"amount": "313.34", "method": "card", "reference": "slip 0042"});
    let rest = keyed(
        &event,
        "POST",
        &pay,
        &event.artist,
        rest_body.clone(),
        "rest-1",
    )
    .await?;
    assert_eq!(rest.status, 201, "{}", String::from_utf8_lossy(&rest.body));
    let replay = keyed(&event, "POST", &pay, &event.artist, rest_body, "rest-1").await?;
    assert_eq!(
        (replay.status, &replay.body),
        (201, &rest.body),
        "a retry gets the first answer"
    );
    let rest = rest.json()?;
    assert_eq!(rest["invoice"]["balance"], "0.00");
    assert_eq!(rest["invoice"]["amountPaid"], "713.34");
    assert_eq!(rest["invoice"]["paid"], true);
    assert!(
        rest["invoice"]["lines"].as_array().is_some_and(|l| l
            .iter()
            .all(|l| l["paymentStatus"] == "paid" && l["pickupStatus"] == "notPickedUp")),
        "paid in full, every item is paid: {rest}"
    );
    let done = event
        .stack
        .call(
            "POST",
            &pay,
            manager,
            Some(json!({"amount": "1.00", "method": "cash"})),
        )
        .await?;
    refused(&done, 409, "INVOICE_PAID");
    let item = event
        .stack
        .expect(
            200,
            "GET",
            &format!("/items/{lot1}"),
            Some(&first.token),
            None,
        )
        .await?;
    assert_eq!(item["sale"]["paymentStatus"], "paid", "{item}");

    // The walk-in pays at the desk (a reference that is a formula), the guest by cheque.
    event
        .stack
        .expect(
            201,
            "POST",
            &format!("/auctions/{id}/invoices/{walk_in_id}/payment"),
            manager,
            Some(json!({"amount": "86.25", "method": "cash", "reference": "=1+2"})),
        )
        .await?;
    event
        .stack
        .expect(
            200,
            "POST",
            &format!("/items/{lot4}/payment"),
            manager,
            Some(json!({"status": "paid", "method": "check"})),
        )
        .await?;

    // Pickup once paid; the same status again writes nothing.
    let pickup = format!("/items/{lot1}/pickup");
    for _ in 0..2 {
        let gone = event
            .stack
            .expect(
                200,
                "POST",
                &pickup,
                Some(&clerk.token),
                Some(json!({"status": "pickedUp"})),
            )
            .await?;
        assert_eq!(gone["pickupStatus"], "pickedUp", "{gone}");
        assert_eq!(gone["bidderNumber"], *first_number);
        assert_eq!(gone["winnerName"], first.display_name.as_str());
    }
    let waiting = |query: &'static str| {
        let path = format!("/auctions/{id}/pickup{query}");
        let stack = &event.stack;
        let token = clerk.token.clone();
        async move {
            let page = stack.expect(200, "GET", &path, Some(&token), None).await?;
            let ids: Vec<String> = page["items"]
                .as_array()
                .map(|rows| {
                    rows.iter()
                        .filter_map(|r| r["itemId"].as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            anyhow::Ok(ids)
        }
    };
    assert_eq!(
        waiting("").await?,
        [lot2.clone(), lot3.clone(), lot4.clone()]
    );
    assert_eq!(
        waiting("?status=pickedUp").await?,
        std::slice::from_ref(&lot1)
    );
    assert_eq!(waiting("?status=all").await?.len(), 4);
    let bad = event
        .stack
        .call(
            "GET",
            &format!("/auctions/{id}/pickup?status=lost"),
            Some(&clerk.token),
            None,
        )
        .await?;
    assert_eq!(bad.status, 422);
    let changes = event.audited("pickup_status_changed").await?;
    assert_eq!(
        changes.len(),
        1,
        "once: the second was no change: {changes:?}"
    );
    assert_eq!(changes[0]["details"]["to"], "pickedUp");

    // Every sale paid: the auction is complete.
    let mut status = Value::Null;
    for _ in 0..40 {
        status = event
            .stack
            .expect(200, "GET", &format!("/auctions/{id}"), manager, None)
            .await?["status"]
            .clone();
        if status == "complete" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(status, "complete");

    // The reports, in both formats, in pages.
    let lot_of = |item: &str| {
        let stack = &event.stack;
        let path = format!("/items/{item}");
        async move {
            let view = stack.expect(200, "GET", &path, manager, None).await?;
            anyhow::Ok(view["lotNumber"].to_string())
        }
    };
    let lots = [
        lot_of(&lot1).await?,
        lot_of(&lot2).await?,
        lot_of(&lot3).await?,
        lot_of(&lot4).await?,
    ];
    let mut exported = Vec::new();
    for format in ["csv", "json"] {
        let csv = format == "csv";
        let (items, pages) = report(&event, &format!("items.{format}"), 3).await?;
        assert_eq!(pages, [3, 1], "{format}");
        exported.extend(pages.iter().map(|rows| ("items", format, *rows)));
        assert_eq!(items.len(), 4);
        let row = row_where(&items, "lot", &lots[0]);
        let formula = "=HYPERLINK(\"http://evil.example\",\"prize\")";
        assert_eq!(
            row["name"],
            if csv {
                format!("'{formula}")
            } else {
                formula.to_string()
            },
            "a formula is inert in CSV, as it was written in JSON"
        );
        for (column, value) in [
            ("type", "silent"),
            ("saleKind", "buyNow"),
            ("amount", "120.30"),
            ("buyerPremium", "18.04"),
            ("fairMarketValue", "50.00"),
            ("paymentStatus", "paid"),
            ("pickupStatus", "pickedUp"),
            ("winner", first.display_name.as_str()),
        ] {
            assert_eq!(row[column], value, "{format} {column}: {row:?}");
        }
        let row = row_where(&items, "lot", &lots[1]);
        assert_eq!(row["name"], "Lot 2, \"the big one\"");
        assert_eq!(row["amount"], "500.00");
        assert_eq!(
            row["bidderNumber"].to_string().trim_matches('"'),
            first_number.to_string()
        );
        let row = row_where(&items, "lot", &lots[3]);
        assert_eq!(row["winner"], "Guest at table 7");
        assert_eq!(
            row["bidderNumber"],
            if csv { json!("") } else { Value::Null }
        );
        assert_eq!(row["buyerPremium"], "12.00");

        let (bidders, pages) = report(&event, &format!("bidders.{format}"), 500).await?;
        exported.extend(pages.iter().map(|rows| ("bidders", format, *rows)));
        let numbers: Vec<u64> = bidders
            .iter()
            .filter_map(|r| cell(r, "bidderNumber").parse().ok())
            .collect();
        assert_eq!(
            numbers.len(),
            4,
            "the clerk joined with a number too: {bidders:?}"
        );
        assert!(numbers.is_sorted(), "by bidder number: {numbers:?}");
        for number in [*first_number, *second_number, walk_in_number] {
            assert!(numbers.contains(&number), "{number}: {numbers:?}");
        }
        let row = row_where(&bidders, "bidderNumber", &first_number.to_string());
        for (column, value) in [
            ("subtotal", "620.30"),
            ("buyerPremium", "93.04"),
            ("total", "713.34"),
            ("amountPaid", "713.34"),
            ("balance", "0.00"),
        ] {
            assert_eq!(row[column], value, "{format} {column}: {row:?}");
        }
        assert_eq!(cell(row, "paid"), "true");
        assert_eq!(cell(row, "itemsWon"), "2");
        let row = row_where(&bidders, "bidderNumber", &walk_in_number.to_string());
        assert_eq!(row["name"], if csv { "'@SUM(1+1)" } else { "@SUM(1+1)" });
        assert_eq!(row["total"], "86.25");
        let row = row_where(&bidders, "bidderNumber", &second_number.to_string());
        assert_eq!(
            (&row["total"], &row["balance"]),
            (&json!("0.00"), &json!("0.00"))
        );

        let (payments, pages) = report(&event, &format!("payments.{format}"), 2).await?;
        assert_eq!(pages, [2, 2], "{format}");
        exported.extend(pages.iter().map(|rows| ("payments", format, *rows)));
        let seen: Vec<(String, String, String, String)> = payments
            .iter()
            .map(|r| {
                (
                    cell(r, "amount"),
                    cell(r, "method"),
                    cell(r, "reference"),
                    cell(r, "lots"),
                )
            })
            .collect();
        let both = format!("{} {}", lots[0], lots[1]);
        assert_eq!(
            seen,
            [
                ("400.00".into(), "cash".into(), String::new(), String::new()),
                ("313.34".into(), "card".into(), "slip 0042".into(), both),
                (
                    "86.25".into(),
                    "cash".into(),
                    if csv { "'=1+2" } else { "=1+2" }.into(),
                    lots[2].clone()
                ),
                (
                    "92.00".into(),
                    "check".into(),
                    String::new(),
                    lots[3].clone()
                ),
            ],
            "{format}: {payments:?}"
        );
        assert_eq!(payments[3]["payer"], "Guest at table 7");
        assert!(
            payments
                .iter()
                .all(|r| r["source"] == "desk" && r["direction"] == "received")
        );
    }
    let unknown = event
        .stack
        .call(
            "GET",
            &format!("/auctions/{id}/reports/bids.csv"),
            manager,
            None,
        )
        .await?;
    refused(&unknown, 404, "NOT_FOUND");
    let too_many = event
        .stack
        .call(
            "GET",
            &format!("/auctions/{id}/reports/items.csv?limit=1001"),
            manager,
            None,
        )
        .await?;
    assert_eq!(too_many.status, 422);

    // Each page served is in the audit with its report, format and row count.
    let mut audited: Vec<(String, String, u64)> = event
        .audited("report_exported")
        .await?
        .iter()
        .map(|e| {
            let d = &e["details"];
            (
                d["report"].as_str().unwrap_or_default().to_string(),
                d["format"].as_str().unwrap_or_default().to_string(),
                d["rows"].as_u64().unwrap_or(u64::MAX),
            )
        })
        .collect();
    let mut expected: Vec<(String, String, u64)> = exported
        .iter()
        .map(|(r, f, n)| (r.to_string(), f.to_string(), *n as u64))
        .collect();
    audited.sort();
    expected.sort();
    assert_eq!(audited, expected);
    let payments = event.audited("payment_status_changed").await?;
    assert_eq!(
        payments.len(),
        4,
        "two parts, the walk-in, the guest: {payments:?}"
    );
    event.assert_reconciled().await
}

/// A bidder, the staff of another auction and anonymous callers are refused every check-out
/// route; the clerk records pickup but neither sees invoices, takes payments nor exports.
async fn only_those_who_run_the_auction_see_invoices_take_payments_record_pickup_and_export()
-> anyhow::Result<()> {
    let event = mixed_event().await?;
    let other = mixed_event().await?;
    let id = &event.auction.id;
    let [(first, _), (second, _)] = &event.bidders;
    let item = &event.auction.items[0];
    let routes: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", format!("/auctions/{id}/invoices"), None),
        (
            "POST",
            format!("/auctions/{id}/invoices/{}/payment", first.id),
            Some(json!({"amount": "1.00", "method": "cash"})),
        ),
        (
            "POST",
            format!("/items/{item}/pickup"),
            Some(json!({"status": "pickedUp"})),
        ),
        ("GET", format!("/auctions/{id}/pickup"), None),
        ("GET", format!("/auctions/{id}/reports/items.csv"), None),
        ("GET", format!("/auctions/{id}/reports/bidders.json"), None),
        ("GET", format!("/auctions/{id}/reports/payments.csv"), None),
    ];
    for (method, path, body) in &routes {
        let as_bidder = event
            .stack
            .call(method, path, Some(&second.token), body.clone())
            .await?;
        assert_eq!(as_bidder.status, 403, "a bidder: {method} {path}");
        for stranger in [&other.clerk, &other.bidders[0].0] {
            let answer = event
                .stack
                .call(method, path, Some(&stranger.token), body.clone())
                .await?;
            assert_eq!(
                answer.status, 404,
                "another auction's people: {method} {path}"
            );
        }
        let anonymous = event.stack.call(method, path, None, body.clone()).await?;
        assert_eq!(anonymous.status, 401, "anonymous: {method} {path}");
        let clerk = event
            .stack
            .call(method, path, Some(&event.clerk.token), body.clone())
            .await?;
        let pickup = path.contains("/pickup");
        let expected = match (pickup, *method) {
            (true, "POST") => 409, // allowed, but the item is not paid
            (true, _) => 200,
            (false, _) => 403,
        };
        assert_eq!(
            clerk.status,
            expected,
            "the clerk: {method} {path}: {}",
            String::from_utf8_lossy(&clerk.body)
        );
    }
    let mine = event.stack.call("GET", "/me/invoices", None, None).await?;
    assert_eq!(mine.status, 401);
    let theirs = event
        .stack
        .expect(
            200,
            "GET",
            &format!("/me/invoices?auctionId={id}"),
            Some(&other.clerk.token),
            None,
        )
        .await?;
    assert_eq!(
        theirs["items"],
        json!([]),
        "nobody sees another's invoice: {theirs}"
    );
    assert!(
        event.audited("report_exported").await?.is_empty(),
        "a refused export is not one"
    );
    Ok(())
}
