//! `/emulator/v1/chaos`: the fault-injection rules of the provider APIs.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Serialize;
use std::collections::BTreeMap;

use super::body::JsonRequest;
use super::error::ApiError;
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
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ChaosRules {
    pub rules: BTreeMap<Provider, Rule>,
    pub providers: &'static [&'static str],
}

async fn list(State(state): State<AppState>) -> Json<ChaosRules> {
    Json(ChaosRules {
        rules: state.chaos.rules(),
        providers: Provider::spellings(),
    })
}

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

async fn clear(State(state): State<AppState>) -> StatusCode {
    state.chaos.clear();
    StatusCode::NO_CONTENT
}
