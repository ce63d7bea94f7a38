//! Keeping a local server local (after gitbutler's `localhost_only_middleware`).
//!
//! - `Host` must be a loopback name or address, or one the user allowed: a web page
//!   whose DNS name is rebound to 127.0.0.1 still sends its own name, and is refused.
//! - `Origin`, when a browser sends one, must be a loopback origin (the UI itself, a
//!   developer's app on another localhost port) or the Tauri webview: a page on the
//!   web cannot post captures, delete messages or read the API through a user's browser.
//!
//! Requests without these headers (curl, SDKs, Auth0 Actions run locally) pass.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// The Tauri webview's origin on Linux and macOS.
const TAURI_ORIGINS: [&str; 1] = ["tauri://localhost"];

/// Which names this server answers to.
#[derive(Debug, Clone)]
pub struct HostGuard {
    extra: Vec<String>,
}

impl HostGuard {
    /// Loopback names, the listen address itself when it is a specific one, and `extra`.
    pub fn new(listen: IpAddr, extra: &[String]) -> HostGuard {
        let mut extra: Vec<String> = extra
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        if !listen.is_unspecified() {
            extra.push(listen.to_string());
        }
        HostGuard { extra }
    }

    /// Whether a host name (no port) is ours.
    pub fn allows_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if host == "localhost" || host.ends_with(".localhost") {
            return true;
        }
        if let Ok(ip) = bare.parse::<IpAddr>() {
            if ip.is_loopback() {
                return true;
            }
        }
        self.extra.iter().any(|h| h == &host || h == bare)
    }

    /// Whether a browser `Origin` may talk to us.
    pub fn allows_origin(&self, origin: &str) -> bool {
        if TAURI_ORIGINS.contains(&origin) {
            return true;
        }
        let Some((scheme, rest)) = origin.split_once("://") else {
            return false; // includes the opaque origin "null"
        };
        if !matches!(scheme, "http" | "https") {
            return false;
        }
        self.allows_host(strip_port(rest))
    }
}

/// `host:port` → `host`, keeping IPv6 brackets. Anything after the brackets but
/// a `:port` is kept, so `[::1]/t/acme` is no allowed host (a Host header names
/// tenants and issuers: it must be a bare authority).
fn strip_port(authority: &str) -> &str {
    if authority.starts_with('[') {
        return match authority.find(']') {
            Some(end) => {
                let rest = &authority[end + 1..];
                let port_only = rest.is_empty()
                    || rest
                        .strip_prefix(':')
                        .is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
                if port_only {
                    &authority[..=end]
                } else {
                    authority
                }
            }
            None => authority,
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => authority,
    }
}

/// Refuses foreign `Host` and `Origin` headers with 403 JSON.
pub async fn local_only(
    State(guard): State<Arc<HostGuard>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    if let Some(host) = headers.get(header::HOST) {
        let host = host.to_str().unwrap_or("");
        if !guard.allows_host(strip_port(host)) {
            return ApiError::Forbidden(format!(
                "Host '{host}' is not a loopback name; add it with --allow-host if it is yours"
            ))
            .into_response();
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !guard.allows_origin(origin) {
            return ApiError::Forbidden(format!(
                "requests from the web page at origin '{origin}' are refused"
            ))
            .into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> HostGuard {
        HostGuard::new("127.0.0.1".parse().expect("ip"), &["phonebox.test".into()])
    }

    #[test]
    fn loopback_hosts_pass_and_others_fail() {
        let g = guard();
        for ok in [
            "localhost",
            "127.0.0.1",
            "127.8.9.1",
            "[::1]",
            "app.localhost",
            "phonebox.test",
        ] {
            assert!(g.allows_host(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "localhost.evil.example",
            "10.0.0.1",
            "[::2]",
            "",
        ] {
            assert!(!g.allows_host(bad), "{bad}");
        }
    }

    #[test]
    fn ports_are_ignored() {
        assert_eq!(strip_port("localhost:7676"), "localhost");
        assert_eq!(strip_port("[::1]:7676"), "[::1]");
        assert_eq!(strip_port("example.com"), "example.com");
        // Whatever follows the brackets but a port keeps the host foreign.
        assert_eq!(strip_port("[::1]/t/acme"), "[::1]/t/acme");
        assert_eq!(strip_port("[::1]:"), "[::1]:");
    }

    #[test]
    fn origins() {
        let g = guard();
        assert!(g.allows_origin("http://127.0.0.1:7676"));
        assert!(g.allows_origin("http://localhost:3000"));
        assert!(g.allows_origin("tauri://localhost"));
        assert!(!g.allows_origin("https://evil.example"));
        assert!(!g.allows_origin("null"));
        assert!(!g.allows_origin("file://"));
    }
}
