//! `/emulator/v1/forwarding`, `…/messages/{id}/forward(s)`, `…/forwards/{id}`:
//! forwarding captured messages to real providers. Thin: the core is `forward`.
//!
//! Every route here can spend real money, so beyond the local-only guard a
//! browser request must come from Phonebox's own page: a page on another local
//! port (a dev server, whatever scripts it loads) is a different origin and is
//! refused.

use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};

use super::body::JsonRequest;
use super::error::{ApiError, ErrorBody};
use super::state::AppState;
use crate::forward::settings::ProviderInput;
use crate::forward::settings::ProviderView;
use crate::forward::views::{
    AllowlistBody, DryRun, ForwardView, ForwardingView, ForwardsPage, MyPhonesBody, RuleView,
    RulesPage,
};
use crate::forward::{ForwardError, ForwardRequest, Forwarded, RuleInput};
use crate::receivers::decode_body;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/emulator/v1/forwarding", get(view))
        .route("/emulator/v1/forwarding/allowlist", put(set_allowlist))
        .route("/emulator/v1/forwarding/my-phones", put(set_phones))
        .route(
            "/emulator/v1/forwarding/providers/{via}",
            put(set_provider).delete(remove_provider),
        )
        .route("/emulator/v1/forwarding/rules", get(rules).post(add_rule))
        .route(
            "/emulator/v1/forwarding/rules/{id}",
            put(update_rule).delete(delete_rule),
        )
        .route("/emulator/v1/messages/{id}/forward", post(forward))
        .route("/emulator/v1/messages/{id}/forwards", get(forwards_of))
        .route("/emulator/v1/forwards/{id}", get(one))
        .route_layer(axum::middleware::from_fn(own_page_only))
}

impl From<ForwardError> for ApiError {
    fn from(e: ForwardError) -> ApiError {
        match e {
            ForwardError::NotFound(m) => ApiError::NotFound(m),
            ForwardError::NotSetUp(m) => ApiError::Conflict(m),
            ForwardError::NotAllowed(m) => ApiError::Forbidden(m),
            ForwardError::TooMany(m) => ApiError::TooMany(m),
            ForwardError::Bad { field, message } => ApiError::BadParameter { field, message },
            ForwardError::Store(e) => ApiError::Store(e),
            ForwardError::Secrets(m) => ApiError::Store(crate::store::StoreError::Corrupt(
                format!("secrets store: {m}"),
            )),
        }
    }
}

/// Refuses a browser request that is not from Phonebox's own page: its `Origin`
/// must be this server's own (`http://` + the `Host` it was sent to) or the
/// desktop window's, and `Sec-Fetch-Site`, where sent, `same-origin` or `none`.
/// The CLI and test clients send neither header.
async fn own_page_only(request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        let own = origin == format!("http://{host}") || origin == "tauri://localhost";
        if !own {
            return ApiError::Forbidden(format!(
                "forwarding can only be started from Phonebox's own page, not from '{origin}'"
            ))
            .into_response();
        }
    }
    // A write must say it is JSON: a page cannot send that cross-origin without a
    // preflight, which is never granted, so the Origin check is not the only wall.
    let method = request.method().clone();
    let sends_body = !matches!(
        method,
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::DELETE
    );
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let json = content_type
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("application/json");
    if sends_body && !json {
        return ApiError::UnsupportedMediaType(content_type.to_owned()).into_response();
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        let site = site.to_str().unwrap_or("");
        if site != "same-origin" && site != "none" {
            return ApiError::Forbidden(format!(
                "forwarding can only be started from Phonebox's own page (Sec-Fetch-Site: {site})"
            ))
            .into_response();
        }
    }
    next.run(request).await
}

/// Everything forwarding is set up with, credentials masked.
#[utoipa::path(get, operation_id = "getForwarding", path = "/emulator/v1/forwarding", tag = "forwarding",
    responses((status = 200, description = "The setup", body = ForwardingView), (status = 403, description = "A browser request not from Phonebox's own page", body = ErrorBody)))]
async fn view(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(Json(state.forwarder.view().await?).into_response())
}

/// Replaces the allowlist: numbers or `+prefix*` a forward may go to.
#[utoipa::path(put, operation_id = "setAllowlist", path = "/emulator/v1/forwarding/allowlist", tag = "forwarding",
    request_body = AllowlistBody,
    responses((status = 200, description = "The allowlist as stored", body = AllowlistBody), (status = 400, description = "A bad body (`field` names it)", body = ErrorBody), (status = 403, description = "A browser request not from Phonebox's own page", body = ErrorBody), (status = 415, description = "The body is not JSON (`content-type: application/json` is required)", body = ErrorBody)))]
async fn set_allowlist(
    State(state): State<AppState>,
    JsonRequest(raw): JsonRequest,
) -> Result<Response, ApiError> {
    let body: AllowlistBody = decode_body(&raw.body)?;
    let numbers = state.forwarder.set_allowlist(&body.numbers).await?;
    Ok(Json(AllowlistBody { numbers }).into_response())
}

/// Replaces the saved phones ("my phones").
#[utoipa::path(put, operation_id = "setMyPhones", path = "/emulator/v1/forwarding/my-phones", tag = "forwarding",
    request_body = MyPhonesBody,
    responses((status = 200, description = "The phones as stored", body = MyPhonesBody), (status = 400, description = "A bad body (`field` names it)", body = ErrorBody), (status = 403, description = "A browser request not from Phonebox's own page", body = ErrorBody), (status = 415, description = "The body is not JSON (`content-type: application/json` is required)", body = ErrorBody)))]
async fn set_phones(
    State(state): State<AppState>,
    JsonRequest(raw): JsonRequest,
) -> Result<Response, ApiError> {
    let body: MyPhonesBody = decode_body(&raw.body)?;
    let phones = state.forwarder.set_my_phones(&body.phones).await?;
    Ok(Json(MyPhonesBody { phones }).into_response())
}

/// Sets a provider's settings and credentials (a credential left out keeps the stored one).
#[utoipa::path(put, operation_id = "setProvider", path = "/emulator/v1/forwarding/providers/{via}", tag = "forwarding",
    params(("via" = crate::forward::settings::Via, Path, description = "The provider")),
    request_body = crate::forward::settings::ProviderInput,
    responses(
        (status = 200, description = "The provider, credentials masked", body = ProviderView),
        (status = 400, description = "Not a provider, or a bad body (`field` names it)", body = ErrorBody),
        (status = 403, description = "A browser request not from Phonebox's own page", body = ErrorBody),
        (status = 415, description = "The body is not JSON (`content-type: application/json` is required)", body = ErrorBody),
    ))]
async fn set_provider(
    State(state): State<AppState>,
    Path(via): Path<String>,
    JsonRequest(raw): JsonRequest,
) -> Result<Response, ApiError> {
    let input: ProviderInput = decode_body(&raw.body)?;
    Ok(Json(state.forwarder.set_provider(&via, input).await?).into_response())
}

/// Removes a provider, its credentials and its rules.
#[utoipa::path(delete, operation_id = "deleteProvider", path = "/emulator/v1/forwarding/providers/{via}", tag = "forwarding",
    params(("via" = crate::forward::settings::Via, Path, description = "The provider")),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "A browser request not from Phonebox's own page", body = ErrorBody),
        (status = 400, description = "Not a provider", body = ErrorBody),
    ))]
async fn remove_provider(
    State(state): State<AppState>,
    Path(via): Path<String>,
) -> Result<Response, ApiError> {
    state.forwarder.remove_provider(&via).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The auto-forward rules.
#[utoipa::path(get, operation_id = "listForwardRules", path = "/emulator/v1/forwarding/rules", tag = "forwarding",
    responses((status = 200, description = "The rules", body = RulesPage), (status = 403, description = "A browser request not from Phonebox's own page", body = ErrorBody)))]
async fn rules(State(state): State<AppState>) -> Result<Response, ApiError> {
    let rules = state.forwarder.rules().await?;
    Ok(Json(RulesPage { rules }).into_response())
}

/// Adds an auto-forward rule.
#[utoipa::path(post, operation_id = "createForwardRule", path = "/emulator/v1/forwarding/rules", tag = "forwarding",
    request_body = crate::forward::RuleInput,
    responses(
        (status = 201, description = "Created", body = RuleView),
        (status = 400, description = "A bad body (`field` names it)", body = ErrorBody), (status = 403, description = "A browser request not from Phonebox's own page", body = ErrorBody),
        (status = 409, description = "Its provider is not set up", body = ErrorBody),
        (status = 415, description = "The body is not JSON (`content-type: application/json` is required)", body = ErrorBody),
    ))]
async fn add_rule(
    State(state): State<AppState>,
    JsonRequest(raw): JsonRequest,
) -> Result<Response, ApiError> {
    let input: RuleInput = decode_body(&raw.body)?;
    let rule = state.forwarder.add_rule(&input).await?;
    Ok((StatusCode::CREATED, Json(rule)).into_response())
}

fn rule_id(id: &str) -> Result<i64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::NotFound(format!("no forwarding rule {id}")))
}

/// Replaces an auto-forward rule.
#[utoipa::path(put, operation_id = "updateForwardRule", path = "/emulator/v1/forwarding/rules/{id}", tag = "forwarding",
    params(("id" = i64, Path, description = "The rule id")),
    request_body = crate::forward::RuleInput,
    responses(
        (status = 200, description = "The rule as stored", body = RuleView),
        (status = 400, description = "A bad body (`field` names it)", body = ErrorBody), (status = 403, description = "A browser request not from Phonebox's own page", body = ErrorBody),
        (status = 404, description = "No such rule", body = ErrorBody),
        (status = 409, description = "Its provider is not set up", body = ErrorBody),
        (status = 415, description = "The body is not JSON (`content-type: application/json` is required)", body = ErrorBody),
    ))]
async fn update_rule(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonRequest(raw): JsonRequest,
) -> Result<Response, ApiError> {
    let input: RuleInput = decode_body(&raw.body)?;
    Ok(Json(state.forwarder.update_rule(rule_id(&id)?, &input).await?).into_response())
}

/// Deletes an auto-forward rule.
#[utoipa::path(delete, operation_id = "deleteForwardRule", path = "/emulator/v1/forwarding/rules/{id}", tag = "forwarding",
    params(("id" = i64, Path, description = "The rule id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "A browser request not from Phonebox's own page", body = ErrorBody),
        (status = 404, description = "No such rule", body = ErrorBody),
    ))]
async fn delete_rule(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state.forwarder.delete_rule(rule_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A dry run answers 200 with the request; a real forward 202 once it is queued
/// on disk (the send happens later; watch `forward.attempt` or poll the forward).
#[utoipa::path(post, operation_id = "forwardMessage", path = "/emulator/v1/messages/{id}/forward", tag = "forwarding",
    params(("id" = String, Path, description = "The message id (ULID)")),
    request_body = crate::forward::ForwardRequest,
    responses(
        (status = 200, description = "A dry run: the request that would be sent, and its cost", body = DryRun),
        (status = 202, description = "Queued", body = ForwardView),
        (status = 400, description = "A bad body (`field` names it)", body = ErrorBody),
        (status = 403, description = "Not allowed: the number is not on the allowlist, or a browser request not from Phonebox's own page", body = ErrorBody),
        (status = 404, description = "No such message", body = ErrorBody),
        (status = 409, description = "The provider is not set up", body = ErrorBody),
        (status = 415, description = "The body is not JSON (`content-type: application/json` is required)", body = ErrorBody),
        (status = 429, description = "Too many forwards at once", body = ErrorBody),
    ))]
async fn forward(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonRequest(raw): JsonRequest,
) -> Result<Response, ApiError> {
    let request: ForwardRequest = decode_body(&raw.body)?;
    Ok(match state.forwarder.request(&id, &request).await? {
        Forwarded::DryRun(dry) => Json(dry).into_response(),
        Forwarded::Queued(view) => (StatusCode::ACCEPTED, Json(view)).into_response(),
    })
}

/// A message's forwards, each with its attempts.
#[utoipa::path(get, operation_id = "listMessageForwards", path = "/emulator/v1/messages/{id}/forwards", tag = "forwarding",
    params(("id" = String, Path, description = "The message id (ULID)")),
    responses(
        (status = 200, description = "Its forwards (none for an unknown message)", body = ForwardsPage),
        (status = 403, description = "A browser request not from Phonebox's own page", body = ErrorBody),
    ))]
async fn forwards_of(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(state.forwarder.of_message(&id).await?).into_response())
}

/// One forward with its attempts.
#[utoipa::path(get, operation_id = "getForward", path = "/emulator/v1/forwards/{id}", tag = "forwarding",
    params(("id" = i64, Path, description = "The forward id")),
    responses(
        (status = 200, description = "The forward", body = ForwardView),
        (status = 403, description = "A browser request not from Phonebox's own page", body = ErrorBody),
        (status = 404, description = "No such forward", body = ErrorBody),
    ))]
async fn one(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("no forward {id}")))?;
    Ok(Json(state.forwarder.get(id).await?).into_response())
}
