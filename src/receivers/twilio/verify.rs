//! Twilio Verify v2: start a verification (the code is captured as a message) and
//! check a code, with Twilio's expiry and attempt limits.
//!
//! Any service SID is accepted, not only `VA...`: Auth0's Verify Hook sample passes
//! its Account SID there.

use std::time::Duration;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::capture::chaos::{self, Chaos, InjectedError};
use crate::capture::pipeline::Pipeline;
use crate::capture::provider::Provider;
use crate::message::phone::PhoneNumber;
use crate::message::{Channel, NewMessage, RawRequest, Source};
use crate::receivers::twilio::{new_sid, Form, TwilioError};
use crate::receivers::DEFAULT_TENANT;
use crate::store::twilio_verifications::{
    self as table, VerificationRow, VerifyChannel, VerifyStatus,
};
use crate::unix_ms;

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
) -> Result<Verification, TwilioError> {
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

    let custom = custom_code.is_some();
    let fresh = VerificationRow {
        sid: new_sid("VE"),
        service_sid: service_sid.to_owned(),
        account_sid: account_sid.to_owned(),
        recipient: to.to_string(),
        channel: verify_channel(channel),
        code: custom_code.unwrap_or_else(|| crate::random::digits(CODE_LENGTH)),
        status: VerifyStatus::Pending,
        check_attempts: 0,
        send_attempts: "[]".to_owned(),
        message_id: None,
        created_at: now,
        updated_at: now,
        expires_at: now + CODE_LIFETIME.as_millis() as i64,
    };
    // Chaos first: a start it refuses makes no verification (the failed send is
    // kept, as every injected failure is).
    if let Some(refused) = chaos::verdict::<TwilioError>(chaos, Provider::Twilio).await {
        let mut message = sent_code(&fresh, channel, &friendly, locale, to, raw);
        message.error = Some(refused.send_error());
        pipeline
            .capture(message)
            .await
            .map_err(|e| <TwilioError as InjectedError>::internal(Some(Provider::Twilio), e))?;
        return Err(refused);
    }
    // One transaction: two starts at once for a number make one verification.
    let mut tx = store.begin().await?;
    let row = table::pending_or_insert(&mut tx, &fresh, custom, now).await?;
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    let message = sent_code(&row, channel, &friendly, locale, to, raw);
    let stored = pipeline
        .capture(message)
        .await
        .map_err(|e| <TwilioError as InjectedError>::internal(Some(Provider::Twilio), e))?;
    let attempt = SendAttempt {
        attempt_sid: new_sid("VL"),
        channel: row.channel,
        time: unix_ms::rfc3339(stored.received_at),
    };
    let attempt = serde_json::to_string(&attempt).map_err(TwilioError::internal)?;
    let row = table::record_send(store, &row.sid, &attempt, &stored.id, now)
        .await?
        .ok_or_else(|| {
            TwilioError::internal("the verification vanished while its code was sent")
        })?;
    Ok(Verification::of(&row, now))
}

/// `POST /v2/Services/{ServiceSid}/VerificationCheck`.
pub async fn check(
    pipeline: &Pipeline,
    service_sid: &str,
    raw: &RawRequest,
) -> Result<VerificationCheck, TwilioError> {
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
    let sid = found.ok_or_else(not_found)?.sid;
    // Twilio forgets a verification once it is approved, expired or closed: the
    // guarded check finds nothing then.
    let row = table::check(store, &sid, code, MAX_CHECK_ATTEMPTS, now)
        .await?
        .ok_or_else(not_found)?;
    if row.status == VerifyStatus::MaxAttemptsReached {
        return Err(TwilioError::new(60202, 429, "Max check attempts reached"));
    }
    Ok(VerificationCheck {
        common: Common::of(&row, now),
        sna_attempts_error_codes: Vec::new(),
    })
}

/// `GET /v2/Services/{ServiceSid}/Verifications/{Sid}`.
pub async fn fetch(
    pipeline: &Pipeline,
    service_sid: &str,
    sid: &str,
) -> Result<Verification, TwilioError> {
    let now = unix_ms::from_time(pipeline.clock().now());
    table::get(pipeline.store(), service_sid, sid)
        .await?
        .map(|row| Verification::of(&row, now))
        .ok_or_else(|| {
            TwilioError::new(
                20404,
                404,
                format!("The requested resource /Services/{service_sid}/Verifications/{sid} was not found"),
            )
        })
}

/// The message a start sends: the verification's code, worded as Twilio words it.
fn sent_code(
    row: &VerificationRow,
    channel: Channel,
    friendly: &str,
    locale: Option<String>,
    to: PhoneNumber,
    raw: RawRequest,
) -> NewMessage {
    let text = match channel {
        Channel::Sms => format!("Your {friendly} verification code is: {}", row.code),
        Channel::Voice => format!(
            "Your {friendly} verification code is: {}.",
            spaced(&row.code)
        ),
    };
    NewMessage {
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
        provider_account: Some(row.account_sid.clone()),
        attributes: None,
        error: None,
        raw,
    }
}

/// One entry of `send_code_attempts`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendAttempt {
    pub attempt_sid: String,
    pub channel: VerifyChannel,
    pub time: String,
}

/// What the Verification and VerificationCheck resources both carry.
#[derive(Debug, Clone, Serialize)]
pub struct Common {
    pub sid: String,
    pub service_sid: String,
    pub account_sid: String,
    pub to: String,
    pub channel: VerifyChannel,
    pub status: VerifyStatus,
    pub valid: bool,
    pub amount: Option<String>,
    pub payee: Option<String>,
    pub date_created: String,
    pub date_updated: String,
}

impl Common {
    fn of(row: &VerificationRow, now: i64) -> Common {
        // Nothing writes the lapse down; it shows when asked.
        let status = match row.status {
            VerifyStatus::Pending if row.expires_at <= now => VerifyStatus::Expired,
            status => status,
        };
        Common {
            sid: row.sid.clone(),
            service_sid: row.service_sid.clone(),
            account_sid: row.account_sid.clone(),
            to: row.recipient.clone(),
            channel: row.channel,
            status,
            valid: status == VerifyStatus::Approved,
            amount: None,
            payee: None,
            date_created: unix_ms::rfc3339_ms(row.created_at),
            date_updated: unix_ms::rfc3339_ms(row.updated_at),
        }
    }
}

/// The Verification resource.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    #[serde(flatten)]
    pub common: Common,
    pub lookup: BTreeMap<String, Value>,
    pub send_code_attempts: Vec<SendAttempt>,
    pub sna: Option<Value>,
    pub url: String,
}

impl Verification {
    fn of(row: &VerificationRow, now: i64) -> Verification {
        Verification {
            common: Common::of(row, now),
            lookup: BTreeMap::new(),
            send_code_attempts: serde_json::from_str(&row.send_attempts).unwrap_or_default(),
            sna: None,
            url: format!("/v2/Services/{}/Verifications/{}", row.service_sid, row.sid),
        }
    }
}

/// The VerificationCheck resource.
#[derive(Debug, Clone, Serialize)]
pub struct VerificationCheck {
    #[serde(flatten)]
    pub common: Common,
    pub sna_attempts_error_codes: Vec<Value>,
}

fn verify_channel(channel: Channel) -> VerifyChannel {
    match channel {
        Channel::Sms => VerifyChannel::Sms,
        Channel::Voice => VerifyChannel::Call,
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
