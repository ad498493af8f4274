//! Integration tests against the local stack, compiled as one binary. The harness starts the
//! local DynamoDB server (unless `DYNAMODB_ENDPOINT` names one), runs every test, each on
//! tables of its own, and stops the server by its PID.

mod administration;
mod bidding;
mod bounds;
mod catalog;
mod deployment;
mod identity;
mod lockout;
mod permissions;
mod platform;
mod routes;
mod seeds;
mod store;

use std::process::ExitCode;

use integration_tests::harness::LocalDynamo;
use libtest_mimic::Arguments;

fn main() -> ExitCode {
    let arguments = Arguments::from_args();
    let trials: Vec<_> = [
        store::trials(),
        platform::trials(),
        routes::trials(),
        deployment::trials(),
        seeds::trials(),
        identity::trials(),
        lockout::trials(),
        administration::trials(),
        permissions::trials(),
        catalog::trials(),
        bidding::trials(),
        bounds::trials(),
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
    drop(local);
    conclusion.exit_code()
}
