//! The one place Phonebox calls other servers: one HTTP client, built once with
//! timeouts, no redirects and TLS (rustls), shared by the emulated tenant's
//! delivery, the Twilio status callbacks and forwarding. Provider clients sit
//! beside it and build an `Outgoing` request that `send` sends.
//!
//! Trusted roots are Mozilla's (`webpki-roots`), the same on every machine and in
//! the desktop app whatever the OS store holds; `--extra-ca` adds one, which is how
//! a corporate proxy's CA or a test's own CA is trusted. Certificate errors are
//! reported, never ignored.
//!
//! Error texts never carry a URL: one may hold credentials.

pub mod request;
pub mod sns;
pub mod twilio;
pub mod verdict;
pub mod vonage;
pub mod webhook;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub(crate) use request::{endpoint, short_body};
pub use request::{Answer, Outgoing, ShownRequest};
pub use verdict::Verdict;

/// The default longest wait for a whole exchange with another server.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// Bodies read from another server are cut here: an answer is a few hundred bytes.
const ANSWER_LIMIT: usize = 64 * 1024;

/// How outbound calls are made.
#[derive(Debug, Clone)]
pub struct OutboundOptions {
    /// PEM files of extra roots to trust besides Mozilla's.
    pub extra_ca: Vec<PathBuf>,
    /// Longest a whole exchange may take.
    pub timeout: Duration,
}

impl Default for OutboundOptions {
    fn default() -> OutboundOptions {
        OutboundOptions {
            extra_ca: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Why the outbound client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("cannot read the extra CA file {path}: {source}")]
    ReadCa {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the extra CA file {path} holds no PEM certificate: {detail}")]
    BadCa { path: PathBuf, detail: String },
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// Why a request got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// No answer within the timeout.
    Timeout(String),
    /// The other server's certificate is not trusted or does not match: retrying
    /// will not help.
    Certificate(String),
    /// Could not connect, or the connection broke.
    Transport(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Timeout(s) | SendError::Certificate(s) | SendError::Transport(s) => {
                f.write_str(s)
            }
        }
    }
}

impl SendError {
    /// The verdict of a request that got no answer.
    pub fn verdict(&self, provider: &str) -> Verdict {
        match self {
            SendError::Certificate(why) => Verdict::Refused {
                why: format!("{provider}: {why}"),
            },
            SendError::Timeout(why) | SendError::Transport(why) => Verdict::Retry {
                why: format!("{provider}: {why}"),
                after: None,
            },
        }
    }
}

/// Cheap to clone; every clone shares one connection pool.
#[derive(Debug, Clone)]
pub struct Outbound {
    http: reqwest::Client,
    timeout: Duration,
}

impl Default for Outbound {
    fn default() -> Outbound {
        Outbound::new()
    }
}

impl Outbound {
    /// A client with the default options (no extra CA).
    pub fn new() -> Outbound {
        // Without an extra CA the builder has nothing to fail on; were it to, the
        // fallback keeps the same limits (no redirects, the timeout).
        Outbound::with(&OutboundOptions::default()).unwrap_or_else(|_| Outbound {
            http: reqwest::Client::builder()
                .timeout(DEFAULT_TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// A client trusting Mozilla's roots and `options.extra_ca`.
    pub fn with(options: &OutboundOptions) -> Result<Outbound, OutboundError> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(options.timeout)
            .connect_timeout(options.timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .https_only(false);
        for path in &options.extra_ca {
            for cert in read_ca(path)? {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder
            .build()
            .map_err(|e| OutboundError::Client(e.to_string()))?;
        Ok(Outbound {
            http,
            timeout: options.timeout,
        })
    }

    /// The longest a whole exchange may take.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends `request`; the answer whatever its status (the provider reads it), or
    /// why there was none. The time taken is returned with either.
    pub async fn send(&self, request: &Outgoing) -> (Result<Answer, SendError>, Duration) {
        let started = Instant::now();
        let mut builder = self
            .http
            .request(request.method.clone(), request.url.clone())
            .body(request.body.clone());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let result = async {
            let response = builder.send().await.map_err(send_error)?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let body = read_limited(response).await.map_err(send_error)?;
            Ok(Answer {
                status,
                retry_after,
                body,
            })
        }
        .await;
        (result, started.elapsed())
    }

    /// Posts a form; `Err` says why it did not arrive (never with the URL).
    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Result<(), String> {
        self.http
            .post(url)
            .form(form)
            .send()
            .await
            .map(drop)
            .map_err(without_url)
    }
}

/// Whether `url` is `http(s)://` to this machine: only then is Phonebox's own link
/// header sent with a request (a second Phonebox reads it; a real provider has no
/// use for it), and only such URLs get Twilio status callbacks.
pub fn is_loopback(url: &str) -> bool {
    let Ok(url) = url::Url::parse(url) else {
        return false;
    };
    if !matches!(url.scheme(), "http" | "https") {
        return false;
    }
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A reqwest error's text without the URL, with its causes: reqwest's own text
/// ("error sending request") says nothing of why.
pub(crate) fn without_url(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Sorts a transport failure: an untrusted certificate is named as such, with
/// what to do about it.
fn send_error(e: reqwest::Error) -> SendError {
    let timed_out = e.is_timeout();
    let text = without_url(e);
    if timed_out {
        SendError::Timeout(format!("no answer in time ({text})"))
    } else if text.contains("certificate") || text.contains("UnknownIssuer") {
        SendError::Certificate(format!(
            "the server's TLS certificate was refused ({text}); if it is signed by your \
             own CA, trust that CA with --extra-ca"
        ))
    } else {
        SendError::Transport(text)
    }
}

/// The body, cut at `ANSWER_LIMIT`.
async fn read_limited(mut response: reqwest::Response) -> Result<bytes::Bytes, reqwest::Error> {
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await? {
        let room = ANSWER_LIMIT - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= ANSWER_LIMIT {
            break;
        }
    }
    Ok(body.freeze())
}

/// The certificates in a PEM file.
fn read_ca(path: &Path) -> Result<Vec<reqwest::Certificate>, OutboundError> {
    let pem = std::fs::read(path).map_err(|source| OutboundError::ReadCa {
        path: path.to_owned(),
        source,
    })?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| OutboundError::BadCa {
        path: path.to_owned(),
        detail: e.to_string(),
    })?;
    if certs.is_empty() {
        return Err(OutboundError::BadCa {
            path: path.to_owned(),
            detail: "no BEGIN CERTIFICATE block".into(),
        });
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn only_loopback_http_urls_are_called() {
        assert!(is_loopback("http://127.0.0.1:9000/status"));
        assert!(is_loopback("http://localhost/x"));
        assert!(is_loopback("http://[::1]:80/"));
        assert!(!is_loopback("https://example.com/status"));
        assert!(!is_loopback("http://10.0.0.1/"));
        assert!(!is_loopback("file:///etc/passwd"));
        assert!(!is_loopback("not a url"));
    }
}
