//! Vonage's SMS API, `POST /sms/json`, answered as Vonage answers: always 200, one
//! entry per SMS part.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;

use super::body::BodyError;
use super::body::RawBody;
use super::credentials::basic_user;
use super::metrics::RefusedAs;
use super::state::AppState;
use crate::capture::chaos;
use crate::receivers::vonage::{self, VonageError};

pub fn router() -> Router<AppState> {
    Router::new().route("/sms/json", post(send))
}

async fn send(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(raw, _): RawBody<VonageError>,
) -> Result<Response, VonageError> {
    let message = vonage::parse(raw, basic_user(&headers))?;
    let stored = chaos::capture::<VonageError>(&state.pipeline, &state.chaos, message).await?;
    let to = stored.recipient.as_str().trim_start_matches('+');
    // Vonage sends a long text as several SMS and reports each; the first id is the
    // one kept on the message.
    let parts: Vec<_> = (0..stored.segments.max(1))
        .map(|i| {
            let id = match i {
                0 => stored.provider_message_id.clone().unwrap_or_default(),
                _ => vonage::message_id(),
            };
            json!({
                "to": to,
                "message-id": id,
                "status": "0",
                "remaining-balance": "10.00000000",
                "message-price": "0.00000000",
                "network": "00000",
            })
        })
        .collect();
    Ok(
        Json(json!({ "message-count": parts.len().to_string(), "messages": parts }))
            .into_response(),
    )
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

/// An answer the router made itself (a wrong method, a bad path): Vonage's body,
/// with the HTTP status the router chose, since no send was even attempted.
pub(super) fn routing_error(status: axum::http::StatusCode, message: String) -> Response {
    let mut response = VonageError::new(3, message).into_response();
    *response.status_mut() = status;
    response
}

/// Vonage reports a refused send in a 200: `{"message-count":"1","messages":[{"status","error-text"}]}`.
impl IntoResponse for VonageError {
    fn into_response(self) -> Response {
        if let Some(cause) = &self.cause {
            super::error::log_failure("vonage", 200, cause);
        }
        let body = serde_json::json!({
            "message-count": "1",
            "messages": [{ "status": self.status.to_string(), "error-text": self.text }],
        });
        // Vonage's statuses as the HTTP ones other APIs refuse with, for /metrics.
        let as_status = match self.status {
            1 => StatusCode::SERVICE_UNAVAILABLE,
            4 => StatusCode::UNAUTHORIZED,
            5 => StatusCode::INTERNAL_SERVER_ERROR,
            12 => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        let mut response = (StatusCode::OK, Json(body)).into_response();
        response.extensions_mut().insert(RefusedAs(as_status));
        response
    }
}
