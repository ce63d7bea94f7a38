//! Keeping secrets out of what we store and show.
//!
//! Request headers are stored for the inspector; credentials in them are cut down to
//! what identifies them to a person (the scheme and the last four characters). The
//! secrets an Auth0 Action or Hook carries in its event are masked the same way.

use serde_json::Value;

/// Words that make a header a credential wherever they appear in its name
/// (`x-goog-api-key`, `apikey`, `x-access-token`, `x-client-secret`,
/// `x-twilio-signature`, `x-hub-sig`, `x-auth-token`, `x-db-passwd`,
/// `x-session-id`, `x-jwt-assertion`, `cookie`...): a rule, not a list, so a
/// provider's own header name is covered before anyone thinks of it. A harmless
/// header it catches loses only its middle characters.
const SECRET_WORDS: [&str; 11] = [
    "key",
    "token",
    "secret",
    "sig",
    "auth",
    "pass",
    "pwd",
    "cookie",
    "session",
    "credential",
    "jwt",
];

/// Headers of the form `Scheme credentials`.
const AUTH_HEADERS: [&str; 2] = ["authorization", "proxy-authorization"];

/// Whether a header (or field) by this lower-case name holds a credential.
pub fn is_secret_name(name: &str) -> bool {
    SECRET_WORDS.iter().any(|w| name.contains(w))
}

/// Below this length even the last four characters say too much.
const MIN_LEN_TO_SHOW_TAIL: usize = 12;

/// Copies headers for storage, redacting credentials. Names are lowercased.
pub fn headers<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Vec<(String, String)> {
    pairs
        .into_iter()
        .map(|(name, value)| {
            let name = name.to_ascii_lowercase();
            let value = String::from_utf8_lossy(value);
            let value = if AUTH_HEADERS.contains(&name.as_str()) {
                authorization(&value)
            } else if is_secret_name(&name) {
                tail(value.trim())
            } else {
                value.into_owned()
            };
            (name, value)
        })
        .collect()
}

/// `Bearer abcdefghijklmnop` → `Bearer …mnop`.
pub fn authorization(value: &str) -> String {
    let value = value.trim();
    match value.split_once(' ') {
        Some((scheme, credentials)) => format!("{scheme} {}", tail(credentials.trim())),
        None => tail(value),
    }
}

/// Where Auth0 puts secrets in the events it sends custom code: an Action's
/// `secrets` and `configuration`, a Hook's `context.webtask.secrets`. Masked
/// under those names at any depth, however the event is wrapped.
const EVENT_SECRET_KEYS: [&str; 2] = ["secrets", "configuration"];

/// A JSON body with the values under its secret-bearing fields masked (keys kept,
/// each value cut to its last four characters), ready to store; the body as it
/// was when it holds none. Only a body that could hold one (it names one of those
/// fields with something in it, or escapes a character, as `"secr\u0065ts"` does)
/// is re-read, so ordinary captures pay a substring search: Auth0's events always
/// carry `"secrets": {}` and `"configuration": {}`, empty unless the Action has some.
pub fn event_secrets(body: &[u8]) -> Vec<u8> {
    let has = |word: &[u8]| body.windows(word.len()).any(|w| w == word);
    if !holds_any(body, b"\"secrets\"") && !holds_any(body, b"\"configuration\"") && !has(b"\\u") {
        return body.to_vec();
    }
    let Ok(mut value) = serde_json::from_slice::<Value>(body) else {
        return body.to_vec();
    };
    if !mask_secret_fields(&mut value) {
        return body.to_vec();
    }
    serde_json::to_vec(&value).unwrap_or_else(|_| body.to_vec())
}

/// Whether some `"key"` in `body` is followed by anything but an empty object or
/// `null` (a key spelled in a string's text is followed by no colon: ignored).
fn holds_any(body: &[u8], key: &[u8]) -> bool {
    let skip_ws = |mut i: usize| {
        while body.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        i
    };
    let mut from = 0;
    while let Some(at) = body[from..].windows(key.len()).position(|w| w == key) {
        let after = skip_ws(from + at + key.len());
        from = from + at + key.len();
        if body.get(after) != Some(&b':') {
            continue;
        }
        let value = skip_ws(after + 1);
        let empty = match body.get(value) {
            Some(b'{') => body.get(skip_ws(value + 1)) == Some(&b'}'),
            Some(b'n') => body[value..].starts_with(b"null"),
            _ => false,
        };
        if !empty {
            return true;
        }
    }
    false
}

/// Masks what sits under a secret-bearing key anywhere in `v` (serde_json caps
/// nesting at 128, so this recursion is bounded); whether anything was.
fn mask_secret_fields(v: &mut Value) -> bool {
    match v {
        Value::Object(map) => {
            let mut masked = false;
            for (key, value) in map.iter_mut() {
                if EVENT_SECRET_KEYS.contains(&key.as_str()) {
                    mask_values(value);
                    masked = true;
                } else {
                    masked |= mask_secret_fields(value);
                }
            }
            masked
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |masked, item| mask_secret_fields(item) | masked),
        _ => false,
    }
}

/// Masks every value inside `v`, keeping object keys and array shapes.
fn mask_values(v: &mut Value) {
    match v {
        Value::Object(map) => map.values_mut().for_each(mask_values),
        Value::Array(items) => items.iter_mut().for_each(mask_values),
        Value::String(s) => *s = tail(s),
        Value::Null => {}
        other => *other = Value::String("[redacted]".into()),
    }
}

fn tail(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < MIN_LEN_TO_SHOW_TAIL {
        return "[redacted]".to_owned();
    }
    let last: String = chars[chars.len() - 4..].iter().collect();
    format!("…{last}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_keeps_scheme_and_last_four() {
        assert_eq!(authorization("Bearer s3cr3t-token-ABCD"), "Bearer …ABCD");
        assert_eq!(authorization("Basic QUMxMjM6c2VjcmV0"), "Basic …cmV0");
    }

    #[test]
    fn short_credentials_are_hidden_entirely() {
        assert_eq!(authorization("Bearer abc"), "Bearer [redacted]");
        assert_eq!(authorization("tok"), "[redacted]");
    }

    #[test]
    fn any_header_named_like_a_credential_is_redacted() {
        for name in [
            "x-goog-api-key",
            "apikey",
            "x-access-token",
            "x-client-secret",
            "X-Twilio-Signature",
            "x-mitto-api-key",
            "set-cookie",
            "x-db-password",
            "x-hub-sig",
            "x-db-pwd",
            "x-session-id",
            "x-amzn-oidc-jwt",
            "x-user-credential",
        ] {
            let out = headers([(name, "0123456789abcdef".as_bytes())]);
            assert_eq!(out[0].1, "…cdef", "{name}");
        }
        for name in ["content-type", "user-agent", "x-request-id", "keep-alive"] {
            assert_eq!(
                headers([(name, b"plain".as_slice())])[0].1,
                "plain",
                "{name}"
            );
        }
    }

    #[test]
    fn event_secrets_keep_their_keys_and_lose_their_values() {
        let body = br#"{"event":{"secrets":{"AWS_SECRET_ACCESS_KEY":"wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY","PIN":1234},"configuration":{"nested":{"url":"https://user:pw@hooks.example/x"}},"notification":{"recipient":"+15555550100"}},"context":{"webtask":{"secrets":{"TOKEN":"tok-0123456789"}}}}"#;
        let out = String::from_utf8(event_secrets(body)).expect("utf-8");
        for secret in [
            "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLE",
            "1234",
            "user:pw",
            "tok-0123456789",
        ] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        for kept in [
            "AWS_SECRET_ACCESS_KEY",
            "…EKEY",
            "nested",
            "+15555550100",
            "…6789",
        ] {
            assert!(out.contains(kept), "{kept} missing from {out}");
        }
        let plain = br#"{"recipient":"+15555550100","text":"hi"}"#;
        assert_eq!(event_secrets(plain), plain.to_vec());
        // Auth0's usual empty ones leave the body as it came, byte for byte.
        let empty = br#"{"message_options":{"text":"hi"}, "secrets" : { }, "configuration":null, "text2":"the \"secrets\": x"}"#;
        assert_eq!(event_secrets(empty), empty.to_vec());
        assert!(!holds_any(empty, b"\"secrets\""));
        assert!(holds_any(br#"{"secrets": {"A": "b"}}"#, b"\"secrets\""));
        assert!(holds_any(br#"{"a": {}, "secrets":"x"}"#, b"\"secrets\""));
        // Spelled with an escape, or wrapped under another key: still masked.
        let sneaky = br#"{"secr\u0065ts":{"K":"sneaky-secret-value"},"payload":{"event":{"configuration":{"U":"wrapped-secret-value"}}}}"#;
        let out = String::from_utf8(event_secrets(sneaky)).expect("utf-8");
        assert!(!out.contains("sneaky-secret"), "{out}");
        assert!(!out.contains("wrapped-secret"), "{out}");
    }

    #[test]
    fn secret_headers_are_redacted_and_others_kept() {
        let out = headers([
            ("Authorization", "Bearer 0123456789abcdef".as_bytes()),
            ("Cookie", b"session=0123456789abcdef".as_slice()),
            ("Content-Type", b"application/json".as_slice()),
        ]);
        assert_eq!(out[0], ("authorization".into(), "Bearer …cdef".into()));
        assert_eq!(out[1], ("cookie".into(), "…cdef".into()));
        assert_eq!(out[2], ("content-type".into(), "application/json".into()));
        assert!(!format!("{out:?}").contains("0123456789"));
    }
}
