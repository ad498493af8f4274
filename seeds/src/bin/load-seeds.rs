//! `load-seeds`: loads the mock data into the tables under `TABLE_PREFIX` on the endpoint in
//! `DYNAMODB_ENDPOINT`, with every user's password from `SEED_USER_PASSWORD`.

use shared::config::Config;
use shared::domain::SystemClock;
use shared::store::Store;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let password =
        std::env::var("SEED_USER_PASSWORD").unwrap_or_else(|_| seeds::DEFAULT_PASSWORD.into());
    let store = Store::connect(&config).await;
    let loaded = seeds::load(&store, &password, &SystemClock).await?;
    eprintln!(
        "seeds: {} records created, {} already there",
        loaded.created, loaded.existing
    );
    Ok(())
}
