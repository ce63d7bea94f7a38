//! The tenant's custom routes: the legacy `phone-message-hook` (the send-phone-message
//! event or the Hook's parameters) and the Unified Phone `custom` provider (the
//! custom-phone-provider event), each built as its one typed wire struct.

use std::collections::BTreeMap;

use super::{Delivery, Outcome, Outgoing};
use crate::auth0::templates::Purpose;
use crate::auth0::tenant::CustomFormat;
use crate::message::SendProvider;
use crate::message::{Channel, NewMessage, RawRequest};
use crate::receivers::auth0 as receiver;
use crate::receivers::auth0::event::{
    Client, CustomPhoneProviderEvent, DeliveryMethod, HookCall, HookClient, HookContext, HookUser,
    MessageOptions, Notification, NotificationType, Request, SendPhoneMessageEvent, Tenant, User,
};
use crate::receivers::ReceiveError;
use crate::unix_ms::rfc3339_ms;

/// Which of the three events a custom route posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    SendPhoneMessage,
    Hook,
    CustomPhoneProvider,
}

impl From<CustomFormat> for Shape {
    fn from(format: CustomFormat) -> Shape {
        match format {
            CustomFormat::SendPhoneMessage => Shape::SendPhoneMessage,
            CustomFormat::Hook => Shape::Hook,
        }
    }
}

impl Shape {
    /// This Phonebox's capture endpoint for the shape: the default target.
    fn own_path(self) -> &'static str {
        match self {
            Shape::SendPhoneMessage => "/capture/auth0/send-phone-message",
            Shape::Hook => "/capture/auth0/hook",
            Shape::CustomPhoneProvider => "/capture/auth0/custom-phone-provider",
        }
    }

    /// The shape a path on this Phonebox receives, if it is a capture endpoint.
    fn at(path: &str) -> Option<Shape> {
        [
            Shape::SendPhoneMessage,
            Shape::Hook,
            Shape::CustomPhoneProvider,
        ]
        .into_iter()
        .find(|shape| shape.own_path() == path)
    }

    fn parse(self, raw: RawRequest) -> Result<NewMessage, ReceiveError> {
        match self {
            Shape::SendPhoneMessage => receiver::send_phone_message::parse(raw),
            Shape::Hook => receiver::hook::parse(raw),
            Shape::CustomPhoneProvider => receiver::custom_phone_provider::parse(raw),
        }
    }
}

impl Delivery {
    pub(super) async fn custom(&self, out: &Outgoing<'_>, shape: Shape) -> Outcome {
        // The user's own Action or Hook for this trigger, when they configured one.
        let trigger = crate::actions::Trigger::of_shape(shape);
        match self.action_for(&out.tenant.id, trigger).await {
            Ok(Some(action)) => return self.run_action(out, &action, 1, None).await,
            Ok(None) => {}
            Err(e) => {
                return Outcome::failed(
                    SendProvider::Custom,
                    format!("could not read the tenant's Action: {e}"),
                )
            }
        }
        let body = match shape {
            Shape::SendPhoneMessage => serde_json::to_vec(&send_phone_message_event(out)),
            Shape::Hook => serde_json::to_vec(&hook_call(out)),
            Shape::CustomPhoneProvider => serde_json::to_vec(&custom_phone_provider_event(out)),
        };
        let body = match body {
            Ok(body) => body,
            Err(e) => {
                return Outcome::failed(
                    SendProvider::Custom,
                    format!("could not write the event: {e}"),
                )
            }
        };
        let link = out.link(SendProvider::Custom);
        let url = out.tenant.settings.custom.url.as_deref();
        // A URL naming one of this Phonebox's capture endpoints is served here.
        let here = match url {
            None => Some(shape),
            Some(url) => self.own_path(url).as_deref().and_then(Shape::at),
        };
        if let Some(receiving) = here {
            let raw = RawRequest {
                content_type: Some("application/json".into()),
                headers: vec![("content-type".into(), "application/json".into())],
                body,
            };
            return match receiving.parse(raw) {
                Ok(message) => {
                    self.capture(SendProvider::Custom, message.linked(link))
                        .await
                }
                Err(e) => Outcome::failed(
                    SendProvider::Custom,
                    format!("the custom provider refused it: {e}"),
                ),
            };
        }
        let url = url.unwrap_or_default();
        match self.outbound.webhook(url, &body, &link).await {
            Ok(()) => Outcome::delivered(SendProvider::Custom, None),
            Err(why) => Outcome::failed(SendProvider::Custom, why),
        }
    }
}

fn client(out: &Outgoing<'_>) -> Client {
    Client {
        client_id: Some(out.client.client_id.clone()),
        name: Some(out.client.name.clone()),
        metadata: Some(BTreeMap::new()),
    }
}

/// A metadata object as stored (always a JSON object; anything else reads empty).
fn metadata(stored: &str) -> BTreeMap<String, serde_json::Value> {
    crate::store::users::metadata_object(stored)
        .into_iter()
        .collect()
}

fn user(out: &Outgoing<'_>) -> User {
    User {
        user_id: Some(out.user.user_id.clone()),
        email: out.user.email.clone(),
        email_verified: Some(out.user.email_verified),
        name: Some(display_name(out)),
        phone_number: out.user.phone_number.clone(),
        updated_at: Some(rfc3339_ms(out.user.updated_at)),
        created_at: Some(rfc3339_ms(out.user.created_at)),
        app_metadata: Some(metadata(&out.user.app_metadata)),
        user_metadata: Some(metadata(&out.user.user_metadata)),
    }
}

fn display_name(out: &Outgoing<'_>) -> String {
    out.user
        .name
        .clone()
        .unwrap_or_else(|| out.user.user_name().to_owned())
}

fn request(out: &Outgoing<'_>) -> Request {
    Request {
        ip: Some(out.ip.unwrap_or("127.0.0.1").to_owned()),
        method: Some("POST".into()),
        language: Some(out.locale.to_owned()),
        hostname: None,
        user_agent: out.user_agent.map(str::to_owned),
        geoip: Some(BTreeMap::new()),
    }
}

/// The `send-phone-message` Action event (payloads.md §1).
pub(super) fn send_phone_message_event(out: &Outgoing<'_>) -> SendPhoneMessageEvent {
    SendPhoneMessageEvent {
        message_options: Some(MessageOptions {
            action: out.action().to_owned(),
            code: out.code.to_owned(),
            message_type: out.channel.into(),
            recipient: out.recipient.as_str().to_owned(),
            text: out.text.clone(),
        }),
        request: request(out),
        client: client(out),
        tenant: Tenant {
            id: Some(out.tenant.id.clone()),
            friendly_name: None,
        },
        user: user(out),
        secrets: Some(BTreeMap::new()),
        configuration: Some(BTreeMap::new()),
    }
}

/// The `custom-phone-provider` Action event (payloads.md §2).
pub(super) fn custom_phone_provider_event(out: &Outgoing<'_>) -> CustomPhoneProviderEvent {
    // The template's `from` wins over the provider's `default_from`.
    let from =
        crate::auth0::templates::unified_from(&out.tenant.settings, out.purpose).or_else(|| {
            out.tenant
                .settings
                .branding_provider()
                .and_then(|p| p.configuration.get("default_from"))
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        });
    CustomPhoneProviderEvent {
        notification: Some(Notification {
            message_type: match out.purpose {
                Purpose::Enrollment => NotificationType::OtpEnroll,
                Purpose::Verification => NotificationType::OtpVerify,
            },
            delivery_method: match out.channel {
                Channel::Sms => DeliveryMethod::Text,
                Channel::Voice => DeliveryMethod::Voice,
            },
            recipient: out.recipient.as_str().to_owned(),
            as_text: Some(out.as_text.clone()),
            as_voice: Some(out.as_voice.clone()),
            code: Some(out.code.to_owned()),
            from,
            locale: Some(out.locale.to_owned()),
        }),
        request: request(out),
        client: client(out),
        tenant: Tenant {
            id: Some(out.tenant.id.clone()),
            friendly_name: Some(out.tenant.friendly_name.clone()),
        },
        user: user(out),
        secrets: Some(BTreeMap::new()),
        configuration: Some(BTreeMap::new()),
    }
}

/// The legacy Hook's parameters (payloads.md §3).
pub(super) fn hook_call(out: &Outgoing<'_>) -> HookCall {
    HookCall {
        recipient: Some(out.recipient.as_str().to_owned()),
        text: Some(out.text.clone()),
        context: HookContext {
            message_type: Some(out.channel.into()),
            action: Some(out.action().to_owned()),
            // The Twilio guide's flat fields: the second factor, the client.
            factor_type: Some("second".to_owned()),
            client_id: Some(out.client.client_id.clone()),
            name: Some(out.client.name.clone()),
            client_metadata: Some(BTreeMap::new()),
            language: Some(out.locale.to_owned()),
            code: Some(out.code.to_owned()),
            ip: Some(out.ip.unwrap_or("127.0.0.1").to_owned()),
            user_agent: out.user_agent.map(str::to_owned),
            client: HookClient {
                client_id: Some(out.client.client_id.clone()),
                name: Some(out.client.name.clone()),
                client_metadata: Some(BTreeMap::new()),
            },
            user: HookUser {
                user_id: Some(out.user.user_id.clone()),
                name: Some(display_name(out)),
                email: out.user.email.clone(),
                app_metadata: Some(metadata(&out.user.app_metadata)),
                user_metadata: Some(metadata(&out.user.user_metadata)),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::Shape;

    #[test]
    fn each_capture_path_names_its_own_shape() {
        for shape in [
            Shape::SendPhoneMessage,
            Shape::Hook,
            Shape::CustomPhoneProvider,
        ] {
            assert_eq!(Shape::at(shape.own_path()), Some(shape));
        }
        assert_eq!(Shape::at("/capture/auth0/other"), None);
        assert_eq!(Shape::at(""), None);
    }
}
