//! The one model every receiver produces: a text or voice message sent to a phone.

pub mod code;
pub mod phone;
pub mod redact;
pub mod sms;
mod text_enum;

pub(crate) use text_enum::text_enum;

use serde::Serialize;
use time::OffsetDateTime;

use crate::message::phone::PhoneNumber;
use crate::message::sms::Encoding;

/// The tenant a message belongs to unless something names another: the one
/// emulated tenant a fresh Phonebox has, and where an unlinked capture lands.
pub const DEFAULT_TENANT: &str = "default";

text_enum! {
    /// How the phone receives it.
    pub enum Channel {
        Sms = "sms",
        Voice = "voice",
    }
}

text_enum! {
    /// Which receiver (wire format) a message came through.
    pub enum Source {
        Auth0CustomPhoneProvider = "auth0.custom-phone-provider",
        Auth0SendPhoneMessage = "auth0.send-phone-message",
        Auth0Hook = "auth0.hook",
        /// Sent by the emulated tenant through Auth0's built-in (test) provider.
        Auth0Builtin = "auth0.builtin",
        TwilioMessages = "twilio.messages",
        TwilioCalls = "twilio.calls",
        TwilioVerify = "twilio.verify",
        AwsSns = "aws.sns",
        VonageSms = "vonage.sms",
        ClicksendSms = "clicksend.sms",
        EsendexMessages = "esendex.messages",
        InfobipSms = "infobip.sms",
        MittoSms = "mitto.sms",
        TelesignMessaging = "telesign.messaging",
        TelesignVerify = "telesign.verify",
        MessagebirdMessages = "messagebird.messages",
    }
}

text_enum! {
    /// Why Auth0 sent the message, in the vocabulary of the `custom-phone-provider`
    /// trigger (`notification.message_type`); the legacy `action` values map onto it.
    pub enum Purpose {
        OtpEnroll = "otp_enroll",
        OtpVerify = "otp_verify",
        BlockedAccount = "blocked_account",
        ChangePassword = "change_password",
        PasswordBreach = "password_breach",
    }
}

text_enum! {
    /// The route the emulated tenant sent a message by, in Auth0's words.
    pub enum SendProvider {
        /// Auth0's built-in test provider.
        Auth0 = "auth0",
        Twilio = "twilio",
        /// A custom provider: an Action, a Hook or a webhook.
        Custom = "custom",
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

impl NewMessage {
    /// A message with only what every one has; the rest is set by whoever knows it.
    pub fn new(
        channel: Channel,
        source: Source,
        recipient: PhoneNumber,
        text: String,
    ) -> NewMessage {
        NewMessage {
            tenant: String::new(),
            channel,
            source,
            recipient,
            sender: None,
            text,
            code: None,
            action: None,
            purpose: None,
            locale: None,
            user_id: None,
            client_id: None,
            provider_message_id: None,
            provider_account: None,
            attributes: None,
            error: None,
            raw: RawRequest::default(),
        }
    }
}

/// What the emulated tenant knows of a message it sends: whose it is and which MFA
/// transaction it carries the code of. Set on the message before it is captured,
/// so its one insert and its one event already carry it; sent to another Phonebox
/// in the `x-phonebox-link` header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Link {
    pub tenant: String,
    pub user_id: String,
    pub client_id: String,
    /// The legacy `action` (`enrollment`, `second-factor-authentication`).
    pub action: String,
    pub purpose: Purpose,
    pub locale: String,
    pub transaction_id: String,
    /// Which route delivered it.
    pub delivered_by: SendProvider,
    /// The code, when the carrier's payload does not say it.
    pub code: Option<String>,
    /// A web page's request made the tenant send it: kept as the message's
    /// `requested_by_page` attribute, and never auto-forwarded.
    #[serde(default)]
    pub requested_by_page: bool,
    /// The run of the user's Action that sent it, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_run: Option<String>,
}

/// The header a `Link` travels in to another Phonebox.
pub const LINK_HEADER: &str = "x-phonebox-link";

/// The most a link header may hold: more is not a link.
const MAX_LINK_BYTES: usize = 4096;

impl Link {
    pub fn to_header(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A link read from its header, if it is one.
    pub fn from_header(value: &str) -> Option<Link> {
        (value.len() <= MAX_LINK_BYTES)
            .then(|| serde_json::from_str(value).ok())
            .flatten()
    }
}

impl RawRequest {
    /// The link a second Phonebox sent in its header, if it sent one.
    pub fn link(&self) -> Option<Link> {
        self.headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(LINK_HEADER))
            .and_then(|(_, value)| Link::from_header(value))
    }
}

impl NewMessage {
    /// The message linked as the header of its request says, if it says.
    /// Any caller may send the header, so it is taken as a claim: its code only
    /// when the text carries it, and the message says it was linked by header.
    /// `Pipeline::capture` applies it to every capture: without the header it is
    /// one look through the headers, and applied twice it links the same way.
    pub fn with_link_header(self) -> NewMessage {
        let Some(mut link) = self.raw.link() else {
            return self;
        };
        link.code = link.code.filter(|code| self.text.contains(code.as_str()));
        let mut message = self.linked(link);
        if let Some(serde_json::Value::Object(attributes)) = message.attributes.as_mut() {
            attributes.insert("linked_by".into(), LINK_HEADER.into());
        }
        message
    }

    /// The message as the tenant sent it: its tenant, user, client, purpose and
    /// transaction set from `link`.
    pub fn linked(self, link: Link) -> NewMessage {
        let mut attributes = match self.attributes {
            Some(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        attributes.insert("transaction_id".into(), link.transaction_id.into());
        attributes.insert("delivered_by".into(), link.delivered_by.as_str().into());
        if link.requested_by_page {
            attributes.insert("requested_by_page".into(), true.into());
        }
        if let Some(run) = &link.action_run {
            attributes.insert("action_run_id".into(), run.as_str().into());
        }
        NewMessage {
            tenant: link.tenant,
            user_id: Some(link.user_id),
            client_id: Some(link.client_id),
            action: Some(link.action),
            purpose: Some(link.purpose),
            locale: Some(link.locale),
            code: self.code.or(link.code),
            attributes: Some(serde_json::Value::Object(attributes)),
            ..self
        }
    }
}

/// A provider error a send ended with, in the provider's own terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SendError {
    /// The provider's code: `21611` for Twilio, `Throttling` for SNS, `1` for Vonage.
    pub code: String,
    pub message: String,
}

text_enum! {
    /// Where a captured message stands.
    pub enum Status {
        /// On the phone.
        Received = "received",
        /// The provider refused the send (its error is on the message); the phone
        /// got nothing.
        Failed = "failed",
    }
}

/// A stored message without its raw request: what lists and events carry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Message {
    /// ULID: sorts by arrival.
    pub id: String,
    pub tenant: String,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(test, ts(type = "string"))]
    pub received_at: OffsetDateTime,
    pub channel: Channel,
    pub source: Source,
    #[serde(rename = "to")]
    #[cfg_attr(test, ts(type = "string"))]
    #[schema(value_type = String)]
    pub recipient: PhoneNumber,
    /// `to` grouped as its country writes it (`+44 7700 900123`), for people.
    pub to_display: String,
    #[serde(rename = "from")]
    #[schema(required = true)]
    pub sender: Option<String>,
    pub text: String,
    #[schema(required = true)]
    pub code: Option<String>,
    #[schema(required = true)]
    pub action: Option<String>,
    #[schema(required = true)]
    pub purpose: Option<Purpose>,
    #[schema(required = true)]
    pub locale: Option<String>,
    #[schema(required = true)]
    pub user_id: Option<String>,
    #[schema(required = true)]
    pub client_id: Option<String>,
    pub status: Status,
    pub encoding: Encoding,
    pub segments: u32,
    #[schema(required = true)]
    pub provider_message_id: Option<String>,
    #[schema(required = true)]
    pub provider_account: Option<String>,
    #[cfg_attr(test, ts(type = "Record<string, unknown> | null"))]
    #[schema(required = true, value_type = Option<Object>)]
    pub attributes: Option<serde_json::Value>,
    #[schema(required = true)]
    pub error: Option<SendError>,
}

/// A stored message with the request it arrived in.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct MessageDetail {
    #[serde(flatten)]
    pub message: Message,
    pub request: StoredRequest,
}

/// The raw request as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct StoredRequest {
    #[schema(required = true)]
    pub content_type: Option<String>,
    pub headers: Vec<(String, String)>,
    /// The body as text when it is UTF-8 (it always is for JSON and forms).
    pub body: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link() -> Link {
        Link {
            tenant: "acme".into(),
            user_id: "auth0|1".into(),
            client_id: "app".into(),
            action: "enrollment".into(),
            purpose: Purpose::OtpEnroll,
            locale: "en".into(),
            transaction_id: "01TX".into(),
            delivered_by: SendProvider::Twilio,
            code: Some("123456".into()),
            requested_by_page: false,
            action_run: None,
        }
    }

    #[test]
    fn a_link_survives_its_header_and_nothing_else_is_a_link() {
        let header = link().to_header();
        let raw = RawRequest {
            headers: vec![(LINK_HEADER.to_uppercase(), header.clone())],
            ..RawRequest::default()
        };
        assert_eq!(raw.link(), Some(link()));
        assert_eq!(Link::from_header("{}"), None);
        assert_eq!(Link::from_header("not json"), None);
        let padded = format!("{}{}", header, " ".repeat(MAX_LINK_BYTES));
        assert_eq!(Link::from_header(&padded), None, "too long is not a link");
    }

    #[test]
    fn a_link_header_cannot_give_a_message_a_code_its_text_lacks() {
        let raw = RawRequest {
            headers: vec![(LINK_HEADER.into(), link().to_header())],
            ..RawRequest::default()
        };
        let message = |text: &str| NewMessage {
            tenant: "default".into(),
            raw: raw.clone(),
            ..NewMessage::new(
                Channel::Sms,
                Source::TwilioMessages,
                PhoneNumber::parse("+15555550100").expect("number"),
                text.into(),
            )
        };
        let claimed = message("hello, no code here").with_link_header();
        assert_eq!(claimed.code, None);
        assert_eq!(claimed.tenant, "acme");
        let attributes = claimed.attributes.expect("attributes");
        assert_eq!(attributes["linked_by"], LINK_HEADER);
        let carried = message("123456 is your code").with_link_header();
        assert_eq!(carried.code.as_deref(), Some("123456"));
        // Idempotent: the pipeline links every capture, whatever its caller did.
        let twice = message("123456 is your code")
            .with_link_header()
            .with_link_header();
        assert_eq!(twice.code, carried.code);
        assert_eq!(twice.tenant, carried.tenant);
        assert_eq!(twice.user_id, carried.user_id);
        assert_eq!(twice.attributes, carried.attributes);
    }

    #[test]
    fn linking_keeps_the_provider_attributes_and_the_code_the_sender_gave() {
        let message = NewMessage {
            tenant: "default".into(),
            channel: Channel::Sms,
            source: Source::AwsSns,
            recipient: PhoneNumber::parse("+15555550100").expect("number"),
            sender: None,
            text: "654321 is your code".into(),
            code: Some("654321".into()),
            action: None,
            purpose: None,
            locale: None,
            user_id: None,
            client_id: None,
            provider_message_id: None,
            provider_account: None,
            attributes: Some(serde_json::json!({ "region": "us-east-1" })),
            error: None,
            raw: RawRequest::default(),
        }
        .linked(link());
        assert_eq!(message.tenant, "acme");
        assert_eq!(message.code.as_deref(), Some("654321"));
        let attributes = message.attributes.expect("attributes");
        assert_eq!(attributes["region"], "us-east-1");
        assert_eq!(attributes["transaction_id"], "01TX");
    }
}
