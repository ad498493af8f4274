//! Time in an auction's life (`docs/rules.md`, "Phases", "Closing, payment and second
//! chance"): the sale an item's close makes, second-chance offers, the transitions that
//! one-time schedules run, the lifecycle events that tell who is concerned, and the clients
//! that create those schedules (EventBridge Scheduler) and publish those events (an
//! EventBridge bus).

pub mod bus;
pub mod events;
pub mod invoice;
pub mod live;
pub mod offers;
pub mod sale;
pub mod schedules;
pub mod transitions;

pub use bus::{Bus, BusError};
pub use events::{EVENT_SOURCE, LifecycleEvent};
pub use invoice::{Invoice, InvoiceLine, PaymentDirection, PaymentMethod, PaymentRecord, premium};
pub use live::LiveWinnerRecord;
pub use offers::{OfferRecord, OfferStatus};
pub use sale::{PaymentStatus, PendingOffer, PickupStatus, Sale, SaleKind};
pub use schedules::{ScheduleError, Schedules};
pub use transitions::Transition;

/// The clients a function that changes the lifecycle uses; each is `None` where the function
/// was given no configuration for it (then the sweeper does the schedules' work, and nothing
/// is published).
#[derive(Clone, Debug, Default)]
pub struct Lifecycle {
    pub schedules: Option<Schedules>,
    pub bus: Option<Bus>,
}

impl Lifecycle {
    /// The clients `config` names, made once per cold start.
    pub async fn connect(config: &crate::config::LifecycleConfig) -> Self {
        let needed = config.schedules.is_some() || config.event_bus.is_some();
        if !needed {
            return Self::default();
        }
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        Self {
            schedules: config
                .schedules
                .as_ref()
                .map(|target| Schedules::new(&sdk, target, config)),
            bus: config
                .event_bus
                .as_ref()
                .map(|name| Bus::new(&sdk, name, config.eventbridge_endpoint.as_deref())),
        }
    }
}
