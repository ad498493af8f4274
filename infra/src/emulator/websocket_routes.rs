//! The WebSocket API's routes, read from `template.yaml` as API Gateway reads them when the
//! stack is deployed: an `AWS::ApiGatewayV2::Api` with `ProtocolType: WEBSOCKET`, its
//! `Route`s, each targeting an `AWS_PROXY` `Integration` whose URI names a function, and the
//! `RouteResponse`s that make a route two-way.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, bail};
use yaml_serde::Value;

use super::routes::binary_name;

/// One route: `subscribe` invokes `ws-subscribe`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebSocketRoute {
    /// `$connect`, `$disconnect`, `$default` or a value of the selection expression.
    pub key: String,
    pub function: String,
    /// It has a `RouteResponse`: the function's response body goes back to the client.
    pub two_way: bool,
}

/// The template's WebSocket API.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WebSocketApi {
    /// The fields of `$request.body.<a>.<b>`, the expression that names a message's route.
    pub selection: Vec<String>,
    pub routes: BTreeMap<String, WebSocketRoute>,
}

/// The route keys API Gateway invokes itself, never chosen by a message.
const LIFECYCLE_KEYS: [&str; 2] = ["$connect", "$disconnect"];

impl WebSocketApi {
    /// Reads the template's WebSocket API, or `None` when it declares none.
    pub fn from_template(text: &str) -> anyhow::Result<Option<Self>> {
        let template: Value = yaml_serde::from_str(text).context("parsing template.yaml")?;
        let resources = template["Resources"]
            .as_mapping()
            .context("template.yaml has no Resources")?;
        let by_id: BTreeMap<&str, &Value> = resources
            .iter()
            .filter_map(|(id, resource)| Some((id.as_str()?, resource)))
            .collect();
        let of_type = |kind: &str| -> Vec<(&str, &Value)> {
            by_id
                .iter()
                .filter(|(_, r)| r["Type"].as_str() == Some(kind))
                .map(|(id, r)| (*id, &r["Properties"]))
                .collect()
        };
        let apis: Vec<(&str, &Value)> = of_type("AWS::ApiGatewayV2::Api")
            .into_iter()
            .filter(|(_, p)| p["ProtocolType"].as_str() == Some("WEBSOCKET"))
            .collect();
        let (api_id, api_properties) = match apis.as_slice() {
            [] => return Ok(None),
            [one] => *one,
            _ => {
                bail!("template.yaml declares more than one WebSocket API; the emulator serves one")
            }
        };
        let selection = selection_fields(&api_properties["RouteSelectionExpression"])
            .with_context(|| {
                format!("{api_id}: RouteSelectionExpression must be $request.body.<field>")
            })?;
        let of_api = |kind: &str| -> Vec<(&str, &Value)> {
            of_type(kind)
                .into_iter()
                .filter(|(_, p)| references(&p["ApiId"]).contains(api_id))
                .collect()
        };
        let two_way: BTreeSet<String> = of_api("AWS::ApiGatewayV2::RouteResponse")
            .iter()
            .flat_map(|(_, p)| references(&p["RouteId"]))
            .collect();
        let mut api = Self {
            selection,
            routes: BTreeMap::new(),
        };
        for (route_id, properties) in of_api("AWS::ApiGatewayV2::Route") {
            let key = properties["RouteKey"]
                .as_str()
                .with_context(|| format!("{route_id}: a Route without RouteKey"))?;
            let integration = referenced(
                &by_id,
                &properties["Target"],
                "AWS::ApiGatewayV2::Integration",
            )
            .with_context(|| format!("{route_id}: Target must be integrations/<an Integration>"))?;
            let function = integration_function(&by_id, integration)
                .with_context(|| format!("{route_id}: its integration"))?;
            let route = WebSocketRoute {
                key: key.to_string(),
                function,
                two_way: two_way.contains(route_id),
            };
            if api.routes.insert(key.to_string(), route).is_some() {
                bail!("{route_id}: a second route for {key:?}");
            }
        }
        Ok(Some(api))
    }

    /// The route declared for `key`.
    pub fn route(&self, key: &str) -> Option<&WebSocketRoute> {
        self.routes.get(key)
    }

    /// The route of a message, as API Gateway selects it: a text message that is a JSON
    /// object whose selection field is a string naming a route goes there; anything else
    /// (not JSON, no such field, an unknown route, a binary message) goes to `$default`,
    /// which may not exist.
    pub fn select(&self, text: Option<&str>) -> Option<&WebSocketRoute> {
        let chosen = text
            .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok())
            .and_then(|body| {
                let field = self
                    .selection
                    .iter()
                    .try_fold(&body, |value, name| value.as_object()?.get(name))?;
                field.as_str().map(str::to_string)
            })
            .filter(|key| !LIFECYCLE_KEYS.contains(&key.as_str()))
            .and_then(|key| self.routes.get(&key));
        chosen.or_else(|| self.routes.get("$default"))
    }
}

/// `$request.body.action` → `["action"]`.
fn selection_fields(expression: &Value) -> Option<Vec<String>> {
    let fields: Vec<String> = expression
        .as_str()?
        .strip_prefix("$request.body.")?
        .split('.')
        .map(str::to_string)
        .collect();
    fields.iter().all(|f| !f.is_empty()).then_some(fields)
}

/// The function an `AWS_PROXY` integration's `IntegrationUri` names.
fn integration_function(
    by_id: &BTreeMap<&str, &Value>,
    integration: &str,
) -> anyhow::Result<String> {
    let properties = &by_id[integration]["Properties"];
    if properties["IntegrationType"].as_str() != Some("AWS_PROXY") {
        bail!("{integration}: the emulator serves AWS_PROXY integrations only");
    }
    let function = referenced(
        by_id,
        &properties["IntegrationUri"],
        "AWS::Serverless::Function",
    )
    .with_context(|| format!("{integration}: IntegrationUri names no function of the template"))?;
    binary_name(&function, &by_id[function]["Properties"])
}

/// The one resource of type `kind` that `value` refers to.
fn referenced<'a>(by_id: &BTreeMap<&'a str, &Value>, value: &Value, kind: &str) -> Option<&'a str> {
    let found: BTreeSet<&'a str> = references(value)
        .into_iter()
        .filter_map(|id| by_id.get_key_value(id.as_str()))
        .filter(|(_, r)| r["Type"].as_str() == Some(kind))
        .map(|(id, _)| *id)
        .collect();
    let mut found = found.into_iter();
    match (found.next(), found.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// Every logical id `value` refers to, in any of the forms a template writes: `!Ref X`,
/// `!GetAtt X.Arn`, `${X}` or `${X.Arn}` in a `!Sub`, and the long forms `Ref`, `Fn::GetAtt`,
/// `Fn::Sub` (inside `Fn::Join` too). Pseudo parameters (`AWS::Region`) come back as well;
/// callers keep the ids that name resources.
fn references(value: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    collect_references(value, &mut found);
    found
}

fn collect_references(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Tagged(tagged) => intrinsic(
            tagged.tag.to_string().trim_start_matches('!'),
            &tagged.value,
            found,
        ),
        Value::Mapping(map) => {
            for (key, inner) in map {
                match key.as_str() {
                    Some(name @ ("Ref" | "Fn::GetAtt" | "Fn::Sub")) => {
                        intrinsic(name.trim_start_matches("Fn::"), inner, found);
                    }
                    _ => collect_references(inner, found),
                }
            }
        }
        Value::Sequence(items) => items
            .iter()
            .for_each(|item| collect_references(item, found)),
        _ => {}
    }
}

/// The references of one intrinsic function, by its short name.
fn intrinsic(name: &str, argument: &Value, found: &mut BTreeSet<String>) {
    match (name, argument) {
        ("Ref", Value::String(id)) => {
            found.insert(id.clone());
        }
        ("GetAtt", Value::String(path)) => {
            found.insert(path.split('.').next().unwrap_or_default().to_string());
        }
        ("GetAtt", Value::Sequence(parts)) => {
            if let Some(id) = parts.first().and_then(Value::as_str) {
                found.insert(id.to_string());
            }
        }
        ("Sub", Value::String(text)) => substitutions(text, found),
        ("Sub", Value::Sequence(parts)) => {
            if let Some(text) = parts.first().and_then(Value::as_str) {
                substitutions(text, found);
            }
            parts
                .iter()
                .skip(1)
                .for_each(|part| collect_references(part, found));
        }
        _ => collect_references(argument, found),
    }
}

/// The ids of `${X}` and `${X.Attribute}` in a `!Sub` string (`${!Literal}` is no reference).
fn substitutions(text: &str, found: &mut BTreeSet<String>) {
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find('}') else {
            return;
        };
        let variable = &rest[..end];
        if !variable.starts_with('!') {
            found.insert(variable.split('.').next().unwrap_or_default().to_string());
        }
        rest = &rest[end + 1..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of the design: short forms, and the long forms on the `ping` route.
    const TEMPLATE: &str = r#"
Resources:
  WebSocketApi:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: !Sub "auction-platform-ws-${Stage}"
      ProtocolType: WEBSOCKET
      RouteSelectionExpression: "$request.body.action"
  HttpApi:
    Type: AWS::ApiGatewayV2::Api
    Properties: { ProtocolType: HTTP }
  WebSocketConnectRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref WebSocketApi
      RouteKey: $connect
      Target: !Sub "integrations/${WebSocketConnectIntegration}"
  WebSocketConnectIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref WebSocketApi
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${WsConnectFunction.Arn}/invocations"
  WebSocketSubscribeRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref WebSocketApi
      RouteKey: subscribe
      Target: !Sub "integrations/${WebSocketSubscribeIntegration}"
      RouteResponseSelectionExpression: "$default"
  WebSocketSubscribeIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref WebSocketApi
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${WsSubscribeFunction.Arn}/invocations"
  WebSocketSubscribeRouteResponse:
    Type: AWS::ApiGatewayV2::RouteResponse
    Properties: { ApiId: !Ref WebSocketApi, RouteId: !Ref WebSocketSubscribeRoute, RouteResponseKey: "$default" }
  WebSocketPingRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: { Ref: WebSocketApi }
      RouteKey: ping
      Target: { "Fn::Join": ["/", ["integrations", { Ref: WebSocketPingIntegration }]] }
  WebSocketPingIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: { Ref: WebSocketApi }
      IntegrationType: AWS_PROXY
      IntegrationUri:
        Fn::Sub: "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${WsPingFunction.Arn}/invocations"
  WebSocketDefaultRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref WebSocketApi
      RouteKey: $default
      Target: !Join ["/", ["integrations", !Ref WebSocketDefaultIntegration]]
  WebSocketDefaultIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref WebSocketApi
      IntegrationType: AWS_PROXY
      IntegrationUri: !Join ["", ["arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/", !GetAtt WsDefaultFunction.Arn, "/invocations"]]
  WsConnectFunction:
    Type: AWS::Serverless::Function
    Properties: { CodeUri: target/lambda/ws-connect/ }
  WsSubscribeFunction:
    Type: AWS::Serverless::Function
    Properties: { CodeUri: target/lambda/ws-subscribe/ }
  WsPingFunction:
    Type: AWS::Serverless::Function
    Properties: { CodeUri: target/lambda/ws-ping/ }
  WsDefaultFunction:
    Type: AWS::Serverless::Function
    Properties: { CodeUri: target/lambda/ws-default/ }
"#;

    fn api() -> WebSocketApi {
        WebSocketApi::from_template(TEMPLATE)
            .expect("readable")
            .expect("a WebSocket API")
    }

    #[test]
    fn routes_integrations_and_route_responses_are_read() {
        let api = api();
        assert_eq!(api.selection, ["action"]);
        let summary: Vec<(&str, &str, bool)> = api
            .routes
            .values()
            .map(|r| (r.key.as_str(), r.function.as_str(), r.two_way))
            .collect();
        assert_eq!(
            summary,
            [
                ("$connect", "ws-connect", false),
                ("$default", "ws-default", false),
                ("ping", "ws-ping", false),
                ("subscribe", "ws-subscribe", true),
            ]
        );
    }

    #[test]
    fn the_repository_template_is_readable() {
        let text = std::fs::read_to_string(crate::template_path()).unwrap();
        let Some(api) = WebSocketApi::from_template(&text).unwrap() else {
            return; // the template may not declare one yet
        };
        for key in ["$connect", "$disconnect", "$default"] {
            assert!(api.route(key).is_some(), "{key}");
        }
        let functions = super::super::routes::HttpApi::from_template(&text)
            .unwrap()
            .functions;
        for route in api.routes.values() {
            assert!(
                functions.iter().any(|f| f.name == route.function),
                "{} is a function of the template",
                route.function
            );
        }
    }

    #[test]
    fn a_template_without_a_websocket_api_has_none() {
        let template = "Resources:\n  HttpApi:\n    Type: AWS::ApiGatewayV2::Api\n    Properties: { ProtocolType: HTTP }\n";
        assert_eq!(WebSocketApi::from_template(template).unwrap(), None);
    }

    #[test]
    fn a_route_without_a_known_integration_is_an_error() {
        let template = TEMPLATE.replace(
            "integrations/${WebSocketSubscribeIntegration}",
            "integrations/${Nowhere}",
        );
        let error = WebSocketApi::from_template(&template).unwrap_err();
        assert!(
            format!("{error:#}").contains("WebSocketSubscribeRoute"),
            "{error:#}"
        );
    }

    #[test]
    fn messages_select_their_route_or_default() {
        let api = api();
        let key = |text: Option<&str>| api.select(text).map(|r| r.key.as_str());
        assert_eq!(
            key(Some(r#"{"action":"subscribe","auctionId":"a"}"#)),
            Some("subscribe")
        );
        assert_eq!(key(Some(r#"{"action":"ping"}"#)), Some("ping"));
        for other in [
            r#"{"action":"nope"}"#,
            r#"{"action":7}"#,
            r#"{"other":"subscribe"}"#,
            r#"["subscribe"]"#,
            r#"{"action":"$connect"}"#,
            "subscribe",
            "{not json",
        ] {
            assert_eq!(key(Some(other)), Some("$default"), "{other}");
        }
        assert_eq!(key(None), Some("$default"), "a binary message");
    }

    #[test]
    fn without_default_an_unknown_message_has_no_route() {
        let mut api = api();
        api.routes.remove("$default");
        assert_eq!(api.select(Some(r#"{"action":"nope"}"#)), None);
    }

    #[test]
    fn nested_selection_fields_are_followed() {
        assert_eq!(
            selection_fields(&Value::String("$request.body.meta.route".into())),
            Some(vec!["meta".into(), "route".into()])
        );
        assert_eq!(
            selection_fields(&Value::String("$request.header.x".into())),
            None
        );
    }
}
