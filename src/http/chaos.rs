//! `/emulator/v1/chaos`: the fault-injection rules of the provider APIs.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Serialize;
use std::collections::BTreeMap;

use super::body::JsonRequest;
use super::error::{ApiError, ErrorBody};
use super::state::AppState;
use crate::capture::chaos::{Provider, Rule};
use crate::receivers::decode_body;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/emulator/v1/chaos", get(list).delete(clear))
        .route(
            "/emulator/v1/chaos/{provider}",
            put(set).get(one).delete(remove),
        )
}

fn provider(name: &str) -> Result<Provider, ApiError> {
    Provider::parse(name).ok_or_else(|| {
        let known = Provider::spellings();
        ApiError::NotFound(format!(
            "no provider '{name}'; chaos applies to {}",
            known.join(", ")
        ))
    })
}

/// `GET /emulator/v1/chaos`: the rules in force, and every provider one can be set for.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ChaosRules {
    #[schema(value_type = BTreeMap<String, Rule>)]
    pub rules: BTreeMap<Provider, Rule>,
    #[schema(value_type = Vec<Provider>)]
    pub providers: &'static [&'static str],
}

#[utoipa::path(get, operation_id = "listChaosRules", path = "/emulator/v1/chaos", tag = "chaos",
    responses((status = 200, description = "The rules in force, by provider", body = ChaosRules)))]
async fn list(State(state): State<AppState>) -> Json<ChaosRules> {
    Json(ChaosRules {
        rules: state.chaos.rules(),
        providers: Provider::spellings(),
    })
}

/// One provider's rule.
#[utoipa::path(get, operation_id = "getChaosRule", path = "/emulator/v1/chaos/{provider}", tag = "chaos", params(("provider" = crate::capture::chaos::Provider, Path, description = "The provider API")),
    responses(
        (status = 200, description = "Its rule", body = Rule),
        (status = 404, description = "No such provider, or no rule for it", body = ErrorBody),
    ))]
async fn one(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let provider = provider(&name)?;
    match state.chaos.rules().remove(&provider) {
        Some(rule) => Ok(Json(rule).into_response()),
        None => Err(ApiError::NotFound(format!("no chaos rule for {name}"))),
    }
}

/// Sets one provider's rule.
#[utoipa::path(put, operation_id = "setChaosRule", path = "/emulator/v1/chaos/{provider}", tag = "chaos", params(("provider" = crate::capture::chaos::Provider, Path, description = "The provider API")),
    request_body = Rule,
    responses(
        (status = 200, description = "The rule as set", body = Rule),
        (status = 400, description = "A bad rule (`field` names it)", body = ErrorBody),
        (status = 404, description = "No such provider", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
    ))]
async fn set(
    State(state): State<AppState>,
    Path(name): Path<String>,
    JsonRequest(raw): JsonRequest,
) -> Result<Response, ApiError> {
    let provider = provider(&name)?;
    let rule: Rule = decode_body(&raw.body)?;
    state
        .chaos
        .set(provider, rule.clone())
        .map_err(|e| ApiError::BadParameter {
            field: e.field.to_owned(),
            message: e.message,
        })?;
    tracing::info!(provider = %name, ?rule, "chaos rule set");
    Ok(Json(rule).into_response())
}

/// Removes one provider's rule.
#[utoipa::path(delete, operation_id = "deleteChaosRule", path = "/emulator/v1/chaos/{provider}", tag = "chaos", params(("provider" = crate::capture::chaos::Provider, Path, description = "The provider API")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such provider, or no rule for it", body = ErrorBody),
    ))]
async fn remove(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    if state.chaos.remove(provider(&name)?) {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::NotFound(format!("no chaos rule for {name}")))
    }
}

/// Removes every rule.
#[utoipa::path(delete, operation_id = "clearChaosRules", path = "/emulator/v1/chaos", tag = "chaos",
    responses((status = 204, description = "Every rule removed")))]
async fn clear(State(state): State<AppState>) -> StatusCode {
    state.chaos.clear();
    StatusCode::NO_CONTENT
}
