//! Answers the router makes itself (unknown path, wrong method, bad path or
//! query), reshaped into the error shape of the API the path belongs to. Above
//! every API's module (it calls each one's `routing_error`), so `error` stays
//! below them.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// Where a path leads, read once for the two things that ask: the shape of an
/// answer the router made itself (`Api::of`) and the kind a request is timed and
/// counted as (`metrics::route_kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Place {
    /// Under a tenant's prefix, `/t/{tenant}/...` (`area` is of the rest).
    pub tenant: bool,
    pub area: Area,
}

/// A part of the server, by its path. A prefix holds the path itself and what is
/// below it (`/oauth` and `/oauth/token`, not `/oauthx`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Area {
    /// `/capture`: Auth0's Actions and Hooks posting their messages.
    Capture,
    /// `/emulator`: Phonebox's own API.
    Emulator,
    /// `/api/v2`: the Management API.
    Management,
    /// `/metrics`.
    Metrics,
    /// `/oauth`, `/mfa`, `/passwordless`, `/.well-known`: the Authentication API.
    Auth0,
    /// `/2010-04-01` and `/v2/Services`; `sends` for the resources a POST sends
    /// with (Messages, Calls, Verifications).
    Twilio {
        sends: bool,
    },
    /// `/sms/json`.
    Vonage,
    Marketplace(crate::capture::provider::Provider),
    /// `/_aws`: LocalStack's SNS inspection.
    Aws,
    /// `/`: the inbox, and the SNS query API for what is not a GET.
    Root,
    /// `/t/{tenant}` itself.
    TenantPage,
    /// `/ui`, `/docs`.
    Ui,
    Other,
}

/// Where `path` leads. No allocation: this runs on every request.
pub(crate) fn place(path: &str) -> Place {
    // A tenant's own routes: `/t/{tenant}/oauth/token`...
    let (tenant, own) = match path.strip_prefix("/t/") {
        Some(rest) => match rest.find('/') {
            Some(slash) => (true, &rest[slash..]),
            None => {
                return Place {
                    tenant: false,
                    area: Area::TenantPage,
                }
            }
        },
        None => (false, path),
    };
    let under = |prefix: &str| {
        own.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    let area = if under("/capture") {
        Area::Capture
    } else if under("/emulator") {
        Area::Emulator
    } else if under("/api/v2") {
        Area::Management
    } else if own == "/metrics" {
        Area::Metrics
    } else if ["/oauth", "/mfa", "/passwordless", "/.well-known"]
        .into_iter()
        .any(under)
    {
        Area::Auth0
    } else if under("/2010-04-01") {
        Area::Twilio {
            sends: own.ends_with("/Messages.json") || own.ends_with("/Calls.json"),
        }
    } else if under("/v2/Services") {
        Area::Twilio {
            sends: own.ends_with("/Verifications"),
        }
    } else if own == "/sms/json" {
        Area::Vonage
    } else if let Some(provider) = super::marketplace::provider_of(own) {
        Area::Marketplace(provider)
    } else if under("/_aws") {
        Area::Aws
    } else if own == "/" {
        Area::Root
    } else if under("/ui") || under("/docs") {
        Area::Ui
    } else {
        Area::Other
    };
    Place { tenant, area }
}

/// Which emulated API a path belongs to, so an answer the router made itself comes
/// in that API's own error shape.
#[derive(Debug, PartialEq, Eq)]
enum Api {
    Auth0,
    Management,
    Twilio,
    Sns,
    Vonage,
    Marketplace(crate::capture::provider::Provider),
    Phonebox,
}

impl Api {
    fn of(method: &axum::http::Method, path: &str) -> Api {
        let Place { tenant, area } = place(path);
        match area {
            Area::Management => Api::Management,
            // Under a tenant, only the Authentication and Management APIs are mounted.
            _ if tenant => Api::Auth0,
            Area::Auth0 => Api::Auth0,
            Area::Twilio { .. } => Api::Twilio,
            // GET / is the inbox UI; anything else on `/` is the SNS query API.
            Area::Root
                if method != axum::http::Method::GET && method != axum::http::Method::HEAD =>
            {
                Api::Sns
            }
            Area::Vonage => Api::Vonage,
            Area::Marketplace(provider) => Api::Marketplace(provider),
            _ => Api::Phonebox,
        }
    }
}

/// Turns any error answer that is not JSON or XML (axum's own: unknown route, wrong
/// method, bad path or query) into the shape of the API the path belongs to, so a
/// client never has to parse plain text, nor another API's shape.
pub async fn json_errors(request: Request, next: Next) -> Response {
    // Kept (cheaply: shared bytes) to classify the path only for an error answer.
    let (method, uri) = (request.method().clone(), request.uri().clone());
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json") || v.contains("xml") || v.contains("event-stream"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    // A server error's text is the server's business, never the client's.
    let message = if text.is_empty() || status.is_server_error() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text
    };
    let allow = parts.headers.get(header::ALLOW).cloned();
    let mut shaped = match Api::of(&method, uri.path()) {
        Api::Auth0 => super::auth0::routing_error(status, message),
        Api::Management => super::management::routing_error(status, message),
        Api::Twilio => super::twilio::routing_error(status, message),
        Api::Sns => super::sns::routing_error(status, message),
        Api::Vonage => super::vonage::routing_error(status, message),
        Api::Marketplace(provider) => super::marketplace::routing_error(provider, status, message),
        Api::Phonebox => return phonebox_shape(parts, status, message),
    };
    if let Some(allow) = allow {
        shaped.headers_mut().insert(header::ALLOW, allow);
    }
    shaped
}

/// An answer the router made itself, in Phonebox's own shape.
fn phonebox_shape(
    mut parts: axum::http::response::Parts,
    status: StatusCode,
    message: String,
) -> Response {
    let kind = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        s if s.is_server_error() => "internal_error",
        _ => "bad_request",
    };
    let body = serde_json::json!({ "error": kind, "message": message }).to_string();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::provider::Provider;
    use axum::http::Method;

    #[test]
    fn router_errors_take_the_shape_of_the_api_a_path_belongs_to() {
        let cases = [
            (Method::POST, "/oauth/token", Api::Auth0),
            (Method::GET, "/oauth", Api::Auth0),
            (Method::GET, "/oauthx", Api::Phonebox),
            (Method::POST, "/t/acme/oauth/token", Api::Auth0),
            (Method::GET, "/t/acme/no/such/thing", Api::Auth0),
            (Method::GET, "/t/acme/api/v2/users", Api::Management),
            (Method::GET, "/api/v2", Api::Management),
            (Method::GET, "/t/acme", Api::Phonebox),
            (
                Method::POST,
                "/2010-04-01/Accounts/AC1/Nope.json",
                Api::Twilio,
            ),
            (Method::GET, "/v2/Services/VA1", Api::Twilio),
            (Method::POST, "/", Api::Sns),
            (Method::GET, "/", Api::Phonebox),
            (Method::PUT, "/sms/json", Api::Vonage),
            (
                Method::GET,
                "/v3/sms/send",
                Api::Marketplace(Provider::Clicksend),
            ),
            (Method::GET, "/emulator/v1/nope", Api::Phonebox),
        ];
        for (method, path, api) in cases {
            assert_eq!(Api::of(&method, path), api, "{method} {path}");
        }
    }
}
