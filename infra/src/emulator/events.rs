//! An EventBridge bus, locally: `PutEvents` (the JSON 1.1 protocol, `X-Amz-Target:
//! AWSEvents.PutEvents`), and the routing of each entry to the functions whose
//! `EventBridgeRule` in `template.yaml` matches its `source` and `detail-type`, delivered
//! asynchronously in EventBridge's envelope and retried as the rule's retry policy says. The
//! rate schedules of `ScheduleV2` events (`rate(5 minutes)`) are fired here too.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{SecondsFormat, Utc};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Response, StatusCode};
use serde_json::{Value, json};
use yaml_serde::Value as Yaml;

use super::aws_error;
use super::websocket::Invoker;

/// A retried delivery waits this long, doubling each time.
const FIRST_RETRY: Duration = Duration::from_secs(1);

/// One rule: which events reach which function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub function: String,
    pub sources: Vec<String>,
    pub detail_types: Vec<String>,
    pub retries: u32,
}

impl Rule {
    fn matches(&self, source: &str, detail_type: &str) -> bool {
        (self.sources.is_empty() || self.sources.iter().any(|s| s == source))
            && (self.detail_types.is_empty() || self.detail_types.iter().any(|t| t == detail_type))
    }
}

/// A function the template runs at a fixed rate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateSchedule {
    pub function: String,
    pub every: Duration,
}

/// The rules and rate schedules `template.yaml` declares.
pub fn from_template(template_yaml: &str) -> anyhow::Result<(Vec<Rule>, Vec<RateSchedule>)> {
    let template: Yaml = yaml_serde::from_str(template_yaml).context("parsing template.yaml")?;
    let mut rules = Vec::new();
    let mut rates = Vec::new();
    let resources = template["Resources"]
        .as_mapping()
        .cloned()
        .unwrap_or_default();
    for (logical_id, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let properties = &resource["Properties"];
        let function = super::routes::binary_name(&logical_id, properties)?;
        for (_, event) in properties["Events"].as_mapping().into_iter().flatten() {
            let event_properties = &event["Properties"];
            match event["Type"].as_str() {
                Some("EventBridgeRule") => {
                    let list = |key: &str| -> Vec<String> {
                        event_properties["Pattern"][key]
                            .as_sequence()
                            .into_iter()
                            .flatten()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    };
                    rules.push(Rule {
                        function: function.clone(),
                        sources: list("source"),
                        detail_types: list("detail-type"),
                        retries: event_properties["RetryPolicy"]["MaximumRetryAttempts"]
                            .as_u64()
                            .and_then(|n| u32::try_from(n).ok())
                            .unwrap_or(185),
                    });
                }
                Some("ScheduleV2" | "Schedule") => {
                    let expression = event_properties["ScheduleExpression"]
                        .as_str()
                        .context("a schedule without ScheduleExpression")?;
                    rates.push(RateSchedule {
                        function: function.clone(),
                        every: rate(expression).with_context(|| {
                            format!("{function}: only rate(...) schedules are emulated, not {expression}")
                        })?,
                    });
                }
                _ => {}
            }
        }
    }
    Ok((rules, rates))
}

/// `rate(5 minutes)` as a duration.
fn rate(expression: &str) -> Option<Duration> {
    let inner = expression.strip_prefix("rate(")?.strip_suffix(')')?;
    let (value, unit) = inner.split_once(' ')?;
    let value: u64 = value.parse().ok()?;
    let seconds = match unit.trim_end_matches('s') {
        "minute" => 60,
        "hour" => 3_600,
        "day" => 86_400,
        _ => return None,
    };
    Some(Duration::from_secs(value * seconds))
}

/// The bus: its rules and the functions they invoke.
pub struct EventBus<I> {
    rules: Vec<Rule>,
    invoker: Arc<I>,
}

impl<I: Invoker> EventBus<I> {
    pub fn new(rules: Vec<Rule>, invoker: Arc<I>) -> Self {
        Self { rules, invoker }
    }

    /// Answers `PutEvents`: every entry is accepted and routed to the rules it matches.
    pub fn put_events(&self, body: &[u8]) -> Response<Full<Bytes>> {
        let Ok(request) = serde_json::from_slice::<Value>(body) else {
            return aws_error(
                StatusCode::BAD_REQUEST,
                "ValidationException",
                json!({"message": "the body is not JSON"}),
            );
        };
        let entries = request["Entries"].as_array().cloned().unwrap_or_default();
        if entries.is_empty() || entries.len() > 10 {
            return aws_error(
                StatusCode::BAD_REQUEST,
                "ValidationException",
                json!({"message": "Entries must hold 1 to 10 entries"}),
            );
        }
        let mut results = Vec::new();
        let mut failed = 0;
        for entry in entries {
            let (Some(source), Some(detail_type), Some(detail)) = (
                entry["Source"].as_str(),
                entry["DetailType"].as_str(),
                entry["Detail"].as_str(),
            ) else {
                failed += 1;
                results.push(json!({"ErrorCode": "InvalidArgument", "ErrorMessage": "Source, DetailType and Detail are required"}));
                continue;
            };
            let Ok(detail) = serde_json::from_str::<Value>(detail) else {
                failed += 1;
                results.push(json!({"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is not a JSON object"}));
                continue;
            };
            let id = uuid::Uuid::new_v4().to_string();
            let envelope = json!({
                "version": "0",
                "id": id,
                "detail-type": detail_type,
                "source": source,
                "account": "000000000000",
                "time": Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
                "region": std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into()),
                "resources": entry["Resources"].clone(),
                "detail": detail,
            });
            for rule in self.rules.iter().filter(|r| r.matches(source, detail_type)) {
                tokio::spawn(deliver(
                    self.invoker.clone(),
                    rule.clone(),
                    Bytes::from(envelope.to_string()),
                    detail_type.to_string(),
                ));
            }
            results.push(json!({"EventId": id}));
        }
        let mut response = Response::new(Full::new(Bytes::from(
            json!({"FailedEntryCount": failed, "Entries": results}).to_string(),
        )));
        response.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        response
    }
}

/// Invokes `rule`'s function with the event, retrying with backoff.
async fn deliver<I: Invoker>(invoker: Arc<I>, rule: Rule, envelope: Bytes, detail_type: String) {
    let mut delay = FIRST_RETRY;
    for attempt in 0..=rule.retries.min(10) {
        match invoker.invoke(&rule.function, envelope.clone()).await {
            Ok(_) => {
                tracing::info!(function = %rule.function, event = %detail_type, attempt, "event delivered");
                return;
            }
            Err(error) => {
                tracing::warn!(function = %rule.function, event = %detail_type, %error, "event delivery failed")
            }
        }
        tokio::time::sleep(delay).await;
        delay *= 2;
    }
    tracing::error!(function = %rule.function, event = %detail_type, "event delivery gave up; on AWS it would go to the dead-letter queue");
}

/// Fires each rate schedule at its rate until the process ends (the first time one period
/// after start, as Scheduler does).
pub async fn run_rates<I: Invoker>(rates: Vec<RateSchedule>, invoker: Arc<I>) {
    for schedule in rates {
        let invoker = invoker.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(schedule.every);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                tracing::info!(function = %schedule.function, "rate schedule fired");
                if let Err(error) = invoker.invoke(&schedule.function, Bytes::from("{}")).await {
                    tracing::warn!(function = %schedule.function, %error, "the rate schedule's target failed");
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn the_templates_rule_and_rate_are_read() {
        let template = std::fs::read_to_string(crate::template_path()).unwrap();
        let (rules, rates) = from_template(&template).unwrap();
        let rule = rules
            .iter()
            .find(|r| r.function == "event-lifecycle-fan-out")
            .expect("the lifecycle rule");
        assert_eq!(rule.sources, ["auction-platform.lifecycle"]);
        assert!(rule.detail_types.iter().any(|t| t == "item.closed"));
        assert!(rule.matches("auction-platform.lifecycle", "payment.due"));
        assert!(!rule.matches("somebody.else", "payment.due"));
        assert!(!rule.matches("auction-platform.lifecycle", "item.deleted"));
        assert_eq!(
            rates,
            [RateSchedule {
                function: "schedule-sweep".into(),
                every: Duration::from_secs(300)
            }]
        );
        assert_eq!(rate("rate(1 hour)"), Some(Duration::from_secs(3600)));
        assert_eq!(rate("cron(0 * * * ? *)"), None);
    }

    #[tokio::test]
    async fn put_events_delivers_an_envelope_to_the_matching_rules_only() {
        let delivered: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
        let seen = delivered.clone();
        let invoker = move |function: String, payload: Bytes| {
            let envelope: Value = serde_json::from_slice(&payload).unwrap();
            seen.lock().unwrap().push((function, envelope));
            async { Ok(Bytes::new()) }
        };
        let rule = |function: &str, detail_type: &str| Rule {
            function: function.into(),
            sources: vec!["auction-platform.lifecycle".into()],
            detail_types: vec![detail_type.into()],
            retries: 0,
        };
        let bus = EventBus::new(
            vec![
                rule("closes", "item.closed"),
                rule("payments", "payment.due"),
            ],
            Arc::new(invoker),
        );
        let body = json!({"Entries": [
            {"Source": "auction-platform.lifecycle", "DetailType": "item.closed", "Detail": r#"{"eventId":"e1"}"#, "EventBusName": "local-lifecycle"},
            {"Source": "auction-platform.lifecycle", "DetailType": "item.closed", "Detail": "not json"},
        ]});
        let answer = bus.put_events(body.to_string().as_bytes());
        let answer: Value = serde_json::from_slice(
            &http_body_util::BodyExt::collect(answer.into_body())
                .await
                .unwrap()
                .to_bytes(),
        )
        .unwrap();
        assert_eq!(answer["FailedEntryCount"], 1, "{answer}");
        assert_eq!(answer["Entries"][1]["ErrorCode"], "MalformedDetail");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let delivered = delivered.lock().unwrap().clone();
        assert_eq!(delivered.len(), 1, "{delivered:?}");
        let (function, envelope) = &delivered[0];
        assert_eq!(function, "closes");
        assert_eq!(envelope["detail-type"], "item.closed");
        assert_eq!(envelope["source"], "auction-platform.lifecycle");
        assert_eq!(envelope["detail"]["eventId"], "e1");
        assert_eq!(envelope["id"], answer["Entries"][0]["EventId"]);
        let too_many = json!({"Entries": vec![json!({}); 11]});
        assert_eq!(
            bus.put_events(too_many.to_string().as_bytes()).status(),
            400
        );
    }

    #[tokio::test]
    async fn a_rate_schedule_fires_one_period_after_the_start_and_then_each_period() {
        let fired = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = fired.clone();
        let invoker = move |_: String, _: Bytes| {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async { Ok(Bytes::new()) }
        };
        let every = Duration::from_millis(500);
        run_rates(
            vec![RateSchedule {
                function: "schedule-sweep".into(),
                every,
            }],
            Arc::new(invoker),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            fired.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "not at the start"
        );
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let count = fired.load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!(count, 2, "{count} firings in 1.3 s at 500 ms");
    }
}
