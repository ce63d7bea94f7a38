//! The Management API's phone parts under `/api/v2`: Guardian phone factor, Unified
//! Phone providers and templates, and logs.
//!
//! Any bearer token is accepted in permissive mode (the default); otherwise it must
//! be a token from the tenant's client-credentials grant or one of its client secrets.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};

use super::auth0::{TenantCaller, UnknownTenant};
use super::body::BodyError;
use super::body::RawBody;
use super::state::AppState;
use crate::auth0::bearer::Authorized;
use crate::auth0::error::MgmtError;
use crate::auth0::management::branding_providers::{NewProvider, ProviderPatch};
use crate::auth0::management::branding_templates::{NewTemplate, TemplatePatch};
use crate::auth0::management::guardian::{Enabled, MessageTypes, SelectedProvider, TwilioSettings};
use crate::auth0::management::logs::{LogQuery, Logs};
use crate::auth0::management::test_message::TryMessage;
use crate::auth0::tenant::GuardianTemplates;
use crate::auth0::Caller;

pub fn routes() -> Router<AppState> {
    let mut router = Router::new()
        .route("/api/v2/guardian/factors", get(factors))
        .route("/api/v2/guardian/factors/{name}", put(set_other_factor));
    // The phone factor and its legacy `sms` twin answer alike; other factors are not
    // emulated and get the router's 404.
    for factor in ["phone", "sms"] {
        let base = format!("/api/v2/guardian/factors/{factor}");
        router = router
            .route(&base, put(set_factor))
            .route(
                &format!("{base}/message-types"),
                get(message_types).put(set_message_types),
            )
            .route(
                &format!("{base}/selected-provider"),
                get(selected_provider).put(set_selected_provider),
            )
            .route(
                &format!("{base}/providers/twilio"),
                get(twilio).put(set_twilio),
            )
            .route(
                &format!("{base}/templates"),
                get(templates).put(set_templates),
            );
    }
    router
        .route(
            "/api/v2/branding/phone/providers",
            get(providers).post(create_provider),
        )
        .route(
            "/api/v2/branding/phone/providers/{id}",
            get(provider).patch(update_provider).delete(delete_provider),
        )
        .route(
            "/api/v2/branding/phone/providers/{id}/try",
            post(try_provider),
        )
        .route(
            "/api/v2/branding/phone/templates",
            get(phone_templates).post(create_template),
        )
        .route(
            "/api/v2/branding/phone/templates/{id}",
            get(phone_template)
                .patch(update_template)
                .delete(delete_template),
        )
        .route(
            "/api/v2/branding/phone/templates/{id}/reset",
            patch(reset_template).put(reset_template),
        )
        .route(
            "/api/v2/branding/phone/templates/{id}/try",
            post(try_template),
        )
        .route("/api/v2/logs", get(logs))
        .route("/api/v2/logs/{id}", get(log))
}

impl UnknownTenant for MgmtError {
    fn unknown_tenant(id: &str) -> MgmtError {
        MgmtError::not_found(format!("No tenant '{id}' in this Phonebox"))
    }

    fn internal(e: crate::store::StoreError) -> MgmtError {
        MgmtError::from(e)
    }
}

/// A Management API caller whose bearer token was accepted (by `authorize`).
#[derive(Clone)]
pub(super) struct Mgmt(pub Caller);

impl FromRequestParts<AppState> for Mgmt {
    type Rejection = MgmtError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, MgmtError> {
        parts
            .extensions
            .get::<Mgmt>()
            .cloned()
            .ok_or_else(|| MgmtError::internal("a Management API route runs without `authorize`"))
    }
}

/// A JSON body decoded into `T`, or the Management API's 400 naming the field.
pub(super) struct MgmtBody<T>(pub T);

impl<T: serde::de::DeserializeOwned> axum::extract::FromRequest<AppState> for MgmtBody<T> {
    type Rejection = MgmtError;

    async fn from_request(
        request: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, MgmtError> {
        let RawBody(raw, _) = RawBody::<MgmtError>::from_request(request, state).await?;
        crate::receivers::decode_body(&raw.body)
            .map(MgmtBody)
            .map_err(|e| MgmtError::bad_request(format!("Payload validation error: {e}")))
    }
}

pub(super) type Answer = Result<Response, MgmtError>;

pub(super) fn ok(value: impl serde::Serialize) -> Answer {
    Ok(Json(value).into_response())
}

pub(super) fn created(value: impl serde::Serialize) -> Answer {
    Ok((StatusCode::CREATED, Json(value)).into_response())
}

pub(super) fn id(params: &HashMap<String, String>) -> &str {
    params.get("id").map(String::as_str).unwrap_or_default()
}

/// `?disabled=true|false`.
fn disabled(query: Option<String>) -> Result<Option<bool>, MgmtError> {
    let query = query.unwrap_or_default();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if k == "disabled" {
            return match v.as_ref() {
                "true" => Ok(Some(true)),
                "false" => Ok(Some(false)),
                _ => Err(MgmtError::new(
                    400,
                    "Query validation error: disabled must be true or false",
                    Some("invalid_query_string"),
                )),
            };
        }
    }
    Ok(None)
}

async fn factors(State(s): State<AppState>, Mgmt(c): Mgmt) -> Answer {
    ok(s.auth0.factors(&c.tenant))
}

async fn set_factor(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    MgmtBody(body): MgmtBody<Enabled>,
) -> Answer {
    ok(s.auth0.set_phone_enabled(&c.tenant.id, body).await?)
}

async fn set_other_factor(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    Path(p): Path<HashMap<String, String>>,
    MgmtBody(body): MgmtBody<Enabled>,
) -> Answer {
    let name = p.get("name").map(String::as_str).unwrap_or_default();
    ok(s.auth0.set_other_factor(&c.tenant.id, name, body).await?)
}

async fn message_types(State(s): State<AppState>, Mgmt(c): Mgmt) -> Answer {
    ok(s.auth0.message_types(&c.tenant))
}

async fn set_message_types(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    MgmtBody(body): MgmtBody<MessageTypes>,
) -> Answer {
    ok(s.auth0.set_message_types(&c.tenant.id, body).await?)
}

async fn selected_provider(State(s): State<AppState>, Mgmt(c): Mgmt) -> Answer {
    ok(s.auth0.selected_provider(&c.tenant))
}

async fn set_selected_provider(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    MgmtBody(body): MgmtBody<SelectedProvider>,
) -> Answer {
    ok(s.auth0.set_selected_provider(&c.tenant.id, body).await?)
}

async fn twilio(State(s): State<AppState>, Mgmt(c): Mgmt) -> Answer {
    ok(s.auth0.twilio(&c.tenant))
}

async fn set_twilio(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    MgmtBody(body): MgmtBody<TwilioSettings>,
) -> Answer {
    ok(s.auth0.set_twilio(&c.tenant.id, body).await?)
}

async fn templates(State(s): State<AppState>, Mgmt(c): Mgmt) -> Answer {
    ok(s.auth0.guardian_templates(&c.tenant))
}

async fn set_templates(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    MgmtBody(body): MgmtBody<GuardianTemplates>,
) -> Answer {
    ok(s.auth0.set_guardian_templates(&c.tenant.id, body).await?)
}

async fn providers(State(s): State<AppState>, Mgmt(c): Mgmt, RawQuery(q): RawQuery) -> Answer {
    ok(s.auth0.phone_providers(&c.tenant, disabled(q)?))
}

async fn create_provider(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    MgmtBody(body): MgmtBody<NewProvider>,
) -> Answer {
    created(s.auth0.create_phone_provider(&c.tenant.id, body).await?)
}

async fn provider(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    Path(p): Path<HashMap<String, String>>,
) -> Answer {
    ok(s.auth0.phone_provider(&c.tenant, id(&p))?)
}

async fn update_provider(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    Path(p): Path<HashMap<String, String>>,
    MgmtBody(body): MgmtBody<ProviderPatch>,
) -> Answer {
    ok(s.auth0
        .update_phone_provider(&c.tenant.id, id(&p), body)
        .await?)
}

async fn delete_provider(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    Path(p): Path<HashMap<String, String>>,
) -> Answer {
    s.auth0.delete_phone_provider(&c.tenant.id, id(&p)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn try_provider(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    Path(p): Path<HashMap<String, String>>,
    MgmtBody(body): MgmtBody<TryMessage>,
) -> Answer {
    let answer = s.auth0.try_provider(&c.tenant, id(&p), body).await?;
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}

async fn phone_templates(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    RawQuery(q): RawQuery,
) -> Answer {
    ok(s.auth0.phone_templates(&c.tenant, disabled(q)?))
}

async fn create_template(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    MgmtBody(body): MgmtBody<NewTemplate>,
) -> Answer {
    created(s.auth0.create_phone_template(&c.tenant.id, body).await?)
}

async fn phone_template(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    Path(p): Path<HashMap<String, String>>,
) -> Answer {
    ok(s.auth0.phone_template(&c.tenant, id(&p))?)
}

async fn update_template(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    Path(p): Path<HashMap<String, String>>,
    MgmtBody(body): MgmtBody<TemplatePatch>,
) -> Answer {
    ok(s.auth0
        .update_phone_template(&c.tenant.id, id(&p), body)
        .await?)
}

async fn reset_template(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    Path(p): Path<HashMap<String, String>>,
) -> Answer {
    ok(s.auth0.reset_phone_template(&c.tenant.id, id(&p)).await?)
}

async fn delete_template(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    Path(p): Path<HashMap<String, String>>,
) -> Answer {
    s.auth0.delete_phone_template(&c.tenant.id, id(&p)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn try_template(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    Path(p): Path<HashMap<String, String>>,
    MgmtBody(body): MgmtBody<TryMessage>,
) -> Answer {
    let answer = s.auth0.try_send(&c.tenant, Some(id(&p)), body).await?;
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}

/// Lets each Management API call through once (its tenant, bearer and the
/// endpoint's scope) for the handler's `Mgmt`, and logs each write as Auth0
/// does: `sapi` when it succeeds, `fapi` when it is refused.
pub(super) async fn authorize(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let caller = match TenantCaller::<MgmtError>::from_request_parts(&mut parts, &state).await {
        Ok(TenantCaller(caller, _)) => caller,
        Err(e) => return e.into_response(),
    };
    let method = parts.method.clone();
    let path = parts.uri.path().to_owned();
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let scope = crate::auth0::bearer::management_scope(method.as_str(), &path);
    let authorized = state
        .auth0
        .authorize_management(&caller, authorization.as_deref(), scope.as_deref())
        .await;
    let (response, client) = match authorized {
        Ok(who) => {
            parts.extensions.insert(Mgmt(caller.clone()));
            let response = next
                .run(axum::extract::Request::from_parts(parts, body))
                .await;
            (response, Some(who))
        }
        Err(e) => (e.into_response(), None),
    };
    if matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS") {
        return response;
    }
    let client = match client {
        Some(Authorized::Client(id)) => Some(id),
        // Nothing checked the bearer: name its client where it has one.
        _ => {
            state
                .auth0
                .management_client(&caller, authorization.as_deref())
                .await
        }
    };
    let status = response.status().as_u16();
    if let Err(e) = state
        .auth0
        .log_api_write(&caller, client, method.as_str(), &path, status)
        .await
    {
        tracing::warn!(error = %e, "could not log a Management API write");
    }
    response
}

/// A query string decoded into `T`, or the Management API's 400.
pub(super) fn query<T: serde::de::DeserializeOwned>(raw: Option<String>) -> Result<T, MgmtError> {
    serde_urlencoded::from_str(&raw.unwrap_or_default()).map_err(|e| {
        MgmtError::new(
            400,
            format!("Query validation error: {e}"),
            Some("invalid_query_string"),
        )
    })
}

/// A log search's answer; checkpoint paging adds the next page's `Link`.
pub(super) fn logs_answer(caller: &Caller, path: &str, logs: Logs) -> Answer {
    let mut response = Json(logs.body).into_response();
    if let Some(next) = logs.next {
        let link = format!("<{}{path}?{next}>; rel=\"next\"", caller.base_url);
        if let Ok(value) = header::HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

async fn logs(State(s): State<AppState>, Mgmt(c): Mgmt, RawQuery(q): RawQuery) -> Answer {
    let found = s.auth0.logs(&c.tenant, &query::<LogQuery>(q)?).await?;
    logs_answer(&c, "/api/v2/logs", found)
}

async fn log(
    State(s): State<AppState>,
    Mgmt(c): Mgmt,
    Path(p): Path<HashMap<String, String>>,
) -> Answer {
    ok(s.auth0.log(&c.tenant, id(&p)).await?)
}

impl From<BodyError> for MgmtError {
    fn from(e: BodyError) -> MgmtError {
        match e {
            BodyError::TooLarge(limit) => MgmtError::new(
                413,
                format!("Payload too large: Phonebox takes at most {limit} bytes"),
                Some("payload_too_large"),
            ),
            BodyError::Unreadable(why) => MgmtError::bad_request(why),
            BodyError::TimedOut(after) => MgmtError::new(
                408,
                BodyError::timed_out_message(after),
                Some("request_timeout"),
            ),
        }
    }
}

/// An answer the router made itself, in the Management API's shape.
pub(super) fn routing_error(status: StatusCode, message: String) -> Response {
    MgmtError::new(status.as_u16(), message, None).into_response()
}

/// The Management API's `{"statusCode", "error", "message", "errorCode"}`.
impl IntoResponse for MgmtError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        if let Some(cause) = &self.cause {
            super::error::log_failure("management", self.status, cause);
        }
        let mut body = serde_json::json!({
            "statusCode": self.status,
            "error": self.reason(),
            "message": self.message,
        });
        if let Some(code) = &self.error_code {
            body["errorCode"] = serde_json::json!(code);
        }
        (status, Json(body)).into_response()
    }
}
