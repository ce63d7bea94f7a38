//! Mitto: `POST /sms` (or `/sms.json`), `X-Mitto-API-Key`, a JSON body
//! `{"from", "to", "text", "type"?, "test"?, "reference"?}`. Errors carry Mitto's
//! `responseCode` (3 empty text, 5 empty sender, 6 invalid sender, 7 empty receiver,
//! 8 invalid receiver, 2 invalid type).

use serde::Deserialize;
use serde_json::json;

use super::{account, json_body, ProviderError};
use crate::capture::provider::Provider;
use crate::message::phone::PhoneNumber;
use crate::message::{Channel, NewMessage, RawRequest, Source};

const P: Provider = Provider::Mitto;

#[derive(Deserialize)]
struct Send {
    from: Option<String>,
    to: Option<String>,
    text: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    test: bool,
    reference: Option<String>,
}

fn error(code: u32, message: &str, field: &str) -> ProviderError {
    ProviderError::new(P, 400, code.to_string(), message).on(field)
}

/// A send request; `key` is a hint of the API key header.
pub fn parse(raw: RawRequest, key: Option<String>) -> Result<NewMessage, ProviderError> {
    let key = account(P, key)?;
    let send: Send = json_body(&raw, |why| ProviderError::new(P, 400, "4", why))?;
    let text = send
        .text
        .filter(|t| !t.is_empty())
        .ok_or_else(|| error(3, "Empty message", "text"))?;
    let from = send
        .from
        .filter(|f| !f.trim().is_empty())
        .ok_or_else(|| error(5, "Empty sender", "from"))?;
    let numeric = from
        .trim_start_matches('+')
        .bytes()
        .all(|b| b.is_ascii_digit());
    let sender_ok = if numeric {
        (3..=14).contains(&from.trim_start_matches('+').len())
    } else {
        (3..=11).contains(&from.chars().count())
    };
    if !sender_ok {
        return Err(error(6, "Invalid sender", "from"));
    }
    let to = send
        .to
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| error(7, "Empty receiver", "to"))?;
    let to = PhoneNumber::parse(&to).map_err(|_| error(8, "Invalid receiver", "to"))?;
    match send.kind.as_deref().unwrap_or("Auto") {
        "Auto" | "GSM" | "Unicode" => {}
        _ => {
            return Err(error(
                2,
                "Invalid type (Phonebox captures Auto, GSM and Unicode)",
                "type",
            ))
        }
    }
    Ok(NewMessage {
        attributes: Some(json!({ "test": send.test, "reference": send.reference })),
        raw,
        ..super::super::provider_message(
            Source::MittoSms,
            Channel::Sms,
            to,
            Some(from),
            text,
            crate::random::uuid().simple().to_string(),
            Some(key),
        )
    })
}
