//! `/emulator/v1/retention`: what is kept of the inbox (the newest N messages,
//! messages younger than an age), read and changed by the UI's Settings.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::body::JsonRequest;
use super::error::{ApiError, ErrorBody};
use super::state::AppState;
use crate::capture::retention::{RetentionError, RetentionPatch, RetentionView};
use crate::receivers::decode_body;

pub fn router() -> Router<AppState> {
    Router::new().route("/emulator/v1/retention", get(read).patch(change))
}

impl From<RetentionError> for ApiError {
    fn from(e: RetentionError) -> ApiError {
        match e {
            // As the body's other field errors (`invalid_field`).
            RetentionError::Invalid { field, message } => {
                ApiError::Receive(crate::receivers::ReceiveError::InvalidField {
                    field: field.to_owned(),
                    message,
                })
            }
            e @ RetentionError::SetByFlag { .. } => ApiError::Conflict(e.to_string()),
            RetentionError::Store(e) => ApiError::Store(e),
        }
    }
}

/// What is kept: the newest `max_messages`, none older than `max_age` by the
/// emulated clock; older messages are deleted in the background.
#[utoipa::path(get, operation_id = "getRetention", path = "/emulator/v1/retention", tag = "retention",
    responses((status = 200, description = "What is kept", body = RetentionView)))]
async fn read(State(state): State<AppState>) -> Json<RetentionView> {
    Json(state.retention.view())
}

/// Changes what is kept, as a JSON merge patch: a value sets it, `null` turns it
/// off, a field left out stays. Saved, so it outlives a restart; a value set on
/// the command line (`--max-messages`, `--max-age`) cannot be changed here.
#[utoipa::path(patch, operation_id = "setRetention", path = "/emulator/v1/retention", tag = "retention",
    request_body = RetentionPatch,
    responses(
        (status = 200, description = "What is kept now", body = RetentionView),
        (status = 400, description = "A bad value (`field` names it)", body = ErrorBody),
        (status = 409, description = "The value was set on the command line", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
    ))]
async fn change(
    State(state): State<AppState>,
    JsonRequest(raw): JsonRequest,
) -> Result<Response, ApiError> {
    let patch: RetentionPatch = decode_body(&raw.body)?;
    let view = state
        .retention
        .update(state.pipeline.store(), patch)
        .await?;
    Ok(Json(view).into_response())
}
