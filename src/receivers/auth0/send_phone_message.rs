//! `POST /capture/auth0/send-phone-message`: a `send-phone-message` Action's event.
//!
//! Accepts the whole `event` (bare or as `{"event": ...}`) or just its
//! `message_options`. The trigger has no language field of its own: it is
//! `event.request.language`.

use serde::Deserialize;

use super::event::{
    Client, MessageOptions, Request, SendPhoneMessageEvent, SmsOrVoice, Tenant, User,
};
use crate::message::{NewMessage, RawRequest, Source};
use crate::receivers::{decode_body, join_path, non_empty, phone, ReceiveError, DEFAULT_TENANT};

/// Any of the accepted shapes, so that one parse reads them all: `{"event": ...}`,
/// a bare event, or bare `message_options`.
#[derive(Debug, Deserialize)]
struct Body {
    event: Option<SendPhoneMessageEvent>,
    message_options: Option<MessageOptions>,
    #[serde(default)]
    request: Request,
    #[serde(default)]
    tenant: Tenant,
    #[serde(default)]
    client: Client,
    #[serde(default)]
    user: User,
    // Bare `message_options`.
    action: Option<String>,
    code: Option<String>,
    message_type: Option<SmsOrVoice>,
    recipient: Option<String>,
    text: Option<String>,
}

/// Parses the event or its `message_options` into a message.
pub fn parse(mut raw: RawRequest) -> Result<NewMessage, ReceiveError> {
    let body: Body = decode_body(&raw.body)?;
    raw.body = crate::message::redact::event_secrets(&raw.body);
    let (options, prefix, event) = if let Some(event) = body.event {
        let options = event
            .message_options
            .ok_or_else(|| ReceiveError::MissingField {
                field: "event.message_options".into(),
            })?;
        let context = (event.request, event.tenant, event.client, event.user);
        (options, "event.message_options", context)
    } else if let Some(options) = body.message_options {
        let context = (body.request, body.tenant, body.client, body.user);
        (options, "message_options", context)
    } else {
        let options = MessageOptions {
            action: non_empty("action", body.action)?,
            code: non_empty("code", body.code)?,
            message_type: body
                .message_type
                .ok_or_else(|| ReceiveError::MissingField {
                    field: "message_type".into(),
                })?,
            recipient: non_empty("recipient", body.recipient)?,
            text: non_empty("text", body.text)?,
        };
        let context = (body.request, body.tenant, body.client, body.user);
        (options, "", context)
    };
    let (request, tenant, client, user) = event;
    let field = |name: &str| join_path(prefix, name);
    let recipient = phone(&field("recipient"), &options.recipient)?;
    let text = non_empty(&field("text"), Some(options.text))?;
    let action = super::action(&field("action"), Some(options.action))?;
    Ok(NewMessage {
        tenant: tenant.id.unwrap_or_else(|| DEFAULT_TENANT.to_owned()),
        channel: options.message_type.into(),
        source: Source::Auth0SendPhoneMessage,
        recipient,
        sender: None,
        text,
        code: Some(options.code),
        purpose: action.as_ref().map(|(_, p)| *p),
        action: action.map(|(a, _)| a),
        locale: request.language,
        user_id: user.user_id,
        client_id: client.client_id,
        provider_message_id: None,
        provider_account: None,
        attributes: None,
        error: None,
        raw,
    })
}
