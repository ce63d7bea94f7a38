//! Infobip: `POST /sms/2/text/advanced`, `Authorization: App <key>`, a JSON body
//! `{"bulkId"?, "messages": [{"from"?, "destinations": [{"to", "messageId"?}], "text"}]}`.

use serde::Deserialize;
use serde_json::json;

use super::{account, json_body, recipient, ProviderError};
use crate::capture::provider::Provider;
use crate::message::{Channel, NewMessage, RawRequest, Source};

const P: Provider = Provider::Infobip;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Send {
    bulk_id: Option<String>,
    messages: Vec<Message>,
}

#[derive(Deserialize)]
struct Message {
    from: Option<String>,
    destinations: Vec<Destination>,
    text: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Destination {
    to: String,
    message_id: Option<String>,
}

fn bad_request(message: String) -> ProviderError {
    ProviderError::new(P, 400, "BAD_REQUEST", message)
}

/// The messages of a request (one per destination) and its bulk id.
pub fn parse(
    raw: RawRequest,
    key: Option<String>,
) -> Result<(String, Vec<NewMessage>), ProviderError> {
    let key = account(P, key)?;
    let send: Send = json_body(&raw, bad_request)?;
    if send.messages.is_empty() {
        return Err(bad_request("messages: must not be empty".into()).on("messages"));
    }
    let bulk_id = send
        .bulk_id
        .unwrap_or_else(|| crate::random::uuid().simple().to_string());
    let mut out = Vec::new();
    for (i, m) in send.messages.into_iter().enumerate() {
        if m.destinations.is_empty() {
            let field = format!("messages[{i}].destinations");
            return Err(bad_request(format!("{field}: must not be empty")).on(&field));
        }
        if m.text.trim().is_empty() {
            let field = format!("messages[{i}].text");
            return Err(bad_request(format!("{field}: must not be blank")).on(&field));
        }
        for (j, d) in m.destinations.into_iter().enumerate() {
            let field = format!("messages[{i}].destinations[{j}].to");
            let to = recipient(&field, &d.to, bad_request)?;
            let id = d
                .message_id
                .unwrap_or_else(|| crate::random::uuid().simple().to_string());
            out.push(NewMessage {
                attributes: Some(json!({ "bulkId": bulk_id })),
                raw: raw.clone(),
                ..super::super::provider_message(
                    Source::InfobipSms,
                    Channel::Sms,
                    to,
                    m.from.clone(),
                    m.text.clone(),
                    id,
                    Some(key.clone()),
                )
            });
        }
    }
    Ok((bulk_id, out))
}
