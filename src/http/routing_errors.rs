//! Answers the router makes itself (unknown path, wrong method, bad path or
//! query), reshaped into the error shape of the API the path belongs to. Above
//! every API's module (it calls each one's `routing_error`), so `error` stays
//! below them.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// Which emulated API a path belongs to, so an answer the router made itself comes
/// in that API's own error shape.
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
        // A tenant's own routes: `/t/{tenant}/oauth/token`...
        let tenant_path = path
            .strip_prefix("/t/")
            .and_then(|rest| rest.find('/').map(|slash| &rest[slash..]));
        let own = tenant_path.unwrap_or(path);
        // No allocation: this runs on every request.
        let under = |prefix: &str| {
            own.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        if under("/api/v2") {
            Api::Management
        } else if under("/oauth")
            || under("/mfa")
            || under("/passwordless")
            || under("/.well-known")
            || tenant_path.is_some()
        {
            Api::Auth0
        } else if under("/2010-04-01") || under("/v2/Services") {
            Api::Twilio
        } else if path == "/"
            && method != axum::http::Method::GET
            && method != axum::http::Method::HEAD
        {
            // GET / is the inbox UI; anything else on `/` is the SNS query API.
            Api::Sns
        } else if path == "/sms/json" {
            Api::Vonage
        } else if let Some(provider) = super::marketplace::provider_of(path) {
            Api::Marketplace(provider)
        } else {
            Api::Phonebox
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
