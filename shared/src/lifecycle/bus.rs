//! Publishing lifecycle events on the EventBridge bus (`PutEvents`).

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

use super::events::{EVENT_SOURCE, LifecycleEvent};

/// Entries one `PutEvents` call takes.
const ENTRIES_PER_CALL: usize = 10;

/// Events were not all published.
#[derive(Debug, thiserror::Error)]
#[error("publishing lifecycle events failed: {0}")]
pub struct BusError(pub String);

/// The bus client, made once per cold start.
#[derive(Clone, Debug)]
pub struct Bus {
    client: Client,
    name: String,
}

impl Bus {
    pub fn new(sdk: &aws_config::SdkConfig, name: &str, endpoint: Option<&str>) -> Self {
        let mut builder = aws_sdk_eventbridge::config::Builder::from(sdk);
        if let Some(endpoint) = endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        Self {
            client: Client::from_conf(builder.build()),
            name: name.to_string(),
        }
    }

    /// Publishes `events`, ten a call; an entry the bus refused fails the whole.
    pub async fn publish(&self, events: &[LifecycleEvent]) -> Result<(), BusError> {
        for chunk in events.chunks(ENTRIES_PER_CALL) {
            let entries = chunk
                .iter()
                .map(|event| {
                    PutEventsRequestEntry::builder()
                        .event_bus_name(&self.name)
                        .source(EVENT_SOURCE)
                        .detail_type(event.detail_type())
                        .resources(format!("auction/{}", event.auction_id()))
                        .detail(event.detail())
                        .build()
                })
                .collect::<Vec<_>>();
            let output = self
                .client
                .put_events()
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|error| BusError(DisplayErrorContext(&error).to_string()))?;
            if output.failed_entry_count > 0 {
                let reason = output
                    .entries()
                    .iter()
                    .find_map(|entry| entry.error_message())
                    .unwrap_or("an entry was refused");
                return Err(BusError(format!(
                    "{} of {} entries refused: {reason}",
                    output.failed_entry_count,
                    chunk.len()
                )));
            }
        }
        Ok(())
    }
}
