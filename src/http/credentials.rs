//! Who a provider request says it is. Identifiers (account SIDs, API key names,
//! user names) are recorded; keys only as `redact::authorization` shows them.

use axum::http::{header, HeaderMap};
use base64::Engine;

/// The user name of HTTP Basic auth (`AccountSid`, ClickSend user, Telesign customer id).
pub fn basic_user(headers: &HeaderMap) -> Option<String> {
    let encoded = authorization(headers)?.strip_prefix("Basic ")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let pair = String::from_utf8(bytes).ok()?;
    let (user, _secret) = pair.split_once(':')?;
    Some(user.to_owned()).filter(|u| !u.is_empty())
}

pub fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}
