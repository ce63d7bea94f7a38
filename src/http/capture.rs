//! `/capture/auth0/*`: where Auth0 Actions and Hooks post their messages.
//!
//! A message another Phonebox's tenant sent carries its link (`x-phonebox-link`)
//! and is stored under that tenant, user and transaction.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;

use super::body::JsonRequest;
use super::error::ApiError;
use super::state::AppState;
use crate::message::Message;
use crate::receivers;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/capture/auth0/custom-phone-provider",
            post(custom_phone_provider),
        )
        .route(
            "/capture/auth0/send-phone-message",
            post(send_phone_message),
        )
        .route("/capture/auth0/hook", post(hook))
}

async fn custom_phone_provider(
    State(state): State<AppState>,
    JsonRequest(raw): JsonRequest,
) -> Result<Response, ApiError> {
    let message = receivers::auth0::custom_phone_provider::parse(raw)?;
    let stored = state.pipeline.capture(message).await?;
    Ok(created(&stored))
}

async fn send_phone_message(
    State(state): State<AppState>,
    JsonRequest(raw): JsonRequest,
) -> Result<Response, ApiError> {
    let message = receivers::auth0::send_phone_message::parse(raw)?;
    let stored = state.pipeline.capture(message).await?;
    Ok(created(&stored))
}

/// Answers as the Hook runner's sample does: `{"MessageID": "<uuid>"}`.
async fn hook(
    State(state): State<AppState>,
    JsonRequest(raw): JsonRequest,
) -> Result<Response, ApiError> {
    let message = receivers::auth0::hook::parse(raw)?;
    let stored = state.pipeline.capture(message).await?;
    let body = json!({ "MessageID": stored.provider_message_id, "id": stored.id });
    Ok((StatusCode::OK, location(&stored), Json(body)).into_response())
}

fn created(stored: &Message) -> Response {
    (StatusCode::CREATED, location(stored), Json(stored)).into_response()
}

fn location(stored: &Message) -> [(header::HeaderName, String); 1] {
    [(
        header::LOCATION,
        format!("/emulator/v1/messages/{}", stored.id),
    )]
}
