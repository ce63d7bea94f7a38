//! Esendex REST API: `POST /v1.0/messagedispatcher`, HTTP Basic, an XML body
//! `<messages><accountreference/><message><to/><body/><type>SMS|Voice</type></message></messages>`
//! or the same as JSON `{"accountreference", "messages": [{"to", "body"}]}`.

use quick_xml::events::Event as XmlEvent;
use quick_xml::Reader;
use serde::Deserialize;

use super::{account, guid, json_body, recipient, ProviderError};
use crate::capture::provider::Provider;
use crate::message::{Channel, NewMessage, RawRequest, Source};

const P: Provider = Provider::Esendex;

#[derive(Deserialize, Default)]
struct Dispatch {
    accountreference: Option<String>,
    from: Option<String>,
    messages: Vec<Message>,
}

#[derive(Deserialize, Default, Clone)]
struct Message {
    to: Option<String>,
    body: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    from: Option<String>,
}

/// A parsed dispatch: its messages and whether the caller speaks XML (so the answer does).
pub struct Parsed {
    pub messages: Vec<NewMessage>,
    pub xml: bool,
}

fn bad_request(xml: bool, message: String) -> ProviderError {
    ProviderError {
        xml,
        ..ProviderError::new(P, 400, "bad_request", message)
    }
}

pub fn parse(raw: RawRequest, username: Option<String>) -> Result<Parsed, ProviderError> {
    let xml = !crate::receivers::is_json(&raw);
    account(P, username).map_err(|e| ProviderError { xml, ..e })?;
    let dispatch = if xml {
        read_xml(&raw.body).map_err(|why| bad_request(true, why))?
    } else {
        json_body::<Dispatch>(&raw, |why| bad_request(false, why))?
    };
    let reference = dispatch
        .accountreference
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| {
            bad_request(xml, "accountreference is required".into()).on("accountreference")
        })?;
    if dispatch.messages.is_empty() {
        return Err(bad_request(xml, "at least one message is required".into()).on("messages"));
    }
    let mut out = Vec::with_capacity(dispatch.messages.len());
    for (i, m) in dispatch.messages.into_iter().enumerate() {
        let field = |name: &str| format!("messages[{i}].{name}");
        let to = m.to.ok_or_else(|| {
            bad_request(xml, format!("{} is required", field("to"))).on(&field("to"))
        })?;
        let to = recipient(&field("to"), &to, |why| bad_request(xml, why))?;
        let body = m.body.filter(|b| !b.trim().is_empty()).ok_or_else(|| {
            bad_request(xml, format!("{} is required", field("body"))).on(&field("body"))
        })?;
        let channel = match m.kind.as_deref().unwrap_or("SMS") {
            "SMS" => Channel::Sms,
            "Voice" => Channel::Voice,
            other => {
                return Err(bad_request(
                    xml,
                    format!("{}: '{other}' is not SMS or Voice", field("type")),
                )
                .on(&field("type")))
            }
        };
        out.push(NewMessage {
            raw: raw.clone(),
            ..super::super::provider_message(
                Source::EsendexMessages,
                channel,
                to,
                m.from.or_else(|| dispatch.from.clone()),
                body,
                guid(),
                Some(reference.clone()),
            )
        });
    }
    Ok(Parsed { messages: out, xml })
}

/// Reads the XML form: text of `messages/accountreference`, `messages/from` and
/// each `messages/message/*`.
fn read_xml(body: &[u8]) -> Result<Dispatch, String> {
    let mut reader = Reader::from_reader(body);
    let mut path: Vec<String> = Vec::new();
    let mut dispatch = Dispatch::default();
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(XmlEvent::Start(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if path == ["messages"] && name == "message" {
                    dispatch.messages.push(Message::default());
                }
                path.push(name);
            }
            Ok(XmlEvent::End(_)) => {
                path.pop();
            }
            Ok(XmlEvent::Text(t)) => {
                let text = t.decode().map_err(|e| format!("invalid XML: {e}"))?;
                let text = quick_xml::escape::unescape(&text)
                    .map_err(|e| format!("invalid XML: {e}"))?
                    .into_owned();
                append(&mut dispatch, &path, &text);
            }
            Ok(XmlEvent::GeneralRef(r)) => {
                let text =
                    crate::xml::xml_reference(&r).map_err(|e| format!("invalid XML: {e}"))?;
                append(&mut dispatch, &path, &text);
            }
            Ok(XmlEvent::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(format!(
                    "invalid XML at byte {}: {e}",
                    reader.buffer_position()
                ))
            }
        }
        buf.clear();
    }
    if path.is_empty() && dispatch.accountreference.is_none() && dispatch.messages.is_empty() {
        return Err("the body is not a <messages> document".into());
    }
    Ok(dispatch)
}

fn append(dispatch: &mut Dispatch, path: &[String], text: &str) {
    let slot = match path {
        [root, field] if root == "messages" && field == "accountreference" => {
            &mut dispatch.accountreference
        }
        [root, field] if root == "messages" && field == "from" => &mut dispatch.from,
        [root, message, field] if root == "messages" && message == "message" => {
            let Some(m) = dispatch.messages.last_mut() else {
                return;
            };
            match field.as_str() {
                "to" => &mut m.to,
                "body" => &mut m.body,
                "type" => &mut m.kind,
                "from" => &mut m.from,
                _ => return,
            }
        }
        _ => return,
    };
    slot.get_or_insert_with(String::new).push_str(text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_dispatch_is_read_with_entities() {
        let body = br#"<?xml version="1.0" encoding="utf-8"?>
<messages><accountreference>EX0000000</accountreference>
<message><to>447700900123</to><body>Code 1234 &amp; more &#8364;</body></message>
<message><to>447700900124</to><body>Your code is 5. 6. 7. 8.</body><type>Voice</type></message>
</messages>"#;
        let d = read_xml(body).expect("parses");
        assert_eq!(d.accountreference.as_deref(), Some("EX0000000"));
        assert_eq!(d.messages.len(), 2);
        assert_eq!(d.messages[0].body.as_deref(), Some("Code 1234 & more €"));
        assert_eq!(d.messages[1].kind.as_deref(), Some("Voice"));
    }

    #[test]
    fn broken_xml_is_an_error() {
        assert!(read_xml(b"<messages><message>").is_ok_and(|d| d.messages.len() == 1));
        assert!(read_xml(b"<messages></oops>").is_err());
        assert!(read_xml(b"not xml").is_err());
    }
}
