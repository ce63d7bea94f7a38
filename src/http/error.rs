//! Phonebox's own error answer, `{"error": kind, "message": text, "field": path?}`,
//! and what every API's errors share: a server-side failure is logged once, where
//! it becomes a response (`log_failure`), and its cause never reaches the client.
//! Each emulated API's own shape lives beside that API's routes.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::capture::inbox::WaitError;
use crate::capture::pipeline::{AtCapacity, CaptureError};
use crate::receivers::ReceiveError;
use crate::store::StoreError;

/// Logs what Phonebox itself failed at while answering `api`, once: where the
/// error is turned into a response.
pub fn log_failure(api: &'static str, status: u16, cause: &str) {
    // A database that stops taking writes is the machine's state (a full disk),
    // already reported by the health check: a warning, not an error.
    if status == 503 {
        tracing::warn!(api, status, error = %cause, "request refused");
    } else {
        tracing::error!(api, status, error = %cause, "request failed");
    }
}

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
    /// The body did not arrive in time; the text says how long it was given.
    #[error("{0}")]
    BodyTimedOut(String),
    #[error("`{field}`: {message}")]
    BadParameter { field: String, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    NoMessage(String),
    /// No message came, and a send to the number failed meanwhile: the body says why.
    #[error("{0}")]
    NoMessageBecause(String, Box<SendFailure>),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    /// Too many at once (429).
    #[error("{0}")]
    TooMany(String),
    /// As many held waits or event streams as allowed are open (503).
    #[error(transparent)]
    AtCapacity(#[from] AtCapacity),
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<WaitError> for ApiError {
    fn from(e: WaitError) -> ApiError {
        match e {
            WaitError::Store(e) => ApiError::Store(e),
            WaitError::AtCapacity(e) => ApiError::AtCapacity(e),
        }
    }
}

/// Every `/emulator/v1` error: `error` is the kind (`invalid_parameter`,
/// `not_found`...), `field` the parameter or JSON path at fault, `failure` why no
/// code came (`latest` only).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub(crate) struct ErrorBody<'a> {
    #[schema(value_type = String)]
    error: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, nullable = false)]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<SendFailure>, nullable = false)]
    failure: Option<&'a SendFailure>,
}

/// Why no code came: the failed send, as Auth0 logged it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SendFailure {
    /// Auth0's log type (`gd_send_sms_failure`, `fn`...).
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
    /// When it was sent (RFC 3339, emulated clock).
    #[schema(format = DateTime)]
    pub date: String,
    pub tenant: String,
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::Receive(_) | ApiError::UnreadableBody(_) | ApiError::BadParameter { .. } => {
                StatusCode::BAD_REQUEST
            }
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BodyTimedOut(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::NotFound(_) | ApiError::NoMessage(_) | ApiError::NoMessageBecause(..) => {
                StatusCode::NOT_FOUND
            }
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::AtCapacity(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Capture(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(e) if e.is_unwritable() => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Capture(_) | ApiError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            ApiError::Receive(e) => e.kind(),
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnreadableBody(_) => "unreadable_body",
            ApiError::BodyTimedOut(_) => "request_timeout",
            ApiError::BadParameter { .. } => "invalid_parameter",
            ApiError::NotFound(_) => "not_found",
            ApiError::NoMessage(_) | ApiError::NoMessageBecause(..) => "no_message",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooMany(_) => "too_many_requests",
            ApiError::AtCapacity(e) => e.kind,
            ApiError::Capture(CaptureError::Stopped) => "shutting_down",
            ApiError::Capture(CaptureError::Paused) => "capture_paused",
            ApiError::Capture(CaptureError::ReadOnly) => "read_only",
            ApiError::Capture(e) if e.is_unavailable() => "database_unwritable",
            ApiError::Store(e) if e.is_unwritable() => "database_unwritable",
            ApiError::Capture(_) | ApiError::Store(_) => "internal_error",
        }
    }

    /// Whether Phonebox failed (not a state someone chose, such as paused).
    fn is_failure(&self) -> bool {
        match self {
            ApiError::Capture(e) => e.failure().is_some(),
            // A cap doing its job; a flood of them must not flood the log.
            ApiError::AtCapacity(_) => false,
            _ => true,
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
        if status.is_server_error() && self.is_failure() {
            log_failure("emulator", status.as_u16(), &self.to_string());
        }
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            "internal error; see the server log".to_owned()
        } else {
            self.to_string()
        };
        let failure = match &self {
            ApiError::NoMessageBecause(_, failure) => Some(&**failure),
            _ => None,
        };
        let body = ErrorBody {
            error: self.kind(),
            message,
            field: self.field(),
            failure,
        };
        if matches!(self, ApiError::AtCapacity(_)) {
            return (status, [(header::RETRY_AFTER, "1")], Json(body)).into_response();
        }
        (status, Json(body)).into_response()
    }
}
