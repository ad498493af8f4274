//! Calling handlers the way API Gateway would, and reading their answers.

use anyhow::Context;
use lambda_http::{Body, Response};
use serde_json::{Value, json};

use super::app::TestApp;
use super::fixtures::body_json;

/// Calls `handler` with an API Gateway event and answers `(status, JSON body)`:
/// `call!(handler, app, "GET", "/items/{itemId}", [("itemId", id)], body, token)`, or without
/// the path parameters for routes that have none.
#[macro_export]
macro_rules! call {
    ($handler:path, $app:expr, $method:literal, $route:expr, $body:expr, $token:expr) => {
        $crate::call!($handler, $app, $method, $route, [], $body, $token)
    };
    ($handler:path, $app:expr, $method:literal, $route:expr, $params:expr, $body:expr, $token:expr) => {{
        let request = $crate::harness::api_request($method, $route, &$params, $body, $token)?;
        let response = $handler(&$app.state, request)
            .await
            .unwrap_or_else(shared::http::ApiError::into_response);
        $crate::harness::answer(&response)?
    }};
}

/// A response's status and JSON body (`null` for 204).
pub fn answer(response: &Response<Body>) -> anyhow::Result<(u16, Value)> {
    let status = response.status().as_u16();
    let body = if status == 204 {
        Value::Null
    } else {
        body_json(response)?
    };
    Ok((status, body))
}

/// A string field of a JSON body (`""` when absent).
pub fn text<'a>(body: &'a Value, field: &str) -> &'a str {
    body[field].as_str().unwrap_or_default()
}

/// `POST /auth/register` with `body`.
pub async fn register_with(app: &TestApp, body: &Value) -> anyhow::Result<(u16, Value)> {
    Ok(crate::call!(
        functions::identity::register::post_auth_register,
        app,
        "POST",
        "/auth/register",
        Some(body),
        None
    ))
}

/// `POST /auth/login` with `body`.
pub async fn log_in_with(app: &TestApp, body: &Value) -> anyhow::Result<(u16, Value)> {
    Ok(crate::call!(
        functions::identity::login::post_auth_login,
        app,
        "POST",
        "/auth/login",
        Some(body),
        None
    ))
}

/// `POST /auth/refresh` with `body`.
pub async fn refresh_with(app: &TestApp, body: &Value) -> anyhow::Result<(u16, Value)> {
    Ok(crate::call!(
        functions::identity::refresh::post_auth_refresh,
        app,
        "POST",
        "/auth/refresh",
        Some(body),
        None
    ))
}

/// `POST /auctions` with `body`, by the holder of `token`.
pub async fn create_auction(
    app: &TestApp,
    body: &Value,
    token: &str,
) -> anyhow::Result<(u16, Value)> {
    Ok(crate::call!(
        functions::catalog::auctions::post_auctions,
        app,
        "POST",
        "/auctions",
        Some(body),
        Some(token)
    ))
}

/// Signs `login` in through the real handler; answers the tokens and account.
pub async fn sign_in(app: &TestApp, login: &str, password: &str) -> anyhow::Result<Value> {
    let body = json!({"login": login, "password": password});
    let (status, signed_in) = log_in_with(app, &body).await?;
    anyhow::ensure!(
        status == 200,
        "{login} could not sign in ({status}): {signed_in}"
    );
    Ok(signed_in)
}

/// The access token of `login` signed in with `password`.
pub async fn token_with(app: &TestApp, login: &str, password: &str) -> anyhow::Result<String> {
    let signed_in = sign_in(app, login, password).await?;
    signed_in["accessToken"]
        .as_str()
        .map(str::to_string)
        .context("no access token")
}

/// The access token of a seeded user.
pub async fn token_of(app: &TestApp, username: &str) -> anyhow::Result<String> {
    token_with(app, username, seeds::DEFAULT_PASSWORD).await
}
