//! The HTTP routes are declared in three places that must agree: `template.yaml` (what is
//! deployed, and what the local emulator serves), the function binaries, and the OpenAPI
//! document (what clients are told). So are the tables. WebSocket routes and stream triggers
//! are named after what invokes them, and the emulator serves exactly the template's.

use std::collections::BTreeSet;

use anyhow::Context;
use integration_tests::harness::repo_root;
use integration_tests::trials;
use libtest_mimic::Trial;
use shared::store::{Collection, Index, KeyType};
use utoipa::OpenApi;
use yaml_serde::Value;

pub fn trials() -> Vec<Trial> {
    trials![
        template_binaries_and_openapi_list_the_same_routes,
        template_tables_are_exactly_the_collections,
        template_indexes_are_exactly_the_indexes_queries_use,
        websocket_routes_and_triggers_are_named_after_what_invokes_them,
    ]
}

/// (method, path, function)
type Route = (String, String, String);

fn template() -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(repo_root().join("template.yaml"))?;
    Ok(yaml_serde::from_str(&text)?)
}

/// Every function of the template and the HTTP routes that invoke it.
fn template_functions() -> anyhow::Result<(BTreeSet<String>, BTreeSet<Route>)> {
    let template = template()?;
    let resources = template["Resources"].as_mapping().context("no Resources")?;
    let mut functions = BTreeSet::new();
    let mut routes = BTreeSet::new();
    for (logical_id, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let code_uri = resource["Properties"]["CodeUri"]
            .as_str()
            .context("CodeUri")?;
        let name = code_uri
            .strip_prefix("target/lambda/")
            .map(|rest| rest.trim_end_matches('/').to_string())
            .with_context(|| format!("{logical_id:?}: CodeUri must be target/lambda/<name>/"))?;
        let events = resource["Properties"]["Events"]
            .as_mapping()
            .cloned()
            .unwrap_or_default();
        for (_, event) in events {
            if event["Type"].as_str() == Some("HttpApi") {
                let method = event["Properties"]["Method"].as_str().context("Method")?;
                let path = event["Properties"]["Path"].as_str().context("Path")?;
                routes.insert((method.to_uppercase(), path.to_string(), name.clone()));
            }
        }
        functions.insert(name);
    }
    Ok((functions, routes))
}

fn binaries() -> anyhow::Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(repo_root().join("functions/src/bin"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs") {
            names.insert(
                path.file_stem()
                    .context("name")?
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    Ok(names)
}

fn openapi_routes() -> anyhow::Result<BTreeSet<(String, String)>> {
    let document = serde_json::to_value(functions::openapi::ApiDoc::openapi())?;
    let methods = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let mut routes = BTreeSet::new();
    for (path, item) in document["paths"].as_object().context("paths")? {
        for method in methods.iter().filter(|m| item.get(**m).is_some()) {
            routes.insert((method.to_uppercase(), path.clone()));
        }
    }
    Ok(routes)
}

/// The function name a route must have: the method, then each path segment, `.` as `-` and
/// a parameter `{xId}` written `x` (`GET /auctions/{auctionId}` → `get-auctions-auction`).
fn function_name(method: &str, path: &str) -> String {
    let mut words = vec![method.to_lowercase()];
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        let word = match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(parameter) => {
                let stem = parameter.strip_suffix("Id").unwrap_or(parameter);
                stem.chars().fold(String::new(), |mut kebab, c| {
                    if c.is_uppercase() {
                        kebab.push('-');
                    }
                    kebab.push(c.to_ascii_lowercase());
                    kebab
                })
            }
            None => segment.replace('.', "-"),
        };
        words.push(word);
    }
    words.join("-")
}

async fn template_binaries_and_openapi_list_the_same_routes() -> anyhow::Result<()> {
    let (functions, template_routes) = template_functions()?;
    assert!(!template_routes.is_empty());
    for (method, path, function) in &template_routes {
        assert_eq!(function, &function_name(method, path), "{method} {path}");
    }
    assert_eq!(
        function_name("PATCH", "/auctions/{auctionId}/members/{userId}"),
        "patch-auctions-auction-members-user"
    );
    let text = std::fs::read_to_string(repo_root().join("template.yaml"))?;
    let served: BTreeSet<Route> = infra::emulator::routes::HttpApi::from_template(&text)?
        .routes
        .into_iter()
        .map(|r| (r.method, r.path, r.function))
        .collect();
    assert_eq!(
        served, template_routes,
        "the emulator's routes vs template.yaml"
    );
    assert_eq!(
        binaries()?,
        functions,
        "functions/src/bin vs template.yaml functions"
    );
    let documented: BTreeSet<_> = template_routes
        .iter()
        .map(|(m, p, _)| (m.clone(), p.clone()))
        .collect();
    assert_eq!(
        openapi_routes()?,
        documented,
        "OpenAPI document vs template.yaml"
    );
    Ok(())
}

async fn template_tables_are_exactly_the_collections() -> anyhow::Result<()> {
    let text = std::fs::read_to_string(repo_root().join("template.yaml"))?;
    let definitions = infra::tables::table_definitions(&text)?;
    let in_template: BTreeSet<(String, String)> = definitions
        .iter()
        .map(|d| {
            (
                d.collection.clone(),
                d.hash_key().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let in_code: BTreeSet<(String, String)> = Collection::ALL
        .iter()
        .map(|c| (c.name().to_string(), c.key_attribute().to_string()))
        .collect();
    assert_eq!(in_template, in_code);
    for definition in &definitions {
        let template = template()?;
        let resource = &template["Resources"][definition.logical_id.as_str()];
        assert_eq!(
            resource["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
            Value::Bool(true),
            "{} needs point-in-time recovery",
            definition.logical_id
        );
    }
    Ok(())
}

/// (collection, index, partition key, sort key and its type)
type IndexShape = (String, String, String, Option<(String, String)>);

async fn template_indexes_are_exactly_the_indexes_queries_use() -> anyhow::Result<()> {
    let text = std::fs::read_to_string(repo_root().join("template.yaml"))?;
    let mut in_template = BTreeSet::<IndexShape>::new();
    for table in infra::tables::table_definitions(&text)? {
        let type_of = |attribute: &str| {
            table
                .properties
                .attribute_definitions
                .iter()
                .find(|a| a.attribute_name == attribute)
                .map(|a| a.attribute_type.clone())
                .unwrap_or_default()
        };
        for index in &table.properties.global_secondary_indexes {
            let key = |kind: &str| {
                index
                    .key_schema
                    .iter()
                    .find(|k| k.key_type == kind)
                    .map(|k| k.attribute_name.clone())
            };
            in_template.insert((
                table.collection.clone(),
                index.index_name.clone(),
                key("HASH").unwrap_or_default(),
                key("RANGE").map(|sort| (sort.clone(), type_of(&sort))),
            ));
        }
    }
    let in_code: BTreeSet<IndexShape> = Index::ALL
        .iter()
        .map(|index| {
            let sort = index.sort.map(|(name, kind)| {
                let kind = match kind {
                    KeyType::S => "S",
                    KeyType::N => "N",
                };
                (name.to_string(), kind.to_string())
            });
            (
                index.collection.name().to_string(),
                index.name.to_string(),
                index.partition.to_string(),
                sort,
            )
        })
        .collect();
    assert_eq!(in_code, in_template);
    Ok(())
}

/// The text of a scalar or of a short-form intrinsic (`!Sub "..."`, `!Ref X`, `!GetAtt X.Y`).
fn intrinsic_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Tagged(tagged) => tagged.value.as_str().map(str::to_string),
        _ => None,
    }
}

/// The `${Id}` or `${Id.Attribute}` references of a `!Sub` text, as logical ids.
fn sub_references(text: &str) -> Vec<String> {
    text.split("${")
        .skip(1)
        .filter_map(|rest| rest.split_once('}'))
        .map(|(inside, _)| inside.split('.').next().unwrap_or_default().to_string())
        .collect()
}

async fn websocket_routes_and_triggers_are_named_after_what_invokes_them() -> anyhow::Result<()> {
    let template = template()?;
    let resources = template["Resources"].as_mapping().context("no Resources")?;
    let of_type = |kind: &str| -> Vec<(String, &Value)> {
        resources
            .iter()
            .filter(|(_, r)| r["Type"].as_str() == Some(kind))
            .filter_map(|(id, r)| Some((id.as_str()?.to_string(), r)))
            .collect()
    };
    let binary = |logical_id: &str| -> Option<String> {
        resources.get(logical_id)?["Properties"]["CodeUri"]
            .as_str()?
            .strip_prefix("target/lambda/")
            .map(|rest| rest.trim_end_matches('/').to_string())
    };
    let (all_functions, http_routes) = template_functions()?;
    let mut invoked: BTreeSet<String> = http_routes.iter().map(|(_, _, f)| f.clone()).collect();

    // WebSocket routes: `$connect` -> ws-connect, `subscribe` -> ws-subscribe.
    let responded: BTreeSet<String> = of_type("AWS::ApiGatewayV2::RouteResponse")
        .iter()
        .filter_map(|(_, r)| intrinsic_text(&r["Properties"]["RouteId"]))
        .collect();
    let permitted: BTreeSet<(String, String)> = of_type("AWS::Lambda::Permission")
        .iter()
        .filter_map(|(_, r)| {
            let function = intrinsic_text(&r["Properties"]["FunctionName"])?;
            let source = intrinsic_text(&r["Properties"]["SourceArn"])?;
            Some((function, source.rsplit('/').next()?.to_string()))
        })
        .collect();
    let mut websocket = BTreeSet::new();
    for (route_id, route) in of_type("AWS::ApiGatewayV2::Route") {
        let key = route["Properties"]["RouteKey"]
            .as_str()
            .context("RouteKey")?;
        let target = intrinsic_text(&route["Properties"]["Target"]).context("Target")?;
        let integration = sub_references(&target)
            .pop()
            .context("Target names no integration")?;
        let uri = intrinsic_text(&resources[integration.as_str()]["Properties"]["IntegrationUri"])
            .context("IntegrationUri")?;
        let function_id = sub_references(&uri)
            .into_iter()
            .find(|id| binary(id).is_some())
            .with_context(|| format!("{route_id}: its integration invokes no function"))?;
        let function = binary(&function_id).context("CodeUri")?;
        assert_eq!(
            function,
            format!("ws-{}", key.trim_start_matches('$')),
            "route {key}"
        );
        assert!(
            permitted.contains(&(function_id.clone(), key.to_string())),
            "{function_id} lets API Gateway invoke it for {key} only"
        );
        let two_way = responded.contains(&route_id);
        assert_eq!(
            two_way,
            !key.starts_with("$connect") && key != "$disconnect",
            "{key} answers"
        );
        websocket.insert((key.to_string(), function.clone(), two_way));
        invoked.insert(function);
    }
    for key in ["$connect", "$disconnect", "$default"] {
        assert!(
            websocket.iter().any(|(k, _, _)| k == key),
            "the WebSocket API has {key}"
        );
    }
    let text = std::fs::read_to_string(repo_root().join("template.yaml"))?;
    let served: BTreeSet<(String, String, bool)> =
        infra::emulator::websocket_routes::WebSocketApi::from_template(&text)?
            .context("the emulator finds the WebSocket API")?
            .routes
            .into_values()
            .map(|r| (r.key, r.function, r.two_way))
            .collect();
    assert_eq!(
        served, websocket,
        "the emulator's WebSocket routes vs template.yaml"
    );

    // Stream triggers: stream-<collection>-<what it does>.
    for (function_id, function) in of_type("AWS::Serverless::Function") {
        let events = function["Properties"]["Events"]
            .as_mapping()
            .cloned()
            .unwrap_or_default();
        for (_, event) in events {
            if event["Type"].as_str() != Some("DynamoDB") {
                continue;
            }
            let stream = intrinsic_text(&event["Properties"]["Stream"]).context("Stream")?;
            let table = stream.split('.').next().unwrap_or_default();
            let table_name = intrinsic_text(&resources[table]["Properties"]["TableName"])
                .context("TableName")?;
            let collection = table_name.trim_start_matches("${Stage}-").replace('_', "-");
            let name = binary(&function_id).context("CodeUri")?;
            assert!(
                name.starts_with(&format!("stream-{collection}-")),
                "{name} is triggered by the {collection} stream"
            );
            assert_eq!(
                event["Properties"]["FunctionResponseTypes"][0].as_str(),
                Some("ReportBatchItemFailures"),
                "{name} reports the records that failed, not the whole batch"
            );
            invoked.insert(name);
        }
    }
    // Schedules and the bus: schedule-<what it does> for the one-time schedules' target and
    // the rate schedule's, event-<bus>-<what it does> for a bus rule's.
    let targets: BTreeSet<String> = of_type("AWS::Serverless::Function")
        .iter()
        .filter_map(|(_, f)| {
            intrinsic_text(&f["Properties"]["Environment"]["Variables"]["SCHEDULE_TARGET_ARN"])
        })
        .collect();
    let [target] = Vec::from_iter(targets)
        .try_into()
        .map_err(|found: Vec<String>| {
            anyhow::anyhow!("every function that schedules names one target, not {found:?}")
        })?;
    let target_name = target
        .rsplit("function:${Stage}-")
        .next()
        .context("the schedules' target names a function of the stage")?
        .to_string();
    for (function_id, function) in of_type("AWS::Serverless::Function") {
        let name = binary(&function_id).context("CodeUri")?;
        if name == target_name {
            assert_eq!(
                intrinsic_text(&function["Properties"]["FunctionName"]).as_deref(),
                Some(format!("${{Stage}}-{name}").as_str()),
                "the schedules' target has the name SCHEDULE_TARGET_ARN gives"
            );
            assert!(
                name.starts_with("schedule-"),
                "{name} is the schedules' target"
            );
            invoked.insert(name.clone());
        }
        let events = function["Properties"]["Events"]
            .as_mapping()
            .cloned()
            .unwrap_or_default();
        for (_, event) in events {
            match event["Type"].as_str() {
                Some("ScheduleV2") => {
                    assert!(name.starts_with("schedule-"), "{name} runs on a schedule");
                    invoked.insert(name.clone());
                }
                Some("EventBridgeRule") => {
                    let bus = intrinsic_text(&event["Properties"]["EventBusName"])
                        .context("EventBusName")?;
                    let bus_name = intrinsic_text(&resources[bus.as_str()]["Properties"]["Name"])
                        .context("the bus's Name")?;
                    let bus_name = bus_name.trim_start_matches("${Stage}-");
                    assert!(
                        name.starts_with(&format!("event-{bus_name}-")),
                        "{name} is fed by the {bus_name} bus"
                    );
                    let listed: BTreeSet<String> = event["Properties"]["Pattern"]["detail-type"]
                        .as_sequence()
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect();
                    let published: BTreeSet<String> =
                        shared::lifecycle::LifecycleEvent::DETAIL_TYPES
                            .iter()
                            .map(|t| t.to_string())
                            .collect();
                    assert_eq!(
                        listed, published,
                        "{name}'s rule takes every lifecycle event"
                    );
                    invoked.insert(name.clone());
                }
                _ => {}
            }
        }
    }
    assert_eq!(
        invoked, all_functions,
        "every function is a route or a trigger"
    );
    Ok(())
}
