//! The tenant's log, in Auth0's log-object shape (searched by
//! `crate::store::log_query`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::store::log_events::{self, LogRow};
use crate::store::{Db, StoreError};
use crate::unix_ms;

/// The Auth0 description of each log type Phonebox writes.
pub fn description(kind: &str) -> &'static str {
    match kind {
        "gd_send_sms" => "MFA SMS sent",
        "gd_send_sms_failure" => "Error sending MFA SMS",
        "gd_send_voice" => "MFA voice call success",
        "gd_send_voice_failure" => "Error sending MFA voice call",
        "gd_start_enroll" => "Multi-factor authentication enroll has started",
        "gd_enrollment_complete" => "Guardian - Enrollment complete",
        "gd_start_auth" => "Second factor authentication started",
        "gd_auth_succeed" => "MFA authentication success",
        "gd_auth_failed" => "MFA authentication failed",
        "gd_otp_rate_limit_exceed" => "Too many requests to the user's device",
        "gd_unenroll" => "Multi-factor authentication device unenrolled",
        "mfar" => "Multi-factor authentication required",
        "seoobft" => "Successful exchange of Password and OOB Challenge for Access Token",
        "feoobft" => "Failed exchange of Password and OOB Challenge for Access Token",
        "s" => "Success Login",
        "sapi" => "Success API Operation",
        "fapi" => "Failed API Operation",
        "sepft" => "Successful exchange of Password for Access Token",
        "fepft" => "Failed exchange of Password for Access Token",
        "sercft" => "Successful exchange of Password and MFA Recovery code for Access Token",
        "fercft" => "Failed exchange of Password and MFA Recovery code for Access Token",
        "gd_recovery_succeed" => "Multi-factor recovery code has succeeded",
        "gd_recovery_failed" => "Multi-factor recovery code has failed",
        "seccft" => "Successful exchange of Access Token for a Client Credentials Grant",
        "feccft" => "Failed exchange of Access Token for a Client Credentials Grant",
        "cs" => "Passwordless login code has been sent",
        "fn" => "Failed Sending Notification",
        "fepotpft" => "Failed exchange of Passwordless OTP for Access Token",
        "fp" => "Wrong email or password.",
        _ => "",
    }
}

/// A ULID that sorts after every earlier one, even within one millisecond, so the
/// log reads in the order things happened.
fn next_log_id(at: OffsetDateTime) -> String {
    static IDS: std::sync::Mutex<Option<ulid::Generator>> = std::sync::Mutex::new(None);
    let mut ids = IDS.lock().unwrap_or_else(|p| p.into_inner());
    ids.get_or_insert_with(ulid::Generator::new)
        .generate_from_datetime(at.into())
        .unwrap_or_else(|_| ulid::Ulid::from_datetime(at.into()))
        .to_string()
}

/// Who and where a log event is about.
#[derive(Debug, Clone, Default)]
pub struct Context<'a> {
    pub tenant: &'a str,
    pub user_id: Option<&'a str>,
    pub user_name: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub client_name: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub hostname: Option<&'a str>,
    /// The connection the event is about, if any (a Management API operation is
    /// about none); a caller's context starts with the database connection.
    pub connection: Option<&'a str>,
}

/// One log event, as Auth0's Management API answers it (`payloads.md`, logs).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct LogEvent {
    pub date: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
    pub connection: Option<String>,
    pub connection_id: Option<String>,
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    pub ip: Option<String>,
    pub hostname: Option<String>,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    pub strategy: Option<String>,
    pub strategy_type: Option<String>,
    pub log_id: String,
    #[serde(rename = "isMobile", default)]
    pub is_mobile: bool,
    /// What the event is about; its keys depend on the event's type.
    #[cfg_attr(test, ts(type = "Record<string, unknown>"))]
    pub details: Value,
    pub user_agent: Option<String>,
}

/// Writes one event; `description` overrides the type's own when the event says more.
pub async fn write(
    db: impl Into<Db<'_>>,
    at: OffsetDateTime,
    kind: &str,
    ctx: &Context<'_>,
    description_override: Option<&str>,
    details: Value,
) -> Result<(), StoreError> {
    let log_id = next_log_id(at);
    let sms = ctx.connection == Some(crate::store::users::SMS_CONNECTION);
    let owned = |v: Option<&str>| v.map(str::to_owned);
    let event = LogEvent {
        date: unix_ms::rfc3339(at),
        kind: kind.to_owned(),
        description: description_override.unwrap_or(description(kind)).to_owned(),
        connection: owned(ctx.connection),
        connection_id: ctx
            .connection
            .map(|_| format!("con_phonebox_{}", if sms { "sms" } else { "db" })),
        client_id: owned(ctx.client_id),
        client_name: owned(ctx.client_name),
        ip: Some(ctx.ip.unwrap_or("127.0.0.1").to_owned()),
        hostname: owned(ctx.hostname),
        user_id: owned(ctx.user_id),
        user_name: owned(ctx.user_name),
        strategy: ctx
            .connection
            .map(|_| if sms { "sms" } else { "auth0" }.into()),
        strategy_type: ctx
            .connection
            .map(|_| if sms { "passwordless" } else { "database" }.into()),
        log_id: log_id.clone(),
        is_mobile: false,
        details,
        user_agent: owned(ctx.user_agent),
    };
    let body = serde_json::to_string(&event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    log_events::insert(
        db,
        &LogRow {
            log_id: &log_id,
            tenant: ctx.tenant,
            date: unix_ms::from_time(at),
            kind,
            user_id: ctx.user_id,
            client_id: ctx.client_id,
            transaction_id: event.details.get("transaction_id").and_then(Value::as_str),
            body: &body,
        },
    )
    .await
}
