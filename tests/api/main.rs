//! Integration tests against the local stack, compiled as one binary. The harness starts the
//! local DynamoDB server (unless `DYNAMODB_ENDPOINT` names one), runs every test, each on
//! tables of its own, and stops the server by its PID; the HTTP tests share one `make dev`
//! stack, stopped by its PID too.

mod administration;
mod bidding;
mod bounds;
mod catalog;
mod checkout;
mod deployment;
mod documents;
mod event;
mod identity;
mod lifecycle;
mod local_stack;
mod lockout;
mod messages;
mod permissions;
mod platform;
mod realtime;
mod reminders;
mod routes;
mod seeds;
mod store;

use std::process::ExitCode;

use integration_tests::harness::{LocalDynamo, stop_shared_stack};
use libtest_mimic::Arguments;

fn main() -> ExitCode {
    let arguments = Arguments::from_args();
    let trials: Vec<_> = [
        store::trials(),
        platform::trials(),
        routes::trials(),
        deployment::trials(),
        documents::trials(),
        seeds::trials(),
        identity::trials(),
        lockout::trials(),
        administration::trials(),
        permissions::trials(),
        catalog::trials(),
        bidding::trials(),
        messages::trials(),
        bounds::trials(),
        realtime::trials(),
        lifecycle::trials(),
        reminders::trials(),
        event::trials(),
        checkout::trials(),
        local_stack::trials(),
    ]
    .into_iter()
    .flatten()
    .collect();
    // Listing tests (`--list`) needs no server.
    let local = if arguments.list {
        None
    } else {
        match LocalDynamo::start() {
            Ok(local) => Some(local),
            Err(error) => {
                eprintln!("cannot start the local DynamoDB endpoint: {error:#}");
                return ExitCode::FAILURE;
            }
        }
    };
    let conclusion = libtest_mimic::run(&arguments, trials);
    // The stack the HTTP tests shared, before the DynamoDB server it runs on.
    let stopped = stop_shared_stack();
    drop(local);
    if let Err(error) = stopped {
        eprintln!("the shared local stack did not stop cleanly: {error:#}");
        return ExitCode::FAILURE;
    }
    conclusion.exit_code()
}
