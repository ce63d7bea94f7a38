//! `POST /capture/auth0/hook`: the legacy Send Phone Message Hook's parameters.
//!
//! A Hook is called as `(recipient, text, context, cb)`; posted here as
//! `{"recipient", "text", "context"}`. The answer carries a `MessageID`, as the Hook
//! runner's sample response does.

use super::event::HookCall;
use crate::message::{Channel, NewMessage, RawRequest, Source};
use crate::receivers::{decode_body, non_empty, phone, ReceiveError, DEFAULT_TENANT};

/// Parses a Hook call; the message gets a fresh `MessageID`.
pub fn parse(mut raw: RawRequest) -> Result<NewMessage, ReceiveError> {
    let call: HookCall = decode_body(&raw.body)?;
    raw.body = crate::message::redact::event_secrets(&raw.body);
    let recipient = phone("recipient", &non_empty("recipient", call.recipient)?)?;
    let text = non_empty("text", call.text)?;
    let ctx = call.context;
    let action = super::action("context.action", ctx.action)?;
    Ok(NewMessage {
        tenant: DEFAULT_TENANT.to_owned(),
        channel: ctx.message_type.map(Channel::from).unwrap_or(Channel::Sms),
        source: Source::Auth0Hook,
        recipient,
        sender: None,
        text,
        code: ctx.code,
        purpose: action.as_ref().map(|(_, p)| *p),
        action: action.map(|(a, _)| a),
        locale: ctx.language,
        user_id: ctx.user.user_id,
        // The nested `context.client`, else the guides' flat `context.client_id`.
        client_id: ctx.client.client_id.or(ctx.client_id),
        provider_message_id: Some(crate::random::ordered_uuid().to_string()),
        provider_account: None,
        attributes: None,
        error: None,
        raw,
    })
}
