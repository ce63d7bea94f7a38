//! ClickSend v3: `POST /v3/sms/send`, HTTP Basic (`username:api_key`), a JSON body
//! `{"messages": [{"to", "body", "source"?, "from"?, "custom_string"?}]}`.

use serde::Deserialize;
use serde_json::json;

use super::{account, guid, json_body, recipient, ProviderError};
use crate::capture::provider::Provider;
use crate::message::{Channel, NewMessage, RawRequest, Source};

const P: Provider = Provider::Clicksend;

#[derive(Deserialize)]
struct Send {
    messages: Vec<Message>,
}

#[derive(Deserialize)]
struct Message {
    to: Option<String>,
    body: String,
    source: Option<String>,
    from: Option<String>,
    custom_string: Option<String>,
    list_id: Option<u64>,
}

fn bad_request(message: String) -> ProviderError {
    ProviderError::new(P, 400, "BAD_REQUEST", message)
}

/// One message per entry; `username` is the Basic auth user.
pub fn parse(raw: RawRequest, username: Option<String>) -> Result<Vec<NewMessage>, ProviderError> {
    let username = account(P, username)?;
    let send: Send = json_body(&raw, bad_request)?;
    if send.messages.is_empty() {
        return Err(bad_request("`messages` must hold at least one message".into()).on("messages"));
    }
    let mut out = Vec::with_capacity(send.messages.len());
    for (i, m) in send.messages.into_iter().enumerate() {
        let field = format!("messages[{i}].to");
        let to = match (m.to, m.list_id) {
            (Some(to), _) => to,
            (None, Some(_)) => {
                return Err(bad_request(
                    "Phonebox keeps no contact lists: send `to` instead of `list_id`".into(),
                )
                .on(&field))
            }
            (None, None) => return Err(bad_request(format!("`{field}` is required")).on(&field)),
        };
        if m.body.trim().is_empty() {
            let field = format!("messages[{i}].body");
            return Err(bad_request(format!("`{field}` must not be empty")).on(&field));
        }
        let to = recipient(&field, &to, |why| {
            ProviderError::new(P, 400, "INVALID_RECIPIENT", why)
        })?;
        out.push(NewMessage {
            attributes: Some(json!({ "source": m.source, "custom_string": m.custom_string })),
            raw: raw.clone(),
            ..super::super::provider_message(
                Source::ClicksendSms,
                Channel::Sms,
                to,
                m.from,
                m.body,
                guid(),
                Some(username.clone()),
            )
        });
    }
    Ok(out)
}
