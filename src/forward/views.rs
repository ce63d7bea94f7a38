//! What the forwarding API answers with.

use serde::Serialize;

use super::providers::Billing;
use super::settings::{ProviderView, SavedPhone, Via};
use crate::message::Channel;
use crate::outbound::ShownRequest;
use crate::store::forwards::{AttemptRow, ForwardRow};

crate::message::text_enum! {
    /// Where a forward stands.
    pub enum ForwardState {
        /// Waiting to be sent (first try, or a retry after a transient failure).
        Queued = "queued",
        /// At the provider now.
        Sending = "sending",
        /// The provider took it.
        Sent = "sent",
        /// Given up: refused, or out of tries.
        Failed = "failed",
        /// Phonebox stopped mid-send: whether it arrived is unknown; not resent.
        Interrupted = "interrupted",
    }
}

/// One forward and every attempt at it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ForwardView {
    pub id: i64,
    pub message_id: String,
    pub via: Via,
    pub to: String,
    pub channel: Channel,
    pub state: ForwardState,
    /// The auto-forward rule that queued it, if one did.
    #[schema(required = true)]
    pub rule_id: Option<i64>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When the next try is due, while queued.
    #[schema(required = true, format = DateTime)]
    pub next_at: Option<String>,
    #[schema(required = true)]
    pub provider_message_id: Option<String>,
    #[schema(required = true)]
    pub last_error: Option<String>,
    pub attempts: Vec<AttemptView>,
}

/// One try at the provider.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AttemptView {
    pub attempt: i64,
    #[schema(format = DateTime)]
    pub at: String,
    /// `accepted`, `retrying`, `failed`, `refused` or `interrupted`.
    pub outcome: String,
    #[schema(required = true)]
    pub http_status: Option<i64>,
    #[schema(required = true)]
    pub provider_message_id: Option<String>,
    #[schema(required = true)]
    pub error: Option<String>,
    pub latency_ms: i64,
    /// The request as sent, secrets masked; none when nothing was sent.
    #[schema(required = true)]
    pub request: Option<ShownRequest>,
}

/// `GET /emulator/v1/messages/{id}/forwards`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ForwardsPage {
    pub forwards: Vec<ForwardView>,
}

/// What a dry run shows: the exact request, secrets masked, and its cost.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct DryRun {
    pub dry_run: bool,
    pub via: Via,
    pub to: String,
    pub channel: Channel,
    pub request: ShownRequest,
    pub billing: Billing,
    #[schema(required = true)]
    pub note: Option<String>,
}

/// An auto-forward rule.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RuleView {
    pub id: i64,
    /// An E.164 number, or a prefix ending in `*`.
    pub pattern: String,
    pub via: Via,
    /// Where to send instead of the recipient; none = the recipient.
    #[schema(required = true)]
    pub to: Option<String>,
    pub enabled: bool,
}

/// `GET /emulator/v1/forwarding/rules`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RulesPage {
    pub rules: Vec<RuleView>,
}

/// `PUT /emulator/v1/forwarding/allowlist`, in and out.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AllowlistBody {
    pub numbers: Vec<String>,
}

/// `PUT /emulator/v1/forwarding/my-phones`, in and out.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct MyPhonesBody {
    pub phones: Vec<SavedPhone>,
}

/// `GET /emulator/v1/forwarding`: everything forwarding is set up with.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ForwardingView {
    /// Numbers or `+prefix*` a forward may go to; empty = forwarding refused.
    pub allowlist: Vec<String>,
    pub my_phones: Vec<SavedPhone>,
    /// The providers set up, credentials masked.
    pub providers: Vec<ProviderView>,
    pub rules: Vec<RuleView>,
}

impl ForwardView {
    pub(crate) fn from_rows(row: &ForwardRow, attempts: &[AttemptRow]) -> ForwardView {
        let state = ForwardState::parse(&row.state).unwrap_or(ForwardState::Failed);
        ForwardView {
            id: row.id,
            message_id: row.message_id.clone(),
            via: Via::parse(&row.via).unwrap_or(Via::Webhook),
            to: row.destination.clone(),
            channel: Channel::parse(&row.channel).unwrap_or(Channel::Sms),
            state,
            rule_id: row.rule_id,
            created_at: crate::unix_ms::rfc3339_ms(row.created_at),
            next_at: (state == ForwardState::Queued)
                .then(|| crate::unix_ms::rfc3339_ms(row.next_at)),
            provider_message_id: row.provider_message_id.clone(),
            last_error: row.last_error.clone(),
            attempts: attempts.iter().map(AttemptView::from_row).collect(),
        }
    }
}

impl AttemptView {
    fn from_row(row: &AttemptRow) -> AttemptView {
        AttemptView {
            attempt: row.attempt,
            at: crate::unix_ms::rfc3339_ms(row.at),
            outcome: row.outcome.clone(),
            http_status: row.http_status,
            provider_message_id: row.provider_message_id.clone(),
            error: row.error.clone(),
            latency_ms: row.latency_ms,
            request: row
                .request
                .as_deref()
                .and_then(|r| serde_json::from_str::<ShownRequest>(r).ok()),
        }
    }
}
