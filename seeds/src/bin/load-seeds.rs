//! `load-seeds [--remote]`: loads the mock data into the tables under `TABLE_PREFIX` on the
//! endpoint in `DYNAMODB_ENDPOINT`, every user with the password `SEED_USER_PASSWORD`.
//! Without an endpoint it would write to real AWS: that takes `--remote` and a password of
//! one's own, never the published default.

use anyhow::bail;
use shared::config::StoreConfig;
use shared::domain::SystemClock;
use shared::store::Store;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = StoreConfig::from_env()?;
    let remote = std::env::args().any(|arg| arg == "--remote");
    let password = std::env::var("SEED_USER_PASSWORD").ok();
    if config.dynamodb_endpoint.is_none() {
        if !remote {
            bail!(
                "DYNAMODB_ENDPOINT is not set: refusing to seed real AWS tables without --remote"
            );
        }
        if password
            .as_deref()
            .is_none_or(|p| p == seeds::DEFAULT_PASSWORD)
        {
            bail!("seeding real AWS tables needs SEED_USER_PASSWORD set to a password of your own");
        }
    }
    let password = password.unwrap_or_else(|| seeds::DEFAULT_PASSWORD.into());
    let store = Store::connect(&config).await;
    let loaded = seeds::load(&store, &password, &SystemClock).await?;
    eprintln!(
        "seeds: {} records created, {} already there",
        loaded.created, loaded.existing
    );
    Ok(())
}
