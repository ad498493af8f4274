//! `ping` and `$default` (functions `ws-ping`, `ws-default`): a keep-alive, and the answer to
//! every frame no route takes.

use shared::realtime::{ErrorCode, ServerEvent};

use super::socket::{Reply, SocketRequest};

/// `pong`: lets a client keep its connection from idling out (10 minutes) and check it is up.
pub async fn ws_ping(_request: SocketRequest) -> Reply {
    Reply::Frame(ServerEvent::Pong)
}

/// A frame that is not JSON, has no `action`, or names one that does not exist.
pub async fn ws_default(request: SocketRequest) -> Reply {
    let action = request
        .body
        .as_deref()
        .filter(|_| !request.is_base64_encoded)
        .and_then(|body| serde_json::from_str::<serde_json::Value>(body).ok())
        .and_then(|message| message.get("action").cloned());
    match action {
        Some(serde_json::Value::String(_)) => Reply::error(
            ErrorCode::UnknownAction,
            "Unknown action: use subscribe, unsubscribe or ping.",
        ),
        _ => Reply::error(
            ErrorCode::BadMessage,
            "A message is a JSON object with an `action` (subscribe, unsubscribe or ping).",
        ),
    }
}
