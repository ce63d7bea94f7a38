//! The user's own phone Actions and Hooks, run on this machine as Auth0 runs them.
//!
//! An Action is a JS file the user configured for a tenant, with its trigger and
//! secrets. `runner` executes it with the machine's `node` in a child process, in a
//! harness shipped inside this binary (`harness.js`): the event Auth0 would build,
//! `api.cache`, `api.notification`, Auth0's timeout, a memory cap, an environment
//! of the secrets and the endpoint overrides only, and the child's whole process
//! group killed when it ends. The provider SDKs the Action calls reach this
//! Phonebox, so what it sends lands in the inbox, linked to the run.
//!
//! Nothing here knows HTTP or the store: the delivery (`auth0::delivery::action`)
//! builds the event, keeps the cache and records the run.
//!
//! Deliberately left out: a sandbox. The code is the user's own, run with the
//! user's rights, as `node file.js` would be; only files the user configured run,
//! and no request names one.

pub mod config;
mod output;
pub mod runner;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::receivers::auth0::event::{CustomPhoneProviderEvent, HookCall, SendPhoneMessageEvent};
/// The runs kept per Action: the newest, for its run list and the flows.
pub const MAX_RUNS_KEPT: u32 = 1000;

/// Auth0's limit on one execution of a flow.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
/// Auth0's Actions run with 128 MB.
pub const DEFAULT_MAX_MEMORY_MB: u32 = 128;
/// The oldest Node.js the harness (and Auth0's Node 18 runtime) supports.
pub const MIN_NODE_MAJOR: u32 = 18;
/// How often Auth0 retries a notification an Action asked to retry.
pub const MAX_RETRIES: u32 = 5;
/// `api.notification.drop/retry` reasons are cut to this many characters.
pub const MAX_REASON_CHARS: usize = 1024;

/// Which of Auth0's extensibility points the file is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Trigger {
    /// `exports.onExecuteSendPhoneMessage(event, api)`.
    SendPhoneMessage,
    /// `exports.onExecuteCustomPhoneProvider(event, api)`.
    CustomPhoneProvider,
    /// The legacy Send Phone Message Hook, `module.exports = function (recipient,
    /// text, context, cb)`.
    Hook,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::SendPhoneMessage => "send-phone-message",
            Trigger::CustomPhoneProvider => "custom-phone-provider",
            Trigger::Hook => "hook",
        }
    }

    pub fn parse(s: &str) -> Option<Trigger> {
        [
            Trigger::SendPhoneMessage,
            Trigger::CustomPhoneProvider,
            Trigger::Hook,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }

    /// The `api.cache` default lifetime: 15 minutes for send-phone-message (its API
    /// object page), 24 hours for custom-phone-provider (its page says so; another
    /// says 15 minutes: UNCONFIRMED). Hooks had no cache.
    pub fn cache_ttl(self) -> Duration {
        match self {
            Trigger::CustomPhoneProvider => Duration::from_secs(24 * 3600),
            _ => Duration::from_secs(15 * 60),
        }
    }
}

/// What the user's code receives: one of the three wire shapes the receivers parse.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum RunEvent {
    SendPhoneMessage(SendPhoneMessageEvent),
    CustomPhoneProvider(CustomPhoneProviderEvent),
    /// The Hook's `recipient`, `text` and `context` (its `webtask.secrets` are
    /// added by the harness).
    Hook(HookCall),
}

/// One `api.cache` record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheRecord {
    pub value: String,
    /// Unix ms on the emulated clock.
    pub expires_at: i64,
}

/// A change the run made to its cache: a `None` value is a delete.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CacheWrite {
    pub key: String,
    pub value: Option<String>,
    pub expires_at: i64,
}

/// The Actions cache limits (Auth0's "Actions Cache Limits"; the exact figures are
/// UNCONFIRMED and kept here in one place).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CacheLimits {
    pub max_entries: usize,
    pub max_key_bytes: usize,
    pub max_value_bytes: usize,
    pub max_ttl_ms: u64,
    pub max_side_effects: usize,
}

pub const CACHE_LIMITS: CacheLimits = CacheLimits {
    max_entries: 20,
    max_key_bytes: 64,
    max_value_bytes: 2048,
    max_ttl_ms: 24 * 3600 * 1000,
    max_side_effects: 100,
};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// Returned (or called back) without error, drop or retry.
    Success,
    /// `api.notification.drop(reason)`: failed, not retried.
    Drop,
    /// `api.notification.retry(reason)`: failed, tried again later.
    Retry,
    /// Threw, rejected, or called back with an error.
    Error,
    /// Still running at the timeout: killed with its process group.
    Timeout,
    /// Ran past its memory cap.
    OutOfMemory,
    /// No `node` to run it with, or one too old.
    NodeMissing,
}

impl RunOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Success => "success",
            RunOutcome::Drop => "drop",
            RunOutcome::Retry => "retry",
            RunOutcome::Error => "error",
            RunOutcome::Timeout => "timeout",
            RunOutcome::OutOfMemory => "out_of_memory",
            RunOutcome::NodeMissing => "node_missing",
        }
    }
}

/// An error the Action raised, as it raised it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RunErrorView {
    #[serde(default)]
    pub name: String,
    pub message: String,
    #[serde(default)]
    pub stack: String,
}

/// Everything a finished run left.
#[derive(Debug, Clone)]
pub struct Finished {
    pub outcome: RunOutcome,
    /// drop/retry's reason, or why the run failed in words.
    pub reason: Option<String>,
    pub error: Option<RunErrorView>,
    /// stdout (console.*, in call order) then stderr, bounded.
    pub console: String,
    pub console_truncated: bool,
    pub duration_ms: u64,
    pub cache_writes: Vec<CacheWrite>,
    /// What the handler returned, or the Hook's callback response.
    pub returned: Option<serde_json::Value>,
    /// What Phonebox noticed that Auth0 would treat differently.
    pub warnings: Vec<String>,
    pub node_version: Option<String>,
    /// The child's process id (and process group), once it started.
    pub pid: Option<u32>,
    /// Requests the Action made to this Phonebox (each carried the flow's link).
    pub requests_to_phonebox: u32,
}

/// A failed run in one line, for the tenant log; `None` for a success.
pub fn failure(
    outcome: RunOutcome,
    reason: Option<&str>,
    error: Option<&RunErrorView>,
) -> Option<String> {
    let reason_text = reason.unwrap_or("");
    match outcome {
        RunOutcome::Success => None,
        RunOutcome::Drop => Some(format!(
            "The custom phone provider dropped the notification: {reason_text}"
        )),
        RunOutcome::Retry => Some(format!(
            "The custom phone provider asked to retry: {reason_text}"
        )),
        _ => Some(
            reason
                .map(str::to_owned)
                .or_else(|| error.map(|e| e.message.clone()))
                .unwrap_or_else(|| "the Action failed".to_owned()),
        ),
    }
}

/// The secrets an Action gets as `event.secrets` (and its environment).
pub type SecretValues = BTreeMap<String, String>;
