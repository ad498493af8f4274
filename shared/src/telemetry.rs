//! Tracing set up for Lambda: JSON lines when the function's log format is JSON
//! (`AWS_LAMBDA_LOG_FORMAT`, set by the template), level from `AWS_LAMBDA_LOG_LEVEL` or `RUST_LOG`.

/// Installs the global subscriber; call once at cold start.
pub fn init() {
    lambda_http::tracing::init_default_subscriber();
}

/// Formats an error with its whole cause chain, for one log field.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
