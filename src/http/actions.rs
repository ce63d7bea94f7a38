//! `/emulator/v1/tenants/{id}/actions` (the user's own Actions and Hooks: configure,
//! test, read their runs) and `/emulator/v1/flows/{transaction_id}` (one flow as a
//! timeline). No request here, or anywhere, names a file to run: a run is always
//! of an Action the user configured.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

use super::body::JsonRequest;
use super::error::{ApiError, ErrorBody};
use super::state::AppState;
use crate::auth0::actions::{ActionPatch, ActionView, NewAction, TestRun};
use crate::auth0::delivery::action::RunView;
use crate::auth0::flows::FlowView;
use crate::receivers::decode_body;

/// The most runs one list answers.
const RUNS_SHOWN: u32 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/emulator/v1/tenants/{id}/actions", get(list).post(create))
        .route(
            "/emulator/v1/tenants/{id}/actions/{action}",
            get(one).patch(change).delete(remove),
        )
        .route(
            "/emulator/v1/tenants/{id}/actions/{action}/test",
            post(test),
        )
        .route("/emulator/v1/tenants/{id}/actions/{action}/runs", get(runs))
        .route("/emulator/v1/flows/{transaction_id}", get(flow))
}

type Answer = Result<Response, ApiError>;

/// `GET /emulator/v1/tenants/{id}/actions`.
#[derive(Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Actions {
    pub actions: Vec<ActionView>,
}

/// `GET .../actions/{action}/runs`.
#[derive(Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Runs {
    pub runs: Vec<RunView>,
}

/// The tenant's Actions and Hooks, secrets masked.
#[utoipa::path(get, operation_id = "listActions", path = "/emulator/v1/tenants/{id}/actions", tag = "actions",
    params(("id" = String, Path, description = "The tenant id")),
    responses(
        (status = 200, description = "The Actions", body = Actions),
        (status = 404, description = "No such tenant", body = ErrorBody),
    ))]
async fn list(State(s): State<AppState>, Path(id): Path<String>) -> Answer {
    let actions = s.auth0.actions(&id).await?;
    Ok(Json(Actions { actions }).into_response())
}

/// Configures an Action or Hook file for the tenant (at most one per trigger).
/// The tenant's custom phone provider runs it: Guardian `phone-message-hook`
/// (send-phone-message or Hook) or the Unified Phone `custom` provider
/// (custom-phone-provider). Secret values are kept in the secrets store.
#[utoipa::path(post, operation_id = "createAction", path = "/emulator/v1/tenants/{id}/actions", tag = "actions",
    params(("id" = String, Path, description = "The tenant id")),
    request_body = NewAction,
    responses(
        (status = 201, description = "Configured", body = ActionView),
        (status = 400, description = "A bad body (`field` names it)", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
        (status = 409, description = "The tenant has an Action for this trigger", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
    ))]
async fn create(
    State(s): State<AppState>,
    Path(id): Path<String>,
    JsonRequest(raw): JsonRequest,
) -> Answer {
    let new: NewAction = decode_body(&raw.body)?;
    let view = s.auth0.create_action(&id, new).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// One Action.
#[utoipa::path(get, operation_id = "getAction", path = "/emulator/v1/tenants/{id}/actions/{action}", tag = "actions",
    params(("id" = String, Path, description = "The tenant id"), ("action" = String, Path, description = "The Action id")),
    responses(
        (status = 200, description = "The Action", body = ActionView),
        (status = 404, description = "No such tenant or Action", body = ErrorBody),
    ))]
async fn one(State(s): State<AppState>, Path((id, action)): Path<(String, String)>) -> Answer {
    Ok(Json(s.auth0.action(&id, &action).await?).into_response())
}

/// Changes an Action: fields given change; a secret set to `null` is removed.
#[utoipa::path(patch, operation_id = "updateAction", path = "/emulator/v1/tenants/{id}/actions/{action}", tag = "actions",
    params(("id" = String, Path, description = "The tenant id"), ("action" = String, Path, description = "The Action id")),
    request_body = ActionPatch,
    responses(
        (status = 200, description = "The Action now", body = ActionView),
        (status = 400, description = "A bad body (`field` names it)", body = ErrorBody),
        (status = 404, description = "No such tenant or Action", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
    ))]
async fn change(
    State(s): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    JsonRequest(raw): JsonRequest,
) -> Answer {
    let patch: ActionPatch = decode_body(&raw.body)?;
    Ok(Json(s.auth0.update_action(&id, &action, patch).await?).into_response())
}

/// Removes an Action with its secrets and cache (its runs stay in the flows).
#[utoipa::path(delete, operation_id = "deleteAction", path = "/emulator/v1/tenants/{id}/actions/{action}", tag = "actions",
    params(("id" = String, Path, description = "The tenant id"), ("action" = String, Path, description = "The Action id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such Action", body = ErrorBody),
    ))]
async fn remove(State(s): State<AppState>, Path((id, action)): Path<(String, String)>) -> Answer {
    s.auth0.delete_action(&id, &action).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// "Send test message": runs the Action once with the event a verification code
/// would give it (a test user and application), and answers the run: the event it
/// received, what it printed, how it ended and the messages it sent here.
#[utoipa::path(post, operation_id = "testAction", path = "/emulator/v1/tenants/{id}/actions/{action}/test", tag = "actions",
    params(("id" = String, Path, description = "The tenant id"), ("action" = String, Path, description = "The Action id")),
    request_body = TestRun,
    responses(
        (status = 200, description = "The run (its outcome says how it ended)", body = RunView),
        (status = 400, description = "A bad body (`field` names it)", body = ErrorBody),
        (status = 404, description = "No such tenant or Action", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
    ))]
async fn test(
    State(s): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    JsonRequest(raw): JsonRequest,
) -> Answer {
    let body: TestRun = decode_body(&raw.body)?;
    Ok(Json(s.auth0.test_action(&id, &action, body).await?).into_response())
}

/// An Action's latest runs, newest first (at most 50).
#[utoipa::path(get, operation_id = "listActionRuns", path = "/emulator/v1/tenants/{id}/actions/{action}/runs", tag = "actions",
    params(("id" = String, Path, description = "The tenant id"), ("action" = String, Path, description = "The Action id")),
    responses(
        (status = 200, description = "The runs", body = Runs),
        (status = 404, description = "No such tenant or Action", body = ErrorBody),
    ))]
async fn runs(State(s): State<AppState>, Path((id, action)): Path<(String, String)>) -> Answer {
    let runs = s.auth0.action_runs(&id, &action, RUNS_SHOWN).await?;
    Ok(Json(Runs { runs }).into_response())
}

/// One flow as a timeline: the request, the rendered template, each Action run,
/// each message it put in the inbox, and the Auth0 log events (the code's check
/// and the grant's result among them), in time order. The transaction id is the
/// MFA challenge's (a message's `attributes.transaction_id`).
#[utoipa::path(get, operation_id = "getFlow", path = "/emulator/v1/flows/{transaction_id}", tag = "actions",
    params(("transaction_id" = String, Path, description = "The flow's transaction id")),
    responses(
        (status = 200, description = "The timeline", body = FlowView),
        (status = 404, description = "Nothing is known of this transaction", body = ErrorBody),
    ))]
async fn flow(State(s): State<AppState>, Path(transaction_id): Path<String>) -> Answer {
    if transaction_id.len() > 200 {
        return Err(ApiError::NotFound(
            "no flow with that transaction id".into(),
        ));
    }
    match s.auth0.flow(&transaction_id).await? {
        Some(flow) => Ok(Json(flow).into_response()),
        None => Err(ApiError::NotFound(format!(
            "no flow with transaction id '{transaction_id}'"
        ))),
    }
}
