//! The seed loader against the local endpoint: what it loads, and that loading twice is harmless.

use integration_tests::app_trials;
use integration_tests::harness::TestApp;
use libtest_mimic::Trial;
use shared::catalog::{AuctionCodeRecord, AuctionRecord, EventType, ItemRecord};
use shared::domain::AuctionId;
use shared::identity::{GlobalRole, UserRecord, UserStatus, UsernameIndexRecord};
use shared::store::{Index, Query, Read, s};

pub fn trials() -> Vec<Trial> {
    app_trials![
        a_second_load_changes_nothing,
        seeded_users_are_active_with_their_roles_and_the_seed_password,
        cinos_owns_a_public_and_a_private_demo_auction,
    ]
}

async fn a_second_load_changes_nothing(app: TestApp) -> anyhow::Result<()> {
    let first = seeds::load(&app.store, "pw-for-tests", app.clock.as_ref()).await?;
    let second = seeds::load(&app.store, "pw-for-tests", app.clock.as_ref()).await?;
    assert!(first.created > 0);
    assert_eq!(first.existing, 0);
    assert_eq!(second.created, 0);
    assert_eq!(second.existing, first.created);
    Ok(())
}

async fn seeded_users_are_active_with_their_roles_and_the_seed_password(
    app: TestApp,
) -> anyhow::Result<()> {
    seeds::load(&app.store, "pw-for-tests", app.clock.as_ref()).await?;

    let users = app
        .store
        .query::<UserRecord>(Query::index(Index::USERS_BY_ENTITY, s(UserRecord::ENTITY)).limit(100))
        .await?
        .items;
    let mut names: Vec<_> = users.iter().map(|u| u.username.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "auction_artist",
            "auction_user",
            "cinos",
            "ecom-user",
            "genesis-admin",
            "genesis-staff",
            "richie"
        ]
    );
    assert!(users.iter().all(|u| u.status == UserStatus::Active));

    let admin = users
        .iter()
        .find(|u| u.username == "genesis-admin")
        .expect("admin");
    assert_eq!(
        (admin.user_role, admin.groups.as_slice()),
        (GlobalRole::Admin, &["admin".to_string()][..])
    );
    let staff = users
        .iter()
        .find(|u| u.username == "genesis-staff")
        .expect("staff");
    assert_eq!(
        (staff.user_role, staff.groups.as_slice()),
        (GlobalRole::User, &["admin".to_string()][..])
    );

    let claim = app
        .store
        .get::<UsernameIndexRecord>("cinos", Read::Strong)
        .await?
        .expect("claimed");
    let cinos = users.iter().find(|u| u.id == claim.user_id).expect("cinos");
    assert!(cinos.password_hash.verify("pw-for-tests"));
    assert!(!cinos.password_hash.verify(seeds::DEFAULT_PASSWORD));
    Ok(())
}

async fn cinos_owns_a_public_and_a_private_demo_auction(app: TestApp) -> anyhow::Result<()> {
    seeds::load(&app.store, "pw-for-tests", app.clock.as_ref()).await?;
    let claim = app
        .store
        .get::<UsernameIndexRecord>("cinos", Read::Strong)
        .await?
        .expect("cinos");

    let auctions = app
        .store
        .query::<AuctionRecord>(Query::index(
            Index::AUCTIONS_BY_OWNER,
            s(claim.user_id.to_string()),
        ))
        .await?
        .items;
    assert_eq!(auctions.len(), 2);
    let public = auctions
        .iter()
        .find(|a| a.event_type == EventType::Public)
        .expect("public");
    let private = auctions
        .iter()
        .find(|a| a.event_type == EventType::Private)
        .expect("private");
    assert_eq!(public.name, "CINOS 1st Auction");
    assert_eq!(public.auction_code, None);

    let code = private
        .auction_code
        .clone()
        .expect("a private auction has a code");
    let claim = app
        .store
        .get::<AuctionCodeRecord>(&code, Read::Strong)
        .await?
        .expect("code claimed");
    assert_eq!(claim.auction_id, private.id);

    let items = lots(&app, public.id).await?;
    assert!(items.iter().any(|i| i.name == "OMAD PRIME"));
    assert_eq!(items.len() as u32, public.item_count);
    for (lot, item) in items.iter().enumerate() {
        assert_eq!(item.lot_number as usize, lot);
        let stagger = i64::from(public.settings.stagger_sec) * 1000 * lot as i64;
        assert_eq!(item.ends_at.millis(), public.ends_at.millis() + stagger);
    }
    assert_eq!(
        lots(&app, private.id).await?.len() as u32,
        private.item_count
    );
    Ok(())
}

async fn lots(app: &TestApp, auction: AuctionId) -> anyhow::Result<Vec<ItemRecord>> {
    Ok(app
        .store
        .query::<ItemRecord>(
            Query::index(Index::ITEMS_BY_AUCTION, s(auction.to_string())).limit(100),
        )
        .await?
        .items)
}
