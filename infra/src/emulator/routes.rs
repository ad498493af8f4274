//! The HTTP API's routes and functions, read from `template.yaml` as API Gateway reads them
//! when the stack is deployed: a function per route, matched on method and path template.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::{Context, bail};
use yaml_serde::Value;

/// What the template says about one function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionSpec {
    /// The binary's name: `CodeUri: target/lambda/<name>/`.
    pub name: String,
    pub timeout: Duration,
}

/// One `HttpApi` event: `GET /items/{itemId}` invokes `get-items-item`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub function: String,
}

impl Route {
    /// API Gateway's `routeKey`, as the event carries it.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// Where a request goes.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolution<'a> {
    Found {
        route: &'a Route,
        parameters: BTreeMap<String, String>,
    },
    /// The path exists with other methods (they go in the `Allow` header).
    MethodNotAllowed(BTreeSet<&'a str>),
    NotFound,
}

/// The HTTP API's `CorsConfiguration`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cors {
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age: u64,
}

impl Cors {
    fn from_template(configuration: &Value) -> Option<Self> {
        configuration.as_mapping()?;
        let list = |key: &str| -> Vec<String> {
            configuration[key]
                .as_sequence()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        Some(Self {
            allow_origins: list("AllowOrigins"),
            allow_methods: list("AllowMethods"),
            allow_headers: list("AllowHeaders"),
            expose_headers: list("ExposeHeaders"),
            max_age: configuration["MaxAge"].as_u64().unwrap_or_default(),
        })
    }
}

/// The template's HTTP API: its routes, the functions behind them, its CORS rules.
#[derive(Clone, Debug, Default)]
pub struct HttpApi {
    pub functions: Vec<FunctionSpec>,
    pub routes: Vec<Route>,
    pub cors: Option<Cors>,
}

/// Lambda's default, for a template that sets no timeout at all.
const DEFAULT_TIMEOUT_SECS: u64 = 3;

impl HttpApi {
    /// Reads every `AWS::Serverless::Function` and its `HttpApi` events from the template.
    pub fn from_template(text: &str) -> anyhow::Result<Self> {
        let template: Value = yaml_serde::from_str(text).context("parsing template.yaml")?;
        let default_timeout = template["Globals"]["Function"]["Timeout"]
            .as_u64()
            .unwrap_or(DEFAULT_TIMEOUT_SECS);
        let resources = template["Resources"]
            .as_mapping()
            .context("template.yaml has no Resources")?;
        let mut api = Self::default();
        for (logical_id, resource) in resources {
            if resource["Type"].as_str() == Some("AWS::Serverless::HttpApi") {
                api.cors = Cors::from_template(&resource["Properties"]["CorsConfiguration"]);
            }
            if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
                continue;
            }
            let properties = &resource["Properties"];
            let name = binary_name(logical_id, properties)?;
            let timeout = properties["Timeout"].as_u64().unwrap_or(default_timeout);
            for (_, event) in properties["Events"].as_mapping().into_iter().flatten() {
                if event["Type"].as_str() != Some("HttpApi") {
                    continue;
                }
                let method = event["Properties"]["Method"]
                    .as_str()
                    .with_context(|| format!("{logical_id:?}: an HttpApi event without Method"))?;
                let path = event["Properties"]["Path"]
                    .as_str()
                    .with_context(|| format!("{logical_id:?}: an HttpApi event without Path"))?;
                api.routes.push(Route {
                    method: method.to_uppercase(),
                    path: path.to_string(),
                    function: name.clone(),
                });
            }
            api.functions.push(FunctionSpec {
                name,
                timeout: Duration::from_secs(timeout),
            });
        }
        if api.routes.is_empty() {
            bail!("template.yaml declares no HttpApi routes");
        }
        Ok(api)
    }

    /// Matches a request as API Gateway does: a literal segment beats a parameter, so
    /// `POST /auctions/join` is not `POST /auctions/{auctionId}`.
    pub fn resolve(&self, method: &str, path: &str) -> Resolution<'_> {
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        let mut best: Option<(usize, &Route, BTreeMap<String, String>)> = None;
        let mut allowed = BTreeSet::new();
        for route in &self.routes {
            let Some((literals, parameters)) = match_path(&route.path, &segments) else {
                continue;
            };
            allowed.insert(route.method.as_str());
            if route.method != method {
                continue;
            }
            if best.as_ref().is_none_or(|(most, _, _)| literals > *most) {
                best = Some((literals, route, parameters));
            }
        }
        match best {
            Some((_, route, parameters)) => Resolution::Found { route, parameters },
            None if allowed.is_empty() => Resolution::NotFound,
            None => Resolution::MethodNotAllowed(allowed),
        }
    }
}

/// A function's binary, from its `CodeUri: target/lambda/<name>/`.
pub(crate) fn binary_name(
    logical_id: &impl std::fmt::Debug,
    properties: &Value,
) -> anyhow::Result<String> {
    properties["CodeUri"]
        .as_str()
        .and_then(|uri| uri.strip_prefix("target/lambda/"))
        .map(|rest| rest.trim_end_matches('/').to_string())
        .with_context(|| format!("{logical_id:?}: CodeUri must be target/lambda/<name>/"))
}

/// How many literal segments matched and the decoded parameters, if the path fits.
fn match_path(template: &str, segments: &[&str]) -> Option<(usize, BTreeMap<String, String>)> {
    let pattern: Vec<&str> = template.split('/').skip(1).collect();
    if pattern.len() != segments.len() {
        return None;
    }
    let mut literals = 0;
    let mut parameters = BTreeMap::new();
    for (expected, actual) in pattern.iter().zip(segments) {
        match expected.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(_) if actual.is_empty() => return None,
            Some(name) => {
                let value = percent_encoding::percent_decode_str(actual)
                    .decode_utf8()
                    .ok()?
                    .into_owned();
                parameters.insert(name.to_string(), value);
            }
            None if expected == actual => literals += 1,
            None => return None,
        }
    }
    Some((literals, parameters))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> HttpApi {
        let route = |method: &str, path: &str, function: &str| Route {
            method: method.into(),
            path: path.into(),
            function: function.into(),
        };
        HttpApi {
            functions: vec![],
            cors: None,
            routes: vec![
                route("GET", "/auctions/{auctionId}", "get-auctions-auction"),
                route("PATCH", "/auctions/{auctionId}", "patch-auctions-auction"),
                route("POST", "/auctions/join", "post-auctions-join"),
                route("GET", "/health", "get-health"),
            ],
        }
    }

    #[test]
    fn parameters_are_decoded() {
        let api = api();
        let Resolution::Found { route, parameters } = api.resolve("GET", "/auctions/a%20b") else {
            panic!("no match");
        };
        assert_eq!(route.function, "get-auctions-auction");
        assert_eq!(parameters["auctionId"], "a b");
    }

    #[test]
    fn a_literal_segment_beats_a_parameter() {
        let api = api();
        let Resolution::Found { route, .. } = api.resolve("POST", "/auctions/join") else {
            panic!("no match");
        };
        assert_eq!(route.function, "post-auctions-join");
    }

    #[test]
    fn another_method_on_a_known_path_is_not_allowed() {
        let api = api();
        assert_eq!(
            api.resolve("DELETE", "/auctions/x"),
            Resolution::MethodNotAllowed(["GET", "PATCH"].into())
        );
    }

    #[test]
    fn unknown_and_empty_segments_are_not_found() {
        let api = api();
        assert_eq!(api.resolve("GET", "/nowhere"), Resolution::NotFound);
        assert_eq!(api.resolve("GET", "/auctions/"), Resolution::NotFound);
        assert_eq!(api.resolve("GET", "/health/"), Resolution::NotFound);
    }
}
