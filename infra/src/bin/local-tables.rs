//! `local-tables create|delete`: creates (or deletes) the template's tables on the endpoint in
//! `DYNAMODB_ENDPOINT` under `TABLE_PREFIX`. Used by `make dev`. Local only: deployed tables
//! belong to the SAM stack, so without an endpoint it refuses to run.

use anyhow::{Context, bail};
use shared::config::StoreConfig;
use shared::store::Store;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let action = std::env::args().nth(1).unwrap_or_default();
    let config = StoreConfig::from_env()?;
    if config.dynamodb_endpoint.is_none() {
        bail!("DYNAMODB_ENDPOINT is not set: local-tables never touches real AWS tables");
    }
    let template =
        std::fs::read_to_string(infra::template_path()).context("reading template.yaml")?;
    let definitions = infra::tables::table_definitions(&template)?;
    let store = Store::connect(&config).await;
    match action.as_str() {
        "create" => {
            let report =
                infra::tables::create_tables(store.client(), store.tables(), &definitions).await?;
            eprintln!(
                "tables: {} created, {} already there (prefix {:?})",
                report.created.len(),
                report.existing.len(),
                config.table_prefix
            );
        }
        "delete" => {
            infra::tables::delete_tables(store.client(), store.tables(), &definitions).await?;
            eprintln!("tables with prefix {:?} deleted", config.table_prefix);
        }
        _ => bail!("usage: local-tables create|delete"),
    }
    Ok(())
}
