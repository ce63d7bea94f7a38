//! Twilio's REST API as its SDKs call it: Programmable Messaging and Voice calls.
//! (Verify lives in `crate::receivers::twilio::verify`: it keeps state.)
//!
//! Bodies are `application/x-www-form-urlencoded` with Twilio's capitalised names.
//! Errors carry Twilio's own codes, including those its magic test numbers produce.

pub mod status_callbacks;
pub mod verify;

use std::collections::HashMap;

use quick_xml::events::Event as XmlEvent;
use quick_xml::Reader;

use crate::capture::chaos::InjectedError;
use crate::capture::pipeline::CaptureError;
use crate::capture::provider::Provider;
use crate::message::phone::PhoneNumber;
use crate::message::SendError;
use crate::message::{Channel, NewMessage, RawRequest, Source};
use crate::store::StoreError;

/// Twilio's limit on a message body, in characters.
pub const MAX_BODY_CHARS: usize = 1600;

/// An error in Twilio's shape: `{"code", "message", "more_info", "status"}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Twilio error {code}: {message}")]
pub struct TwilioError {
    pub code: u32,
    pub message: String,
    pub status: u16,
    /// What Phonebox itself failed at, for the log; never sent.
    pub cause: Option<String>,
}

impl TwilioError {
    pub fn new(code: u32, status: u16, message: impl Into<String>) -> TwilioError {
        TwilioError {
            code,
            message: message.into(),
            status,
            cause: None,
        }
    }

    /// Phonebox's own failure, in Twilio's words; the cause is kept for the log.
    pub fn internal(cause: impl std::fmt::Display) -> TwilioError {
        TwilioError {
            cause: Some(cause.to_string()),
            ..TwilioError::new(20500, 500, "An internal server error has occurred")
        }
    }

    /// Twilio's documentation page for the code.
    pub fn more_info(&self) -> String {
        format!("https://www.twilio.com/docs/errors/{}", self.code)
    }
}

impl From<StoreError> for TwilioError {
    fn from(e: StoreError) -> TwilioError {
        if e.is_unwritable() {
            return TwilioError::new(20503, 503, e.to_string());
        }
        TwilioError::internal(e)
    }
}

/// Twilio's errors for what chaos injects: each code with Twilio's own status and
/// wording.
impl InjectedError for TwilioError {
    fn internal(_: Option<Provider>, e: CaptureError) -> TwilioError {
        if e.is_unavailable() {
            return TwilioError {
                cause: e.failure(),
                ..TwilioError::new(20503, 503, e.to_string())
            };
        }
        TwilioError::internal(e)
    }

    fn injected(_: Provider, code: &str) -> TwilioError {
        let (status, message) = match code {
            "20003" => (401, "Authenticate"),
            "20429" => (429, "Too Many Requests"),
            "20500" => (500, "An internal server error has occurred"),
            "20503" => (503, "Service is unavailable. Please try again"),
            "21211" => (400, "The 'To' number is not a valid phone number."),
            "21408" => (400, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number."),
            "21606" => (400, "The From phone number is not a valid, SMS-capable inbound phone number or short code for your account."),
            "21608" => (400, "The number is unverified. Trial accounts cannot send messages to unverified numbers; verify it at twilio.com/user/account/phone-numbers/verified, or purchase a Twilio number to send messages to unverified numbers."),
            "21610" => (400, "Attempt to send to unsubscribed recipient"),
            "21611" => (400, "This 'From' number has exceeded the maximum number of queued messages"),
            "21612" => (400, "The 'To' phone number is not currently reachable using the 'From' phone number via SMS."),
            "21614" => (400, "'To' number is not a valid mobile number"),
            "60203" => (429, "Max send attempts reached"),
            _ => (400, "Error injected by Phonebox chaos"),
        };
        // `validate` let only numbers through for Twilio.
        TwilioError::new(code.parse().unwrap_or(20001), status, message)
    }

    fn send_error(&self) -> SendError {
        SendError {
            code: self.code.to_string(),
            message: self.message.clone(),
        }
    }
}

/// A parsed form body; Twilio's parameter names are case-sensitive.
pub struct Form(HashMap<String, String>);

impl Form {
    /// Parses a form body, refusing other content types as Twilio does.
    pub fn parse(raw: &RawRequest) -> Result<Form, TwilioError> {
        if !super::is_form(raw) {
            return Err(TwilioError::new(
                20001,
                400,
                "Content-Type must be application/x-www-form-urlencoded",
            ));
        }
        Ok(Form(super::form_fields(&raw.body)))
    }

    /// A parameter, if present and not blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

/// A new Twilio id: two-letter prefix and 32 hex digits.
pub fn new_sid(prefix: &str) -> String {
    format!("{prefix}{}", crate::random::ordered_uuid().simple())
}

/// What Messages.json was asked to do, besides the message itself.
#[derive(Debug, Clone)]
pub struct MessageRequest {
    pub message: NewMessage,
    pub status_callback: Option<String>,
}

/// `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`.
pub fn parse_message(account_sid: &str, raw: RawRequest) -> Result<MessageRequest, TwilioError> {
    let form = Form::parse(&raw)?;
    let to = form
        .get("To")
        .ok_or_else(|| TwilioError::new(21604, 400, "A 'To' phone number is required."))?;
    let sender = match (form.get("From"), form.get("MessagingServiceSid")) {
        (Some(from), _) => from.to_owned(),
        (None, Some(service)) => service.to_owned(),
        (None, None) => {
            return Err(TwilioError::new(
                21603,
                400,
                "A 'From' phone number is required.",
            ))
        }
    };
    let body = form
        .get("Body")
        .ok_or_else(|| TwilioError::new(21602, 400, "Message body is required."))?;
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(TwilioError::new(
            21617,
            400,
            "The concatenated message body exceeds the 1600 character limit.",
        ));
    }
    check_magic_from(&sender)?;
    let recipient = parse_to(to, &sender)?;
    let message = sent(
        Source::TwilioMessages,
        recipient,
        sender,
        body.to_owned(),
        account_sid,
    );
    Ok(MessageRequest {
        status_callback: form.get("StatusCallback").map(str::to_owned),
        message: NewMessage { raw, ..message },
    })
}

/// `POST /2010-04-01/Accounts/{AccountSid}/Calls.json`: the call becomes a voice
/// message whose text is what its `<Say>` verbs would speak.
pub fn parse_call(account_sid: &str, raw: RawRequest) -> Result<MessageRequest, TwilioError> {
    let form = Form::parse(&raw)?;
    let to = form
        .get("To")
        .ok_or_else(|| TwilioError::new(21201, 400, "No 'To' number is specified"))?;
    let from = form
        .get("From")
        .ok_or_else(|| TwilioError::new(21213, 400, "No 'From' number is specified"))?;
    let text = match (form.get("Twiml"), form.get("Url")) {
        (Some(twiml), _) => spoken_text(twiml)?,
        // Phonebox never fetches a URL named in a request; the call is kept with a note.
        (None, Some(url)) => format!("[TwiML from {url}: not fetched by Phonebox]"),
        (None, None) => {
            return Err(TwilioError::new(
                21205,
                400,
                "Either a 'Url', 'Twiml' or 'ApplicationSid' parameter is required",
            ))
        }
    };
    check_magic_from(from)?;
    let recipient = parse_to(to, from)?;
    let message = sent(
        Source::TwilioCalls,
        recipient,
        from.to_owned(),
        text,
        account_sid,
    );
    Ok(MessageRequest {
        status_callback: form.get("StatusCallback").map(str::to_owned),
        message: NewMessage { raw, ..message },
    })
}

/// The text of every `<Say>` in a TwiML document, in order.
pub fn spoken_text(twiml: &str) -> Result<String, TwilioError> {
    let invalid =
        |detail: String| TwilioError::new(12100, 400, format!("Document parse failure: {detail}"));
    let mut reader = Reader::from_str(twiml);
    let mut depth_in_say = 0usize;
    let mut said: Vec<String> = Vec::new();
    let mut current = String::new();
    loop {
        match reader.read_event() {
            Ok(XmlEvent::Start(e)) if e.name().as_ref() == b"Say" => {
                depth_in_say += 1;
                current.clear();
            }
            Ok(XmlEvent::End(e)) if e.name().as_ref() == b"Say" => {
                depth_in_say = depth_in_say.saturating_sub(1);
                let text = current.split_whitespace().collect::<Vec<_>>().join(" ");
                if !text.is_empty() {
                    said.push(text);
                }
            }
            Ok(XmlEvent::Text(t)) if depth_in_say > 0 => {
                let text = t.decode().map_err(|e| invalid(e.to_string()))?;
                current.push_str(&text);
            }
            Ok(XmlEvent::GeneralRef(r)) if depth_in_say > 0 => {
                current.push_str(&crate::xml::xml_reference(&r).map_err(invalid)?);
            }
            Ok(XmlEvent::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(invalid(e.to_string())),
        }
    }
    if said.is_empty() {
        return Err(TwilioError::new(
            12100,
            400,
            "Document parse failure: the TwiML has no <Say> to capture",
        ));
    }
    Ok(said.join(" "))
}

/// A message sent through the Messages or Calls API, with a fresh SID (raw request
/// left empty for the caller to fill).
fn sent(
    source: Source,
    recipient: PhoneNumber,
    sender: String,
    text: String,
    account_sid: &str,
) -> NewMessage {
    let (channel, prefix) = match source {
        Source::TwilioCalls => (Channel::Voice, "CA"),
        _ => (Channel::Sms, "SM"),
    };
    super::provider_message(
        source,
        channel,
        recipient,
        Some(sender),
        text,
        new_sid(prefix),
        Some(account_sid.to_owned()),
    )
}

/// Twilio's magic `From` numbers, so failure paths can be tested locally.
fn check_magic_from(from: &str) -> Result<(), TwilioError> {
    match from {
        "+15005550001" => Err(TwilioError::new(
            21212,
            400,
            format!("The 'From' number {from} is not a valid phone number, shortcode, or alphanumeric sender ID."),
        )),
        "+15005550007" => Err(TwilioError::new(
            21606,
            400,
            format!("The From phone number {from} is not a valid, SMS-capable inbound phone number or short code for your account."),
        )),
        "+15005550008" => Err(TwilioError::new(
            21611,
            400,
            "This 'From' number has exceeded the maximum number of queued messages",
        )),
        _ => Ok(()),
    }
}

/// Parses `To`, applying Twilio's magic `To` numbers first.
fn parse_to(to: &str, from: &str) -> Result<PhoneNumber, TwilioError> {
    let magic = match to.trim() {
        "+15005550001" => Some(TwilioError::new(
            21211,
            400,
            format!("The 'To' number {to} is not a valid phone number."),
        )),
        "+15005550002" => Some(TwilioError::new(
            21612,
            400,
            format!("The 'To' phone number: {to}, is not currently reachable using the 'From' phone number: {from} via SMS."),
        )),
        "+15005550003" => Some(TwilioError::new(
            21408,
            400,
            format!("Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {to}."),
        )),
        "+15005550004" => Some(TwilioError::new(
            21610,
            400,
            "Attempt to send to unsubscribed recipient",
        )),
        "+15005550009" => Some(TwilioError::new(
            21614,
            400,
            format!("'To' number {to} is not a valid mobile number"),
        )),
        _ => None,
    };
    if let Some(error) = magic {
        return Err(error);
    }
    PhoneNumber::parse(to).map_err(|_| {
        TwilioError::new(
            21211,
            400,
            format!("The 'To' number {to} is not a valid phone number."),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn say_text_is_collected_in_order() {
        let twiml = r#"<?xml version="1.0"?><Response><Say voice="man" language="en-US">Your code is 1. 2. 3.</Say><Pause length="1"/><Say>Again: 1. 2. 3. &amp; bye</Say></Response>"#;
        assert_eq!(
            spoken_text(twiml).expect("parses"),
            "Your code is 1. 2. 3. Again: 1. 2. 3. & bye"
        );
    }

    #[test]
    fn twiml_without_say_or_malformed_is_refused() {
        assert_eq!(
            spoken_text("<Response><Pause/></Response>").map_err(|e| e.code),
            Err(12100)
        );
        assert_eq!(
            spoken_text("<Response><Say>hi</Response>").map_err(|e| e.code),
            Err(12100)
        );
    }

    #[test]
    fn sids_have_prefix_and_32_hex_digits() {
        let sid = new_sid("SM");
        assert_eq!(sid.len(), 34);
        assert!(sid[2..].chars().all(|c| c.is_ascii_hexdigit()));
    }
}
