//! Twilio Verify v2: start a verification (the code is captured as a message) and
//! check a code, with Twilio's expiry and attempt limits.
//!
//! Any service SID is accepted, not only `VA...`: Auth0's Verify Hook sample passes
//! its Account SID there.

use std::time::Duration;

use serde_json::{json, Value};

use crate::capture::chaos::Chaos;
use crate::capture::pipeline::Pipeline;
use crate::clock::unix_ms;
use crate::message::phone::PhoneNumber;
use crate::message::{Channel, NewMessage, RawRequest, Source};
use crate::receivers::twilio::{new_sid, Form, TwilioError};
use crate::receivers::DEFAULT_TENANT;
use crate::store::twilio_verifications::{self as table, VerificationRow};

/// How long a code stays valid (Twilio's default).
pub const CODE_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Checks allowed per verification before it is closed (Twilio's default).
pub const MAX_CHECK_ATTEMPTS: i64 = 5;
const CODE_LENGTH: u32 = 6;

/// `POST /v2/Services/{ServiceSid}/Verifications`: sends (captures) a code.
///
/// A pending verification of the same number is reused, as Twilio does: same sid,
/// same code, one more send attempt.
pub async fn start(
    pipeline: &Pipeline,
    chaos: &Chaos,
    service_sid: &str,
    account_sid: &str,
    raw: RawRequest,
) -> Result<Value, TwilioError> {
    let form = Form::parse(&raw)?;
    let to_param = form
        .get("To")
        .ok_or_else(|| TwilioError::new(60200, 400, "Invalid parameter `To`: missing"))?;
    let to = PhoneNumber::parse(to_param)
        .map_err(|_| TwilioError::new(60200, 400, format!("Invalid parameter `To`: {to_param}")))?;
    let channel = match form.get("Channel") {
        Some("sms") => Channel::Sms,
        Some("call") => Channel::Voice,
        Some(other) => {
            return Err(TwilioError::new(
                60200,
                400,
                format!("Invalid parameter `Channel`: {other} (Phonebox captures sms and call)"),
            ))
        }
        None => {
            return Err(TwilioError::new(
                60200,
                400,
                "Invalid parameter `Channel`: missing",
            ))
        }
    };
    let custom_code = form.get("CustomCode").map(str::to_owned);
    if let Some(code) = &custom_code {
        if !(4..=10).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(TwilioError::new(
                60200,
                400,
                "Invalid parameter `CustomCode`",
            ));
        }
    }
    let friendly = form
        .get("CustomFriendlyName")
        .unwrap_or("Phonebox")
        .to_owned();
    let locale = form.get("Locale").map(str::to_owned);
    let now = unix_ms::from_time(pipeline.clock().now());
    let store = pipeline.store();

    let reusable = table::latest(store, service_sid, to.as_str())
        .await?
        .filter(|v| v.status == "pending" && v.expires_at > now);
    let mut row = match reusable {
        Some(mut v) => {
            if let Some(code) = custom_code {
                v.code = code;
            }
            v.channel = channel_name(channel).to_owned();
            v
        }
        None => VerificationRow {
            sid: new_sid("VE"),
            service_sid: service_sid.to_owned(),
            account_sid: account_sid.to_owned(),
            recipient: to.to_string(),
            channel: channel_name(channel).to_owned(),
            code: custom_code.unwrap_or_else(|| crate::random::digits(CODE_LENGTH)),
            status: "pending".to_owned(),
            check_attempts: 0,
            send_attempts: "[]".to_owned(),
            message_id: None,
            created_at: now,
            updated_at: now,
            expires_at: now + CODE_LIFETIME.as_millis() as i64,
        },
    };
    let text = match channel {
        Channel::Sms => format!("Your {friendly} verification code is: {}", row.code),
        Channel::Voice => format!(
            "Your {friendly} verification code is: {}.",
            spaced(&row.code)
        ),
    };
    let message = NewMessage {
        tenant: DEFAULT_TENANT.to_owned(),
        channel,
        source: Source::TwilioVerify,
        recipient: to,
        sender: None,
        text,
        code: Some(row.code.clone()),
        action: None,
        purpose: None,
        locale,
        user_id: None,
        client_id: None,
        provider_message_id: Some(row.sid.clone()),
        provider_account: Some(account_sid.to_owned()),
        attributes: None,
        error: None,
        raw,
    };
    let stored = crate::capture::chaos::capture::<TwilioError>(pipeline, chaos, message).await?;
    let mut attempts: Vec<Value> = serde_json::from_str(&row.send_attempts).unwrap_or_default();
    attempts.push(json!({
        "attempt_sid": new_sid("VL"),
        "channel": row.channel,
        "time": unix_ms::rfc3339(stored.received_at),
    }));
    row.send_attempts = Value::Array(attempts).to_string();
    row.message_id = Some(stored.id.clone());
    row.updated_at = now;
    table::upsert(store, &row).await?;
    Ok(verification_json(&row))
}

/// `POST /v2/Services/{ServiceSid}/VerificationCheck`.
pub async fn check(
    pipeline: &Pipeline,
    service_sid: &str,
    raw: &RawRequest,
) -> Result<Value, TwilioError> {
    let form = Form::parse(raw)?;
    let code = form
        .get("Code")
        .ok_or_else(|| TwilioError::new(60200, 400, "Invalid parameter `Code`: missing"))?;
    let store = pipeline.store();
    let found = match (form.get("VerificationSid"), form.get("To")) {
        (Some(sid), _) => table::get(store, service_sid, sid).await?,
        (None, Some(to)) => match PhoneNumber::parse(to) {
            Ok(to) => table::latest(store, service_sid, to.as_str()).await?,
            Err(_) => {
                return Err(TwilioError::new(
                    60200,
                    400,
                    format!("Invalid parameter `To`: {to}"),
                ))
            }
        },
        (None, None) => {
            return Err(TwilioError::new(
                60200,
                400,
                "Either a 'To' number or 'VerificationSid' must be specified",
            ))
        }
    };
    let now = unix_ms::from_time(pipeline.clock().now());
    let not_found = || {
        TwilioError::new(
            20404,
            404,
            format!(
                "The requested resource /Services/{service_sid}/VerificationCheck was not found"
            ),
        )
    };
    // Twilio forgets a verification once it is approved, expired or closed.
    let mut row = found
        .filter(|v| v.status == "pending" && v.expires_at > now)
        .ok_or_else(not_found)?;
    row.check_attempts += 1;
    row.updated_at = now;
    if row.check_attempts > MAX_CHECK_ATTEMPTS {
        row.status = "max_attempts_reached".to_owned();
        table::upsert(store, &row).await?;
        return Err(TwilioError::new(60202, 429, "Max check attempts reached"));
    }
    if code == row.code {
        row.status = "approved".to_owned();
    }
    table::upsert(store, &row).await?;
    let mut check = shared_fields(&row);
    check["sna_attempts_error_codes"] = json!([]);
    Ok(check)
}

/// `GET /v2/Services/{ServiceSid}/Verifications/{Sid}`.
pub async fn fetch(
    pipeline: &Pipeline,
    service_sid: &str,
    sid: &str,
) -> Result<Value, TwilioError> {
    let now = unix_ms::from_time(pipeline.clock().now());
    table::get(pipeline.store(), service_sid, sid)
        .await?
        .map(|mut row| {
            // Nothing writes the lapse down; it shows when asked.
            if row.status == "pending" && row.expires_at <= now {
                row.status = "expired".to_owned();
            }
            verification_json(&row)
        })
        .ok_or_else(|| {
            TwilioError::new(
                20404,
                404,
                format!("The requested resource /Services/{service_sid}/Verifications/{sid} was not found"),
            )
        })
}

/// The Verification resource.
fn verification_json(row: &VerificationRow) -> Value {
    let mut verification = shared_fields(row);
    verification["lookup"] = json!({});
    verification["send_code_attempts"] =
        serde_json::from_str(&row.send_attempts).unwrap_or(json!([]));
    verification["sna"] = Value::Null;
    verification["url"] = json!(format!(
        "/v2/Services/{}/Verifications/{}",
        row.service_sid, row.sid
    ));
    verification
}

/// What the Verification and VerificationCheck resources both carry.
fn shared_fields(row: &VerificationRow) -> Value {
    json!({
        "sid": row.sid,
        "service_sid": row.service_sid,
        "account_sid": row.account_sid,
        "to": row.recipient,
        "channel": row.channel,
        "status": row.status,
        "valid": row.status == "approved",
        "amount": null,
        "payee": null,
        "date_created": unix_ms::rfc3339_ms(row.created_at),
        "date_updated": unix_ms::rfc3339_ms(row.updated_at),
    })
}

fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Sms => "sms",
        Channel::Voice => "call",
    }
}

/// `123456` → `1, 2, 3, 4, 5, 6`, as a voice reads it.
fn spaced(code: &str) -> String {
    code.chars()
        .map(String::from)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voice_reads_digits_one_by_one() {
        assert_eq!(spaced("4815"), "4, 8, 1, 5");
    }
}
