//! Vonage's SMS API, `POST /sms/json`, answered as Vonage answers: always 200, one
//! entry per SMS part.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;

use super::body::RawBody;
use super::credentials::basic_user;
use super::AppState;
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
