//! One request to another server, built before it is sent: so the same value is
//! what a dry run shows (secrets masked), what an attempt records, and what goes
//! on the wire. Every secret the request carries is listed in it, so showing it can
//! never forget one.

use serde::{Deserialize, Serialize};

/// A request ready to send. `Debug` shows it as `shown` does, masked.
#[derive(Clone)]
pub struct Outgoing {
    pub method: reqwest::Method,
    pub url: url::Url,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Values that must never be shown: credentials, signatures, and each one's
    /// form-urlencoded and percent-encoded spellings are masked too.
    secrets: Vec<String>,
}

/// A request as it may be shown: secrets masked, body as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ShownRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// What the other server answered.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// `Retry-After` in seconds, when it was a number of seconds.
    pub retry_after: Option<u64>,
    pub body: bytes::Bytes,
}

/// The masked stand-in for a secret: its length is not given away either.
pub const MASK: &str = "••••";

/// Bodies longer than this are cut when shown (they are sent whole).
const SHOWN_BODY: usize = 4096;

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.shown().fmt(f)
    }
}

impl Outgoing {
    pub fn new(method: reqwest::Method, url: url::Url) -> Outgoing {
        Outgoing {
            method,
            url,
            headers: Vec::new(),
            body: Vec::new(),
            secrets: Vec::new(),
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Outgoing {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// A header whose whole value is secret (an `Authorization`).
    pub fn secret_header(self, name: &str, value: impl Into<String>) -> Outgoing {
        let value = value.into();
        self.secret(&value).header(name, value)
    }

    /// A form body, `application/x-www-form-urlencoded`.
    pub fn form(mut self, pairs: &[(&str, &str)]) -> Outgoing {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        self.body = body.into_bytes();
        self.header("content-type", "application/x-www-form-urlencoded")
    }

    /// A JSON body.
    pub fn json(mut self, body: Vec<u8>) -> Outgoing {
        self.body = body;
        self.header("content-type", "application/json")
    }

    /// Marks `value` as secret wherever it appears when shown. Empty values are
    /// ignored (masking "" would mask between every character).
    pub fn secret(mut self, value: &str) -> Outgoing {
        if !value.is_empty() {
            self.secrets.push(value.to_owned());
        }
        self
    }

    /// The request with every secret masked, as a dry run shows it and an attempt
    /// records it.
    pub fn shown(&self) -> ShownRequest {
        // Masked before it is cut, so a cut cannot split a secret past the mask.
        let body = self.mask(&String::from_utf8_lossy(&self.body));
        let body = if body.len() > SHOWN_BODY {
            let mut end = SHOWN_BODY;
            while !body.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}… ({} bytes)", &body[..end], self.body.len())
        } else {
            body
        };
        ShownRequest {
            method: self.method.to_string(),
            url: self.mask(self.url.as_str()),
            headers: self
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), self.mask(v)))
                .collect(),
            body,
        }
    }

    /// `text` with every spelling of every secret replaced by the mask; longest
    /// first, so a secret containing another is masked whole.
    pub(crate) fn mask(&self, text: &str) -> String {
        let mut spellings: Vec<String> = self
            .secrets
            .iter()
            .flat_map(|s| {
                let form: String = form_urlencoded::byte_serialize(s.as_bytes()).collect();
                let percent = form.replace('+', "%20");
                [s.clone(), form, percent]
            })
            .collect();
        spellings.sort_by_key(|s| std::cmp::Reverse(s.len()));
        spellings.dedup();
        let mut out = text.to_owned();
        for s in &spellings {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), MASK);
            }
        }
        out
    }
}

/// `base` with `segments` appended to its path, each percent-encoded: a base's own
/// path (`https://proxy/twilio`) is kept, and a segment (an account sid holding `/`
/// or `?`) cannot change the path. A base that cannot take a path (`data:`) is
/// returned as is, and sending to it fails. Shared by the provider builders.
pub(crate) fn endpoint(base: &url::Url, segments: &[&str]) -> url::Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// The start of an answer's body as one line of text, for a `why`: enough to tell
/// a proxy's error page from the provider's, never a whole page.
pub(crate) fn short_body(body: &[u8]) -> String {
    const LIMIT: usize = 200;
    let text = String::from_utf8_lossy(body);
    let mut line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.len() > LIMIT {
        let mut end = LIMIT;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
        line.push('…');
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_masks_every_spelling_of_a_secret() {
        let url = url::Url::parse("https://api.example.com/send?key=p%40ss%20word").expect("url");
        let shown = Outgoing::new(reqwest::Method::POST, url)
            .secret_header("authorization", "Basic QUM6c2VjcmV0")
            .secret("p@ss word")
            .form(&[("api_secret", "p@ss word"), ("text", "hello")])
            .shown();
        let all = format!("{shown:?}");
        assert!(!all.contains("QUM6c2VjcmV0"), "{all}");
        assert!(!all.contains("p@ss"), "{all}");
        assert!(!all.contains("p%40ss"), "{all}");
        assert_eq!(shown.body, format!("api_secret={MASK}&text=hello"));
        assert_eq!(
            shown.url,
            format!("https://api.example.com/send?key={MASK}")
        );
        assert_eq!(shown.headers[0], ("authorization".into(), MASK.into()));
    }

    #[test]
    fn a_long_body_is_cut_on_a_character_boundary() {
        let url = url::Url::parse("https://x.test/").expect("url");
        let text = "é".repeat(5000);
        let shown = Outgoing::new(reqwest::Method::POST, url)
            .json(text.into_bytes())
            .shown();
        assert!(
            shown.body.ends_with("(10000 bytes)"),
            "{}",
            &shown.body[..20]
        );
    }

    #[test]
    fn a_short_body_is_one_line_cut_on_a_character_boundary() {
        assert_eq!(short_body(b"a\n  b\tc"), "a b c");
        let long = "é".repeat(300);
        let short = short_body(long.as_bytes());
        assert!(short.ends_with('…') && short.len() <= 203, "{short}");
    }
}
