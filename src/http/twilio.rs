//! Twilio's REST API (`/2010-04-01/...` Messages and Calls, `/v2/Services/...` Verify),
//! answered as Twilio answers.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc2822;
use time::OffsetDateTime;

use super::body::BodyError;
use super::body::RawBody;
use super::state::AppState;
use crate::capture::chaos;
use crate::message::{Message, Source};
use crate::receivers::twilio::verify as twilio_verify;
use crate::receivers::twilio::{self, TwilioError};
use crate::store::messages::{self, Filter};

const API_VERSION: &str = "2010-04-01";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/2010-04-01/Accounts/{account}/Messages.json",
            post(create_message).get(list_messages),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Messages/{file}",
            get(fetch_message),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Calls.json",
            post(create_call),
        )
        .route(
            "/v2/Services/{service}/Verifications",
            post(start_verification),
        )
        .route(
            "/v2/Services/{service}/Verifications/{sid}",
            get(fetch_verification),
        )
        .route(
            "/v2/Services/{service}/VerificationCheck",
            post(check_verification),
        )
}

/// The account a Verify request authenticates as: the Basic auth user name (an
/// Account SID or API key SID), or a placeholder when none was sent.
fn basic_auth_user(headers: &HeaderMap) -> String {
    super::credentials::basic_user(headers).unwrap_or_else(|| format!("AC{}", "0".repeat(32)))
}

async fn start_verification(
    State(state): State<AppState>,
    Path(service): Path<String>,
    headers: HeaderMap,
    RawBody(raw, _): RawBody<TwilioError>,
) -> Result<Response, TwilioError> {
    let account = basic_auth_user(&headers);
    let verification =
        twilio_verify::start(&state.pipeline, &state.chaos, &service, &account, raw).await?;
    Ok((StatusCode::CREATED, Json(verification)).into_response())
}

async fn fetch_verification(
    State(state): State<AppState>,
    Path((service, sid)): Path<(String, String)>,
) -> Result<Response, TwilioError> {
    Ok(Json(twilio_verify::fetch(&state.pipeline, &service, &sid).await?).into_response())
}

async fn check_verification(
    State(state): State<AppState>,
    Path(service): Path<String>,
    RawBody(raw, _): RawBody<TwilioError>,
) -> Result<Response, TwilioError> {
    Ok(Json(twilio_verify::check(&state.pipeline, &service, &raw).await?).into_response())
}

async fn create_message(
    State(state): State<AppState>,
    Path(account): Path<String>,
    RawBody(raw, _): RawBody<TwilioError>,
) -> Result<Response, TwilioError> {
    let request = twilio::parse_message(&account, raw)?;
    let stored =
        chaos::capture::<TwilioError>(&state.pipeline, &state.chaos, request.message).await?;
    if let Some(url) = &request.status_callback {
        twilio::status_callbacks::post(&state.outbound, url, &stored);
    }
    Ok((StatusCode::CREATED, Json(message_json(&stored, "queued"))).into_response())
}

async fn fetch_message(
    State(state): State<AppState>,
    Path((account, file)): Path<(String, String)>,
) -> Result<Response, TwilioError> {
    let sid = file.strip_suffix(".json").unwrap_or(&file);
    let not_found = || {
        TwilioError::new(
            20404,
            404,
            format!("The requested resource /2010-04-01/Accounts/{account}/Messages/{sid}.json was not found"),
        )
    };
    let message = messages::by_provider_id(state.pipeline.store(), Source::TwilioMessages, sid)
        .await?
        .filter(|m| m.provider_account.as_deref() == Some(account.as_str()))
        .ok_or_else(not_found)?;
    // Phonebox hands a message to the phone at once: by the time anyone asks, it is delivered.
    Ok(Json(message_json(&message, "delivered")).into_response())
}

/// `GET .../Messages.json?To=&From=&PageSize=`: the first page, newest first.
async fn list_messages(
    State(state): State<AppState>,
    Path(account): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, TwilioError> {
    let params: Vec<(String, String)> =
        form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let page_size: u32 = match param("PageSize") {
        Some(n) => n
            .parse()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| TwilioError::new(20001, 400, "PageSize must be between 1 and 1000"))?,
        None => 50,
    };
    let to = param("To")
        .map(|t| {
            crate::message::phone::PhoneNumber::parse(t).map_err(|_| {
                TwilioError::new(
                    21211,
                    400,
                    format!("The 'To' number {t} is not a valid phone number."),
                )
            })
        })
        .transpose()?;
    let filter = Filter {
        to,
        source: Some(Source::TwilioMessages),
        sender: param("From").map(str::to_owned),
        provider_account: Some(account.clone()),
        ..Filter::default()
    };
    let found = messages::list(state.pipeline.store(), &filter, page_size).await?;
    let listed: Vec<Value> = found.iter().map(|m| message_json(m, "delivered")).collect();
    let uri = format!("/2010-04-01/Accounts/{account}/Messages.json?PageSize={page_size}&Page=0");
    Ok(Json(json!({
        "messages": listed,
        "end": listed.len().saturating_sub(1),
        "first_page_uri": uri,
        "next_page_uri": null,
        "page": 0,
        "page_size": page_size,
        "previous_page_uri": null,
        "start": 0,
        "uri": uri,
    }))
    .into_response())
}

async fn create_call(
    State(state): State<AppState>,
    Path(account): Path<String>,
    RawBody(raw, _): RawBody<TwilioError>,
) -> Result<Response, TwilioError> {
    let request = twilio::parse_call(&account, raw)?;
    let stored =
        chaos::capture::<TwilioError>(&state.pipeline, &state.chaos, request.message).await?;
    Ok((StatusCode::CREATED, Json(call_json(&stored))).into_response())
}

fn rfc2822(t: OffsetDateTime) -> Value {
    t.format(&Rfc2822).map(Value::String).unwrap_or(Value::Null)
}

/// Every property of Twilio's Message resource, null where nullable and unknown.
fn message_json(m: &Message, status: &str) -> Value {
    let sid = m.provider_message_id.as_deref().unwrap_or_default();
    let account = m.provider_account.as_deref().unwrap_or_default();
    let uri = format!("/2010-04-01/Accounts/{account}/Messages/{sid}");
    // A MessagingServiceSid was sent instead of From: Twilio picks the number later.
    let (from, service) = match m.sender.as_deref() {
        Some(s) if s.starts_with("MG") => (None, Some(s)),
        other => (other, None),
    };
    let date = rfc2822(m.received_at);
    json!({
        "account_sid": account,
        "api_version": API_VERSION,
        "body": m.text,
        "date_created": date,
        "date_sent": if status == "queued" { Value::Null } else { date.clone() },
        "date_updated": date,
        "direction": "outbound-api",
        "error_code": null,
        "error_message": null,
        "from": from,
        "messaging_service_sid": service,
        "num_media": "0",
        "num_segments": if service.is_some() && status == "queued" { "0".to_owned() } else { m.segments.to_string() },
        "price": null,
        "price_unit": "USD",
        "sid": sid,
        "status": status,
        "subresource_uris": { "media": format!("{uri}/Media.json") },
        "to": m.recipient.as_str(),
        "uri": format!("{uri}.json"),
    })
}

/// Every property of Twilio's Call resource.
fn call_json(m: &Message) -> Value {
    let sid = m.provider_message_id.as_deref().unwrap_or_default();
    let account = m.provider_account.as_deref().unwrap_or_default();
    let uri = format!("/2010-04-01/Accounts/{account}/Calls/{sid}");
    let date = rfc2822(m.received_at);
    json!({
        "account_sid": account,
        "answered_by": null,
        "api_version": API_VERSION,
        "caller_name": null,
        "date_created": date,
        "date_updated": date,
        "direction": "outbound-api",
        "duration": null,
        "end_time": null,
        "forwarded_from": null,
        "from": m.sender,
        "from_formatted": m.sender,
        "group_sid": null,
        "parent_call_sid": null,
        "phone_number_sid": null,
        "price": null,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": sid,
        "start_time": null,
        "status": "queued",
        "subresource_uris": {
            "notifications": format!("{uri}/Notifications.json"),
            "recordings": format!("{uri}/Recordings.json"),
            "payments": format!("{uri}/Payments.json"),
            "events": format!("{uri}/Events.json"),
            "siprec": format!("{uri}/Siprec.json"),
            "streams": format!("{uri}/Streams.json"),
            "transcriptions": format!("{uri}/Transcriptions.json"),
            "user_defined_message_subscriptions": format!("{uri}/UserDefinedMessageSubscriptions.json"),
            "user_defined_messages": format!("{uri}/UserDefinedMessages.json"),
        },
        "to": m.recipient.as_str(),
        "to_formatted": m.recipient.as_str(),
        "trunk_sid": null,
        "uri": format!("{uri}.json"),
    })
}

impl From<BodyError> for TwilioError {
    fn from(e: BodyError) -> TwilioError {
        match e {
            BodyError::TooLarge(limit) => TwilioError::new(
                20413,
                413,
                format!("Request body is larger than Phonebox's {limit}-byte limit"),
            ),
            BodyError::Unreadable(why) => TwilioError::new(20001, 400, why),
            BodyError::TimedOut(after) => {
                TwilioError::new(20001, 408, BodyError::timed_out_message(after))
            }
        }
    }
}

/// An answer the router made itself, in Twilio's shape (20404 not found, 20004
/// method not allowed, as Twilio numbers them).
pub(super) fn routing_error(status: StatusCode, message: String) -> Response {
    let code = match status {
        StatusCode::NOT_FOUND => 20404,
        StatusCode::METHOD_NOT_ALLOWED => 20004,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => 20415,
        _ => 20001,
    };
    TwilioError::new(code, status.as_u16(), message).into_response()
}

/// Twilio's error body: `{"code", "message", "more_info", "status"}`.
impl IntoResponse for TwilioError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        if let Some(cause) = &self.cause {
            super::error::log_failure("twilio", self.status, cause);
        }
        let body = serde_json::json!({
            "code": self.code,
            "message": self.message,
            "more_info": self.more_info(),
            "status": self.status,
        });
        (status, Json(body)).into_response()
    }
}
