//! `/emulator/v1/tenants` and `/emulator/v1/limits`: set up the emulated tenants
//! (clients, users, settings) and read their counters.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::body::JsonRequest;
use super::error::ApiError;
use super::state::AppState;
use crate::auth0::admin::{AdminError, TenantView};
use crate::auth0::tenant::DEFAULT_TENANT;
use crate::receivers::decode_body;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/emulator/v1/tenants", get(list).post(create))
        .route(
            "/emulator/v1/tenants/{id}",
            get(one).patch(patch).delete(delete),
        )
        .route(
            "/emulator/v1/tenants/{id}/reset",
            axum::routing::post(reset),
        )
        .route(
            "/emulator/v1/tenants/{id}/clients",
            get(clients).post(add_client),
        )
        .route("/emulator/v1/tenants/{id}/users", get(users).post(add_user))
        .route("/emulator/v1/limits", get(limits))
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> ApiError {
        match e {
            AdminError::Invalid { field, message } => ApiError::BadParameter { field, message },
            AdminError::NotFound(m) => ApiError::NotFound(m),
            AdminError::Conflict(m) => ApiError::Conflict(m),
            AdminError::Store(e) => ApiError::Store(e),
        }
    }
}

type Answer = Result<Response, ApiError>;

async fn list(State(s): State<AppState>) -> Answer {
    let tenants: Vec<TenantView> = s
        .auth0
        .tenants()
        .await?
        .into_iter()
        .map(|t| TenantView::of(t, s.auth0.own_base()))
        .collect();
    Ok(Json(Tenants { tenants }).into_response())
}

/// `GET /emulator/v1/tenants`.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Tenants {
    pub tenants: Vec<TenantView>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTenant {
    /// `null` (or left out) picks a fresh id.
    #[serde(default)]
    id: Option<String>,
    friendly_name: Option<String>,
}

async fn create(State(s): State<AppState>, JsonRequest(raw): JsonRequest) -> Answer {
    let body: NewTenant = decode_body(&raw.body)?;
    let tenant = match body.id {
        Some(id) => {
            let name = body.friendly_name.unwrap_or_else(|| id.clone());
            s.auth0.create_tenant(&id, &name).await?
        }
        None => {
            s.auth0
                .create_fresh_tenant(body.friendly_name.as_deref())
                .await?
        }
    };
    Ok((
        StatusCode::CREATED,
        Json(TenantView::of(tenant, s.auth0.own_base())),
    )
        .into_response())
}

/// `DELETE /emulator/v1/tenants/{id}`: the tenant and everything it owns (204).
async fn delete(State(s): State<AppState>, Path(id): Path<String>) -> Answer {
    s.auth0.delete_tenant(&id).await?;
    // A tenant made again with this id starts on the global clock.
    s.pipeline.clock().reset_in(s.pipeline.store(), &id).await?;
    s.pipeline
        .publish(crate::capture::pipeline::Event::MessagesCleared {
            to: None,
            tenant: Some(id),
        });
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /emulator/v1/tenants/{id}/reset`: its counters back to zero (204).
async fn reset(State(s): State<AppState>, Path(id): Path<String>) -> Answer {
    s.auth0.reset_tenant(&id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn one(State(s): State<AppState>, Path(id): Path<String>) -> Answer {
    let tenant = s.auth0.get_tenant(&id).await?;
    Ok(Json(TenantView::of(tenant, s.auth0.own_base())).into_response())
}

async fn patch(
    State(s): State<AppState>,
    Path(id): Path<String>,
    JsonRequest(raw): JsonRequest,
) -> Answer {
    let body: Value = decode_body(&raw.body)?;
    let tenant = s.auth0.patch_tenant(&id, &body).await?;
    Ok(Json(TenantView::of(tenant, s.auth0.own_base())).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewClient {
    name: String,
    client_id: Option<String>,
}

async fn add_client(
    State(s): State<AppState>,
    Path(id): Path<String>,
    JsonRequest(raw): JsonRequest,
) -> Answer {
    let body: NewClient = decode_body(&raw.body)?;
    let client = s.auth0.add_client(&id, &body.name, body.client_id).await?;
    Ok((StatusCode::CREATED, Json(client)).into_response())
}

async fn clients(State(s): State<AppState>, Path(id): Path<String>) -> Answer {
    Ok(Json(s.auth0.clients(&id).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    email: String,
    password: String,
    name: Option<String>,
}

async fn add_user(
    State(s): State<AppState>,
    Path(id): Path<String>,
    JsonRequest(raw): JsonRequest,
) -> Answer {
    let body: NewUser = decode_body(&raw.body)?;
    let user = s
        .auth0
        .add_user(&id, &body.email, &body.password, body.name.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

async fn users(State(s): State<AppState>, Path(id): Path<String>) -> Answer {
    Ok(Json(s.auth0.users(&id).await?).into_response())
}

/// `?tenant=default&user_id=auth0|...`.
async fn limits(State(s): State<AppState>, RawQuery(q): RawQuery) -> Answer {
    let mut tenant = DEFAULT_TENANT.to_owned();
    let mut user = None;
    for (k, v) in form_urlencoded::parse(q.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "tenant" => tenant = v.into_owned(),
            "user_id" => user = Some(v.into_owned()),
            other => {
                return Err(ApiError::BadParameter {
                    field: other.to_owned(),
                    message: "unknown parameter (tenant, user_id)".into(),
                })
            }
        }
    }
    Ok(Json(s.auth0.limits_view(&tenant, user.as_deref()).await?).into_response())
}
