//! `POST /capture/auth0/custom-phone-provider`: what a `custom-phone-provider` Action sends.
//!
//! Two shapes arrive here: the flat body of Auth0's own sample Action (`from, action,
//! language, recipient, message_type, text, code`, where `message_type` is the
//! notification's `delivery_method`), and the whole `event` (with `notification`),
//! bare or wrapped as `{"event": ...}`.

use serde::Deserialize;

use super::event::{
    Client, CustomPhoneProviderEvent, DeliveryMethod, Notification, NotificationType, Tenant, User,
};
use crate::message::{Channel, NewMessage, Purpose, RawRequest, Source};
use crate::receivers::{decode_body, join_path, non_empty, phone, ReceiveError, DEFAULT_TENANT};

/// Any of the accepted shapes: `{"event": ...}`, a bare event (with `notification`),
/// or the flat body of Auth0's sample Action. One struct, so one parse.
#[derive(Debug, Deserialize)]
struct Body {
    event: Option<CustomPhoneProviderEvent>,
    notification: Option<Notification>,
    #[serde(default)]
    tenant: Tenant,
    #[serde(default)]
    client: Client,
    #[serde(default)]
    user: User,
    from: Option<String>,
    action: Option<String>,
    language: Option<String>,
    recipient: Option<String>,
    message_type: Option<FlatDelivery>,
    text: Option<String>,
    code: Option<String>,
}

/// The sample sends `delivery_method` (`text`|`voice`) as `message_type`; `sms` is
/// accepted too because people write it by hand.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum FlatDelivery {
    Text,
    Sms,
    Voice,
}

impl From<NotificationType> for Purpose {
    fn from(t: NotificationType) -> Purpose {
        match t {
            NotificationType::OtpVerify => Purpose::OtpVerify,
            NotificationType::OtpEnroll => Purpose::OtpEnroll,
            NotificationType::BlockedAccount => Purpose::BlockedAccount,
            NotificationType::ChangePassword => Purpose::ChangePassword,
            NotificationType::PasswordBreach => Purpose::PasswordBreach,
        }
    }
}

impl From<Purpose> for NotificationType {
    fn from(p: Purpose) -> NotificationType {
        match p {
            Purpose::OtpVerify => NotificationType::OtpVerify,
            Purpose::OtpEnroll => NotificationType::OtpEnroll,
            Purpose::BlockedAccount => NotificationType::BlockedAccount,
            Purpose::ChangePassword => NotificationType::ChangePassword,
            Purpose::PasswordBreach => NotificationType::PasswordBreach,
        }
    }
}

/// Parses any of the shapes into a message.
pub fn parse(mut raw: RawRequest) -> Result<NewMessage, ReceiveError> {
    let body: Body = decode_body(&raw.body)?;
    raw.body = crate::message::redact::event_secrets(&raw.body);
    if let Some(event) = body.event {
        let notification = event
            .notification
            .ok_or_else(|| ReceiveError::MissingField {
                field: "event.notification".into(),
            })?;
        let context = (event.tenant, event.client, event.user);
        return from_notification(notification, context, "event", raw);
    }
    if let Some(notification) = body.notification {
        return from_notification(notification, (body.tenant, body.client, body.user), "", raw);
    }
    from_flat(body, raw)
}

fn from_flat(body: Body, raw: RawRequest) -> Result<NewMessage, ReceiveError> {
    let recipient = phone("recipient", &non_empty("recipient", body.recipient)?)?;
    let text = non_empty("text", body.text)?;
    let action = super::action("action", body.action)?;
    let channel = match body.message_type {
        Some(FlatDelivery::Voice) => Channel::Voice,
        Some(FlatDelivery::Text | FlatDelivery::Sms) | None => Channel::Sms,
    };
    Ok(NewMessage {
        tenant: DEFAULT_TENANT.to_owned(),
        channel,
        source: Source::Auth0CustomPhoneProvider,
        recipient,
        sender: body.from.filter(|f| !f.is_empty()),
        text,
        code: body.code,
        purpose: action.as_ref().map(|(_, p)| *p),
        action: action.map(|(a, _)| a),
        locale: body.language,
        user_id: None,
        client_id: None,
        provider_message_id: None,
        provider_account: None,
        attributes: None,
        error: None,
        raw,
    })
}

fn from_notification(
    n: Notification,
    (tenant, client, user): (Tenant, Client, User),
    prefix: &str,
    raw: RawRequest,
) -> Result<NewMessage, ReceiveError> {
    let field = |name: &str| join_path(prefix, &format!("notification.{name}"));
    let recipient = phone(&field("recipient"), &n.recipient)?;
    // Each delivery method reads its own rendering; the other may be absent.
    let (channel, text) = match n.delivery_method {
        DeliveryMethod::Text => (Channel::Sms, non_empty(&field("as_text"), n.as_text)?),
        DeliveryMethod::Voice => (Channel::Voice, non_empty(&field("as_voice"), n.as_voice)?),
    };
    let purpose = Purpose::from(n.message_type);
    Ok(NewMessage {
        tenant: tenant.id.unwrap_or_else(|| DEFAULT_TENANT.to_owned()),
        channel,
        source: Source::Auth0CustomPhoneProvider,
        recipient,
        sender: n.from.filter(|f| !f.is_empty()),
        text,
        code: n.code,
        action: Some(purpose.as_str().to_owned()),
        purpose: Some(purpose),
        locale: n.locale,
        user_id: user.user_id,
        client_id: client.client_id,
        provider_message_id: None,
        provider_account: None,
        attributes: None,
        error: None,
        raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str) -> RawRequest {
        RawRequest {
            body: json.as_bytes().to_vec(),
            ..RawRequest::default()
        }
    }

    #[test]
    fn flat_sample_body_with_typo_action_is_an_otp_verify() {
        let m = parse(body(
            r#"{"action":"second-factor-authenticator","language":"en_US","recipient":"+15555550100","message_type":"text","text":"123456 is your code","code":"123456"}"#,
        ))
        .expect("parses");
        assert_eq!(m.purpose, Some(Purpose::OtpVerify));
        assert_eq!(m.action.as_deref(), Some("second-factor-authenticator"));
        assert_eq!(m.channel, Channel::Sms);
        assert_eq!(m.locale.as_deref(), Some("en_US"));
    }

    #[test]
    fn wrapped_event_reads_voice_rendering() {
        let m = parse(body(
            r#"{"event":{"notification":{"message_type":"otp_enroll","delivery_method":"voice","recipient":"+447700900000","as_text":"t","as_voice":"Your code is 1. 2. 3. 4","code":"1234"},"tenant":{"id":"acme"},"user":{"user_id":"auth0|1"},"client":{"client_id":"c1","name":"App","metadata":{}}}}"#,
        ))
        .expect("parses");
        assert_eq!(m.channel, Channel::Voice);
        assert_eq!(m.text, "Your code is 1. 2. 3. 4");
        assert_eq!(m.tenant, "acme");
        assert_eq!(m.user_id.as_deref(), Some("auth0|1"));
    }

    #[test]
    fn errors_name_the_field_path() {
        let e = parse(body(
            r#"{"notification":{"message_type":"otp_fax","delivery_method":"text","recipient":"+15555550100","as_text":"x"}}"#,
        ))
        .expect_err("unknown type");
        assert_eq!(e.field(), Some("notification.message_type"));
        let e = parse(body(
            r#"{"event":{"notification":{"delivery_method":"text"}}}"#,
        ))
        .expect_err("missing");
        assert_eq!(e.field(), Some("event.notification.message_type"));
        let e = parse(body(r#"{"recipient":12,"text":"x"}"#)).expect_err("type");
        assert_eq!(e.field(), Some("recipient"));
    }
}
