//! Test harness pieces.

mod app;
mod calls;
mod fixtures;
mod local_dynamo;
mod local_stack;
mod round_trips;
mod socket;
mod trial;

pub use app::{TestApp, test_config};
pub use calls::{
    answer, create_auction, log_in_with, refresh_with, register_with, sign_in, text, token_of,
    token_with,
};
pub use fixtures::{api_request, body_json, request};
pub use local_dynamo::{LocalDynamo, endpoint, free_port, repo_root};
pub use local_stack::{
    Exchange, LocalStack, StackOptions, exchange, shared_stack, shared_stack_logs,
    shared_stack_prefix, shared_stack_services, shared_stack_ws, stop_shared_stack,
};
pub use round_trips::{RoundTrips, counted_store};
pub use socket::{FRAME_WAIT, Socket, ticket_url};
pub use trial::{app_trial, trial};
