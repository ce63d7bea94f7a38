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
use super::error::{ApiError, ErrorBody};
use super::state::AppState;
use crate::auth0::admin::{
    AdminError, ClientView, LimitsView, NewClient as CreatedClient, TenantView, UserView,
};
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

/// Every emulated tenant.
#[utoipa::path(get, operation_id = "listTenants", path = "/emulator/v1/tenants", tag = "tenants",
    responses((status = 200, description = "The tenants", body = Tenants)))]
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
#[derive(Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Tenants {
    pub tenants: Vec<TenantView>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewTenant {
    /// `null` (or left out) picks a fresh id.
    #[serde(default)]
    id: Option<String>,
    /// The id unless said.
    friendly_name: Option<String>,
}

/// Creates a tenant (with a fresh `t-…` id when `id` is null or left out).
#[utoipa::path(post, operation_id = "createTenant", path = "/emulator/v1/tenants", tag = "tenants",
    request_body = NewTenant,
    responses(
        (status = 201, description = "Created", body = TenantView),
        (status = 400, description = "A bad body (`field` names it)", body = ErrorBody),
        (status = 409, description = "A tenant with this id exists", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
    ))]
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
#[utoipa::path(delete, operation_id = "deleteTenant", path = "/emulator/v1/tenants/{id}", tag = "tenants",
    params(("id" = String, Path, description = "The tenant id")),
    responses(
        (status = 204, description = "Deleted, with its users, clients, messages, logs, counters and forwards"),
        (status = 404, description = "No such tenant", body = ErrorBody),
        (status = 409, description = "The default tenant cannot be deleted", body = ErrorBody),
    ))]
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
#[utoipa::path(post, operation_id = "resetTenant", path = "/emulator/v1/tenants/{id}/reset", tag = "tenants",
    params(("id" = String, Path, description = "The tenant id")),
    responses(
        (status = 204, description = "Its users' buckets and the built-in provider's count are back to zero"),
        (status = 404, description = "No such tenant", body = ErrorBody),
    ))]
async fn reset(State(s): State<AppState>, Path(id): Path<String>) -> Answer {
    s.auth0.reset_tenant(&id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// One tenant and its settings.
#[utoipa::path(get, operation_id = "getTenant", path = "/emulator/v1/tenants/{id}", tag = "tenants",
    params(("id" = String, Path, description = "The tenant id")),
    responses((status = 200, description = "The tenant", body = TenantView), (status = 404, description = "No such tenant", body = ErrorBody)))]
async fn one(State(s): State<AppState>, Path(id): Path<String>) -> Answer {
    let tenant = s.auth0.get_tenant(&id).await?;
    Ok(Json(TenantView::of(tenant, s.auth0.own_base())).into_response())
}

/// Changes a tenant's name or settings: a JSON merge patch (RFC 7396) of its view.
#[utoipa::path(patch, operation_id = "patchTenant", path = "/emulator/v1/tenants/{id}", tag = "tenants",
    params(("id" = String, Path, description = "The tenant id")),
    request_body(content = Object, description = "A JSON merge patch of the tenant: `friendly_name`, `settings`", content_type = "application/json"),
    responses(
        (status = 200, description = "The tenant as changed", body = TenantView),
        (status = 400, description = "A bad body (`field` names it)", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
    ))]
async fn patch(
    State(s): State<AppState>,
    Path(id): Path<String>,
    JsonRequest(raw): JsonRequest,
) -> Answer {
    let body: Value = decode_body(&raw.body)?;
    let tenant = s.auth0.patch_tenant(&id, &body).await?;
    Ok(Json(TenantView::of(tenant, s.auth0.own_base())).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewClient {
    name: String,
    client_id: Option<String>,
}

/// Adds an application; its secret is in this answer only.
#[utoipa::path(post, operation_id = "createClient", path = "/emulator/v1/tenants/{id}/clients", tag = "tenants",
    params(("id" = String, Path, description = "The tenant id")),
    request_body = NewClient,
    responses(
        (status = 201, description = "Created", body = CreatedClient),
        (status = 400, description = "A bad body (`field` names it)", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
        (status = 409, description = "A client with this id exists", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
    ))]
async fn add_client(
    State(s): State<AppState>,
    Path(id): Path<String>,
    JsonRequest(raw): JsonRequest,
) -> Answer {
    let body: NewClient = decode_body(&raw.body)?;
    let client = s.auth0.add_client(&id, &body.name, body.client_id).await?;
    Ok((StatusCode::CREATED, Json(client)).into_response())
}

/// A tenant's applications.
#[utoipa::path(get, operation_id = "listClients", path = "/emulator/v1/tenants/{id}/clients", tag = "tenants",
    params(("id" = String, Path, description = "The tenant id")),
    responses((status = 200, description = "Its applications", body = Vec<ClientView>), (status = 404, description = "No such tenant", body = ErrorBody)))]
async fn clients(State(s): State<AppState>, Path(id): Path<String>) -> Answer {
    Ok(Json(s.auth0.clients(&id).await?).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewUser {
    email: String,
    password: String,
    name: Option<String>,
}

/// Adds a user.
#[utoipa::path(post, operation_id = "createUser", path = "/emulator/v1/tenants/{id}/users", tag = "tenants",
    params(("id" = String, Path, description = "The tenant id")),
    request_body = NewUser,
    responses(
        (status = 201, description = "Created", body = UserView),
        (status = 400, description = "A bad body (`field` names it)", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
        (status = 409, description = "A user with this email exists", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
    ))]
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

/// A tenant's users; with `?email=`, only those with that email (any case).
#[utoipa::path(get, operation_id = "listUsers", path = "/emulator/v1/tenants/{id}/users", tag = "tenants",
    params(
        ("id" = String, Path, description = "The tenant id"),
        ("email" = Option<String>, Query, description = "Only the users with this email (any case)"),
    ),
    responses((status = 200, description = "Its users", body = Vec<UserView>), (status = 404, description = "No such tenant", body = ErrorBody)))]
async fn users(State(s): State<AppState>, Path(id): Path<String>, RawQuery(q): RawQuery) -> Answer {
    let email = form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "email")
        .map(|(_, v)| v.into_owned());
    Ok(Json(s.auth0.users(&id, email.as_deref()).await?).into_response())
}

/// `?tenant=default&user_id=auth0|...`.
#[utoipa::path(get, operation_id = "getLimits", path = "/emulator/v1/limits", tag = "limits",
    params(
        ("tenant" = Option<String>, Query, description = "The tenant; `default` unless said"),
        ("user_id" = Option<String>, Query, description = "Only this user's buckets"),
    ),
    responses(
        (status = 200, description = "Each user's buckets and the built-in provider's count", body = LimitsView),
        (status = 400, description = "An unknown parameter", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
    ))]
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
