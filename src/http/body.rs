//! Reading a capture request: content type, size limit, headers kept (redacted).

use axum::extract::{FromRequest, Request};
use axum::http::header;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::error::ApiError;
use super::AppState;
use crate::message::RawRequest;

/// A request body that may carry JSON, read within the body limit.
pub struct JsonRequest(pub RawRequest);

impl FromRequest<AppState> for JsonRequest {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        if let Some(ct) = &content_type {
            if !carries_json(ct) {
                return Err(ApiError::UnsupportedMediaType(ct.clone()));
            }
        }
        let headers = crate::redact::headers(
            request
                .headers()
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_bytes())),
        );
        let body = read_limited(request, state.body_limit).await?;
        Ok(JsonRequest(RawRequest {
            content_type,
            headers,
            body,
        }))
    }
}

/// Reads at most `limit` bytes, answering 413 past that.
pub async fn read_limited(request: Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    match Limited::new(request.into_body(), limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes().to_vec()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(ApiError::PayloadTooLarge(limit))
        }
        Err(e) => Err(ApiError::UnreadableBody(e.to_string())),
    }
}

/// JSON media types, and `text/plain`: `fetch(url, {body: JSON.stringify(..)})`
/// without headers, as Auth0's sample Action does, sends `text/plain;charset=UTF-8`.
fn carries_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence == "text/plain" || essence.ends_with("+json")
}
