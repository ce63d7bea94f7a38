//! The one model every receiver produces: a text or voice message sent to a phone.

pub mod code;
pub mod phone;
pub mod redact;
pub mod sms;

use std::fmt;

use serde::Serialize;
use time::OffsetDateTime;

use crate::message::phone::PhoneNumber;
use crate::message::sms::Encoding;

/// How the phone receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Sms,
    Voice,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Voice => "voice",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        match s {
            "sms" => Some(Channel::Sms),
            "voice" => Some(Channel::Voice),
            _ => None,
        }
    }
}

/// Which receiver (wire format) a message came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Source {
    #[serde(rename = "auth0.custom-phone-provider")]
    Auth0CustomPhoneProvider,
    #[serde(rename = "auth0.send-phone-message")]
    Auth0SendPhoneMessage,
    #[serde(rename = "auth0.hook")]
    Auth0Hook,
    /// Sent by the emulated tenant through Auth0's built-in (test) provider.
    #[serde(rename = "auth0.builtin")]
    Auth0Builtin,
    #[serde(rename = "twilio.messages")]
    TwilioMessages,
    #[serde(rename = "twilio.calls")]
    TwilioCalls,
    #[serde(rename = "twilio.verify")]
    TwilioVerify,
    #[serde(rename = "aws.sns")]
    AwsSns,
    #[serde(rename = "vonage.sms")]
    VonageSms,
    #[serde(rename = "clicksend.sms")]
    ClicksendSms,
    #[serde(rename = "esendex.messages")]
    EsendexMessages,
    #[serde(rename = "infobip.sms")]
    InfobipSms,
    #[serde(rename = "mitto.sms")]
    MittoSms,
    #[serde(rename = "telesign.messaging")]
    TelesignMessaging,
    #[serde(rename = "telesign.verify")]
    TelesignVerify,
    #[serde(rename = "messagebird.messages")]
    MessagebirdMessages,
}

impl Source {
    pub const ALL: [Source; 16] = [
        Source::Auth0CustomPhoneProvider,
        Source::Auth0SendPhoneMessage,
        Source::Auth0Hook,
        Source::Auth0Builtin,
        Source::TwilioMessages,
        Source::TwilioCalls,
        Source::TwilioVerify,
        Source::AwsSns,
        Source::VonageSms,
        Source::ClicksendSms,
        Source::EsendexMessages,
        Source::InfobipSms,
        Source::MittoSms,
        Source::TelesignMessaging,
        Source::TelesignVerify,
        Source::MessagebirdMessages,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Auth0CustomPhoneProvider => "auth0.custom-phone-provider",
            Source::Auth0SendPhoneMessage => "auth0.send-phone-message",
            Source::Auth0Hook => "auth0.hook",
            Source::Auth0Builtin => "auth0.builtin",
            Source::TwilioMessages => "twilio.messages",
            Source::TwilioCalls => "twilio.calls",
            Source::TwilioVerify => "twilio.verify",
            Source::AwsSns => "aws.sns",
            Source::VonageSms => "vonage.sms",
            Source::ClicksendSms => "clicksend.sms",
            Source::EsendexMessages => "esendex.messages",
            Source::InfobipSms => "infobip.sms",
            Source::MittoSms => "mitto.sms",
            Source::TelesignMessaging => "telesign.messaging",
            Source::TelesignVerify => "telesign.verify",
            Source::MessagebirdMessages => "messagebird.messages",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|source| source.as_str() == s)
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why Auth0 sent the message, in the vocabulary of the `custom-phone-provider`
/// trigger (`notification.message_type`); the legacy `action` values map onto it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    OtpEnroll,
    OtpVerify,
    BlockedAccount,
    ChangePassword,
    PasswordBreach,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::OtpEnroll => "otp_enroll",
            Purpose::OtpVerify => "otp_verify",
            Purpose::BlockedAccount => "blocked_account",
            Purpose::ChangePassword => "change_password",
            Purpose::PasswordBreach => "password_breach",
        }
    }

    pub fn parse(s: &str) -> Option<Purpose> {
        [
            Purpose::OtpEnroll,
            Purpose::OtpVerify,
            Purpose::BlockedAccount,
            Purpose::ChangePassword,
            Purpose::PasswordBreach,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

/// The request a message arrived in, kept beside the parsed columns.
#[derive(Debug, Clone, Default)]
pub struct RawRequest {
    pub content_type: Option<String>,
    /// Header name and value pairs, secrets already redacted.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A message as a receiver parsed it, before the store gives it an id and a time.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub tenant: String,
    pub channel: Channel,
    pub source: Source,
    pub recipient: PhoneNumber,
    pub sender: Option<String>,
    pub text: String,
    /// The code the sender passed; when absent, one is looked for in the text.
    pub code: Option<String>,
    /// The action exactly as the sender wrote it (`enrollment`, `second-factor-authentication`...).
    pub action: Option<String>,
    pub purpose: Option<Purpose>,
    pub locale: Option<String>,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    /// The id this receiver answered with, as the provider would (e.g. the Hook's MessageID).
    pub provider_message_id: Option<String>,
    /// The account or key the sender authenticated as (Twilio AccountSid, AWS key id).
    pub provider_account: Option<String>,
    /// Provider-specific details worth showing (SNS message attributes and region...).
    pub attributes: Option<serde_json::Value>,
    /// Set when the send failed (a provider error injected by chaos): stored as failed.
    pub error: Option<SendError>,
    pub raw: RawRequest,
}

/// A provider error a send ended with, in the provider's own terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SendError {
    /// The provider's code: `21611` for Twilio, `Throttling` for SNS, `1` for Vonage.
    pub code: String,
    pub message: String,
}

/// Where a captured message stands: on the phone.
pub const STATUS_RECEIVED: &str = "received";
/// The provider refused the send (its error is on the message); the phone got nothing.
pub const STATUS_FAILED: &str = "failed";

/// A stored message without its raw request: what lists and events carry.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// ULID: sorts by arrival.
    pub id: String,
    pub tenant: String,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    pub channel: Channel,
    pub source: Source,
    #[serde(rename = "to")]
    pub recipient: PhoneNumber,
    #[serde(rename = "from")]
    pub sender: Option<String>,
    pub text: String,
    pub code: Option<String>,
    pub action: Option<String>,
    pub purpose: Option<Purpose>,
    pub locale: Option<String>,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub status: String,
    pub encoding: Encoding,
    pub segments: u32,
    pub provider_message_id: Option<String>,
    pub provider_account: Option<String>,
    pub attributes: Option<serde_json::Value>,
    pub error: Option<SendError>,
}

/// A stored message with the request it arrived in.
#[derive(Debug, Clone, Serialize)]
pub struct MessageDetail {
    #[serde(flatten)]
    pub message: Message,
    pub request: StoredRequest,
}

/// The raw request as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct StoredRequest {
    pub content_type: Option<String>,
    pub headers: Vec<(String, String)>,
    /// The body as text when it is UTF-8 (it always is for JSON and forms).
    pub body: String,
}
