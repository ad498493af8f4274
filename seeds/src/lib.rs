//! The mock data of `seeds/data/` and its loader. Loading is idempotent: every record has a
//! key derived from the data (v5 UUIDs of stable names) and is created only if absent, so a
//! second load changes nothing and run-time edits by admins are never overwritten.

use std::collections::HashMap;

use anyhow::{Context, bail};
use chrono::TimeDelta;
use serde::Deserialize;
use shared::bidding::{BidState, BiddingTerms};
use shared::catalog::{
    AuctionCode, AuctionCodeRecord, AuctionRecord, AuctionSettings, AuctionStatus, EventType,
    ItemRecord, ItemStatus, ItemType, MembershipRecord, MembershipRole, MembershipStatus,
};
use shared::domain::{AuctionId, Clock, Currency, Id, IdKind, ItemId, Money, Timestamp, UserId};
use shared::identity::{
    EmailIndexRecord, GlobalRole, GroupRecord, PasswordHash, PermissionRecord, RoleRecord,
    UserRecord, UserStatus, UsernameIndexRecord,
};
use shared::store::{Read, Store, StoreError};
use uuid::Uuid;

/// The password of every seeded user unless `SEED_USER_PASSWORD` says otherwise.
pub const DEFAULT_PASSWORD: &str = "dev-password-123";

/// Namespace of the seeds' v5 UUIDs.
const NAMESPACE: Uuid = Uuid::from_u128(0x6a1c_52e0_8f0b_4c4e_9d7e_2b1f_5a3c_9e10);

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PermissionSeed {
    name: String,
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RoleSeed {
    name: GlobalRole,
    description: String,
    permissions: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GroupSeed {
    name: String,
    description: String,
    roles: Vec<GlobalRole>,
}

/// One seeded account.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserSeed {
    pub username: String,
    pub email: String,
    pub display_name: String,
    given_name: Option<String>,
    family_name: Option<String>,
    time_zone: Option<String>,
    pub user_role: GlobalRole,
    pub groups: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AuctionSeed {
    key: String,
    name: String,
    event_type: EventType,
    description: String,
    status: AuctionStatus,
    starts_at_offset_hours: i64,
    duration_hours: i64,
    time_zone: String,
    currency: Currency,
    items: Vec<ItemSeed>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ItemSeed {
    name: String,
    description: String,
    #[serde(rename = "type")]
    item_type: ItemType,
    starting_price: Money,
    reserve_price: Option<Money>,
    buy_now_price: Option<Money>,
    #[serde(default)]
    fair_market_value: Option<Money>,
    primary_photo: String,
}

/// The owner of the demo auctions.
const AUCTION_OWNER: &str = "cinos";

fn parse<T: serde::de::DeserializeOwned>(name: &str, json: &str) -> anyhow::Result<T> {
    serde_json::from_str(json).with_context(|| format!("seeds/data/{name} is invalid"))
}

/// The seeded accounts, for printing their logins.
pub fn users() -> anyhow::Result<Vec<UserSeed>> {
    parse("users.json", include_str!("../data/users.json"))
}

/// The stable id the seeds give `name` (e.g. `user:cinos`).
pub fn seed_id<K: IdKind>(name: &str) -> Id<K> {
    Id::from_uuid(Uuid::new_v5(&NAMESPACE, name.as_bytes()))
}

/// How many records a load created and how many it found already there.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    pub created: usize,
    pub existing: usize,
}

impl Loaded {
    /// Counts a write whose record `main` (its index in a transaction) may already exist.
    /// Any other failed condition means a seed collides with different data: an error,
    /// never a silent skip.
    fn count(&mut self, outcome: Result<(), StoreError>, main: usize) -> anyhow::Result<()> {
        match outcome {
            Ok(()) => self.created += 1,
            Err(StoreError::ConditionFailed(failed)) if failed.operation == main => {
                self.existing += 1
            }
            Err(StoreError::ConditionFailed(failed)) => {
                bail!(
                    "a seed record collides with different data in {}",
                    failed.collection.name()
                )
            }
            Err(other) => return Err(other.into()),
        }
        Ok(())
    }
}

/// Loads every seed into `store`; safe to run again.
pub async fn load(store: &Store, password: &str, clock: &dyn Clock) -> anyhow::Result<Loaded> {
    let now = clock.now();
    let mut loaded = Loaded::default();

    let permissions: Vec<PermissionSeed> =
        parse("permissions.json", include_str!("../data/permissions.json"))?;
    for seed in permissions {
        let record = PermissionRecord {
            name: seed.name,
            entity: PermissionRecord::ENTITY.into(),
            description: seed.description,
        };
        loaded.count(store.create(&record).await, 0)?;
    }

    let roles: Vec<RoleSeed> = parse("roles.json", include_str!("../data/roles.json"))?;
    for seed in roles {
        let record = RoleRecord {
            name: seed.name,
            entity: RoleRecord::ENTITY.into(),
            description: seed.description,
            permissions: seed.permissions,
            updated_at: now,
            version: 1,
        };
        loaded.count(store.create(&record).await, 0)?;
    }

    let groups: Vec<GroupSeed> = parse("groups.json", include_str!("../data/groups.json"))?;
    for seed in groups {
        let record = GroupRecord {
            name: seed.name,
            entity: GroupRecord::ENTITY.into(),
            description: seed.description,
            roles: seed.roles,
            updated_at: now,
            version: 1,
        };
        loaded.count(store.create(&record).await, 0)?;
    }

    let mut user_ids = HashMap::new();
    for seed in users()? {
        let id: UserId = seed_id(&format!("user:{}", seed.username));
        user_ids.insert(seed.username.clone(), id);
        // Hash only for accounts not there yet: Argon2id is deliberately slow.
        if store
            .get::<UserRecord>(&id.to_string(), Read::Strong)
            .await?
            .is_some()
        {
            loaded.existing += 1;
            continue;
        }
        loaded.count(create_user(store, seed, id, password, now).await, 0)?;
    }

    let owner = *user_ids
        .get(AUCTION_OWNER)
        .with_context(|| format!("the demo auctions' owner {AUCTION_OWNER} is not seeded"))?;
    let auctions: Vec<AuctionSeed> = parse("auctions.json", include_str!("../data/auctions.json"))?;
    for seed in auctions {
        load_auction(store, seed, owner, now, &mut loaded).await?;
    }
    Ok(loaded)
}

/// The account and its email and username claims, all or nothing (the account first, so
/// an account that exists is the failure reported).
async fn create_user(
    store: &Store,
    seed: UserSeed,
    id: UserId,
    password: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let password_hash = PasswordHash::create(password).map_err(|e| StoreError::Sdk {
        operation: "hash seed password",
        source: e.into(),
    })?;
    let user = UserRecord {
        id,
        entity: UserRecord::ENTITY.into(),
        email: seed.email.trim().to_lowercase(),
        username: seed.username.clone(),
        display_name: seed.display_name,
        given_name: seed.given_name,
        family_name: seed.family_name,
        nick_name: None,
        picture: None,
        phone: None,
        time_zone: seed.time_zone,
        user_role: seed.user_role,
        groups: seed.groups,
        status: UserStatus::Active,
        password_hash,
        credentials_version: 0,
        notification_preferences: Default::default(),
        bidder_numbers: Default::default(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let transaction = store
        .transaction()
        .create(&user)?
        .create(&EmailIndexRecord {
            email: user.email.clone(),
            user_id: id,
        })?
        .create(&UsernameIndexRecord {
            username: user.username.clone(),
            user_id: id,
        })?;
    store.transact(transaction).await
}

/// The auction with its owner's membership (and code, if private) in one transaction, then
/// each item on its own, so an interrupted load is completed by the next one.
async fn load_auction(
    store: &Store,
    seed: AuctionSeed,
    owner: UserId,
    now: Timestamp,
    loaded: &mut Loaded,
) -> anyhow::Result<()> {
    if seed.duration_hours <= 0 {
        bail!("auction {} must last a positive number of hours", seed.key);
    }
    let id: AuctionId = seed_id(&format!("auction:{}", seed.key));
    let starts_at = now.plus(TimeDelta::hours(seed.starts_at_offset_hours));
    let ends_at = starts_at.plus(TimeDelta::hours(seed.duration_hours));
    let settings = AuctionSettings::default();
    let code = (seed.event_type == EventType::Private).then(AuctionCode::generate);
    let auction = AuctionRecord {
        id,
        owner_id: owner,
        name: seed.name,
        event_type: seed.event_type,
        description: Some(seed.description),
        thumbnail: seed.items.first().map(|item| item.primary_photo.clone()),
        status: seed.status,
        starts_at,
        ends_at,
        time_zone: seed.time_zone,
        currency: seed.currency,
        payment_url: None,
        settings: settings.clone(),
        notifications: Default::default(),
        item_count: u32::try_from(seed.items.len())?,
        lots_assigned: u32::try_from(seed.items.len())?,
        auction_code: code.as_ref().map(|c| c.as_str().to_string()),
        manual_phase: false,
        ending_soon_sent_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let membership = MembershipRecord {
        id: MembershipRecord::key(id, owner),
        auction_id: id,
        user_id: owner,
        role: MembershipRole::Owner,
        role_override: None,
        status: MembershipStatus::Active,
        bidder_number: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let mut transaction = store.transaction().create(&auction)?.create(&membership)?;
    if let Some(code) = code {
        transaction = transaction.create(&AuctionCodeRecord {
            auction_code: code,
            auction_id: id,
        })?;
    }
    loaded.count(store.transact(transaction).await, 0)?;

    for (lot, item) in seed.items.into_iter().enumerate() {
        let lot_number = u32::try_from(lot)?;
        let item_id: ItemId = seed_id(&format!("item:{}:{lot}", seed.key));
        let record = ItemRecord {
            id: item_id,
            auction_id: id,
            owner_id: owner,
            lot_number,
            name: item.name,
            description: Some(item.description),
            item_type: item.item_type,
            starting_price: item.starting_price.for_currency(seed.currency)?,
            reserve_price: item
                .reserve_price
                .map(|p| p.for_currency(seed.currency))
                .transpose()?,
            buy_now_price: item
                .buy_now_price
                .map(|p| p.for_currency(seed.currency))
                .transpose()?,
            fair_market_value: item
                .fair_market_value
                .map(|p| p.for_currency(seed.currency))
                .transpose()?,
            primary_photo: Some(item.primary_photo),
            gallery: Vec::new(),
            status: ItemStatus::Upcoming,
            ends_at: ends_at.plus(TimeDelta::seconds(
                i64::from(lot_number) * i64::from(settings.stagger_sec),
            )),
            bidding: BidState::default(),
            terms: auction
                .status
                .is_published()
                .then(|| BiddingTerms::of(&auction, lot_number)),
            closed_at: None,
            sale: None,
            offer: None,
            passed_over: Vec::new(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        loaded.count(store.create(&record).await, 0)?;
    }
    Ok(())
}
