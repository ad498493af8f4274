//! EventBridge Scheduler, locally: the API the functions call (`CreateSchedule`,
//! `UpdateSchedule`, `DeleteSchedule`, `GetSchedule`, REST-JSON under `/schedules/{Name}`),
//! and the firing of each one-time schedule at its time: the target function is invoked with
//! the schedule's `Input`, as Scheduler's templated Lambda target does, retried on failure as
//! its retry policy says, and deleted after it ran when `ActionAfterCompletion` is `DELETE`.
//! Unlike Scheduler, which fires within the minute after its time, it fires on the second.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Method, Response, StatusCode};
use serde_json::{Value, json};

use super::aws_error;
use super::websocket::Invoker;

/// A retried invocation waits this long, doubling each time (Scheduler backs off likewise).
const FIRST_RETRY: Duration = Duration::from_secs(1);

/// One schedule as created.
#[derive(Clone, Debug)]
struct Schedule {
    group: String,
    expression: String,
    /// When it fires (`at(...)` in UTC).
    at: chrono::DateTime<Utc>,
    function: String,
    input: String,
    retries: u32,
    max_age: Duration,
    delete_after: bool,
    /// Fired already (kept only when not deleted after completion).
    fired: bool,
    definition: Value,
}

/// The schedules, by group and name.
#[derive(Default)]
pub struct SchedulerApi {
    schedules: Mutex<HashMap<(String, String), Schedule>>,
    wake: tokio::sync::Notify,
}

impl SchedulerApi {
    fn schedules(&self) -> MutexGuard<'_, HashMap<(String, String), Schedule>> {
        self.schedules
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many schedules wait to fire (for the log and the tests).
    pub fn pending(&self) -> usize {
        self.schedules().values().filter(|s| !s.fired).count()
    }

    /// Answers one Scheduler API request (`path` and `query` as sent).
    pub fn handle(
        &self,
        method: &Method,
        path: &str,
        query: &str,
        body: &[u8],
    ) -> Response<Full<Bytes>> {
        let Some(name) = path
            .strip_prefix("/schedules/")
            .filter(|n| !n.contains('/'))
        else {
            return not_found("no such Scheduler operation");
        };
        let name = percent_decode(name);
        let group_in_query = query_value(query, "groupName").unwrap_or_else(|| "default".into());
        match *method {
            Method::POST | Method::PUT => {
                let Ok(definition) = serde_json::from_slice::<Value>(body) else {
                    return validation("the body is not JSON");
                };
                let group = definition["GroupName"]
                    .as_str()
                    .unwrap_or("default")
                    .to_string();
                let schedule = match parse(&definition, &group) {
                    Ok(schedule) => schedule,
                    Err(reason) => return validation(&reason),
                };
                let key = (group.clone(), name.clone());
                let mut schedules = self.schedules();
                let exists = schedules.contains_key(&key);
                if *method == Method::POST && exists {
                    return aws_error(
                        StatusCode::CONFLICT,
                        "ConflictException",
                        json!({"Message": format!("Schedule {name} already exists.")}),
                    );
                }
                if *method == Method::PUT && !exists {
                    return not_found(&format!("Schedule {name} does not exist."));
                }
                tracing::info!(schedule = %name, at = %schedule.at, function = %schedule.function, "schedule created");
                schedules.insert(key, schedule);
                drop(schedules);
                self.wake.notify_one();
                ok(json!({"ScheduleArn": arn(&group, &name)}))
            }
            Method::DELETE => match self
                .schedules()
                .remove(&(group_in_query.clone(), name.clone()))
            {
                Some(_) => ok(json!({})),
                None => not_found(&format!("Schedule {name} does not exist.")),
            },
            Method::GET => match self
                .schedules()
                .get(&(group_in_query.clone(), name.clone()))
            {
                Some(schedule) => {
                    let mut shown = schedule.definition.clone();
                    shown["Name"] = json!(name);
                    shown["GroupName"] = json!(schedule.group);
                    shown["Arn"] = json!(arn(&schedule.group, &name));
                    shown["ScheduleExpression"] = json!(schedule.expression);
                    shown["State"] = json!("ENABLED");
                    ok(shown)
                }
                None => not_found(&format!("Schedule {name} does not exist.")),
            },
            _ => not_found("no such Scheduler operation"),
        }
    }

    /// Fires each schedule at its time until the process ends.
    pub async fn run<I: Invoker>(self: Arc<Self>, invoker: Arc<I>) {
        loop {
            let now = Utc::now();
            let due: Vec<((String, String), Schedule)> = {
                let mut schedules = self.schedules();
                let keys: Vec<(String, String)> = schedules
                    .iter()
                    .filter(|(_, s)| !s.fired && s.at <= now)
                    .map(|(key, _)| key.clone())
                    .collect();
                keys.into_iter()
                    .filter_map(|key| {
                        let schedule = schedules.get(&key)?.clone();
                        if schedule.delete_after {
                            schedules.remove(&key);
                        } else if let Some(kept) = schedules.get_mut(&key) {
                            kept.fired = true;
                        }
                        Some((key, schedule))
                    })
                    .collect()
            };
            for ((_, name), schedule) in due {
                let invoker = invoker.clone();
                tokio::spawn(fire(invoker, name, schedule));
            }
            let next = self
                .schedules()
                .values()
                .filter(|s| !s.fired)
                .map(|s| s.at)
                .min();
            let wait = next
                .and_then(|at| (at - Utc::now()).to_std().ok())
                .unwrap_or(Duration::from_secs(3600))
                .min(Duration::from_secs(1));
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.wake.notified() => {}
            }
        }
    }
}

/// Invokes the schedule's target, retrying as its policy says.
async fn fire<I: Invoker>(invoker: Arc<I>, name: String, schedule: Schedule) {
    let started = std::time::Instant::now();
    let mut delay = FIRST_RETRY;
    for attempt in 0..=schedule.retries {
        let late_ms = (Utc::now() - schedule.at).num_milliseconds();
        tracing::info!(schedule = %name, function = %schedule.function, attempt, late_ms, "schedule fired");
        match invoker
            .invoke(&schedule.function, Bytes::from(schedule.input.clone()))
            .await
        {
            Ok(_) => return,
            Err(error) => {
                tracing::warn!(schedule = %name, %error, "the schedule's target failed");
            }
        }
        if started.elapsed() + delay > schedule.max_age {
            break;
        }
        tokio::time::sleep(delay).await;
        delay *= 2;
    }
    tracing::error!(schedule = %name, "the schedule gave up; on AWS its input would go to the dead-letter queue");
}

/// A schedule from its definition: an `at(...)` expression in UTC and a Lambda target.
fn parse(definition: &Value, group: &str) -> Result<Schedule, String> {
    let expression = definition["ScheduleExpression"]
        .as_str()
        .ok_or("ScheduleExpression is required")?
        .to_string();
    let inner = expression
        .strip_prefix("at(")
        .and_then(|rest| rest.strip_suffix(')'))
        .ok_or("only one-time at(...) schedules are emulated")?;
    let zone = definition["ScheduleExpressionTimezone"]
        .as_str()
        .unwrap_or("UTC");
    if zone != "UTC" {
        return Err(format!("only UTC is emulated, not {zone}"));
    }
    let at = NaiveDateTime::parse_from_str(inner, "%Y-%m-%dT%H:%M:%S")
        .map_err(|_| format!("{inner:?} is not yyyy-mm-ddThh:mm:ss"))?
        .and_utc();
    let target = &definition["Target"];
    let target_arn = target["Arn"].as_str().ok_or("Target.Arn is required")?;
    let function = target_arn
        .rsplit_once(":function:")
        .map(|(_, name)| name.to_string())
        .ok_or("Target.Arn must name a Lambda function")?;
    if target["RoleArn"].as_str().is_none() {
        return Err("Target.RoleArn is required".into());
    }
    let retries = target["RetryPolicy"]["MaximumRetryAttempts"]
        .as_u64()
        .unwrap_or(185);
    let max_age = target["RetryPolicy"]["MaximumEventAgeInSeconds"]
        .as_u64()
        .unwrap_or(86_400);
    Ok(Schedule {
        group: group.to_string(),
        expression,
        at,
        function,
        input: target["Input"].as_str().unwrap_or("{}").to_string(),
        retries: u32::try_from(retries).unwrap_or(185),
        max_age: Duration::from_secs(max_age),
        delete_after: definition["ActionAfterCompletion"].as_str() == Some("DELETE"),
        fired: false,
        definition: definition.clone(),
    })
}

fn arn(group: &str, name: &str) -> String {
    format!("arn:aws:scheduler:us-east-1:000000000000:schedule/{group}/{name}")
}

fn ok(body: Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

fn not_found(message: &str) -> Response<Full<Bytes>> {
    aws_error(
        StatusCode::NOT_FOUND,
        "ResourceNotFoundException",
        json!({"Message": message}),
    )
}

fn validation(message: &str) -> Response<Full<Bytes>> {
    aws_error(
        StatusCode::BAD_REQUEST,
        "ValidationException",
        json!({"Message": message}),
    )
}

fn query_value(query: &str, key: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| percent_decode(v))
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::emulator::lambda::InvokeError;

    fn definition(at: chrono::DateTime<Utc>, input: &str) -> Vec<u8> {
        json!({
            "GroupName": "local-lifecycle",
            "ScheduleExpression": format!("at({})", at.format("%Y-%m-%dT%H:%M:%S")),
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "ActionAfterCompletion": "DELETE",
            "Target": {
                "Arn": "arn:aws:lambda:us-east-1:000000000000:function:schedule-transition",
                "RoleArn": "arn:aws:iam::000000000000:role/local-scheduler",
                "Input": input,
                "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 60},
            },
        })
        .to_string()
        .into_bytes()
    }

    fn status(response: &Response<Full<Bytes>>) -> u16 {
        response.status().as_u16()
    }

    fn kind(response: &Response<Full<Bytes>>) -> &str {
        response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    #[test]
    fn a_name_is_created_once_read_back_and_deleted() {
        let api = SchedulerApi::default();
        let body = definition(Utc::now() + chrono::Duration::hours(1), r#"{"a":1}"#);
        let created = api.handle(&Method::POST, "/schedules/open-1", "", &body);
        assert_eq!(status(&created), 200);
        let again = api.handle(&Method::POST, "/schedules/open-1", "", &body);
        assert_eq!((status(&again), kind(&again)), (409, "ConflictException"));
        let read = api.handle(
            &Method::GET,
            "/schedules/open-1",
            "groupName=local-lifecycle",
            b"",
        );
        assert_eq!(status(&read), 200);
        assert_eq!(api.pending(), 1);
        // Another group holds no such schedule.
        let elsewhere = api.handle(&Method::GET, "/schedules/open-1", "groupName=default", b"");
        assert_eq!(
            (status(&elsewhere), kind(&elsewhere)),
            (404, "ResourceNotFoundException")
        );
        let deleted = api.handle(
            &Method::DELETE,
            "/schedules/open-1",
            "groupName=local-lifecycle",
            b"",
        );
        assert_eq!(status(&deleted), 200);
        let gone = api.handle(
            &Method::DELETE,
            "/schedules/open-1",
            "groupName=local-lifecycle",
            b"",
        );
        assert_eq!(status(&gone), 404);
        let update = api.handle(&Method::PUT, "/schedules/open-1", "", &body);
        assert_eq!(status(&update), 404, "an update needs an existing schedule");
    }

    #[test]
    fn what_scheduler_would_refuse_is_refused() {
        let api = SchedulerApi::default();
        let mut rate: Value = serde_json::from_slice(&definition(Utc::now(), "{}")).unwrap();
        rate["ScheduleExpression"] = json!("rate(5 minutes)");
        let mut no_role = rate.clone();
        no_role["ScheduleExpression"] = json!("at(2026-12-04T10:00:00)");
        no_role["Target"]["RoleArn"] = Value::Null;
        for body in [
            b"not json".to_vec(),
            rate.to_string().into_bytes(),
            no_role.to_string().into_bytes(),
        ] {
            let refused = api.handle(&Method::POST, "/schedules/x", "", &body);
            assert_eq!(
                (status(&refused), kind(&refused)),
                (400, "ValidationException")
            );
        }
        assert_eq!(
            status(&api.handle(&Method::GET, "/schedules", "", b"")),
            404
        );
    }

    #[tokio::test]
    async fn a_due_schedule_fires_its_input_retries_a_failure_and_is_deleted() {
        let api = Arc::new(SchedulerApi::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let invoker = move |function: String, payload: Bytes| {
            let attempt = seen.fetch_add(1, Ordering::SeqCst);
            async move {
                assert_eq!(function, "schedule-transition");
                assert_eq!(payload, Bytes::from_static(br#"{"transition":"x"}"#));
                if attempt == 0 {
                    Err(InvokeError::FunctionError("first attempt fails".into()))
                } else {
                    Ok(Bytes::new())
                }
            }
        };
        tokio::spawn(api.clone().run(Arc::new(invoker)));
        let due = api.handle(
            &Method::POST,
            "/schedules/due-1",
            "",
            &definition(
                Utc::now() - chrono::Duration::seconds(1),
                r#"{"transition":"x"}"#,
            ),
        );
        assert_eq!(status(&due), 200);
        let later = api.handle(
            &Method::POST,
            "/schedules/later-1",
            "",
            &definition(Utc::now() + chrono::Duration::hours(1), "{}"),
        );
        assert_eq!(status(&later), 200);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while calls.load(Ordering::SeqCst) < 2 {
            assert!(std::time::Instant::now() < deadline, "not retried");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2, "fired once, retried once");
        let gone = api.handle(
            &Method::GET,
            "/schedules/due-1",
            "groupName=local-lifecycle",
            b"",
        );
        assert_eq!(status(&gone), 404, "deleted after completion");
        assert_eq!(api.pending(), 1, "the later one still waits");
    }
}
