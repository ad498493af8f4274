//! One-time EventBridge Scheduler schedules (`at(...)` in UTC, deleted after they run, with a
//! retry policy and a dead-letter queue) that invoke the transition function.

use aws_sdk_scheduler::Client;
use aws_sdk_scheduler::error::DisplayErrorContext;
use aws_sdk_scheduler::operation::create_schedule::CreateScheduleError;
use aws_sdk_scheduler::operation::delete_schedule::DeleteScheduleError;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode,
    RetryPolicy, Target,
};

use super::transitions::Transition;
use crate::config::{LifecycleConfig, ScheduleTarget};
use crate::domain::Timestamp;

/// Retries of a failed invocation, and how long Scheduler keeps trying (then the dead-letter
/// queue gets it; the sweeper runs the step meanwhile).
const RETRIES: i32 = 10;
const RETRY_WINDOW_SECS: i32 = 3_600;

/// A schedule was not created or deleted.
#[derive(Debug, thiserror::Error)]
#[error("schedule {name}: {reason}")]
pub struct ScheduleError {
    pub name: String,
    pub reason: String,
}

/// The Scheduler client and where its schedules point.
#[derive(Clone, Debug)]
pub struct Schedules {
    client: Client,
    target: ScheduleTarget,
    close_lead_secs: u32,
}

impl Schedules {
    pub fn new(
        sdk: &aws_config::SdkConfig,
        target: &ScheduleTarget,
        config: &LifecycleConfig,
    ) -> Self {
        let mut builder = aws_sdk_scheduler::config::Builder::from(sdk);
        if let Some(endpoint) = &config.scheduler_endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        Self {
            client: Client::from_conf(builder.build()),
            target: target.clone(),
            close_lead_secs: config.close_lead_secs,
        }
    }

    /// When the schedule of `transition`, due `at`, fires: a close fires `close_lead_secs`
    /// early and waits (Scheduler fires within the minute after its time), the rest on time;
    /// never before `now`.
    pub fn fire_time(&self, transition: &Transition, at: Timestamp, now: Timestamp) -> Timestamp {
        let lead = match transition {
            Transition::ItemClose { .. } => i64::from(self.close_lead_secs),
            _ => 0,
        };
        let fire = at.plus(chrono::TimeDelta::seconds(-lead));
        if fire < now { now } else { fire }
    }

    /// Creates the schedule that runs `transition` (due `at`); one that exists already is
    /// left as it is.
    pub async fn arm(
        &self,
        transition: &Transition,
        at: Timestamp,
        now: Timestamp,
    ) -> Result<(), ScheduleError> {
        let name = transition.schedule_name(at);
        let fire = self.fire_time(transition, at, now);
        let failed = |reason: String| ScheduleError {
            name: name.clone(),
            reason,
        };
        let mut target = Target::builder()
            .arn(&self.target.target_arn)
            .role_arn(&self.target.role_arn)
            .input(transition.to_json())
            .retry_policy(
                RetryPolicy::builder()
                    .maximum_retry_attempts(RETRIES)
                    .maximum_event_age_in_seconds(RETRY_WINDOW_SECS)
                    .build(),
            );
        if let Some(queue) = &self.target.dead_letter_arn {
            target = target.dead_letter_config(DeadLetterConfig::builder().arn(queue).build());
        }
        let target = target.build().map_err(|e| failed(e.to_string()))?;
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(|e| failed(e.to_string()))?;
        let created = self
            .client
            .create_schedule()
            .name(&name)
            .group_name(&self.target.group)
            .schedule_expression(format!("at({})", fire.format_at()))
            .schedule_expression_timezone("UTC")
            .flexible_time_window(window)
            .target(target)
            .action_after_completion(ActionAfterCompletion::Delete)
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(error)
                if matches!(
                    error.as_service_error(),
                    Some(CreateScheduleError::ConflictException(_))
                ) =>
            {
                Ok(())
            }
            Err(error) => Err(failed(DisplayErrorContext(&error).to_string())),
        }
    }

    /// Deletes the schedule of `transition` due `at`; one that is gone already is fine.
    pub async fn disarm(
        &self,
        transition: &Transition,
        at: Timestamp,
    ) -> Result<(), ScheduleError> {
        let name = transition.schedule_name(at);
        let deleted = self
            .client
            .delete_schedule()
            .name(&name)
            .group_name(&self.target.group)
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(error)
                if matches!(
                    error.as_service_error(),
                    Some(DeleteScheduleError::ResourceNotFoundException(_))
                ) =>
            {
                Ok(())
            }
            Err(error) => Err(ScheduleError {
                name,
                reason: DisplayErrorContext(&error).to_string(),
            }),
        }
    }
}
