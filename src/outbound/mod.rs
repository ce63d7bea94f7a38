//! The one place Phonebox calls other servers: one HTTP client, built once with
//! timeouts and no redirects, shared by the emulated tenant's delivery and the
//! Twilio status callbacks (and, later, forwarding). Provider clients sit beside it.
//!
//! Error texts never carry a URL: one may hold credentials.

pub mod twilio;
pub mod webhook;

use std::time::Duration;

/// Cheap to clone; every clone shares one connection pool.
#[derive(Debug, Clone)]
pub struct Outbound {
    http: reqwest::Client,
}

impl Default for Outbound {
    fn default() -> Outbound {
        Outbound::new()
    }
}

impl Outbound {
    pub fn new() -> Outbound {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Outbound { http }
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
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

/// A reqwest error's text without the URL.
pub(crate) fn without_url(e: reqwest::Error) -> String {
    e.without_url().to_string()
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
