//! Reading a capture request: content type, size limit, headers kept (redacted).

use std::marker::PhantomData;
use std::time::Duration;

use axum::extract::{FromRequest, Request};
use axum::http::header;
use axum::response::IntoResponse;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::error::ApiError;
use super::state::AppState;
use crate::message::RawRequest;

/// A request body that may carry JSON, read within the body limit.
pub struct JsonRequest(pub RawRequest);

impl FromRequest<AppState> for JsonRequest {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        if let Some(ct) = request.headers().get(header::CONTENT_TYPE) {
            let ct = String::from_utf8_lossy(ct.as_bytes());
            if !carries_json(&ct) {
                return Err(ApiError::UnsupportedMediaType(ct.into_owned()));
            }
        }
        let RawBody(raw, _) = RawBody::<ApiError>::from_request(request, state).await?;
        Ok(JsonRequest(raw))
    }
}

/// Why a body could not be read; each API answers it in its own shape.
#[derive(Debug)]
pub enum BodyError {
    TooLarge(usize),
    Unreadable(String),
    /// The body did not arrive within `--body-timeout`.
    TimedOut(Duration),
}

impl BodyError {
    /// What a 408 says, in any API's shape.
    pub fn timed_out_message(after: Duration) -> String {
        format!(
            "the request body did not arrive within {} (--body-timeout)",
            humantime::format_duration(after)
        )
    }
}

impl From<BodyError> for ApiError {
    fn from(e: BodyError) -> ApiError {
        match e {
            BodyError::TooLarge(limit) => ApiError::PayloadTooLarge(limit),
            BodyError::Unreadable(why) => ApiError::UnreadableBody(why),
            BodyError::TimedOut(after) => {
                ApiError::BodyTimedOut(BodyError::timed_out_message(after))
            }
        }
    }
}

/// Any request body within the limit, with its content type and redacted headers;
/// `E` is the error shape of the API being emulated.
pub struct RawBody<E>(pub RawRequest, pub PhantomData<E>);

impl<E> FromRequest<AppState> for RawBody<E>
where
    E: From<BodyError> + IntoResponse,
{
    type Rejection = E;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, E> {
        Ok(RawBody(
            read_raw(request, state.body_limit, state.body_timeout).await?,
            PhantomData,
        ))
    }
}

/// The request's body within `limit` bytes and `timeout`, with its content type
/// and redacted headers.
pub async fn read_raw(
    request: Request,
    limit: usize,
    timeout: Duration,
) -> Result<RawRequest, BodyError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let headers = crate::message::redact::headers(
        request
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes())),
    );
    let body = tokio::time::timeout(timeout, read_limited(request, limit))
        .await
        .map_err(|_| BodyError::TimedOut(timeout))??;
    Ok(RawRequest {
        content_type,
        headers,
        body,
    })
}

/// Reads at most `limit` bytes, answering 413 past that.
pub async fn read_limited(request: Request, limit: usize) -> Result<Vec<u8>, BodyError> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(BodyError::TooLarge(limit));
    }
    match Limited::new(request.into_body(), limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes().to_vec()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(BodyError::TooLarge(limit)),
        Err(e) => Err(BodyError::Unreadable(e.to_string())),
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
