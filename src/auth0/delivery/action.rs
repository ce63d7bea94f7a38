//! Delivering through the user's own Action or Hook: the tenant's custom route runs
//! the file configured for its trigger, with the event Auth0 would build, and the
//! run is kept (event in, console out, duration, outcome) for the flow timeline.
//!
//! The SDK calls the Action makes reach this Phonebox carrying the flow's link, so
//! the message they capture belongs to the transaction and the run.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Delivery, Outcome, Outgoing};
use crate::actions::runner::{Job, Limits};
use crate::actions::{
    CacheRecord, RunErrorView, RunEvent, RunOutcome, SecretValues, Trigger, CACHE_LIMITS,
    MAX_RETRIES,
};
use crate::message::SendProvider;
use crate::store::actions::ActionRow;
use crate::store::{action_cache, action_runs, messages, StoreError};
use crate::unix_ms;

/// The wait before retry `n` (1-based) on the emulated clock: 10 s, doubling.
/// Auth0 says only "up to 5 times in the next minutes".
/// The most message ids a run lists (a run that sent more is still whole in the
/// inbox and the flow).
const MAX_MESSAGES_OF_RUN: u32 = 200;

/// The trigger an Action row was configured for (the column's CHECK allows only
/// the three).
pub(crate) fn trigger_of(action: &ActionRow) -> Trigger {
    Trigger::parse(&action.trigger_id).unwrap_or(Trigger::SendPhoneMessage)
}

pub fn retry_backoff(n: u32) -> Duration {
    Duration::from_secs(10u64 << n.saturating_sub(1).min(10))
}

/// When the attempt after `attempt` is due: the schedule runs from when each
/// attempt was due, not when it ran, so moving the clock an hour ahead runs every
/// retry that is due by then, one after another.
fn next_due(due_ms: i64, attempt: u32) -> i64 {
    due_ms.saturating_add(retry_backoff(attempt).as_millis() as i64)
}

/// A retry the Action asked for, due on the emulated clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    /// The Action that asked: a retry runs only that one.
    pub action_id: String,
    /// The attempt it will be (2 for the first retry).
    pub attempt: u32,
    /// Unix ms on the tenant's emulated clock.
    pub due_ms: i64,
}

/// One run as kept and shown (`/emulator/v1/.../runs`, the flow timeline). Secret
/// values are masked wherever they appear.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RunView {
    pub id: String,
    pub action_id: String,
    pub action_name: String,
    pub tenant: String,
    /// The MFA challenge, passwordless code or test this run delivered for.
    pub transaction_id: String,
    pub trigger: Trigger,
    /// The file that ran.
    pub file: String,
    /// 1 for the first run, up to 6 with Auth0's five retries.
    pub attempt: u32,
    /// When it started, on the emulated clock (RFC 3339).
    pub started_at: String,
    pub duration_ms: u64,
    pub outcome: RunOutcome,
    /// drop/retry's reason, or what went wrong in words.
    pub reason: Option<String>,
    pub error: Option<RunErrorView>,
    /// The event the code received, as it received it (secrets masked).
    #[cfg_attr(test, ts(type = "unknown"))]
    #[schema(value_type = Object)]
    pub event: serde_json::Value,
    /// Everything it printed (console.* in order, then stderr).
    pub console: String,
    pub console_truncated: bool,
    /// What the handler returned, or the Hook's callback response.
    #[cfg_attr(test, ts(type = "unknown"))]
    pub returned: Option<serde_json::Value>,
    /// Where the code relies on something Auth0 would not give it.
    pub warnings: Vec<String>,
    pub node_version: Option<String>,
    /// The child's process id (its process group is gone once the run ends).
    pub pid: Option<u32>,
    /// Requests it made to this Phonebox.
    pub requests_to_phonebox: u32,
    /// The messages its SDK calls captured here.
    pub message_ids: Vec<String>,
    /// When the next attempt is due, if it asked to retry and may.
    pub retry_at: Option<String>,
}

/// The secrets-store key of one of an Action's secrets.
pub fn secret_key(tenant: &str, action_id: &str, name: &str) -> String {
    format!("{tenant}/actions/{action_id}/secrets/{name}")
}

/// The prefix of all of an Action's secrets.
pub fn secrets_prefix(tenant: &str, action_id: &str) -> String {
    format!("{tenant}/actions/{action_id}/secrets/")
}

impl Trigger {
    /// The trigger a custom route's shape runs.
    pub(super) fn of_shape(shape: super::custom::Shape) -> Trigger {
        match shape {
            super::custom::Shape::SendPhoneMessage => Trigger::SendPhoneMessage,
            super::custom::Shape::Hook => Trigger::Hook,
            super::custom::Shape::CustomPhoneProvider => Trigger::CustomPhoneProvider,
        }
    }
}

/// The secret values worth masking (four characters or more), longest first, so a
/// secret inside another is not left half in clear.
fn maskable(secrets: &SecretValues) -> Vec<&str> {
    let mut values: Vec<&str> = secrets
        .values()
        .map(String::as_str)
        .filter(|v| v.chars().count() >= 4)
        .collect();
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values
}

/// `text` with every secret value (four characters or more) masked.
pub fn scrub(text: &str, secrets: &SecretValues) -> String {
    let mut out = text.to_owned();
    for value in maskable(secrets) {
        out = out.replace(value, &crate::forward::settings::mask(value));
    }
    out
}

/// Every string inside `value` scrubbed; numbers, booleans and keys are left as
/// they are (a secret "2345" must not rewrite a pid).
fn scrub_strings(value: &mut serde_json::Value, secrets: &SecretValues) {
    match value {
        serde_json::Value::String(s) => *s = scrub(s, secrets),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| scrub_strings(v, secrets)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| scrub_strings(v, secrets)),
        _ => {}
    }
}

/// The event as stored: `secrets` (and the Hook's `webtask.secrets`) masked.
fn masked_event(event: &RunEvent) -> serde_json::Value {
    let mut value = serde_json::to_value(event).unwrap_or_default();
    if let Some(secrets) = value.get_mut("secrets").and_then(|s| s.as_object_mut()) {
        for v in secrets.values_mut() {
            if let Some(s) = v.as_str() {
                *v = crate::forward::settings::mask(s).into();
            }
        }
    }
    value
}

impl Delivery {
    /// The tenant's Action for `trigger`, if it configured one.
    pub(super) async fn action_for(
        &self,
        tenant: &str,
        trigger: Trigger,
    ) -> Result<Option<ActionRow>, StoreError> {
        crate::store::actions::for_trigger(self.pipeline.store(), tenant, trigger.as_str()).await
    }

    /// The values of an Action's secrets, from the secrets store.
    pub fn action_secrets(&self, action: &ActionRow) -> SecretValues {
        action
            .secret_names()
            .into_iter()
            .filter_map(|name| {
                self.secrets
                    .get(&secret_key(&action.tenant, &action.id, &name))
                    .map(|v| (name, v))
            })
            .collect()
    }

    /// Runs `action` for `out` (attempt `attempt`, due at `due_ms` when it is a
    /// retry) and answers how the delivery went.
    pub(super) async fn run_action(
        &self,
        out: &Outgoing<'_>,
        action: &ActionRow,
        attempt: u32,
        due_ms: Option<i64>,
    ) -> Outcome {
        // The schedule runs from when each attempt was due; a first one, from now.
        let due_ms = due_ms
            .unwrap_or_else(|| unix_ms::from_time(self.pipeline.clock().now_in(&out.tenant.id)));
        match self.run_once(out, action, attempt, Some(due_ms)).await {
            Ok(run) => {
                let mut outcome = if run.outcome == RunOutcome::Success {
                    Outcome::delivered(SendProvider::Custom, run.message_ids.last().cloned())
                } else {
                    let mut why = crate::actions::failure(
                        run.outcome,
                        run.reason.as_deref(),
                        run.error.as_ref(),
                    )
                    .unwrap_or_default();
                    if run.outcome == RunOutcome::Retry {
                        why = match &run.retry_at {
                            Some(at) => format!("{why} (attempt {attempt}; retried at {at})"),
                            None => format!("{why} (attempt {attempt}: no retries left)"),
                        };
                    }
                    Outcome::failed(SendProvider::Custom, why)
                };
                outcome.action_run = Some(run.id.clone());
                if run.outcome == RunOutcome::Retry && attempt <= MAX_RETRIES {
                    outcome.retry = Some(Retry {
                        action_id: action.id.clone(),
                        attempt: attempt + 1,
                        due_ms: next_due(due_ms, attempt),
                    });
                }
                outcome
            }
            Err(e) => Outcome::failed(
                SendProvider::Custom,
                format!("could not keep the Action's run: {e}"),
            ),
        }
    }

    /// One run of `action`, kept whole (`due_ms`: when this attempt was due).
    pub async fn run_once(
        &self,
        out: &Outgoing<'_>,
        action: &ActionRow,
        attempt: u32,
        due_ms: Option<i64>,
    ) -> Result<RunView, StoreError> {
        let trigger = trigger_of(action);
        let secrets = self.action_secrets(action);
        let event = event_for(out, trigger, &secrets);
        let clock = self.pipeline.clock();
        let started_at = clock.now_in(&out.tenant.id);
        let now_ms = unix_ms::from_time(started_at);
        let real_ms = unix_ms::from_time(time::OffsetDateTime::now_utc());
        let cache: BTreeMap<String, CacheRecord> =
            action_cache::live(self.pipeline.store(), &action.id, now_ms)
                .await?
                .into_iter()
                .map(|(key, value, expires_at)| (key, CacheRecord { value, expires_at }))
                .collect();
        let run_id = ulid::Ulid::from_datetime(started_at.into()).to_string();
        let mut link = out.link(SendProvider::Custom);
        link.action_run = Some(run_id.clone());
        let finished = self
            .runner
            .run(Job {
                file: Path::new(&action.path),
                trigger,
                event: &event,
                secrets: &secrets,
                cache,
                clock_offset_ms: now_ms - real_ms,
                phonebox_base: &self.own_base,
                link_header: Some(link.to_header()),
                limits: Limits {
                    timeout: Duration::from_millis(action.timeout_ms.max(1) as u64),
                    max_memory_mb: u32::try_from(action.max_memory_mb)
                        .unwrap_or(crate::actions::DEFAULT_MAX_MEMORY_MB),
                },
            })
            .await;
        let message_ids = messages::ids_of_run(
            self.pipeline.store(),
            out.transaction_id,
            &run_id,
            MAX_MESSAGES_OF_RUN,
        )
        .await?;
        let retry_at = (finished.outcome == RunOutcome::Retry && attempt <= MAX_RETRIES)
            .then(|| unix_ms::rfc3339_ms(next_due(due_ms.unwrap_or(now_ms), attempt)));
        let cache_writes = finished.cache_writes;
        let run = RunView {
            id: run_id,
            action_id: action.id.clone(),
            action_name: action.name.clone(),
            tenant: out.tenant.id.clone(),
            transaction_id: out.transaction_id.to_owned(),
            trigger,
            file: action.path.clone(),
            attempt,
            started_at: unix_ms::rfc3339_ms(now_ms),
            duration_ms: finished.duration_ms,
            outcome: finished.outcome,
            reason: finished.reason,
            error: finished.error,
            event: masked_event(&event),
            console: finished.console,
            console_truncated: finished.console_truncated,
            returned: finished.returned,
            warnings: finished.warnings,
            node_version: finished.node_version,
            pid: finished.pid,
            requests_to_phonebox: finished.requests_to_phonebox,
            message_ids,
            retry_at,
        };
        let mut value =
            serde_json::to_value(&run).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        scrub_strings(&mut value, &secrets);
        let body = value.to_string();
        let run: RunView =
            serde_json::from_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        // The run is kept first: the Action may be deleted meanwhile, and its
        // cache with it, but the run belongs to the flow's history.
        action_runs::insert(
            self.pipeline.store(),
            &action_runs::RunRow {
                id: &run.id,
                action_id: &run.action_id,
                tenant: &run.tenant,
                transaction_id: &run.transaction_id,
                trigger_id: trigger.as_str(),
                attempt: i64::from(attempt),
                started_at: now_ms,
                duration_ms: run.duration_ms as i64,
                outcome: run.outcome.as_str(),
                reason: run.reason.as_deref(),
                body: &body,
            },
            crate::actions::MAX_RUNS_KEPT,
        )
        .await?;
        if let Err(e) = self.keep_cache(&action.id, &cache_writes, now_ms).await {
            // An Action deleted during its run has no cache left to write.
            tracing::warn!(action = %action.id, error = %e, "the run's cache changes were not kept");
        }
        Ok(run)
    }

    /// Applies the run's cache changes, within the cache's limits.
    async fn keep_cache(
        &self,
        action_id: &str,
        cache_writes: &[crate::actions::CacheWrite],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        // Each write is within its sizes already (the runner keeps no other).
        let writes: Vec<action_cache::Write<'_>> = cache_writes
            .iter()
            .map(|w| action_cache::Write {
                key: &w.key,
                value: w.value.as_deref(),
                expires_at: w.expires_at.min(now_ms + CACHE_LIMITS.max_ttl_ms as i64),
            })
            .collect();
        action_cache::apply(
            self.pipeline.store(),
            action_id,
            &writes,
            now_ms,
            CACHE_LIMITS.max_entries,
        )
        .await
    }
}

/// The event `trigger` gets for `out`, with the Action's secrets.
pub fn event_for(out: &Outgoing<'_>, trigger: Trigger, secrets: &SecretValues) -> RunEvent {
    let values = || {
        Some(
            secrets
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::from(v.as_str())))
                .collect(),
        )
    };
    match trigger {
        Trigger::SendPhoneMessage => {
            let mut event = super::custom::send_phone_message_event(out);
            event.secrets = values();
            RunEvent::SendPhoneMessage(event)
        }
        Trigger::CustomPhoneProvider => {
            let mut event = super::custom::custom_phone_provider_event(out);
            event.secrets = values();
            RunEvent::CustomPhoneProvider(event)
        }
        // The Hook gets its secrets as context.webtask.secrets (the harness).
        Trigger::Hook => RunEvent::Hook(super::custom::hook_call(out)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_from_ten_seconds() {
        let waits: Vec<u64> = (1..=5).map(|n| retry_backoff(n).as_secs()).collect();
        assert_eq!(waits, [10, 20, 40, 80, 160]);
        assert_eq!(retry_backoff(u32::MAX).as_secs(), 10 << 10);
    }

    #[test]
    fn secret_values_are_masked_in_strings_only_and_longest_first() {
        let secrets: SecretValues = [
            ("TOKEN".to_owned(), "s3cr-et-value-long-enough".to_owned()),
            ("INNER".to_owned(), "value".to_owned()),
            ("PIN".to_owned(), "2345".to_owned()),
        ]
        .into();
        let mut run = serde_json::json!({"a": "x s3cr-et-value-long-enough y", "pid": 123456, "list": ["2345"]});
        scrub_strings(&mut run, &secrets);
        let text = run.to_string();
        assert!(
            !text.contains("s3cr") && !text.contains("long-enough"),
            "{text}"
        );
        assert_eq!(run["pid"], 123456, "numbers are not text to mask");
        assert_ne!(run["list"][0], "2345");
        assert!(!scrub("printed s3cr-et-value-long-enough", &secrets).contains("enough"));
    }
}
