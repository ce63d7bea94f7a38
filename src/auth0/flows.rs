//! One flow as a timeline (`GET /emulator/v1/flows/{transaction_id}`): the MFA or
//! passwordless request, the rendered template, each run of the user's Action
//! (event in, console out, duration, outcome), each provider call it made and the
//! message in the inbox, the code entered and the grant's result, with the Auth0
//! log events, in time order.
//!
//! Everything here is read from what the flow already wrote; nothing is kept only
//! for the timeline.

use serde::Serialize;

use super::delivery::action::RunView;
use super::Auth0;
use crate::message::Message;
use crate::store::{action_runs, log_events, messages, mfa_challenges, StoreError};
use crate::unix_ms;

/// The most of each kind of step a timeline shows (a flow has a handful; the
/// cap keeps a hostile id from reading a table).
const MAX_STEPS: u32 = 200;

/// A flow's timeline.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FlowView {
    pub transaction_id: String,
    pub tenant: Option<String>,
    pub steps: Vec<FlowStep>,
}

/// One step, at a moment on the tenant's emulated clock (RFC 3339).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FlowStep {
    /// The app's request that started it: an MFA challenge (or enrollment).
    Request {
        at: String,
        channel: String,
        purpose: String,
        user_id: String,
        client_id: String,
        /// pending, verified, failed or expired: whether the code was entered.
        status: String,
        /// Wrong codes typed so far.
        attempts: i64,
    },
    /// The tenant's template, rendered for this message.
    Template {
        at: String,
        text: Option<String>,
        voice: Option<String>,
    },
    /// One run of the user's Action or Hook.
    ActionRun { at: String, run: Box<RunView> },
    /// A message this flow put in the inbox: the provider call an Action made
    /// (captured here), or the tenant's own delivery.
    Message { at: String, message: Box<Message> },
    /// An Auth0 log event of the flow (sends, failures, the code's check, the grant).
    Log {
        at: String,
        #[serde(rename = "type")]
        #[cfg_attr(test, ts(rename = "type"))]
        kind: String,
        description: Option<String>,
        #[cfg_attr(test, ts(type = "unknown"))]
        #[schema(value_type = Object)]
        log: serde_json::Value,
    },
}

impl FlowStep {
    fn at(&self) -> &str {
        match self {
            FlowStep::Request { at, .. }
            | FlowStep::Template { at, .. }
            | FlowStep::ActionRun { at, .. }
            | FlowStep::Message { at, .. }
            | FlowStep::Log { at, .. } => at,
        }
    }

    /// Order among steps at the same millisecond: the flow's own order.
    fn rank(&self) -> u8 {
        match self {
            FlowStep::Request { .. } => 0,
            FlowStep::Template { .. } => 1,
            FlowStep::ActionRun { .. } => 2,
            FlowStep::Message { .. } => 3,
            FlowStep::Log { .. } => 4,
        }
    }
}

/// The rendered texts an Action's event carried, by trigger.
fn template_of(run: &RunView) -> (Option<String>, Option<String>) {
    let e = &run.event;
    let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    if let Some(n) = e.get("notification") {
        return (
            n.get("as_text").and_then(text),
            n.get("as_voice").and_then(text),
        );
    }
    if let Some(o) = e.get("message_options") {
        return (o.get("text").and_then(text), None);
    }
    (e.get("text").and_then(text), None)
}

impl Auth0 {
    /// The timeline of `transaction_id`; `None` when nothing of it is known.
    pub async fn flow(&self, transaction_id: &str) -> Result<Option<FlowView>, StoreError> {
        let store = self.store();
        let mut tenant = None;
        let mut steps = Vec::new();
        if let Some(c) = mfa_challenges::get(store, transaction_id).await? {
            tenant = Some(c.tenant.clone());
            steps.push(FlowStep::Request {
                at: unix_ms::rfc3339_ms(c.created_at),
                channel: c.channel.as_str().to_owned(),
                purpose: c.purpose.as_str().to_owned(),
                user_id: c.user_id,
                client_id: c.client_id,
                status: c.status.as_str().to_owned(),
                attempts: c.attempts,
            });
        }
        let runs: Vec<RunView> = action_runs::of_transaction(store, transaction_id, MAX_STEPS)
            .await?
            .iter()
            .filter_map(|b| serde_json::from_str(b).ok())
            .collect();
        let found: Vec<Message> =
            messages::of_transaction(store, transaction_id, MAX_STEPS).await?;
        if let Some(first) = runs.first() {
            let (text, voice) = template_of(first);
            steps.push(FlowStep::Template {
                at: first.started_at.clone(),
                text,
                voice,
            });
        } else if let Some(m) = found.first() {
            steps.push(FlowStep::Template {
                at: unix_ms::rfc3339(m.received_at),
                text: Some(m.text.clone()),
                voice: None,
            });
        }
        for run in runs {
            tenant.get_or_insert_with(|| run.tenant.clone());
            steps.push(FlowStep::ActionRun {
                at: run.started_at.clone(),
                run: Box::new(run),
            });
        }
        for m in found {
            tenant.get_or_insert_with(|| m.tenant.clone());
            steps.push(FlowStep::Message {
                at: unix_ms::rfc3339(m.received_at),
                message: Box::new(m),
            });
        }
        for body in log_events::of_transaction(store, transaction_id, MAX_STEPS).await? {
            let Ok(log) = serde_json::from_str::<serde_json::Value>(&body) else {
                continue;
            };
            let field = |k: &str| log.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            steps.push(FlowStep::Log {
                at: field("date").unwrap_or_default(),
                kind: field("type").unwrap_or_default(),
                description: field("description"),
                log,
            });
        }
        if steps.is_empty() {
            return Ok(None);
        }
        // By the moment, not the text: a whole second is written without a fraction.
        let moment = |s: &FlowStep| {
            time::OffsetDateTime::parse(s.at(), &time::format_description::well_known::Rfc3339)
                .map(crate::unix_ms::from_time)
                .unwrap_or(i64::MAX)
        };
        steps.sort_by_key(|s| (moment(s), s.rank()));
        Ok(Some(FlowView {
            transaction_id: transaction_id.to_owned(),
            tenant,
            steps,
        }))
    }
}
