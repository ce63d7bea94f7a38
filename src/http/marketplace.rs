//! The marketplace providers' send endpoints (ClickSend, Esendex, Infobip, Mitto,
//! Telesign, MessageBird), each answered in its provider's documented success shape.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::body::read_raw;
use super::body::BodyError;
use super::credentials::{authorization, basic_user};
use super::state::AppState;
use crate::capture::chaos;
use crate::capture::provider::Provider;
use crate::message::redact::authorization as key_hint;
use crate::message::{Message, NewMessage, RawRequest};
use crate::receivers::marketplace::{
    clicksend, esendex, infobip, messagebird, mitto, telesign, ProviderError,
};
use crate::unix_ms;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v3/sms/send", post(clicksend_send))
        .route("/v1.0/messagedispatcher", post(esendex_dispatch))
        .route("/sms/2/text/advanced", post(infobip_send))
        .route("/sms", post(mitto_send))
        .route("/sms.json", post(mitto_send))
        .route("/v1/messaging", post(telesign_message))
        .route("/v1/verify/sms", post(telesign_verify))
        .route("/messages", post(messagebird_send))
}

type Answer = Result<Response, ProviderError>;

async fn capture_all(
    state: &AppState,
    messages: Vec<NewMessage>,
) -> Result<Vec<Arc<Message>>, ProviderError> {
    chaos::capture_all::<ProviderError>(&state.pipeline, &state.chaos, messages).await
}

/// The body, or `provider`'s error for one that is too large or unreadable.
async fn read(
    state: &AppState,
    request: Request,
    provider: Provider,
) -> Result<RawRequest, ProviderError> {
    read_raw(request, state.body_limit, state.body_timeout)
        .await
        .map_err(|e| body_error(provider, e))
}

fn attribute<'a>(m: &'a Message, name: &str) -> &'a Value {
    m.attributes
        .as_ref()
        .and_then(|a| a.get(name))
        .unwrap_or(&Value::Null)
}

async fn clicksend_send(State(state): State<AppState>, request: Request) -> Answer {
    let credential = basic_user(request.headers());
    let raw = read(&state, request, Provider::Clicksend).await?;
    let messages = clicksend::parse(raw, credential)?;
    let stored = capture_all(&state, messages).await?;
    let entries: Vec<Value> = stored
        .iter()
        .map(|m| {
            json!({
                "direction": "out",
                "date": m.received_at.unix_timestamp(),
                "to": m.recipient.as_str(),
                "body": m.text,
                "from": m.sender.clone().unwrap_or_default(),
                "schedule": 0,
                "message_id": m.provider_message_id,
                "message_parts": m.segments,
                "message_price": "0.0000",
                "custom_string": attribute(m, "custom_string"),
                "user_id": 1,
                "subaccount_id": 1,
                "country": "",
                "carrier": "",
                "status": "SUCCESS",
            })
        })
        .collect();
    Ok(Json(json!({
        "http_code": 200,
        "response_code": "SUCCESS",
        "response_msg": "Messages queued for delivery.",
        "data": {
            "total_price": 0,
            "total_count": entries.len(),
            "queued_count": entries.len(),
            "messages": entries,
            "_currency": {
                "currency_name_short": "USD",
                "currency_prefix_d": "$",
                "currency_prefix_c": "¢",
                "currency_name_long": "US Dollars",
            },
        },
    }))
    .into_response())
}

async fn esendex_dispatch(State(state): State<AppState>, request: Request) -> Answer {
    let credential = basic_user(request.headers());
    let raw = read(&state, request, Provider::Esendex).await?;
    let parsed = esendex::parse(raw, credential)?;
    let xml = parsed.xml;
    let stored = capture_all(&state, parsed.messages)
        .await
        .map_err(|e| ProviderError { xml, ..e })?;
    let batch_id = crate::receivers::marketplace::guid();
    let uri = |id: &str| format!("https://api.esendex.com/v1.0/messageheaders/{id}");
    if !xml {
        let headers: Vec<Value> = stored
            .iter()
            .map(|m| {
                let id = m.provider_message_id.clone().unwrap_or_default();
                json!({ "uri": uri(&id), "id": id })
            })
            .collect();
        return Ok(
            Json(json!({ "batch": { "batchid": batch_id, "messageheaders": headers } }))
                .into_response(),
        );
    }
    let headers: String = stored
        .iter()
        .map(|m| {
            let id = m.provider_message_id.clone().unwrap_or_default();
            format!("<messageheader uri=\"{}\" id=\"{id}\" />", uri(&id))
        })
        .collect();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><messageheaders batchid=\"{batch_id}\" \
         xmlns=\"http://api.esendex.com/ns/\">{headers}</messageheaders>"
    );
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "application/xml; charset=utf-8",
        )],
        body,
    )
        .into_response())
}

async fn infobip_send(State(state): State<AppState>, request: Request) -> Answer {
    let credential =
        basic_user(request.headers()).or_else(|| authorization(request.headers()).map(key_hint));
    let raw = read(&state, request, Provider::Infobip).await?;
    let (bulk_id, messages) = infobip::parse(raw, credential)?;
    let stored = capture_all(&state, messages).await?;
    let entries: Vec<Value> = stored
        .iter()
        .map(|m| {
            json!({
                "to": m.recipient.as_str().trim_start_matches('+'),
                "status": {
                    "groupId": 1,
                    "groupName": "PENDING",
                    "id": 26,
                    "name": "PENDING_ACCEPTED",
                    "description": "Message sent to next instance",
                },
                "messageId": m.provider_message_id,
            })
        })
        .collect();
    Ok(Json(json!({ "bulkId": bulk_id, "messages": entries })).into_response())
}

async fn mitto_send(State(state): State<AppState>, request: Request) -> Answer {
    let credential = request
        .headers()
        .get("x-mitto-api-key")
        .and_then(|v| v.to_str().ok())
        .map(key_hint);
    let raw = read(&state, request, Provider::Mitto).await?;
    let message = mitto::parse(raw, credential)?;
    let m = chaos::capture::<ProviderError>(&state.pipeline, &state.chaos, message).await?;
    let mut answer = json!({
        "id": m.provider_message_id,
        "timestamp": unix_ms::rfc3339(m.received_at),
        "responseCode": 0,
        "textLength": m.text.chars().count(),
        "responseText": "SMS sent",
    });
    if attribute(&m, "test") == &Value::Bool(true) {
        answer["test"] = json!(true);
    }
    Ok(Json(answer).into_response())
}

/// Telesign's Basic user, or the customer id of its `TSA customer:signature` scheme.
fn telesign_customer(headers: &HeaderMap) -> Option<String> {
    basic_user(headers).or_else(|| {
        let tsa = authorization(headers)?.strip_prefix("TSA ")?;
        tsa.split_once(':').map(|(customer, _)| customer.to_owned())
    })
}

fn telesign_status(m: &Message) -> Value {
    json!({ "code": 290, "description": "Message in progress", "updated_on": unix_ms::rfc3339(m.received_at) })
}

async fn telesign_message(State(state): State<AppState>, request: Request) -> Answer {
    let credential = telesign_customer(request.headers());
    let raw = read(&state, request, Provider::Telesign).await?;
    let message = telesign::parse_message(raw, credential)?;
    let m = chaos::capture::<ProviderError>(&state.pipeline, &state.chaos, message).await?;
    Ok(Json(json!({
        "reference_id": m.provider_message_id,
        "external_id": null,
        "status": telesign_status(&m),
    }))
    .into_response())
}

async fn telesign_verify(State(state): State<AppState>, request: Request) -> Answer {
    let credential = telesign_customer(request.headers());
    let raw = read(&state, request, Provider::Telesign).await?;
    let message = telesign::parse_verify(raw, credential)?;
    let m = chaos::capture::<ProviderError>(&state.pipeline, &state.chaos, message).await?;
    Ok(Json(json!({
        "reference_id": m.provider_message_id,
        "sub_resource": "sms",
        "errors": [],
        "status": telesign_status(&m),
        "verify": { "code_state": "UNKNOWN", "code_entered": "" },
    }))
    .into_response())
}

async fn messagebird_send(State(state): State<AppState>, request: Request) -> Answer {
    let credential = authorization(request.headers()).map(key_hint);
    let raw = read(&state, request, Provider::Messagebird).await?;
    let messages = messagebird::parse(raw, credential)?;
    let stored = capture_all(&state, messages).await?;
    let Some(first) = stored.first() else {
        return Err(ProviderError::injected(Provider::Messagebird, "99"));
    };
    let id = first.provider_message_id.clone().unwrap_or_default();
    let items: Vec<Value> = stored
        .iter()
        .map(|m| {
            let digits = m.recipient.as_str().trim_start_matches('+');
            json!({
                "recipient": digits.parse::<u64>().map(Value::from).unwrap_or_else(|_| json!(digits)),
                "status": "sent",
                "statusDatetime": unix_ms::rfc3339(m.received_at),
                "messagePartCount": m.segments,
            })
        })
        .collect();
    let answer = json!({
        "id": id,
        "href": format!("https://rest.messagebird.com/messages/{id}"),
        "direction": "mt",
        "type": "sms",
        "originator": first.sender,
        "body": first.text,
        "reference": null,
        "validity": null,
        "gateway": 10,
        "typeDetails": {},
        "datacoding": match first.encoding { crate::message::sms::Encoding::Gsm7 => "plain", crate::message::sms::Encoding::Ucs2 => "unicode" },
        "mclass": 1,
        "scheduledDatetime": null,
        "createdDatetime": unix_ms::rfc3339(first.received_at),
        "recipients": {
            "totalCount": items.len(),
            "totalSentCount": items.len(),
            "totalDeliveredCount": 0,
            "totalDeliveryFailedCount": 0,
            "items": items,
        },
    });
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// A body that could not be read, in `provider`'s shape.
fn body_error(provider: Provider, e: BodyError) -> ProviderError {
    let (status, message) = match e {
        BodyError::TooLarge(limit) => (
            413,
            format!("Request body is larger than Phonebox's {limit}-byte limit"),
        ),
        BodyError::Unreadable(why) => (400, why),
        BodyError::TimedOut(after) => (408, BodyError::timed_out_message(after)),
    };
    ProviderError::new(provider, status, bad_request_code(provider), message)
}

/// Each provider's code for a request it cannot take.
fn bad_request_code(provider: Provider) -> &'static str {
    match provider {
        Provider::Infobip | Provider::Clicksend => "BAD_REQUEST",
        Provider::Mitto => "4",
        Provider::Telesign => "-10001",
        Provider::Messagebird => "10",
        _ => "bad_request",
    }
}

/// The provider whose send endpoint `path` is.
pub(super) fn provider_of(path: &str) -> Option<Provider> {
    Some(match path {
        "/v3/sms/send" => Provider::Clicksend,
        "/v1.0/messagedispatcher" => Provider::Esendex,
        "/sms/2/text/advanced" => Provider::Infobip,
        "/sms" | "/sms.json" => Provider::Mitto,
        "/v1/messaging" | "/v1/verify/sms" => Provider::Telesign,
        "/messages" => Provider::Messagebird,
        _ => return None,
    })
}

/// An answer the router made itself (a wrong method), in `provider`'s shape.
pub(super) fn routing_error(provider: Provider, status: StatusCode, message: String) -> Response {
    ProviderError::new(
        provider,
        status.as_u16(),
        bad_request_code(provider),
        message,
    )
    .into_response()
}

/// Each marketplace provider's own error shape.
impl IntoResponse for ProviderError {
    fn into_response(self) -> Response {
        use serde_json::{json, Value};
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        if let Some(cause) = &self.cause {
            super::error::log_failure(self.provider.as_str(), self.status, cause);
        }
        let number = |code: &str| {
            code.parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| json!(code))
        };
        let body = match self.provider {
            Provider::Esendex if self.xml => {
                use quick_xml::escape::escape;
                let xml = format!(
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?><response xmlns=\"http://api.esendex.com/ns/\">\
                     <errors><error><code>{}</code><description>{}</description></error></errors></response>",
                    escape(self.code.as_str()),
                    escape(self.message.as_str()),
                );
                return (
                    status,
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "application/xml; charset=utf-8",
                    )],
                    xml,
                )
                    .into_response();
            }
            Provider::Esendex => {
                json!({ "errors": [{ "code": self.code, "description": self.message }] })
            }
            Provider::Infobip => json!({
                "requestError": { "serviceException": { "messageId": self.code, "text": self.message } }
            }),
            Provider::Mitto => {
                json!({ "responseCode": number(&self.code), "responseText": self.message })
            }
            Provider::Telesign => json!({
                "reference_id": null,
                "status": {
                    "code": 11000,
                    "description": self.message,
                    "updated_on": crate::unix_ms::rfc3339(crate::unix_ms::now()),
                },
                "errors": [{ "code": number(&self.code), "description": self.message }],
            }),
            Provider::Messagebird => json!({
                "errors": [{ "code": number(&self.code), "description": self.message, "parameter": self.field }]
            }),
            // ClickSend's envelope; also the neutral shape for errors raised before
            // the provider was known.
            _ => json!({
                "http_code": self.status,
                "response_code": self.code,
                "response_msg": self.message,
                "data": null,
            }),
        };
        (status, Json(body)).into_response()
    }
}
