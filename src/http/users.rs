//! The Management API's users and MFA administration under `/api/v2`: users,
//! users-by-email, authentication methods, Guardian enrollments and policies,
//! recovery-code regeneration, and a user's logs. Thin: each handler parses, calls
//! the core in `auth0::management`, and answers.

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

use super::body::RawBody;
use super::management::{created, id, logs_answer, ok, query, Answer, Mgmt, MgmtBody};
use super::state::AppState;
use crate::auth0::error::MgmtError;
use crate::auth0::management::authentication_methods::NewMethod;
use crate::auth0::management::guardian::policies;
use crate::auth0::management::logs::LogQuery;
use crate::auth0::management::users::{UserFields, UserQuery};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/users", get(list).post(create))
        .route("/api/v2/users/{id}", get(user).patch(update).delete(remove))
        .route("/api/v2/users-by-email", get(by_email))
        .route(
            "/api/v2/users/{id}/authentication-methods",
            get(methods).post(add_method).delete(remove_methods),
        )
        .route(
            "/api/v2/users/{id}/authentication-methods/{method}",
            get(method).delete(remove_method),
        )
        .route("/api/v2/users/{id}/enrollments", get(enrollments))
        .route(
            "/api/v2/users/{id}/recovery-code-regeneration",
            post(regenerate),
        )
        .route("/api/v2/users/{id}/logs", get(user_logs))
        .route(
            "/api/v2/guardian/enrollments/{id}",
            get(enrollment).delete(remove_enrollment),
        )
        .route(
            "/api/v2/guardian/policies",
            get(get_policies).put(set_policies),
        )
}

type Params = Path<HashMap<String, String>>;

fn no_content() -> Answer {
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn param<'a>(p: &'a HashMap<String, String>, name: &str) -> &'a str {
    p.get(name).map(String::as_str).unwrap_or_default()
}

async fn list(State(s): State<AppState>, Mgmt(c): Mgmt, RawQuery(q): RawQuery) -> Answer {
    ok(s.auth0
        .users_search(&c.tenant, &query::<UserQuery>(q)?)
        .await?)
}

async fn by_email(State(s): State<AppState>, Mgmt(c): Mgmt, RawQuery(q): RawQuery) -> Answer {
    ok(s.auth0
        .users_by_email(&c.tenant, &query::<UserQuery>(q)?)
        .await?)
}

async fn user(State(s): State<AppState>, Mgmt(c): Mgmt, Path(p): Params) -> Answer {
    ok(s.auth0.user(&c.tenant, id(&p)).await?)
}

async fn create(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    MgmtBody(b): MgmtBody<UserFields>,
) -> Answer {
    created(s.auth0.create_user(&c.tenant, b).await?)
}

async fn update(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    Path(p): Params,
    MgmtBody(b): MgmtBody<UserFields>,
) -> Answer {
    ok(s.auth0.update_user(&c.tenant, id(&p), b).await?)
}

async fn remove(State(s): State<AppState>, Mgmt(c): Mgmt, Path(p): Params) -> Answer {
    s.auth0.delete_user(&c.tenant, id(&p)).await?;
    no_content()
}

async fn methods(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    Path(p): Params,
    RawQuery(q): RawQuery,
) -> Answer {
    let q: UserQuery = query(q)?;
    ok(s.auth0
        .authentication_methods(&c.tenant, id(&p), q.include_totals.as_deref())
        .await?)
}

async fn method(State(s): State<AppState>, Mgmt(c): Mgmt, Path(p): Params) -> Answer {
    ok(s.auth0
        .authentication_method(&c.tenant, id(&p), param(&p, "method"))
        .await?)
}

async fn add_method(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    Path(p): Params,
    MgmtBody(b): MgmtBody<NewMethod>,
) -> Answer {
    created(
        s.auth0
            .add_authentication_method(&c.tenant, id(&p), b)
            .await?,
    )
}

async fn remove_methods(State(s): State<AppState>, Mgmt(c): Mgmt, Path(p): Params) -> Answer {
    s.auth0
        .delete_authentication_methods(&c.tenant, id(&p), None)
        .await?;
    no_content()
}

async fn remove_method(State(s): State<AppState>, Mgmt(c): Mgmt, Path(p): Params) -> Answer {
    s.auth0
        .delete_authentication_methods(&c.tenant, id(&p), Some(param(&p, "method")))
        .await?;
    no_content()
}

async fn enrollments(State(s): State<AppState>, Mgmt(c): Mgmt, Path(p): Params) -> Answer {
    ok(s.auth0.enrollments(&c.tenant, id(&p)).await?)
}

async fn enrollment(State(s): State<AppState>, Mgmt(c): Mgmt, Path(p): Params) -> Answer {
    ok(s.auth0.guardian_enrollment(&c.tenant, id(&p)).await?)
}

async fn remove_enrollment(State(s): State<AppState>, Mgmt(c): Mgmt, Path(p): Params) -> Answer {
    s.auth0
        .delete_guardian_enrollment(&c.tenant, id(&p))
        .await?;
    no_content()
}

async fn regenerate(State(s): State<AppState>, Mgmt(c): Mgmt, Path(p): Params) -> Answer {
    ok(s.auth0.regenerate_recovery_code(&c.tenant, id(&p)).await?)
}

async fn user_logs(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    Path(p): Params,
    RawQuery(q): RawQuery,
) -> Answer {
    let user_id = id(&p);
    let found = s
        .auth0
        .user_logs(&c.tenant, user_id, &query::<LogQuery>(q)?)
        .await?;
    let path = format!("/api/v2/users/{}/logs", urlencoding(user_id));
    logs_answer(&c, &path, found)
}

fn urlencoding(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn get_policies(Mgmt(c): Mgmt) -> Answer {
    ok(policies(&c.tenant))
}

/// The body is a bare array (`["all-applications"]`), which the object-only
/// body reader refuses.
async fn set_policies(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    RawBody(raw, _): RawBody<MgmtError>,
) -> Answer {
    let body: Vec<String> = serde_json::from_slice(&raw.body).map_err(|e| {
        MgmtError::bad_request(format!(
            "Payload validation error: the body must be an array of policy names ({e})"
        ))
    })?;
    ok(s.auth0.set_policies(&c.tenant.id, body).await?)
}
