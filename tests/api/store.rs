//! The DynamoDB store against the local endpoint: conditional writes, races, transactions,
//! pagination and the representation of money.

use aws_sdk_dynamodb::types::AttributeValue;
use integration_tests::app_trials;
use integration_tests::harness::TestApp;
use libtest_mimic::Trial;
use shared::bidding::BidState;
use shared::catalog::{
    AuctionRecord, AuctionSettings, AuctionStatus, EventType, ItemRecord, ItemStatus, ItemType,
};
use shared::domain::{AuctionId, Currency, ItemId, Money, Timestamp, UserId};
use shared::store::{Collection, Condition, Index, Query, Read, Record, StoreError, Update, n, s};

pub fn trials() -> Vec<Trial> {
    app_trials![
        create_refuses_a_taken_key_and_returns_the_holder,
        concurrent_updates_of_one_version_let_exactly_one_win,
        a_failed_transaction_writes_nothing_and_names_the_write,
        a_transaction_checks_and_updates_records_it_does_not_create,
        queries_page_in_index_order_with_cursors,
        a_cursor_cannot_reach_another_partition,
        conditional_updates_return_the_new_record_or_the_current_one,
        an_update_of_a_missing_record_writes_nothing_unless_an_upsert,
        a_forged_cursor_in_the_right_partition_is_refused_not_a_server_error,
        money_is_stored_as_a_number_and_compared_numerically,
        conditional_delete_keeps_the_record_when_the_condition_fails,
        a_missing_table_is_an_sdk_error_not_a_conflict,
    ]
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("a valid timestamp")
}

fn auction(name: &str) -> AuctionRecord {
    AuctionRecord {
        id: AuctionId::new(),
        owner_id: UserId::new(),
        name: name.into(),
        event_type: EventType::Public,
        description: None,
        thumbnail: None,
        status: AuctionStatus::Setup,
        starts_at: at("2026-12-01T18:00:00.000Z"),
        ends_at: at("2026-12-04T18:00:00.000Z"),
        time_zone: "America/New_York".into(),
        currency: Currency::USD,
        payment_url: None,
        settings: AuctionSettings::default(),
        notifications: Default::default(),
        item_count: 0,
        lots_assigned: 0,
        auction_code: None,
        manual_phase: false,
        ending_soon_sent_at: None,
        created_at: at("2026-11-21T09:00:00.000Z"),
        updated_at: at("2026-11-21T09:00:00.000Z"),
        version: 1,
    }
}

fn item(auction: &AuctionRecord, lot_number: u32, starting_price: &str) -> ItemRecord {
    ItemRecord {
        id: ItemId::new(),
        auction_id: auction.id,
        owner_id: auction.owner_id,
        lot_number,
        name: format!("Lot {lot_number}"),
        description: None,
        item_type: ItemType::Silent,
        starting_price: Money::parse(starting_price).expect("a price"),
        reserve_price: None,
        buy_now_price: None,
        fair_market_value: None,
        primary_photo: None,
        gallery: Vec::new(),
        status: ItemStatus::Upcoming,
        ends_at: auction.ends_at,
        bidding: BidState::default(),
        terms: None,
        closed_at: None,
        sale: None,
        offer: None,
        passed_over: Vec::new(),
        created_at: auction.created_at,
        updated_at: auction.created_at,
        version: 1,
    }
}

fn condition_failed(
    result: Result<impl std::fmt::Debug, StoreError>,
) -> anyhow::Result<shared::store::ConditionFailed> {
    match result {
        Err(StoreError::ConditionFailed(failed)) => Ok(failed),
        other => anyhow::bail!("expected a failed condition, got {other:?}"),
    }
}

async fn create_refuses_a_taken_key_and_returns_the_holder(app: TestApp) -> anyhow::Result<()> {
    let original = auction("Spring Show");
    app.store.create(&original).await?;

    let mut impostor = original.clone();
    impostor.name = "Impostor".into();
    let failed = condition_failed(app.store.create(&impostor).await)?;

    assert_eq!(failed.collection, Collection::Auctions);
    assert_eq!(failed.current::<AuctionRecord>()?, Some(original.clone()));
    let stored = app
        .store
        .get::<AuctionRecord>(&original.key_value(), Read::Strong)
        .await?;
    assert_eq!(stored, Some(original));
    Ok(())
}

async fn concurrent_updates_of_one_version_let_exactly_one_win(app: TestApp) -> anyhow::Result<()> {
    let original = auction("Race");
    app.store.create(&original).await?;

    let mut renamed = original.clone();
    renamed.name = "Renamed by A".into();
    renamed.version = 2;
    let mut moved = original.clone();
    moved.ends_at = at("2026-12-05T18:00:00.000Z");
    moved.version = 2;

    let (a, b) = tokio::join!(
        app.store.replace_if_version(&renamed, 1),
        app.store.replace_if_version(&moved, 1)
    );

    let (winner, failed) = match (a, b) {
        (Ok(()), Err(StoreError::ConditionFailed(failed))) => (&renamed, failed),
        (Err(StoreError::ConditionFailed(failed)), Ok(())) => (&moved, failed),
        (a, b) => anyhow::bail!("expected exactly one winner, got {a:?} and {b:?}"),
    };
    assert_eq!(failed.collection, Collection::Auctions);
    assert_eq!(failed.current::<AuctionRecord>()?.as_ref(), Some(winner));
    let stored = app
        .store
        .get::<AuctionRecord>(&original.key_value(), Read::Strong)
        .await?;
    assert_eq!(stored.as_ref(), Some(winner));
    Ok(())
}

async fn a_failed_transaction_writes_nothing_and_names_the_write(
    app: TestApp,
) -> anyhow::Result<()> {
    let existing = auction("Existing");
    app.store.create(&existing).await?;
    let fresh = auction("Fresh");
    let lot = item(&fresh, 0, "10.00");

    let transaction = app
        .store
        .transaction()
        .create(&fresh)?
        .create(&lot)?
        .create(&existing)?;
    let failed = condition_failed(app.store.transact(transaction).await)?;

    assert_eq!(failed.operation, 2);
    assert_eq!(failed.collection, Collection::Auctions);
    assert_eq!(failed.current::<AuctionRecord>()?, Some(existing));
    assert_eq!(
        app.store
            .get::<AuctionRecord>(&fresh.key_value(), Read::Strong)
            .await?,
        None
    );
    assert_eq!(
        app.store
            .get::<ItemRecord>(&lot.key_value(), Read::Strong)
            .await?,
        None
    );

    let transaction = app.store.transaction().create(&fresh)?.create(&lot)?;
    app.store.transact(transaction).await?;
    assert_eq!(
        app.store
            .get::<ItemRecord>(&lot.key_value(), Read::Strong)
            .await?,
        Some(lot)
    );
    Ok(())
}

async fn a_transaction_checks_and_updates_records_it_does_not_create(
    app: TestApp,
) -> anyhow::Result<()> {
    let show = auction("Checked");
    app.store.create(&show).await?;
    let lot = item(&show, 0, "10.00");
    let is_setup = || {
        Condition::new("#status = :setup")
            .name("#status", "status")
            .value(":setup", s("setup"))
    };
    let count_item = || {
        Update::new("ADD #itemCount :one")
            .name("#itemCount", "itemCount")
            .value(":one", n(1))
    };

    let transaction = app
        .store
        .transaction()
        .check(Collection::Auctions, &show.key_value(), is_setup())?
        .update(Collection::Auctions, &show.key_value(), count_item())?
        .create(&lot)?;
    // A check and an update of the same record are two operations on one item: not allowed.
    let refused = app.store.transact(transaction).await;
    assert!(
        matches!(
            refused,
            Err(StoreError::Sdk {
                operation: "TransactWriteItems",
                ..
            })
        ),
        "{refused:?}"
    );

    let transaction = app
        .store
        .transaction()
        .update(
            Collection::Auctions,
            &show.key_value(),
            count_item().when(is_setup()),
        )?
        .create(&lot)?;
    app.store.transact(transaction).await?;
    let stored = app
        .store
        .get::<AuctionRecord>(&show.key_value(), Read::Strong)
        .await?
        .expect("auction");
    assert_eq!(stored.item_count, 1);

    let mut published = stored.clone();
    published.status = AuctionStatus::Ready;
    published.version = 2;
    app.store.replace_if_version(&published, 1).await?;
    let late = item(&show, 1, "10.00");
    let transaction = app.store.transaction().create(&late)?.check(
        Collection::Auctions,
        &show.key_value(),
        is_setup(),
    )?;
    let failed = condition_failed(app.store.transact(transaction).await)?;
    assert_eq!(
        (failed.operation, failed.collection),
        (1, Collection::Auctions)
    );
    assert_eq!(
        failed.current::<AuctionRecord>()?.map(|a| a.status),
        Some(AuctionStatus::Ready)
    );
    assert_eq!(
        app.store
            .get::<ItemRecord>(&late.key_value(), Read::Strong)
            .await?,
        None
    );
    Ok(())
}

async fn queries_page_in_index_order_with_cursors(app: TestApp) -> anyhow::Result<()> {
    let show = auction("Paged");
    let other = auction("Other");
    // Created out of lot order, to see the index sort them.
    for lot in [3, 0, 4, 1, 2] {
        app.store.create(&item(&show, lot, "5.00")).await?;
    }
    app.store.create(&item(&other, 0, "5.00")).await?;

    let query = || Query::index(Index::ITEMS_BY_AUCTION, s(show.id.to_string())).limit(2);
    let mut lots = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = app
            .store
            .query::<ItemRecord>(query().after(cursor.as_deref()))
            .await?;
        pages += 1;
        lots.extend(page.items.iter().map(|i| i.lot_number));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
        anyhow::ensure!(pages < 10, "pagination does not end");
    }
    assert_eq!(lots, vec![0, 1, 2, 3, 4]);
    assert!(pages >= 3);

    let newest = app
        .store
        .query::<ItemRecord>(query().descending().limit(1))
        .await?;
    assert_eq!(newest.items[0].lot_number, 4);
    Ok(())
}

async fn a_cursor_cannot_reach_another_partition(app: TestApp) -> anyhow::Result<()> {
    let mine = auction("Mine");
    let theirs = auction("Theirs");
    for lot in 0..3 {
        app.store.create(&item(&mine, lot, "5.00")).await?;
        app.store.create(&item(&theirs, lot, "5.00")).await?;
    }
    let page = app
        .store
        .query::<ItemRecord>(
            Query::index(Index::ITEMS_BY_AUCTION, s(theirs.id.to_string())).limit(1),
        )
        .await?;
    let their_cursor = page.next_cursor.expect("a second page");

    let result = app
        .store
        .query::<ItemRecord>(
            Query::index(Index::ITEMS_BY_AUCTION, s(mine.id.to_string()))
                .after(Some(&their_cursor)),
        )
        .await;
    assert!(
        matches!(result, Err(StoreError::InvalidCursor)),
        "{result:?}"
    );
    let garbage = app
        .store
        .query::<ItemRecord>(
            Query::index(Index::ITEMS_BY_AUCTION, s(mine.id.to_string())).after(Some("bm9wZQ")),
        )
        .await;
    assert!(
        matches!(garbage, Err(StoreError::InvalidCursor)),
        "{garbage:?}"
    );
    Ok(())
}

async fn conditional_updates_return_the_new_record_or_the_current_one(
    app: TestApp,
) -> anyhow::Result<()> {
    let show = auction("Counted");
    app.store.create(&show).await?;

    let count = || {
        Update::new("ADD #itemCount :one")
            .name("#itemCount", "itemCount")
            .value(":one", n(1))
    };
    let after_first: AuctionRecord = app.store.update(&show.key_value(), count()).await?;
    let after_second: AuctionRecord = app.store.update(&show.key_value(), count()).await?;
    assert_eq!(
        (after_first.item_count, after_second.item_count),
        (show.item_count + 1, show.item_count + 2)
    );

    let publish = Update::new("SET #status = :ready")
        .name("#status", "status")
        .value(":ready", s("ready"))
        .when(Condition::new("#status = :open").value(":open", s("open")));
    let failed = condition_failed(
        app.store
            .update::<AuctionRecord>(&show.key_value(), publish)
            .await,
    )?;
    let current = failed
        .current::<AuctionRecord>()?
        .expect("the record exists");
    assert_eq!(
        (current.status, current.item_count),
        (AuctionStatus::Setup, show.item_count + 2)
    );
    Ok(())
}

async fn money_is_stored_as_a_number_and_compared_numerically(app: TestApp) -> anyhow::Result<()> {
    let show = auction("Money");
    let mut lot = item(&show, 0, "99.95");
    lot.reserve_price = Some(Money::parse("1000.5")?);
    app.store.create(&lot).await?;

    let raw = app
        .store
        .client()
        .get_item()
        .table_name(app.store.tables().name(Collection::Items))
        .key("id", s(lot.id.to_string()))
        .send()
        .await?
        .item
        .expect("the item");
    assert_eq!(raw["startingPrice"], AttributeValue::N("99.95".into()));
    assert_eq!(raw["reservePrice"], AttributeValue::N("1000.5".into()));
    assert!(
        !raw.contains_key("buyNowPrice"),
        "absent options are left out, not NULL"
    );

    // As strings "100" < "99.95"; as numbers it is the other way round.
    let raise = |to: &str| {
        Update::new("SET #startingPrice = :to")
            .name("#startingPrice", "startingPrice")
            .value(":to", AttributeValue::N(to.into()))
            .when(Condition::new("#startingPrice < :to"))
    };
    let raised: ItemRecord = app.store.update(&lot.key_value(), raise("100")).await?;
    assert_eq!(raised.starting_price, Money::parse("100")?);
    condition_failed(
        app.store
            .update::<ItemRecord>(&lot.key_value(), raise("99.99"))
            .await,
    )?;
    let stored = app
        .store
        .get::<ItemRecord>(&lot.key_value(), Read::Strong)
        .await?
        .expect("item");
    assert_eq!(stored.reserve_price, Some(Money::parse("1000.5")?));
    Ok(())
}

async fn conditional_delete_keeps_the_record_when_the_condition_fails(
    app: TestApp,
) -> anyhow::Result<()> {
    let mut show = auction("Deletable");
    show.status = AuctionStatus::Ready;
    app.store.create(&show).await?;

    let only_in_setup = || {
        Condition::new("#status = :setup")
            .name("#status", "status")
            .value(":setup", s("setup"))
    };
    let failed = condition_failed(
        app.store
            .delete(
                Collection::Auctions,
                &show.key_value(),
                Some(only_in_setup()),
            )
            .await,
    )?;
    assert_eq!(failed.current::<AuctionRecord>()?, Some(show.clone()));
    assert!(
        app.store
            .get::<AuctionRecord>(&show.key_value(), Read::Strong)
            .await?
            .is_some()
    );

    app.store
        .delete(Collection::Auctions, &show.key_value(), None)
        .await?;
    assert!(
        app.store
            .get::<AuctionRecord>(&show.key_value(), Read::Strong)
            .await?
            .is_none()
    );
    Ok(())
}

async fn a_missing_table_is_an_sdk_error_not_a_conflict(app: TestApp) -> anyhow::Result<()> {
    let store = shared::store::Store::new(
        app.store.client().clone(),
        shared::store::Tables::new("no-such-stage-"),
    );
    let result = store.create(&auction("Nowhere")).await;
    assert!(
        matches!(
            result,
            Err(StoreError::Sdk {
                operation: "PutItem",
                ..
            })
        ),
        "{result:?}"
    );
    Ok(())
}

async fn an_update_of_a_missing_record_writes_nothing_unless_an_upsert(
    app: TestApp,
) -> anyhow::Result<()> {
    let missing = AuctionId::new().to_string();
    let visit = || {
        Update::new("ADD #visits :one")
            .name("#visits", "visits")
            .value(":one", n(1))
    };

    let failed = condition_failed(app.store.update::<AuctionRecord>(&missing, visit()).await)?;
    assert_eq!(failed.current, None);
    let raw = app
        .store
        .client()
        .get_item()
        .table_name(app.store.tables().name(Collection::Auctions))
        .key("id", s(&missing))
        .send()
        .await?;
    assert_eq!(raw.item, None, "no partial record may be created");

    let counter: shared::catalog::BidderCounterRecord = app
        .store
        .update(
            &missing,
            Update::new("ADD #last :one")
                .name("#last", "last")
                .value(":one", n(1))
                .upsert(),
        )
        .await?;
    assert_eq!(counter.last, 1);
    Ok(())
}

async fn a_forged_cursor_in_the_right_partition_is_refused_not_a_server_error(
    app: TestApp,
) -> anyhow::Result<()> {
    use base64::Engine;
    let show = auction("Forged");
    app.store.create(&item(&show, 0, "5.00")).await?;
    let query = || Query::index(Index::ITEMS_BY_AUCTION, s(show.id.to_string()));
    for forged in [
        format!(
            r#"{{"auctionId":{{"S":"{}"}},"bogus":{{"S":"x"}}}}"#,
            show.id
        ),
        format!(r#"{{"auctionId":{{"S":"{}"}}}}"#, show.id),
        format!(
            r#"{{"auctionId":{{"S":"{}"}},"id":{{"S":"a"}},"lotNumber":{{"S":"not a number"}}}}"#,
            show.id
        ),
    ] {
        let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged.as_bytes());
        let result = app
            .store
            .query::<ItemRecord>(query().after(Some(&cursor)))
            .await;
        assert!(
            matches!(result, Err(StoreError::InvalidCursor)),
            "{forged}: {result:?}"
        );
    }
    Ok(())
}
