//! One module per wire format: each turns a request body into a `NewMessage`.
//!
//! Receivers know nothing of storage, HTTP or the UI; they parse, validate and say
//! precisely what is wrong and where (a JSON path such as `context.client.name`).

pub mod auth0;
mod fields;
pub mod marketplace;
#[cfg(test)]
mod properties;
pub mod sns;
pub mod twilio;
pub mod vonage;

use std::collections::HashMap;

use serde::de::DeserializeOwned;

use crate::message::phone::{PhoneError, PhoneNumber};
use crate::message::{Channel, NewMessage, RawRequest, Source};

pub use crate::message::DEFAULT_TENANT;

/// Why a body is not a message this receiver accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiveError {
    #[error("body is not valid JSON: {message} (line {line}, column {column})")]
    InvalidJson {
        message: String,
        line: usize,
        column: usize,
    },
    #[error("`{field}`: {message}")]
    InvalidField { field: String, message: String },
    #[error("`{field}` is required")]
    MissingField { field: String },
    #[error("`{field}`: {source}")]
    InvalidPhone { field: String, source: PhoneError },
    #[error("`{field}` must not be empty")]
    Empty { field: String },
    #[error("`{field}`: unknown value '{value}', expected one of {expected}")]
    UnknownValue {
        field: String,
        value: String,
        expected: String,
    },
}

impl ReceiveError {
    /// The JSON path of the offending field, if the error is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            ReceiveError::InvalidJson { .. } => None,
            ReceiveError::InvalidField { field, .. }
            | ReceiveError::MissingField { field }
            | ReceiveError::InvalidPhone { field, .. }
            | ReceiveError::Empty { field }
            | ReceiveError::UnknownValue { field, .. } => Some(field),
        }
    }

    /// A stable machine-readable name for the kind of error.
    pub fn kind(&self) -> &'static str {
        match self {
            ReceiveError::InvalidJson { .. } => "invalid_json",
            ReceiveError::InvalidField { .. } => "invalid_field",
            ReceiveError::MissingField { .. } => "missing_field",
            ReceiveError::InvalidPhone { .. } => "invalid_phone_number",
            ReceiveError::Empty { .. } => "empty_field",
            ReceiveError::UnknownValue { .. } => "unknown_value",
        }
    }
}

/// Deserializes a JSON body into `T`, naming the failing field by its JSON path.
///
/// The common, valid body goes through serde_json alone; only a failing one is read
/// again with path tracking, which costs an allocation per key.
pub(crate) fn decode_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ReceiveError> {
    // serde reads a struct from an array too (`["+1555", "hi"]`); only objects are bodies.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
                Err(e) => invalid_json(&e),
                Ok(_) => ReceiveError::InvalidField {
                    field: "(body)".into(),
                    message: "the body must be a JSON object".into(),
                },
            },
        );
    }
    let error = match serde_json::from_slice::<T>(body) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    if !matches!(error.classify(), serde_json::error::Category::Data) {
        return Err(invalid_json(&error));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let Err(e) = serde_path_to_error::deserialize::<_, T>(&mut de) else {
        // Cannot happen (the same input failed above); say what serde said.
        return Err(ReceiveError::InvalidField {
            field: "(body)".into(),
            message: strip_position(&error.to_string()),
        });
    };
    let path = e.path().to_string();
    let message = strip_position(&e.inner().to_string());
    let field = if path == "." { String::new() } else { path };
    // serde reports a missing field at its parent; name the field itself.
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        return Err(ReceiveError::MissingField {
            field: join_path(&field, name),
        });
    }
    let field = if field.is_empty() {
        "(body)".into()
    } else {
        field
    };
    Err(ReceiveError::InvalidField { field, message })
}

fn invalid_json(e: &serde_json::Error) -> ReceiveError {
    ReceiveError::InvalidJson {
        message: strip_position(&e.to_string()),
        line: e.line(),
        column: e.column(),
    }
}

/// `a` + `.` + `b`, either side possibly empty.
pub(crate) fn join_path(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (_, true) => a.to_owned(),
        _ => format!("{a}.{b}"),
    }
}

/// A required phone number field.
pub(crate) fn phone(field: &str, value: &str) -> Result<PhoneNumber, ReceiveError> {
    PhoneNumber::parse(value).map_err(|source| ReceiveError::InvalidPhone {
        field: field.to_owned(),
        source,
    })
}

/// A required field present with a non-blank value.
pub(crate) fn non_empty(field: &str, value: Option<String>) -> Result<String, ReceiveError> {
    match value {
        None => Err(ReceiveError::MissingField {
            field: field.to_owned(),
        }),
        Some(v) if v.trim().is_empty() => Err(ReceiveError::Empty {
            field: field.to_owned(),
        }),
        Some(v) => Ok(v),
    }
}

/// A message sent through a provider's API: what it carries, who sent it and the id
/// the provider answered with; the request is attached by the caller.
pub(crate) fn provider_message(
    source: Source,
    channel: Channel,
    recipient: PhoneNumber,
    sender: Option<String>,
    text: String,
    provider_message_id: String,
    provider_account: Option<String>,
) -> NewMessage {
    NewMessage {
        tenant: DEFAULT_TENANT.to_owned(),
        channel,
        source,
        recipient,
        sender,
        text,
        code: None,
        action: None,
        purpose: None,
        locale: None,
        user_id: None,
        client_id: None,
        provider_message_id: Some(provider_message_id),
        provider_account,
        attributes: None,
        error: None,
        raw: RawRequest::default(),
    }
}

/// Whether the body's declared media type is `essence` (parameters such as charset ignored).
pub(crate) fn has_media_type(raw: &RawRequest, essence: &str) -> bool {
    raw.content_type.as_deref().is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|e| e.trim().eq_ignore_ascii_case(essence))
    })
}

/// Whether the body is `application/x-www-form-urlencoded`.
pub(crate) fn is_form(raw: &RawRequest) -> bool {
    has_media_type(raw, "application/x-www-form-urlencoded")
}

/// Whether the body is JSON (`application/json` or a `+json` type).
pub(crate) fn is_json(raw: &RawRequest) -> bool {
    raw.content_type.as_deref().is_some_and(|ct| {
        let essence = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        essence == "application/json" || essence.ends_with("+json")
    })
}

/// A form body's fields; for a repeated name the last value wins, as in most servers.
pub(crate) fn form_fields(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// serde_json appends " at line L column C"; we report those separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}
