//! The one place errors become responses.
//!
//! Phonebox's own endpoints answer `{"error": kind, "message": text, "field": path?}`;
//! emulated provider APIs will map into their own shapes here too. 5xx are logged and
//! never leak details.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::body::BodyError;
use crate::pipeline::CaptureError;
use crate::receivers::twilio::TwilioError;
use crate::receivers::ReceiveError;
use crate::store::StoreError;

/// Everything an HTTP handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Receive(#[from] ReceiveError),
    #[error("content type `{0}` cannot carry a JSON body: send `content-type: application/json`")]
    UnsupportedMediaType(String),
    #[error("request body is larger than the {0}-byte limit (--body-limit)")]
    PayloadTooLarge(usize),
    #[error("could not read the request body: {0}")]
    UnreadableBody(String),
    #[error("`{field}`: {message}")]
    BadParameter { field: String, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    NoMessage(String),
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::Receive(_) | ApiError::UnreadableBody(_) | ApiError::BadParameter { .. } => {
                StatusCode::BAD_REQUEST
            }
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotFound(_) | ApiError::NoMessage(_) => StatusCode::NOT_FOUND,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Capture(CaptureError::Stopped) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Capture(_) | ApiError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            ApiError::Receive(e) => e.kind(),
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnreadableBody(_) => "unreadable_body",
            ApiError::BadParameter { .. } => "invalid_parameter",
            ApiError::NotFound(_) => "not_found",
            ApiError::NoMessage(_) => "no_message",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Capture(CaptureError::Stopped) => "shutting_down",
            ApiError::Capture(_) | ApiError::Store(_) => "internal_error",
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            ApiError::Receive(e) => e.field(),
            ApiError::BadParameter { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "request failed");
            "internal error; see the server log".to_owned()
        } else {
            self.to_string()
        };
        let body = ErrorBody {
            error: self.kind(),
            message,
            field: self.field(),
        };
        (status, Json(body)).into_response()
    }
}

/// Turns any error answer that is not JSON (axum's own: unknown route, wrong method,
/// bad path) into the JSON shape, so a client never has to parse plain text.
pub async fn json_errors(request: Request, next: Next) -> Response {
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
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text
    };
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

impl From<BodyError> for TwilioError {
    fn from(e: BodyError) -> TwilioError {
        match e {
            BodyError::TooLarge(limit) => TwilioError::new(
                20413,
                413,
                format!("Request body is larger than Phonebox's {limit}-byte limit"),
            ),
            BodyError::Unreadable(why) => TwilioError::new(20001, 400, why),
        }
    }
}

impl From<CaptureError> for TwilioError {
    fn from(e: CaptureError) -> TwilioError {
        tracing::error!(error = %e, "Twilio capture failed");
        TwilioError::new(20500, 500, "An internal server error has occurred")
    }
}

impl From<StoreError> for TwilioError {
    fn from(e: StoreError) -> TwilioError {
        tracing::error!(error = %e, "Twilio request failed");
        TwilioError::new(20500, 500, "An internal server error has occurred")
    }
}

/// Twilio's error body: `{"code", "message", "more_info", "status"}`.
impl IntoResponse for TwilioError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let body = serde_json::json!({
            "code": self.code,
            "message": self.message,
            "more_info": self.more_info(),
            "status": self.status,
        });
        (status, Json(body)).into_response()
    }
}
