//! `/emulator/v1`: Phonebox's own API for QA, the CLI and the UI.

use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::body::JsonRequest;
use super::error::{ApiError, ErrorBody};
use super::state::AppState;
use crate::capture::inbox;
use crate::message::phone::PhoneNumber;
use crate::message::{Channel, Source, Status};
use crate::store::messages::{self, After, Filter, PhoneSummary};

/// The longest a `latest?wait=` request is held.
const MAX_WAIT: Duration = Duration::from_secs(600);
const DEFAULT_PAGE: u32 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/emulator/v1/health", get(health))
        .route("/emulator/v1/messages", get(list).delete(clear_all))
        .route("/emulator/v1/messages/{id}", get(one).delete(delete_one))
        .route("/emulator/v1/phones", get(phones))
        .route(
            "/emulator/v1/phones/{number}",
            axum::routing::delete(clear_phone),
        )
        .route("/emulator/v1/phones/{number}/latest", get(latest))
        .route(
            "/emulator/v1/phones/{number}/read",
            axum::routing::post(mark_read),
        )
        .route("/emulator/v1/capture", get(capture_state).put(set_capture))
        .route("/emulator/v1/events", get(super::events::stream))
}

/// `GET /emulator/v1/health`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Health {
    /// `ok`, or `degraded` when the database stopped taking writes.
    #[schema(value_type = String)]
    pub status: &'static str,
    #[schema(value_type = String)]
    pub version: &'static str,
    pub writable: bool,
    pub read_only: bool,
    pub held_waits: usize,
    pub paused: bool,
    pub live_views: usize,
    /// What the desktop shell wants shown (e.g. that it moved to another port).
    #[schema(required = true)]
    pub notice: Option<String>,
}

/// `GET /emulator/v1/phones`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct PhonesPage {
    pub phones: Vec<PhoneSummary>,
    /// Unread messages on every phone.
    pub unread: i64,
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// How many messages a delete removed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Deleted {
    pub deleted: u64,
}

/// `POST /emulator/v1/phones/{number}/read`: the newest message now read.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MarkedRead {
    #[schema(value_type = String)]
    pub to: PhoneNumber,
    /// The newest message now read; none when the phone has none.
    #[schema(required = true)]
    pub last_read_id: Option<String>,
}

/// Whether capture is paused.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Capture {
    pub paused: bool,
}

/// Liveness, whether the database takes writes, and how many `latest?wait=`
/// requests are held (so a test can know its wait has reached the server before
/// it triggers a message). A database that stopped taking writes answers 503
/// `degraded`; one opened `--read-only` is `ok`, as asked.
#[utoipa::path(get, operation_id = "getHealth", path = "/emulator/v1/health", tag = "health",
    responses(
        (status = 200, description = "Up, and the database takes writes (or is read-only as asked)", body = Health),
        (status = 503, description = "Degraded: the database stopped taking writes", body = Health),
    ))]
async fn health(State(state): State<AppState>) -> Response {
    let store = state.pipeline.store();
    let writable = store.writable().await;
    let read_only = store.is_read_only();
    let healthy = writable || read_only;
    let body = Json(Health {
        status: if healthy { "ok" } else { "degraded" },
        version: env!("CARGO_PKG_VERSION"),
        writable,
        read_only,
        held_waits: state.pipeline.held_waits(),
        paused: state.pipeline.is_paused(),
        live_views: state.pipeline.live_views(),
        notice: state.notice.clone(),
    });
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, body).into_response()
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// The recipient (E.164).
    to: Option<String>,
    #[param(value_type = Option<Channel>)]
    channel: Option<String>,
    #[param(value_type = Option<Source>)]
    source: Option<String>,
    tenant: Option<String>,
    user_id: Option<String>,
    /// The MFA transaction a code belongs to.
    transaction_id: Option<String>,
    #[param(value_type = Option<Status>)]
    status: Option<String>,
    /// Text, number or code.
    q: Option<String>,
    /// Received at or after: RFC 3339 or Unix milliseconds.
    since: Option<String>,
    /// A page's `next_cursor`: the messages older than it.
    before: Option<String>,
    /// At most 500; 50 unless said.
    limit: Option<u32>,
}

/// Messages, newest first, a page at a time.
#[utoipa::path(get, operation_id = "listMessages", path = "/emulator/v1/messages", tag = "messages", params(ListParams),
    responses(
        (status = 200, description = "One page", body = inbox::Page),
        (status = 400, description = "A bad parameter (`field` names it)", body = ErrorBody),
    ))]
async fn list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let p: ListParams = params(query)?;
    if p.q
        .as_ref()
        .is_some_and(|q| q.chars().count() > messages::MAX_QUERY_CHARS)
    {
        return Err(bad(
            "q",
            &format!("at most {} characters", messages::MAX_QUERY_CHARS),
        ));
    }
    let filter = Filter {
        to: p.to.as_deref().map(|t| number("to", t)).transpose()?,
        channel: p
            .channel
            .as_deref()
            .map(|c| Channel::parse(c).ok_or_else(|| bad("channel", "expected `sms` or `voice`")))
            .transpose()?,
        source: p
            .source
            .as_deref()
            .map(|s| {
                Source::parse(s).ok_or_else(|| {
                    let known = Source::spellings();
                    bad("source", &format!("expected one of {}", known.join(", ")))
                })
            })
            .transpose()?,
        tenant: p.tenant,
        user_id: p.user_id,
        transaction_id: p.transaction_id,
        status: p
            .status
            .as_deref()
            .map(|s| {
                Status::parse(s).ok_or_else(|| {
                    bad(
                        "status",
                        &format!("expected one of {}", Status::spellings().join(", ")),
                    )
                })
            })
            .transpose()?,
        query: p.q.filter(|q| !q.is_empty()),
        since: p
            .since
            .as_deref()
            .map(|s| timestamp("since", s))
            .transpose()?,
        before: p.before,
        ..Filter::default()
    };
    let page = inbox::list(&state.pipeline, &filter, p.limit.unwrap_or(DEFAULT_PAGE)).await?;
    Ok(Json(page).into_response())
}

/// One message with the raw request it arrived in.
#[utoipa::path(get, operation_id = "getMessage", path = "/emulator/v1/messages/{id}", tag = "messages",
    params(("id" = String, Path, description = "The message id (ULID)")),
    responses(
        (status = 200, description = "The message", body = crate::message::MessageDetail),
        (status = 404, description = "No such message", body = ErrorBody),
    ))]
async fn one(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    match inbox::get(&state.pipeline, &id).await? {
        Some(detail) => Ok(Json(detail).into_response()),
        None => Err(ApiError::NotFound(format!("no message with id '{id}'"))),
    }
}

/// Deletes one message.
#[utoipa::path(delete, operation_id = "deleteMessage", path = "/emulator/v1/messages/{id}", tag = "messages",
    params(("id" = String, Path, description = "The message id (ULID)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such message", body = ErrorBody),
    ))]
async fn delete_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if inbox::delete(&state.pipeline, &id).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::NotFound(format!("no message with id '{id}'")))
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ClearParams {
    /// Only this phone's (E.164).
    to: Option<String>,
    /// Only this tenant's.
    tenant: Option<String>,
    /// Only this user's.
    user_id: Option<String>,
}

/// Deletes every message, or one phone's, tenant's or user's.
#[utoipa::path(delete, operation_id = "deleteMessages", path = "/emulator/v1/messages", tag = "messages", params(ClearParams),
    responses(
        (status = 200, description = "How many went", body = Deleted),
        (status = 400, description = "A bad parameter", body = ErrorBody),
    ))]
async fn clear_all(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let p: ClearParams = params(query)?;
    let filter = Filter {
        to: p.to.as_deref().map(|t| number("to", t)).transpose()?,
        tenant: p.tenant,
        user_id: p.user_id,
        ..Filter::default()
    };
    let deleted = inbox::clear(&state.pipeline, filter).await?;
    Ok(Json(Deleted { deleted }).into_response())
}

/// Deletes one phone's messages.
#[utoipa::path(delete, operation_id = "deletePhoneMessages", path = "/emulator/v1/phones/{number}", tag = "phones",
    params(("number" = String, Path, description = "The phone number (E.164)")),
    responses(
        (status = 200, description = "How many went", body = Deleted),
        (status = 400, description = "Not a phone number", body = ErrorBody),
    ))]
async fn clear_phone(
    State(state): State<AppState>,
    Path(raw_number): Path<String>,
) -> Result<Response, ApiError> {
    let filter = Filter {
        to: Some(number("number", &raw_number)?),
        ..Filter::default()
    };
    let deleted = inbox::clear(&state.pipeline, filter).await?;
    Ok(Json(Deleted { deleted }).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PhonesParams {
    /// 1 to 1000; 200 unless said.
    limit: Option<u32>,
    /// A page's `next_cursor`.
    before: Option<String>,
}

/// `{"phones": [...], "unread": N, "next_cursor"}`: most recently active first.
#[utoipa::path(get, operation_id = "listPhones", path = "/emulator/v1/phones", tag = "phones", params(PhonesParams),
    responses(
        (status = 200, description = "One page of phones", body = PhonesPage),
        (status = 400, description = "A bad parameter", body = ErrorBody),
    ))]
async fn phones(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let p: PhonesParams = params(query)?;
    let limit = p.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(bad("limit", "must be between 1 and 1000"));
    }
    let phones = inbox::phones(&state.pipeline, limit, p.before.as_deref()).await?;
    let next_cursor = (phones.len() == limit as usize)
        .then(|| phones.last().map(|p| p.last_message.id.clone()))
        .flatten();
    let unread = inbox::unread_total(&state.pipeline).await?;
    Ok(Json(PhonesPage {
        phones,
        unread,
        next_cursor,
    })
    .into_response())
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReadBody {
    /// The newest message id to mark read; all unless said.
    up_to: Option<String>,
}

/// `POST /emulator/v1/phones/{number}/read`: the inbox showed this phone's messages.
#[utoipa::path(post, operation_id = "markPhoneRead", path = "/emulator/v1/phones/{number}/read", tag = "phones",
    params(("number" = String, Path, description = "The phone number (E.164)")),
    request_body(content = Option<ReadBody>, description = "Optional: an empty body marks them all"),
    responses(
        (status = 200, description = "The newest message now read", body = MarkedRead),
        (status = 400, description = "Not a phone number, or a bad body", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
    ))]
async fn mark_read(
    State(state): State<AppState>,
    Path(raw_number): Path<String>,
    JsonRequest(raw): JsonRequest,
) -> Result<Response, ApiError> {
    let to = number("number", &raw_number)?;
    let body: ReadBody = if raw.body.iter().all(u8::is_ascii_whitespace) {
        ReadBody::default()
    } else {
        crate::receivers::decode_body(&raw.body)?
    };
    let marked = inbox::mark_read(&state.pipeline, &to, body.up_to.as_deref()).await?;
    Ok(Json(MarkedRead {
        to,
        last_read_id: marked,
    })
    .into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CaptureBody {
    paused: bool,
}

/// `GET|PUT /emulator/v1/capture`: `{"paused": bool}`. While paused every capture
/// endpoint answers 503 in its own shape.
#[utoipa::path(get, operation_id = "getCapture", path = "/emulator/v1/capture", tag = "capture",
    responses((status = 200, description = "Whether capture is paused", body = Capture)))]
async fn capture_state(State(state): State<AppState>) -> Json<Capture> {
    Json(Capture {
        paused: state.pipeline.is_paused(),
    })
}

/// Pauses or resumes capture.
#[utoipa::path(put, operation_id = "setCapture", path = "/emulator/v1/capture", tag = "capture",
    request_body = CaptureBody,
    responses(
        (status = 200, description = "Whether capture is now paused", body = Capture),
        (status = 400, description = "A bad body", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
    ))]
async fn set_capture(
    State(state): State<AppState>,
    JsonRequest(raw): JsonRequest,
) -> Result<Response, ApiError> {
    let body: CaptureBody = crate::receivers::decode_body(&raw.body)?;
    state.pipeline.set_paused(body.paused);
    Ok(Json(Capture {
        paused: state.pipeline.is_paused(),
    })
    .into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct LatestParams {
    /// Hold the request until one arrives: `30s`, `1500ms`, `2m` or seconds; at most 10m.
    wait: Option<String>,
    /// Only a message newer than this id (ULID) or time (RFC 3339 or Unix ms).
    after: Option<String>,
    tenant: Option<String>,
    user_id: Option<String>,
    /// The MFA transaction a code belongs to.
    transaction_id: Option<String>,
}

/// The newest message to a number; with `wait`, held until one arrives.
#[utoipa::path(get, operation_id = "getLatestMessage", path = "/emulator/v1/phones/{number}/latest", tag = "phones",
    params(("number" = String, Path, description = "The phone number (E.164)"), LatestParams),
    responses(
        (status = 200, description = "The newest message", body = crate::message::Message),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 404, description = "No message (came); `failure` says why when a send to the number failed", body = ErrorBody),
        (status = 503, description = "As many waits as allowed are held (`too_many_waits`, --max-held-waits)", body = ErrorBody),
    ))]
async fn latest(
    State(state): State<AppState>,
    Path(raw_number): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let p: LatestParams = params(query)?;
    let to = number("number", &raw_number)?;
    let wait = p
        .wait
        .as_deref()
        .map(duration)
        .transpose()?
        .unwrap_or_default();
    let mut after = p.after.as_deref().map(after_point).transpose()?;
    // Messages are stamped on the global clock; a time read on the tenant's own
    // clock is the same moment that much later.
    if let (Some(After::Time(t)), Some(tenant)) = (&mut after, &p.tenant) {
        *t -= Duration::from_millis(state.pipeline.clock().extra(tenant).max(0) as u64);
    }
    // Sends are dated on their tenant's clock.
    let started = state.pipeline.clock().now();
    let wanted = inbox::Wanted {
        to: to.clone(),
        after: after.clone(),
        tenant: p.tenant.clone(),
        user_id: p.user_id.clone(),
        transaction_id: p.transaction_id,
    };
    let found = inbox::wait_latest(&state.pipeline, wanted, wait, &state.shutdown).await?;
    match found {
        Some(message) => Ok(Json(message).into_response()),
        None => {
            let newer = if after.is_some() { "newer " } else { "" };
            let message = if wait.is_zero() {
                format!("no {newer}message to {to}")
            } else {
                format!(
                    "no {newer}message to {to} arrived within {}",
                    humantime::format_duration(wait)
                )
            };
            // The window a failure counts in: from `after`, else from as long
            // before the wait as the wait lasted (a test triggers, then waits).
            // On the global clock; each send is dated on its tenant's.
            let since = match &after {
                Some(After::Time(t)) => crate::unix_ms::from_time(*t),
                Some(After::Id(id)) => id
                    .parse::<ulid::Ulid>()
                    .map(|u| i64::try_from(u.timestamp_ms()).unwrap_or(i64::MAX))
                    .unwrap_or(0),
                None => crate::unix_ms::from_time(started)
                    .saturating_sub(i64::try_from(wait.as_millis()).unwrap_or(0).max(60_000)),
            };
            let clock = state.pipeline.clock();
            let failed = crate::store::phone_sends::last_failure(
                state.pipeline.store(),
                to.as_str(),
                since,
                p.tenant.as_deref(),
                p.user_id.as_deref(),
            )
            .await?
            // A tenant's clock only runs ahead, so the query is wide enough;
            // this puts the send on the global clock to check it.
            .filter(|f| f.sent_at.saturating_sub(clock.extra(&f.tenant)) >= since);
            Err(match failed {
                None => ApiError::NoMessage(message),
                Some(f) => ApiError::NoMessageBecause(
                    format!("{message}: the last send to it failed: {}", f.failure),
                    Box::new(super::error::SendFailure {
                        kind: f.failure_type,
                        description: f.failure,
                        date: crate::unix_ms::rfc3339_ms(f.sent_at),
                        tenant: f.tenant,
                    }),
                ),
            })
        }
    }
}

/// Parses a query string into `T`, naming the bad parameter.
fn params<T: DeserializeOwned>(query: Option<String>) -> Result<T, ApiError> {
    let query = query.unwrap_or_default();
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        ApiError::BadParameter {
            field: if field == "." {
                "(query)".into()
            } else {
                field
            },
            message: e.inner().to_string(),
        }
    })
}

fn bad(field: &str, message: &str) -> ApiError {
    ApiError::BadParameter {
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

fn number(field: &str, value: &str) -> Result<PhoneNumber, ApiError> {
    PhoneNumber::parse(value).map_err(|e| bad(field, &e.to_string()))
}

/// `30s`, `1500ms`, `2m`, or a bare number of seconds.
fn duration(value: &str) -> Result<Duration, ApiError> {
    let parsed = match value.trim().parse::<u64>() {
        Ok(secs) => Ok(Duration::from_secs(secs)),
        Err(_) => humantime::parse_duration(value.trim()),
    };
    match parsed {
        Ok(d) if d <= MAX_WAIT => Ok(d),
        Ok(_) => Err(bad("wait", "at most 10m")),
        Err(e) => Err(bad(
            "wait",
            &format!("'{value}' is not a duration like 30s: {e}"),
        )),
    }
}

/// An RFC 3339 time or Unix milliseconds.
fn timestamp(field: &str, value: &str) -> Result<OffsetDateTime, ApiError> {
    if let Ok(ms) = value.parse::<i64>() {
        return crate::unix_ms::to_time(ms)
            .ok_or_else(|| bad(field, "Unix milliseconds out of range"));
    }
    OffsetDateTime::parse(value, &Rfc3339).map_err(|_| {
        bad(
            field,
            &format!("'{value}' is neither an RFC 3339 time nor Unix milliseconds"),
        )
    })
}

/// A message id (ULID) or a time.
fn after_point(value: &str) -> Result<After, ApiError> {
    if let Ok(id) = value.parse::<ulid::Ulid>() {
        return Ok(After::Id(id.to_string()));
    }
    timestamp("after", value).map(After::Time).map_err(|_| {
        bad(
            "after",
            &format!("'{value}' is neither a message id nor a time"),
        )
    })
}
