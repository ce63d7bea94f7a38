//! MessageBird (Bird): `POST /messages`, `Authorization: AccessKey <key>`, a JSON
//! (or form) body `{"originator", "recipients": [31612345678], "body"}`. Errors are
//! 422 `{"errors": [{"code", "description", "parameter"}]}`.

use serde_json::Value;

use super::{account, ProviderError};
use crate::capture::provider::Provider;
use crate::message::phone::PhoneNumber;
use crate::message::{Channel, NewMessage, RawRequest, Source};
use crate::receivers::fields::Fields;

const P: Provider = Provider::Messagebird;

fn missing(parameter: &str) -> ProviderError {
    let description = match parameter {
        "recipients" => "no (correct) recipients found".to_owned(),
        _ => format!("{parameter} is required"),
    };
    ProviderError::new(P, 422, "9", description).on(parameter)
}

fn invalid(parameter: &str, why: &str) -> ProviderError {
    ProviderError::new(P, 422, "10", format!("{parameter} is invalid: {why}")).on(parameter)
}

/// The recipients as written: a JSON array of numbers or strings, or a
/// comma-separated list.
fn recipients(raw: &RawRequest) -> Result<(Vec<String>, Fields), ProviderError> {
    let (fields, _) = Fields::parse(raw).map_err(|why| invalid("body", &why))?;
    let listed = if crate::receivers::is_json(raw) {
        let value: Value =
            serde_json::from_slice(&raw.body).map_err(|e| invalid("body", &e.to_string()))?;
        match value.get("recipients") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) => Ok(n.to_string()),
                    _ => Err(invalid("recipients", "each recipient is a number")),
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(Value::String(s)) => s.split(',').map(|r| r.trim().to_owned()).collect(),
            Some(Value::Number(n)) => vec![n.to_string()],
            _ => Vec::new(),
        }
    } else {
        fields
            .get("recipients")
            .map(|s| s.split(',').map(|r| r.trim().to_owned()).collect())
            .unwrap_or_default()
    };
    Ok((
        listed.into_iter().filter(|r| !r.is_empty()).collect(),
        fields,
    ))
}

/// One message per recipient; `key` is a hint of the access key.
pub fn parse(raw: RawRequest, key: Option<String>) -> Result<Vec<NewMessage>, ProviderError> {
    let key = account(P, key)?;
    let (listed, fields) = recipients(&raw)?;
    let originator = fields
        .get("originator")
        .ok_or_else(|| missing("originator"))?;
    let numeric = originator
        .trim_start_matches('+')
        .bytes()
        .all(|b| b.is_ascii_digit());
    if !numeric && originator.chars().count() > 11 {
        return Err(invalid(
            "originator",
            "an alphanumeric originator is at most 11 characters",
        ));
    }
    let body = fields.get("body").ok_or_else(|| missing("body"))?;
    if listed.is_empty() {
        return Err(missing("recipients"));
    }
    let id = crate::random::uuid().simple().to_string();
    listed
        .iter()
        .map(|r| {
            let to = PhoneNumber::parse(r).map_err(|_| missing("recipients"))?;
            Ok(NewMessage {
                raw: raw.clone(),
                ..super::super::provider_message(
                    Source::MessagebirdMessages,
                    Channel::Sms,
                    to,
                    Some(originator.to_owned()),
                    body.to_owned(),
                    id.clone(),
                    Some(key.clone()),
                )
            })
        })
        .collect()
}
