//! Flat request parameters from a form or a JSON object body, for providers whose
//! APIs take either (Vonage) or whose fields are all scalars.

use std::collections::HashMap;

use serde_json::Value;

use crate::message::RawRequest;

/// The body's top-level scalar fields as text; `None` when the body is neither a form
/// nor a JSON object.
pub struct Fields(HashMap<String, String>);

/// How a body was written, so a redacted copy can be written the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Form,
    Json,
}

impl Fields {
    /// Reads a form body, or a JSON object body; what else it is, is the error.
    pub fn parse(raw: &RawRequest) -> Result<(Fields, BodyKind), String> {
        if super::is_form(raw) {
            return Ok((Fields(super::form_fields(&raw.body)), BodyKind::Form));
        }
        if super::is_json(raw) {
            let value: Value = serde_json::from_slice(&raw.body)
                .map_err(|e| format!("the body is not valid JSON: {e}"))?;
            let Value::Object(map) = value else {
                return Err("the JSON body must be an object".into());
            };
            let fields = map
                .into_iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k, s)),
                    Value::Number(n) => Some((k, n.to_string())),
                    Value::Bool(b) => Some((k, b.to_string())),
                    _ => None,
                })
                .collect();
            return Ok((Fields(fields), BodyKind::Json));
        }
        Err(format!(
            "Content-Type {} is not application/x-www-form-urlencoded or application/json",
            raw.content_type.as_deref().unwrap_or("(none)")
        ))
    }

    /// A field, if present and not blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

/// The body with the named fields' values replaced, so no secret reaches the store.
pub fn redact(body: &[u8], kind: BodyKind, secrets: &[&str]) -> Vec<u8> {
    const MARK: &str = "[redacted]";
    match kind {
        BodyKind::Form => {
            let mut out = form_urlencoded::Serializer::new(String::new());
            for (k, v) in form_urlencoded::parse(body) {
                let v = if secrets.contains(&k.as_ref()) {
                    MARK.into()
                } else {
                    v
                };
                out.append_pair(&k, &v);
            }
            out.finish().into_bytes()
        }
        BodyKind::Json => match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(mut map)) => {
                for name in secrets {
                    if let Some(v) = map.get_mut(*name) {
                        *v = Value::String(MARK.into());
                    }
                }
                Value::Object(map).to_string().into_bytes()
            }
            _ => body.to_vec(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_replaced_in_forms_and_json() {
        let form = redact(
            b"api_key=k1&api_secret=s3cr3t&text=hi",
            BodyKind::Form,
            &["api_secret"],
        );
        assert_eq!(
            String::from_utf8(form).expect("utf-8"),
            "api_key=k1&api_secret=%5Bredacted%5D&text=hi"
        );
        let json = redact(
            br#"{"api_secret":"s3cr3t","text":"hi"}"#,
            BodyKind::Json,
            &["api_secret"],
        );
        assert!(!String::from_utf8(json).expect("utf-8").contains("s3cr3t"));
    }
}
