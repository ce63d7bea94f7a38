//! The three shapes Auth0 hands custom phone code (`payloads.md` §1–3), one type
//! each, used both ways: the receivers parse them and the emulated tenant sends
//! them. Every field a sender may leave out is optional, so hand-written events
//! parse; what Auth0 always fills, the tenant fills, and absent values are left
//! out of what it sends rather than written `null`.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// For a field the receivers never read: a value of another type than Auth0's is
/// dropped rather than refused, so hand-written events parse.
fn lenient<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    let value = Option::<Value>::deserialize(d)?;
    Ok(value.and_then(|v| serde_json::from_value(v).ok()))
}

/// `event.request`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Request {
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub ip: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub hostname: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_agent: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub geoip: Option<BTreeMap<String, Value>>,
}

/// `event.client`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Client {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub metadata: Option<BTreeMap<String, String>>,
}

/// `event.tenant`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Tenant {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub friendly_name: Option<String>,
}

/// `event.user`: Auth0's user profile (extra keys are Auth0's too).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct User {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub email_verified: Option<bool>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone_number: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_at: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub app_metadata: Option<BTreeMap<String, Value>>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_metadata: Option<BTreeMap<String, Value>>,
}

/// `sms` or `voice`, as the legacy trigger and Hook write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsOrVoice {
    Sms,
    Voice,
}

impl From<SmsOrVoice> for crate::message::Channel {
    fn from(v: SmsOrVoice) -> Self {
        match v {
            SmsOrVoice::Sms => crate::message::Channel::Sms,
            SmsOrVoice::Voice => crate::message::Channel::Voice,
        }
    }
}

impl From<crate::message::Channel> for SmsOrVoice {
    fn from(c: crate::message::Channel) -> Self {
        match c {
            crate::message::Channel::Sms => SmsOrVoice::Sms,
            crate::message::Channel::Voice => SmsOrVoice::Voice,
        }
    }
}

/// The `send-phone-message` event's `message_options`; all five are required.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessageOptions {
    pub action: String,
    pub code: String,
    pub message_type: SmsOrVoice,
    pub recipient: String,
    pub text: String,
}

/// The `send-phone-message` Action's `event` (§1).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SendPhoneMessageEvent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_options: Option<MessageOptions>,
    #[serde(default)]
    pub request: Request,
    #[serde(default)]
    pub client: Client,
    #[serde(default)]
    pub tenant: Tenant,
    #[serde(default)]
    pub user: User,
    /// Masked before a captured event is stored (`message::redact`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets: Option<BTreeMap<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configuration: Option<BTreeMap<String, Value>>,
}

/// `notification.message_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationType {
    OtpVerify,
    OtpEnroll,
    BlockedAccount,
    ChangePassword,
    PasswordBreach,
}

/// `notification.delivery_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryMethod {
    Text,
    Voice,
}

/// The custom-phone-provider event's `notification`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Notification {
    pub message_type: NotificationType,
    pub delivery_method: DeliveryMethod,
    pub recipient: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_voice: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The sender, from the provider or the template; left out when neither has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

/// The `custom-phone-provider` Action's `event` (§2).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CustomPhoneProviderEvent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<Notification>,
    #[serde(default)]
    pub request: Request,
    #[serde(default)]
    pub client: Client,
    #[serde(default)]
    pub tenant: Tenant,
    #[serde(default)]
    pub user: User,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets: Option<BTreeMap<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configuration: Option<BTreeMap<String, Value>>,
}

/// The Hook's `context.client`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HookClient {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub client_metadata: Option<BTreeMap<String, Value>>,
}

/// The Hook's `context.user`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HookUser {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub app_metadata: Option<BTreeMap<String, Value>>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_metadata: Option<BTreeMap<String, Value>>,
}

/// The Hook's `context` (§3).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HookContext {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_type: Option<SmsOrVoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// `first` or `second`, in the provider guides only.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub factor_type: Option<String>,
    /// The client's id and name, flat, as the Twilio guide's Hook signature has
    /// them (`context.client_id`, `context.name`, `context.client_metadata`).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub client_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub client_metadata: Option<BTreeMap<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub ip: Option<String>,
    /// Always written, `null` when the caller sent none.
    #[serde(default, deserialize_with = "lenient")]
    pub user_agent: Option<String>,
    #[serde(default)]
    pub client: HookClient,
    #[serde(default)]
    pub user: HookUser,
}

/// A Hook call, `(recipient, text, context, cb)`, as one body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HookCall {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default)]
    pub context: HookContext,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_absent_is_left_out_not_written_null() {
        let event = CustomPhoneProviderEvent {
            notification: Some(Notification {
                message_type: NotificationType::OtpEnroll,
                delivery_method: DeliveryMethod::Text,
                recipient: "+15555550100".into(),
                as_text: Some("1 is your code".into()),
                as_voice: None,
                code: Some("1".into()),
                from: None,
                locale: Some("en".into()),
            }),
            secrets: Some(BTreeMap::new()),
            ..CustomPhoneProviderEvent::default()
        };
        let json = serde_json::to_value(&event).expect("writes");
        assert_eq!(json["notification"].get("as_voice"), None);
        assert_eq!(json["notification"]["from"], serde_json::Value::Null);
        assert_eq!(json["notification"]["message_type"], "otp_enroll");
        assert_eq!(json["secrets"], serde_json::json!({}));
        let back: CustomPhoneProviderEvent = serde_json::from_value(json).expect("reads back");
        assert_eq!(
            back.notification.map(|n| n.recipient).as_deref(),
            Some("+15555550100")
        );
    }

    #[test]
    fn fields_no_receiver_reads_take_any_type_and_the_ones_read_stay_strict() {
        let event: SendPhoneMessageEvent = serde_json::from_value(serde_json::json!({
            "client": { "client_id": "c1", "metadata": { "tier": 1 }, "name": 7 },
            "user": { "user_id": "auth0|1", "email_verified": "yes", "created_at": 0 },
            "request": { "ip": ["x"], "language": "fr" }
        }))
        .expect("parses");
        assert_eq!(event.client.client_id.as_deref(), Some("c1"));
        assert_eq!(event.client.metadata, None);
        assert_eq!(event.user.email_verified, None);
        assert_eq!(event.request.language.as_deref(), Some("fr"));
        let strict = serde_json::from_value::<SendPhoneMessageEvent>(
            serde_json::json!({ "user": { "user_id": 42 } }),
        );
        assert!(strict.is_err(), "user_id is read: a number is refused");
    }
}
