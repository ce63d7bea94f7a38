//! One module per wire format: each turns a request body into a `NewMessage`.
//!
//! Receivers know nothing of storage, HTTP or the UI; they parse, validate and say
//! precisely what is wrong and where (a JSON path such as `context.client.name`).

pub mod auth0_custom_provider;
pub mod auth0_hook;
pub mod auth0_send_phone_message;
mod auth0_shared;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::phone::{PhoneError, PhoneNumber};

/// The tenant a capture belongs to when the payload names none.
pub const DEFAULT_TENANT: &str = "default";

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

/// Parses a JSON object (any other JSON value is refused).
pub(crate) fn parse_object(body: &[u8]) -> Result<serde_json::Map<String, Value>, ReceiveError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| ReceiveError::InvalidJson {
        message: strip_position(&e.to_string()),
        line: e.line(),
        column: e.column(),
    })?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(ReceiveError::InvalidField {
            field: "(body)".into(),
            message: format!("expected a JSON object, found {}", json_kind(&other)),
        }),
    }
}

/// Deserializes `value` into `T`, naming the failing field by its path below `prefix`.
pub(crate) fn decode<T: DeserializeOwned>(value: Value, prefix: &str) -> Result<T, ReceiveError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let mut field = join_path(prefix, if path == "." { "" } else { &path });
        // serde reports a missing field at its parent; name the field itself.
        if let Some(name) = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'))
        {
            field = join_path(&field, name);
            return ReceiveError::MissingField { field };
        }
        if field.is_empty() {
            field = "(body)".into();
        }
        ReceiveError::InvalidField { field, message }
    })
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

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// serde_json appends " at line L column C"; we report those separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}
