//! `POST /capture/auth0/send-phone-message`: a `send-phone-message` Action's event.
//!
//! Accepts the whole `event` (bare or as `{"event": ...}`) or just its
//! `message_options`. The trigger has no language field of its own: it is
//! `event.request.language`.

use serde::Deserialize;
use serde_json::Value;

use super::auth0_shared::{self, Client, RequestInfo, SmsOrVoice, Tenant, User};
use super::{decode, join_path, non_empty, parse_object, phone, ReceiveError, DEFAULT_TENANT};
use crate::message::{NewMessage, RawRequest, Source};

#[derive(Debug, Deserialize)]
struct Event {
    message_options: MessageOptions,
    #[serde(default)]
    request: RequestInfo,
    #[serde(default)]
    tenant: Tenant,
    #[serde(default)]
    client: Client,
    #[serde(default)]
    user: User,
}

/// All five fields are required by Auth0's type definitions.
#[derive(Debug, Deserialize)]
struct MessageOptions {
    action: String,
    code: String,
    message_type: SmsOrVoice,
    recipient: String,
    text: String,
}

/// Parses the event or its `message_options` into a message.
pub fn parse(raw: RawRequest) -> Result<NewMessage, ReceiveError> {
    let mut object = parse_object(&raw.body)?;
    let (body, prefix) = match object.remove("event") {
        Some(event) => (event, "event"),
        None => (Value::Object(object), ""),
    };
    let has_options = body.get("message_options").is_some();
    let event: Event = if has_options {
        decode(body, prefix)?
    } else if prefix.is_empty() {
        Event {
            message_options: decode(body, "")?,
            request: RequestInfo::default(),
            tenant: Tenant::default(),
            client: Client::default(),
            user: User::default(),
        }
    } else {
        return Err(ReceiveError::MissingField {
            field: join_path(prefix, "message_options"),
        });
    };
    let options_prefix = if has_options {
        join_path(prefix, "message_options")
    } else {
        String::new()
    };
    let field = |name: &str| join_path(&options_prefix, name);
    let o = event.message_options;
    let recipient = phone(&field("recipient"), &o.recipient)?;
    let text = non_empty(&field("text"), Some(o.text))?;
    let action = auth0_shared::action(&field("action"), Some(o.action))?;
    Ok(NewMessage {
        tenant: event.tenant.id.unwrap_or_else(|| DEFAULT_TENANT.to_owned()),
        channel: o.message_type.into(),
        source: Source::Auth0SendPhoneMessage,
        recipient,
        sender: None,
        text,
        code: Some(o.code),
        purpose: action.as_ref().map(|(_, p)| *p),
        action: action.map(|(a, _)| a),
        locale: event.request.language,
        user_id: event.user.user_id,
        client_id: event.client.client_id,
        provider_message_id: None,
        raw,
    })
}
