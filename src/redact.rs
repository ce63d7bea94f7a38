//! Keeping secrets out of what we store and show.
//!
//! Request headers are stored for the inspector; credentials in them are cut down to
//! what identifies them to a person (the scheme and the last four characters).

/// Headers whose whole value is a credential.
const SECRET_HEADERS: [&str; 7] = [
    "x-mitto-api-key",
    "cookie",
    "x-api-key",
    "x-auth-token",
    "x-amz-security-token",
    "api-key",
    "x-twilio-signature",
];

/// Headers of the form `Scheme credentials`.
const AUTH_HEADERS: [&str; 2] = ["authorization", "proxy-authorization"];

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
            } else if SECRET_HEADERS.contains(&name.as_str()) {
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
