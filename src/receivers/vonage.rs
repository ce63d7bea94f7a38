//! Vonage (Nexmo) SMS API: `POST /sms/json`, a form or JSON body with `api_key`,
//! `api_secret` (or HTTP Basic), `from`, `to` (digits, no `+`) and `text`.
//!
//! Vonage answers 200 even when a send fails: the failure is a non-zero `status`
//! with an `error-text` in the message entry.

use super::fields::{self, Fields};
use crate::capture::chaos::InjectedError;
use crate::capture::pipeline::CaptureError;
use crate::capture::provider::Provider;
use crate::message::phone::PhoneNumber;
use crate::message::SendError;
use crate::message::{Channel, NewMessage, RawRequest, Source};

/// Body fields that are credentials; their values never reach the store.
const SECRET_FIELDS: [&str; 2] = ["api_secret", "sig"];

/// A refused send: Vonage's `status` code and `error-text`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Vonage status {status}: {text}")]
pub struct VonageError {
    pub status: u32,
    pub text: String,
    /// What Phonebox itself failed at, for the log; never sent.
    pub cause: Option<String>,
}

impl VonageError {
    pub fn new(status: u32, text: impl Into<String>) -> VonageError {
        VonageError {
            status,
            text: text.into(),
            cause: None,
        }
    }

    /// Vonage's own wording for its status codes.
    pub fn for_status(status: u32) -> VonageError {
        let text = match status {
            1 => "Throttled",
            2 => "Missing Parameters",
            3 => "Invalid Parameters",
            4 => "Invalid Credentials",
            5 => "Internal Error",
            6 => "Invalid Message",
            7 => "Number Barred",
            8 => "Partner Account Barred",
            9 => "Partner Quota Violation",
            10 => "Too Many Existing Binds",
            11 => "Account Not Enabled For HTTP",
            12 => "Message Too Long",
            14 => "Invalid Signature",
            15 => "Invalid Sender Address",
            22 => "Invalid Network Code",
            23 => "Invalid Callback URL",
            29 => "Non-Whitelisted Destination",
            32 => "Signature And API Secret Disallowed",
            33 => "Number De-activated",
            _ => "Error injected by Phonebox chaos",
        };
        VonageError::new(status, text)
    }
}

/// Parses a send request. `basic_user` is the API key when sent as HTTP Basic auth
/// (as the v3 Node SDK does).
pub fn parse(mut raw: RawRequest, basic_user: Option<String>) -> Result<NewMessage, VonageError> {
    let (fields, kind) = Fields::parse(&raw).map_err(|why| VonageError::new(3, why))?;
    let api_key = fields
        .get("api_key")
        .map(str::to_owned)
        .or(basic_user)
        .ok_or_else(|| VonageError::new(2, "Missing api_key"))?;
    let has_secret = fields.get("api_secret").is_some()
        || fields.get("sig").is_some()
        || raw
            .headers
            .iter()
            .any(|(name, value)| name == "authorization" && value.starts_with("Basic "));
    if !has_secret {
        return Err(VonageError::new(2, "Missing api_secret"));
    }
    let from = fields
        .get("from")
        .ok_or_else(|| VonageError::new(2, "Missing from param"))?;
    let to = fields
        .get("to")
        .ok_or_else(|| VonageError::new(2, "Missing to param"))?;
    match fields.get("type").unwrap_or("text") {
        "text" | "unicode" => {}
        other => {
            return Err(VonageError::new(
                3,
                format!(
                    "Invalid type param: Phonebox captures text and unicode messages, not {other}"
                ),
            ))
        }
    }
    let text = fields
        .get("text")
        .ok_or_else(|| VonageError::new(2, "Missing text param"))?;
    let recipient = PhoneNumber::parse(to)
        .map_err(|_| VonageError::new(3, format!("Invalid to param: {to}")))?;
    let message = NewMessage {
        attributes: fields
            .get("client-ref")
            .map(|r| serde_json::json!({ "client-ref": r })),
        ..super::provider_message(
            Source::VonageSms,
            Channel::Sms,
            recipient,
            Some(from.to_owned()),
            text.to_owned(),
            message_id(),
            Some(api_key),
        )
    };
    raw.body = fields::redact(&raw.body, kind, &SECRET_FIELDS);
    Ok(NewMessage { raw, ..message })
}

/// A Vonage message id: 16 upper-case hex digits.
pub fn message_id() -> String {
    format!("{:016X}", crate::random::ordered_u64())
}

/// Vonage's statuses for what chaos injects.
impl InjectedError for VonageError {
    fn internal(_: Option<Provider>, e: CaptureError) -> VonageError {
        if e.is_unavailable() {
            return VonageError {
                cause: e.failure(),
                ..VonageError::new(1, format!("Throttled: {e}"))
            };
        }
        VonageError {
            cause: Some(e.to_string()),
            ..VonageError::for_status(5)
        }
    }

    fn injected(_: Provider, code: &str) -> VonageError {
        // `validate` let only numbers through for Vonage.
        VonageError::for_status(code.parse().unwrap_or(5))
    }

    fn send_error(&self) -> SendError {
        SendError {
            code: self.status.to_string(),
            message: self.text.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> RawRequest {
        RawRequest {
            content_type: Some("application/x-www-form-urlencoded".into()),
            headers: vec![],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn a_form_send_is_read_and_its_secret_dropped() {
        let m = parse(
            form(
                "api_key=abcd1234&api_secret=Sup3rS3cret&from=Acme&to=447700900000&text=Code+4321",
            ),
            None,
        )
        .expect("parses");
        assert_eq!(m.recipient.as_str(), "+447700900000");
        assert_eq!(m.provider_account.as_deref(), Some("abcd1234"));
        assert!(!String::from_utf8_lossy(&m.raw.body).contains("Sup3rS3cret"));
        assert_eq!(m.provider_message_id.map(|id| id.len()), Some(16));
    }

    #[test]
    fn missing_and_invalid_params_get_vonage_statuses() {
        let status = |body: &str| parse(form(body), None).expect_err("refused").status;
        assert_eq!(status("api_secret=s&from=A&to=447700900000&text=x"), 2);
        assert_eq!(status("api_key=k&from=A&to=447700900000&text=x"), 2);
        assert_eq!(status("api_key=k&api_secret=s&to=447700900000&text=x"), 2);
        assert_eq!(status("api_key=k&api_secret=s&from=A&text=x"), 2);
        assert_eq!(status("api_key=k&api_secret=s&from=A&to=447700900000"), 2);
        assert_eq!(status("api_key=k&api_secret=s&from=A&to=12&text=x"), 3);
        assert_eq!(
            status("api_key=k&api_secret=s&from=A&to=447700900000&text=x&type=binary"),
            3
        );
    }
}
