//! The emulated tenant's Authentication API (`/oauth/token`, `/mfa/*`, JWKS), and
//! which tenant a request is for.
//!
//! A tenant is reached like an Auth0 domain: `http://127.0.0.1:7676` is the default
//! tenant; `http://acme.localhost:7676` or the prefix `http://127.0.0.1:7676/t/acme`
//! is tenant `acme` (the prefix suits clients that cannot resolve `*.localhost`).

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Path, RawPathParams, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use super::body::BodyError;
use super::body::RawBody;
use super::state::AppState;
use crate::auth0::api::passwordless::PASSWORDLESS_OTP_GRANT;
use crate::auth0::api::token::{MFA_OOB_GRANT, MFA_RECOVERY_GRANT};
use crate::auth0::error::AuthError;
use crate::auth0::json::{
    Associate, Challenge, ClientCredentialsGrant, OobGrant, OtpGrant, PasswordGrant,
    PasswordlessStart, RecoveryGrant,
};
use crate::auth0::tenant::{self, DEFAULT_TENANT};
use crate::auth0::Caller;
use crate::message::RawRequest;

/// The Authentication API, mounted at the root and under `/t/{tenant}`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/oauth/token", post(token))
        .route("/passwordless/start", post(passwordless_start))
        .route("/mfa/associate", post(associate))
        .route("/mfa/challenge", post(challenge))
        .route("/mfa/authenticators", get(authenticators))
        .route("/mfa/authenticators/{id}", delete(delete_authenticator))
        .route("/.well-known/jwks.json", get(jwks))
        .route(
            "/.well-known/openid-configuration",
            get(openid_configuration),
        )
}

/// The tenant a request names: `/t/{tenant}/...`, else `{tenant}.localhost`, else
/// the default.
fn tenant_id(parts: &Parts, path_tenant: Option<String>) -> (String, String) {
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    if let Some(id) = path_tenant {
        let base = format!("http://{host}/t/{id}");
        return (id, base);
    }
    let name = host
        .rsplit_once(':')
        .map_or(host.as_str(), |(name, _)| name);
    let id = name
        .strip_suffix(".localhost")
        .filter(|sub| !sub.contains('.'))
        .unwrap_or(DEFAULT_TENANT)
        .to_owned();
    (id, format!("http://{host}"))
}

/// Extracts the calling tenant; an unknown one answers in the API's own shape.
pub struct TenantCaller<E>(pub Caller, pub std::marker::PhantomData<E>);

/// Errors the tenant lookup can end in, in each API's shape.
pub trait UnknownTenant: IntoResponse {
    fn unknown_tenant(id: &str) -> Self;
    fn internal(e: crate::store::StoreError) -> Self;
}

impl UnknownTenant for AuthError {
    fn unknown_tenant(id: &str) -> AuthError {
        AuthError::new(
            404,
            "invalid_request",
            format!("No tenant '{id}' in this Phonebox (create it with POST /emulator/v1/tenants)"),
        )
    }

    fn internal(e: crate::store::StoreError) -> AuthError {
        AuthError::from(e)
    }
}

impl<E: UnknownTenant> FromRequestParts<AppState> for TenantCaller<E> {
    type Rejection = E;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, E> {
        let path_tenant = RawPathParams::from_request_parts(parts, state)
            .await
            .ok()
            .and_then(|params| {
                params
                    .iter()
                    .find(|(k, _)| *k == "tenant")
                    .map(|(_, v)| v.to_owned())
            });
        let (id, base_url) = tenant_id(parts, path_tenant);
        let found = if tenant::valid_id(&id) {
            state.auth0.tenant(&id).await.map_err(E::internal)?
        } else {
            None
        };
        let tenant = found.ok_or_else(|| E::unknown_tenant(&id))?;
        let header = |name: header::HeaderName| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Ok(TenantCaller(
            Caller {
                tenant,
                base_url,
                // The caller's address, as Auth0 logs it (and passes to Actions).
                ip: parts
                    .extensions
                    .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                    .map(|info| info.0.ip().to_string()),
                user_agent: header(header::USER_AGENT),
                accept_language: header(header::ACCEPT_LANGUAGE),
                from_page: header(header::ORIGIN).is_some()
                    || header(header::HeaderName::from_static("sec-fetch-site"))
                        .is_some_and(|site| site.trim() != "none"),
            },
            std::marker::PhantomData,
        ))
    }
}

type AuthCaller = TenantCaller<AuthError>;

/// A form or JSON body as one JSON object (form values are strings).
fn body_object(raw: &RawRequest) -> Result<Map<String, Value>, AuthError> {
    if crate::receivers::is_form(raw) {
        return Ok(form_urlencoded::parse(&raw.body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect());
    }
    match serde_json::from_slice::<Value>(&raw.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(AuthError::invalid_request(
            "The body must be a JSON object or a form",
        )),
        Err(e) if raw.body.is_empty() => Err(AuthError::invalid_request(format!(
            "The body is empty: {e}"
        ))),
        Err(e) => Err(AuthError::invalid_request(format!(
            "The body is not valid JSON: {e}"
        ))),
    }
}

fn typed<T: DeserializeOwned>(body: Map<String, Value>) -> Result<T, AuthError> {
    serde_path_to_error::deserialize(Value::Object(body)).map_err(|e| {
        AuthError::invalid_request(format!("Invalid parameter {}: {}", e.path(), e.inner()))
    })
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    crate::auth0::bearer::bearer(
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
    )
}

async fn token(
    State(state): State<AppState>,
    TenantCaller(caller, _): AuthCaller,
    RawBody(raw, _): RawBody<AuthError>,
) -> Result<Response, AuthError> {
    let body = body_object(&raw)?;
    let grant = body
        .get("grant_type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let answer = match grant.as_str() {
        "password" | "http://auth0.com/oauth/grant-type/password-realm" => {
            state
                .auth0
                .password_grant(&caller, &typed::<PasswordGrant>(body)?)
                .await?
        }
        MFA_OOB_GRANT => {
            state
                .auth0
                .oob_grant(&caller, &typed::<OobGrant>(body)?)
                .await?
        }
        "client_credentials" => {
            state
                .auth0
                .client_credentials_grant(&caller, &typed::<ClientCredentialsGrant>(body)?)
                .await?
        }
        PASSWORDLESS_OTP_GRANT => {
            state
                .auth0
                .otp_grant(&caller, &typed::<OtpGrant>(body)?)
                .await?
        }
        MFA_RECOVERY_GRANT => {
            state
                .auth0
                .recovery_grant(&caller, &typed::<RecoveryGrant>(body)?)
                .await?
        }
        "" => {
            return Err(AuthError::invalid_request(
                "Missing required parameter: grant_type",
            ))
        }
        other => {
            return Err(AuthError::new(
                403,
                "unsupported_grant_type",
                format!("Unsupported grant type: {other} (Phonebox emulates password, client_credentials, passwordless/otp, mfa-oob and mfa-recovery-code)"),
            ))
        }
    };
    Ok(Json(answer).into_response())
}

async fn passwordless_start(
    State(state): State<AppState>,
    TenantCaller(caller, _): AuthCaller,
    RawBody(raw, _): RawBody<AuthError>,
) -> Result<Response, AuthError> {
    let body: PasswordlessStart = typed(body_object(&raw)?)?;
    Ok(Json(state.auth0.passwordless_start(&caller, &body).await?).into_response())
}

async fn associate(
    State(state): State<AppState>,
    TenantCaller(caller, _): AuthCaller,
    headers: HeaderMap,
    RawBody(raw, _): RawBody<AuthError>,
) -> Result<Response, AuthError> {
    let body: Associate = typed(body_object(&raw)?)?;
    Ok(Json(
        state
            .auth0
            .associate(&caller, bearer(&headers), &body)
            .await?,
    )
    .into_response())
}

async fn challenge(
    State(state): State<AppState>,
    TenantCaller(caller, _): AuthCaller,
    RawBody(raw, _): RawBody<AuthError>,
) -> Result<Response, AuthError> {
    let body: Challenge = typed(body_object(&raw)?)?;
    Ok(Json(state.auth0.challenge(&caller, &body).await?).into_response())
}

async fn authenticators(
    State(state): State<AppState>,
    TenantCaller(caller, _): AuthCaller,
    headers: HeaderMap,
) -> Result<Response, AuthError> {
    Ok(Json(
        state
            .auth0
            .authenticators(&caller, bearer(&headers))
            .await?,
    )
    .into_response())
}

async fn delete_authenticator(
    State(state): State<AppState>,
    TenantCaller(caller, _): AuthCaller,
    Path(params): Path<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, AuthError> {
    let id = params.get("id").map(String::as_str).unwrap_or_default();
    state
        .auth0
        .delete_authenticator(&caller, bearer(&headers), id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn jwks(
    State(state): State<AppState>,
    TenantCaller(_, _): AuthCaller,
) -> Result<Response, AuthError> {
    Ok(Json(state.auth0.signer().await?.jwks()).into_response())
}

async fn openid_configuration(TenantCaller(caller, _): AuthCaller) -> Response {
    let issuer = caller.issuer();
    Json(json!({
        "issuer": issuer,
        "token_endpoint": format!("{issuer}oauth/token"),
        "jwks_uri": format!("{issuer}.well-known/jwks.json"),
        "mfa_challenge_endpoint": format!("{issuer}mfa/challenge"),
        "grant_types_supported": ["password", "client_credentials", PASSWORDLESS_OTP_GRANT, MFA_OOB_GRANT, MFA_RECOVERY_GRANT],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
    .into_response()
}

impl From<BodyError> for AuthError {
    fn from(e: BodyError) -> AuthError {
        match e {
            BodyError::TooLarge(limit) => AuthError::new(
                413,
                "invalid_request",
                format!("The request body is larger than Phonebox's {limit}-byte limit"),
            ),
            BodyError::Unreadable(why) => AuthError::invalid_request(why),
            BodyError::TimedOut(after) => {
                AuthError::new(408, "invalid_request", BodyError::timed_out_message(after))
            }
        }
    }
}

/// An answer the router made itself (unknown path, wrong method, bad path or
/// query), in the Authentication API's shape.
pub(super) fn routing_error(status: StatusCode, message: String) -> Response {
    let error = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        _ => "invalid_request",
    };
    AuthError::new(status.as_u16(), error, message).into_response()
}

/// The Authentication API's `{"error", "error_description"}`, with any extra members.
impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        if let Some(cause) = &self.cause {
            super::error::log_failure("auth0", self.status, cause);
        }
        let mut body =
            serde_json::json!({ "error": self.error, "error_description": self.description });
        if let (Some(serde_json::Value::Object(extra)), Some(map)) =
            (self.extra, body.as_object_mut())
        {
            map.extend(extra);
        }
        (status, Json(body)).into_response()
    }
}
