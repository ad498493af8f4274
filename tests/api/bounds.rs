//! No request reads without bound: lists of an account's sessions, its personal-data export
//! and an auction's reconcile come a page at a time, whatever the data.

use functions::bidding::reconcile;
use functions::identity::{export, my_sessions};
use integration_tests::harness::{TestApp, text};
use integration_tests::{app_trials, call};
use libtest_mimic::Trial;
use serde_json::Value;
use shared::bidding::{BidRecord, BidStatus};
use shared::catalog::ItemRecord;
use shared::domain::{BidId, Clock, Money, UserId};
use shared::store::Read;

use super::bidding::{lot, open_auction};

pub fn trials() -> Vec<Trial> {
    app_trials![
        sessions_are_listed_a_page_at_a_time,
        the_export_comes_a_page_at_a_time,
        reconcile_replays_a_bounded_number_of_bids_per_request,
    ]
}

/// Follows `nextCursor` from `first` (a route without a cursor), answering every page.
async fn pages<F, Fut>(first: &str, mut get: F) -> anyhow::Result<Vec<Value>>
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(u16, Value)>>,
{
    let mut answers = Vec::new();
    let mut route = first.to_string();
    for _ in 0..50 {
        let (status, body) = get(route.clone()).await?;
        anyhow::ensure!(status == 200, "{route} answered {status}: {body}");
        let next = body["nextCursor"].as_str().map(str::to_string);
        answers.push(body);
        let Some(next) = next else {
            return Ok(answers);
        };
        let separator = if first.contains('?') { '&' } else { '?' };
        route = format!("{first}{separator}cursor={next}");
    }
    anyhow::bail!("{first} never reached its last page")
}

async fn sessions_are_listed_a_page_at_a_time(app: TestApp) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let (user, token) = app.direct_user("ada").await?;
    for _ in 0..24 {
        app.session_token(user).await?;
    }
    let answers = pages("/me/sessions", |route| {
        let app = app.clone();
        let token = token.clone();
        async move {
            Ok(call!(
                my_sessions::get_me_sessions,
                app,
                "GET",
                route.as_str(),
                None,
                Some(&token)
            ))
        }
    })
    .await?;
    let sizes: Vec<usize> = answers
        .iter()
        .map(|page| page["items"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, [20, 5], "25 sessions, 20 a page by default");
    let current = answers
        .iter()
        .flat_map(|page| page["items"].as_array().cloned().unwrap_or_default())
        .filter(|session| session["current"] == true)
        .count();
    assert_eq!(current, 1);
    Ok(())
}

async fn the_export_comes_a_page_at_a_time(app: TestApp) -> anyhow::Result<()> {
    seeds::load(&app.store, seeds::DEFAULT_PASSWORD, app.clock.as_ref()).await?;
    let (user, token) = app.direct_user("ada").await?;
    let sessions = export::PAGE_RECORDS + 40;
    for _ in 1..sessions {
        app.session_token(user).await?;
    }
    let answers = pages("/me/export", |route| {
        let app = app.clone();
        let token = token.clone();
        async move {
            Ok(call!(
                export::get_me_export,
                app,
                "GET",
                route.as_str(),
                None,
                Some(&token)
            ))
        }
    })
    .await?;
    let counts: Vec<usize> = answers
        .iter()
        .map(|page| page["sessions"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(
        counts,
        [export::PAGE_RECORDS, 40],
        "no page holds more than {} records",
        export::PAGE_RECORDS
    );
    for page in &answers {
        assert_eq!(text(&page["profile"], "username"), "ada");
        assert!(!page.to_string().contains("tokenHash"));
    }
    let (status, problem) = call!(
        export::get_me_export,
        app,
        "GET",
        "/me/export?cursor=eyJzZWN0aW9uIjo5fQ",
        None,
        Some(&token)
    );
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (422, Some("cursor"))
    );
    Ok(())
}

/// `count` bid entries written straight to the store on `item` (what the replay makes of
/// them does not matter here: only how much one request reads).
async fn many_bids(app: &TestApp, item: &ItemRecord, count: u64) -> anyhow::Result<()> {
    let bidder = UserId::new();
    let now = app.clock.now();
    for sequence in 1..=count {
        let bid = BidRecord {
            id: BidId::new(),
            item_id: item.id,
            auction_id: item.auction_id,
            bidder_id: bidder,
            bidder_number: 100,
            amount: Money::parse("100.00")?,
            requested: None,
            maximum: None,
            placed_at: now,
            sequence,
            position: sequence * 4,
            automatic: false,
            visible: true,
            buy_now: false,
            status: BidStatus::Active,
            removal_reason: None,
            updated_at: now,
        };
        app.store.create(&bid).await?;
    }
    Ok(())
}

async fn reconcile_replays_a_bounded_number_of_bids_per_request(
    app: TestApp,
) -> anyhow::Result<()> {
    let open = open_auction(
        &app,
        "public",
        serde_json::json!({}),
        &[lot("100.00"), lot("100.00"), lot("100.00")],
    )
    .await?;
    let per_lot = u64::try_from(reconcile::PAGE_BIDS / 2 + 100)?;
    for id in &open.items[..2] {
        let item = app
            .store
            .get::<ItemRecord>(id, Read::Strong)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no item {id}"))?;
        many_bids(&app, &item, per_lot).await?;
    }
    let artist = integration_tests::harness::token_of(&app, "cinos").await?;
    let auction = open.auction.clone();
    let answers = pages("/auctions/{auctionId}/reconcile", |route| {
        let app = app.clone();
        let artist = artist.clone();
        let auction = auction.clone();
        async move {
            Ok(call!(
                reconcile::get_auctions_auction_reconcile,
                app,
                "GET",
                route.as_str(),
                [("auctionId", auction.as_str())],
                None,
                Some(&artist)
            ))
        }
    })
    .await?;
    let replayed: Vec<(u64, u64)> = answers
        .iter()
        .map(|page| {
            (
                page["items"].as_u64().unwrap_or(0),
                page["bids"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        replayed[..2],
        [(2, 2 * per_lot), (1, 0)],
        "a page stops once it has replayed its share of bids: {replayed:?}"
    );
    assert_eq!(
        replayed.iter().map(|(items, _)| items).sum::<u64>(),
        3,
        "every lot is replayed once across the pages"
    );
    let cursor = answers[0]["nextCursor"].as_str().unwrap_or_default();
    assert!(
        !cursor.contains("ots") && !cursor.contains(&open.auction),
        "the cursor is sealed: {cursor}"
    );
    Ok(())
}
