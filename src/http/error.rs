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
use crate::auth0::error::{AuthError, MgmtError};
use crate::capture::chaos::{InjectedError, Provider};
use crate::capture::pipeline::CaptureError;
use crate::message::SendError;
use crate::receivers::marketplace::ProviderError;
use crate::receivers::sns::SnsError;
use crate::receivers::twilio::TwilioError;
use crate::receivers::vonage::VonageError;
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
    #[error("{}", BodyError::timed_out_message(*.0))]
    BodyTimedOut(std::time::Duration),
    #[error("`{field}`: {message}")]
    BadParameter { field: String, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    NoMessage(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
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
            ApiError::BodyTimedOut(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::NotFound(_) | ApiError::NoMessage(_) => StatusCode::NOT_FOUND,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
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
            ApiError::NoMessage(_) => "no_message",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Conflict(_) => "conflict",
            ApiError::Capture(CaptureError::Stopped) => "shutting_down",
            ApiError::Capture(CaptureError::Paused) => "capture_paused",
            ApiError::Capture(CaptureError::ReadOnly) => "read_only",
            ApiError::Capture(e) if e.is_unavailable() => "database_unwritable",
            ApiError::Store(e) if e.is_unwritable() => "database_unwritable",
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
            BodyError::TimedOut(after) => {
                TwilioError::new(20001, 408, BodyError::timed_out_message(after))
            }
        }
    }
}

impl From<StoreError> for TwilioError {
    fn from(e: StoreError) -> TwilioError {
        if e.is_unwritable() {
            return TwilioError::new(20503, 503, e.to_string());
        }
        tracing::error!(error = %e, "Twilio request failed");
        TwilioError::new(20500, 500, "An internal server error has occurred")
    }
}

impl InjectedError for TwilioError {
    fn internal(_: Option<Provider>, e: CaptureError) -> TwilioError {
        if e.is_unavailable() {
            return TwilioError::new(20503, 503, e.to_string());
        }
        tracing::error!(error = %e, "Twilio capture failed");
        TwilioError::new(20500, 500, "An internal server error has occurred")
    }

    fn injected(_: Provider, code: &str) -> TwilioError {
        let (status, message) = match code {
            "20003" => (401, "Authenticate"),
            "20429" => (429, "Too Many Requests"),
            "20500" => (500, "An internal server error has occurred"),
            "20503" => (503, "Service is unavailable. Please try again"),
            "21211" => (400, "The 'To' number is not a valid phone number."),
            "21408" => (400, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number."),
            "21606" => (400, "The From phone number is not a valid, SMS-capable inbound phone number or short code for your account."),
            "21608" => (400, "The number is unverified. Trial accounts cannot send messages to unverified numbers; verify it at twilio.com/user/account/phone-numbers/verified, or purchase a Twilio number to send messages to unverified numbers."),
            "21610" => (400, "Attempt to send to unsubscribed recipient"),
            "21611" => (400, "This 'From' number has exceeded the maximum number of queued messages"),
            "21612" => (400, "The 'To' phone number is not currently reachable using the 'From' phone number via SMS."),
            "21614" => (400, "'To' number is not a valid mobile number"),
            "60203" => (429, "Max send attempts reached"),
            _ => (400, "Error injected by Phonebox chaos"),
        };
        // `validate` let only numbers through for Twilio.
        TwilioError::new(code.parse().unwrap_or(20001), status, message)
    }

    fn send_error(&self) -> SendError {
        SendError {
            code: self.code.to_string(),
            message: self.message.clone(),
        }
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

impl From<BodyError> for SnsError {
    fn from(e: BodyError) -> SnsError {
        match e {
            BodyError::TooLarge(limit) => SnsError::new(
                "RequestEntityTooLarge",
                413,
                format!("Request body is larger than Phonebox's {limit}-byte limit"),
            ),
            BodyError::Unreadable(why) => SnsError::invalid_parameter(why),
            BodyError::TimedOut(after) => {
                SnsError::new("RequestTimeout", 408, BodyError::timed_out_message(after))
            }
        }
    }
}

impl InjectedError for SnsError {
    fn internal(_: Option<Provider>, e: CaptureError) -> SnsError {
        if e.is_unavailable() {
            return SnsError::new("ServiceUnavailable", 503, e.to_string());
        }
        tracing::error!(error = %e, "SNS capture failed");
        SnsError::new("InternalError", 500, "Internal service error")
    }

    fn injected(_: Provider, code: &str) -> SnsError {
        let (status, message) = match code {
            "Throttling" => (400, "Rate exceeded"),
            "InternalError" | "InternalFailure" => (500, "Internal service error"),
            "ServiceUnavailable" => (503, "Service is unavailable"),
            "AuthorizationError" => (403, "User is not authorized to perform: SNS:Publish"),
            "InvalidClientTokenId" => (
                403,
                "The security token included in the request is invalid.",
            ),
            "SignatureDoesNotMatch" => (
                403,
                "The request signature we calculated does not match the signature you provided.",
            ),
            "InvalidParameter" => (400, "Invalid parameter: PhoneNumber"),
            _ => (400, "Error injected by Phonebox chaos"),
        };
        SnsError::new(code, status, message)
    }

    fn send_error(&self) -> SendError {
        SendError {
            code: self.code.clone(),
            message: self.message.clone(),
        }
    }
}

/// SNS's XML error: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`.
impl IntoResponse for SnsError {
    fn into_response(self) -> Response {
        use quick_xml::escape::escape;
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let request_id = uuid::Uuid::new_v4().to_string();
        let body = format!(
            "<ErrorResponse xmlns=\"{xmlns}\"><Error><Type>{fault}</Type><Code>{code}</Code>\
             <Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            xmlns = super::sns::XMLNS,
            fault = self.fault(),
            code = escape(self.code.as_str()),
            message = escape(self.message.as_str()),
        );
        super::sns::xml(status, &request_id, body)
    }
}

impl From<BodyError> for VonageError {
    fn from(e: BodyError) -> VonageError {
        match e {
            BodyError::TooLarge(limit) => VonageError::new(
                12,
                format!("Message Too Long: the request is over Phonebox's {limit}-byte limit"),
            ),
            BodyError::Unreadable(why) => VonageError::new(3, why),
            BodyError::TimedOut(after) => VonageError::new(3, BodyError::timed_out_message(after)),
        }
    }
}

impl InjectedError for VonageError {
    fn internal(_: Option<Provider>, e: CaptureError) -> VonageError {
        if e.is_unavailable() {
            return VonageError::new(1, format!("Throttled: {e}"));
        }
        tracing::error!(error = %e, "Vonage capture failed");
        VonageError::for_status(5)
    }

    fn injected(_: Provider, code: &str) -> VonageError {
        // `validate` let only numbers through for Vonage.
        VonageError::for_status(code.parse().unwrap_or(5))
    }

    fn send_error(&self) -> SendError {
        SendError {
            code: self.status.to_string(),
            message: self.text.clone(),
        }
    }
}

/// Vonage reports a refused send in a 200: `{"message-count":"1","messages":[{"status","error-text"}]}`.
impl IntoResponse for VonageError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "message-count": "1",
            "messages": [{ "status": self.status.to_string(), "error-text": self.text }],
        });
        (StatusCode::OK, Json(body)).into_response()
    }
}

impl ProviderError {
    /// A body that could not be read, in `provider`'s shape.
    pub fn body(provider: Provider, e: BodyError) -> ProviderError {
        let (status, message) = match e {
            BodyError::TooLarge(limit) => (
                413,
                format!("Request body is larger than Phonebox's {limit}-byte limit"),
            ),
            BodyError::Unreadable(why) => (400, why),
            BodyError::TimedOut(after) => (408, BodyError::timed_out_message(after)),
        };
        let code = match provider {
            Provider::Infobip | Provider::Clicksend => "BAD_REQUEST",
            Provider::Mitto => "4",
            Provider::Telesign => "-10001",
            Provider::Messagebird => "10",
            _ => "bad_request",
        };
        ProviderError::new(provider, status, code, message)
    }
}

impl InjectedError for ProviderError {
    fn internal(provider: Option<Provider>, e: CaptureError) -> ProviderError {
        let provider = provider.unwrap_or(Provider::Clicksend);
        if e.is_unavailable() {
            return ProviderError::new(provider, 503, "SERVICE_UNAVAILABLE", e.to_string());
        }
        tracing::error!(error = %e, "provider capture failed");
        let code = match provider {
            Provider::Infobip => "GENERAL_ERROR",
            Provider::Mitto => "1",
            Provider::Telesign => "-90001",
            Provider::Messagebird => "99",
            Provider::Esendex => "internal_error",
            _ => "INTERNAL_ERROR",
        };
        ProviderError::new(provider, 500, code, "Internal error")
    }

    fn injected(provider: Provider, code: &str) -> ProviderError {
        ProviderError::injected(provider, code)
    }

    fn send_error(&self) -> SendError {
        SendError {
            code: self.code.clone(),
            message: self.message.clone(),
        }
    }
}

/// Each marketplace provider's own error shape.
impl IntoResponse for ProviderError {
    fn into_response(self) -> Response {
        use serde_json::{json, Value};
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let number = |code: &str| {
            code.parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| json!(code))
        };
        let body = match self.provider {
            Provider::Esendex if self.xml => {
                use quick_xml::escape::escape;
                let xml = format!(
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?><response xmlns=\"http://api.esendex.com/ns/\">\
                     <errors><error><code>{}</code><description>{}</description></error></errors></response>",
                    escape(self.code.as_str()),
                    escape(self.message.as_str()),
                );
                return (
                    status,
                    [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
                    xml,
                )
                    .into_response();
            }
            Provider::Esendex => {
                json!({ "errors": [{ "code": self.code, "description": self.message }] })
            }
            Provider::Infobip => json!({
                "requestError": { "serviceException": { "messageId": self.code, "text": self.message } }
            }),
            Provider::Mitto => {
                json!({ "responseCode": number(&self.code), "responseText": self.message })
            }
            Provider::Telesign => json!({
                "reference_id": null,
                "status": {
                    "code": 11000,
                    "description": self.message,
                    "updated_on": crate::clock::unix_ms::rfc3339(crate::clock::unix_ms::now()),
                },
                "errors": [{ "code": number(&self.code), "description": self.message }],
            }),
            Provider::Messagebird => json!({
                "errors": [{ "code": number(&self.code), "description": self.message, "parameter": self.field }]
            }),
            // ClickSend's envelope; also the neutral shape for errors raised before
            // the provider was known.
            _ => json!({
                "http_code": self.status,
                "response_code": self.code,
                "response_msg": self.message,
                "data": null,
            }),
        };
        (status, Json(body)).into_response()
    }
}

impl From<BodyError> for AuthError {
    fn from(e: BodyError) -> AuthError {
        match e {
            BodyError::TooLarge(limit) => AuthError::new(
                413,
                "invalid_request",
                format!("The request body is larger than Phonebox's {limit}-byte limit"),
            ),
            BodyError::Unreadable(why) => AuthError::invalid_request(why),
            BodyError::TimedOut(after) => {
                AuthError::new(408, "invalid_request", BodyError::timed_out_message(after))
            }
        }
    }
}

/// The Authentication API's `{"error", "error_description"}`, with any extra members.
impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut body =
            serde_json::json!({ "error": self.error, "error_description": self.description });
        if let (Some(serde_json::Value::Object(extra)), Some(map)) =
            (self.extra, body.as_object_mut())
        {
            map.extend(extra);
        }
        (status, Json(body)).into_response()
    }
}

impl From<BodyError> for MgmtError {
    fn from(e: BodyError) -> MgmtError {
        match e {
            BodyError::TooLarge(limit) => MgmtError::new(
                413,
                format!("Payload too large: Phonebox takes at most {limit} bytes"),
                Some("payload_too_large"),
            ),
            BodyError::Unreadable(why) => MgmtError::bad_request(why),
            BodyError::TimedOut(after) => MgmtError::new(
                408,
                BodyError::timed_out_message(after),
                Some("request_timeout"),
            ),
        }
    }
}

/// The Management API's `{"statusCode", "error", "message", "errorCode"}`.
impl IntoResponse for MgmtError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut body = serde_json::json!({
            "statusCode": self.status,
            "error": self.reason(),
            "message": self.message,
        });
        if let Some(code) = &self.error_code {
            body["errorCode"] = serde_json::json!(code);
        }
        (status, Json(body)).into_response()
    }
}
