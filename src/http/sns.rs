//! Amazon SNS's query API (`POST /`, `Action=Publish`) answered in SNS's XML, and
//! LocalStack's SMS inspection endpoint, so tests written for LocalStack keep working.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::body::BodyError;
use super::body::RawBody;
use super::error::ApiError;
use super::state::AppState;
use crate::capture::chaos;
use crate::capture::inbox;
use crate::message::phone::PhoneNumber;
use crate::message::{Message, Source, Status};
use crate::receivers::sns::{self, SnsError};
use crate::store::messages::{self, Filter};

/// The XML namespace of every SNS answer.
pub const XMLNS: &str = "http://sns.amazonaws.com/doc/2010-03-31/";

/// LocalStack's default account, used for keys that do not name one.
const DEFAULT_ACCOUNT: &str = "000000000000";

/// The most messages the LocalStack endpoint lists.
const LOCALSTACK_LIMIT: u32 = 10_000;

pub fn router() -> Router<AppState> {
    Router::new().route("/", post(query_api)).route(
        "/_aws/sns/sms-messages",
        get(localstack_list).delete(localstack_delete),
    )
}

async fn query_api(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(raw, _): RawBody<SnsError>,
) -> Result<Response, SnsError> {
    let signer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(sns::signer);
    let message = sns::parse(raw, signer)?;
    let stored = chaos::capture::<SnsError>(&state.pipeline, &state.chaos, message).await?;
    let message_id = stored.provider_message_id.clone().unwrap_or_default();
    let request_id = crate::random::uuid().to_string();
    let body = format!(
        "<PublishResponse xmlns=\"{XMLNS}\"><PublishResult><MessageId>{message_id}</MessageId>\
         </PublishResult><ResponseMetadata><RequestId>{request_id}</RequestId>\
         </ResponseMetadata></PublishResponse>"
    );
    Ok(xml(StatusCode::OK, &request_id, body))
}

/// An XML answer with the request id header the SDKs read.
pub fn xml(status: StatusCode, request_id: &str, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/xml".to_owned()),
            (
                header::HeaderName::from_static("x-amzn-requestid"),
                request_id.to_owned(),
            ),
        ],
        body,
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LocalStackQuery {
    account_id: Option<String>,
    region: Option<String>,
    phone_number: Option<String>,
}

/// LocalStack derives the account from a 12-digit access key id; others are the default.
fn account_of(message: &Message) -> &str {
    match message.provider_account.as_deref() {
        Some(key) if key.len() == 12 && key.bytes().all(|b| b.is_ascii_digit()) => key,
        _ => DEFAULT_ACCOUNT,
    }
}

fn region_of(message: &Message) -> &str {
    message
        .attributes
        .as_ref()
        .and_then(|a| a.get("region"))
        .and_then(Value::as_str)
        .unwrap_or(sns::DEFAULT_REGION)
}

/// The SNS messages a LocalStack query selects, newest first.
async fn select(state: &AppState, query: &LocalStackQuery) -> Result<Vec<Message>, ApiError> {
    let to = match query.phone_number.as_deref() {
        Some(n) => Some(PhoneNumber::parse(n).map_err(|e| ApiError::BadParameter {
            field: "phoneNumber".into(),
            message: e.to_string(),
        })?),
        None => None,
    };
    let filter = Filter {
        to,
        source: Some(Source::AwsSns),
        // LocalStack keeps only what was published.
        status: Some(Status::Received),
        ..Filter::default()
    };
    let account = query.account_id.as_deref().unwrap_or(DEFAULT_ACCOUNT);
    let region = query.region.as_deref().unwrap_or(sns::DEFAULT_REGION);
    Ok(
        messages::list(state.pipeline.store(), &filter, LOCALSTACK_LIMIT)
            .await?
            .into_iter()
            .filter(|m| account_of(m) == account && region_of(m) == region)
            .collect(),
    )
}

/// `GET /_aws/sns/sms-messages`: `{"sms_messages": {number: [...]}, "region"}`,
/// oldest first within a number, as LocalStack keeps them.
async fn localstack_list(
    State(state): State<AppState>,
    Query(query): Query<LocalStackQuery>,
) -> Result<Response, ApiError> {
    let mut by_number: Map<String, Value> = Map::new();
    for m in select(&state, &query).await?.into_iter().rev() {
        let entry = json!({
            "PhoneNumber": m.recipient.as_str(),
            "TopicArn": null,
            "SubscriptionArn": null,
            "MessageId": m.provider_message_id,
            "Message": m.text,
            "MessageAttributes": m.attributes.as_ref()
                .and_then(|a| a.get("message_attributes")).cloned()
                .unwrap_or_else(|| json!({})),
            "MessageStructure": null,
            "Subject": null,
        });
        if let Value::Array(list) = by_number
            .entry(m.recipient.as_str().to_owned())
            .or_insert_with(|| json!([]))
        {
            list.push(entry);
        }
    }
    let region = query.region.as_deref().unwrap_or(sns::DEFAULT_REGION);
    Ok(Json(json!({ "sms_messages": by_number, "region": region })).into_response())
}

/// `DELETE /_aws/sns/sms-messages`: forgets what the same query would list; 204.
async fn localstack_delete(
    State(state): State<AppState>,
    Query(query): Query<LocalStackQuery>,
) -> Result<Response, ApiError> {
    for m in select(&state, &query).await? {
        inbox::delete(&state.pipeline, &m.id).await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

impl From<BodyError> for SnsError {
    fn from(e: BodyError) -> SnsError {
        match e {
            BodyError::TooLarge(limit) => SnsError::new(
                "RequestEntityTooLarge",
                413,
                format!("Request body is larger than Phonebox's {limit}-byte limit"),
            ),
            BodyError::Unreadable(why) => SnsError::invalid_parameter(why),
            BodyError::TimedOut(after) => {
                SnsError::new("RequestTimeout", 408, BodyError::timed_out_message(after))
            }
        }
    }
}

/// An answer the router made itself, in SNS's XML shape.
pub(super) fn routing_error(status: StatusCode, message: String) -> Response {
    let code = match status {
        StatusCode::NOT_FOUND => "NotFound",
        StatusCode::METHOD_NOT_ALLOWED => "MethodNotAllowed",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "UnsupportedMediaType",
        _ => "InvalidParameter",
    };
    SnsError::new(code, status.as_u16(), message).into_response()
}

/// SNS's XML error: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`.
impl IntoResponse for SnsError {
    fn into_response(self) -> Response {
        use quick_xml::escape::escape;
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        if let Some(cause) = &self.cause {
            super::error::log_failure("sns", self.status, cause);
        }
        let request_id = crate::random::uuid().to_string();
        let body = format!(
            "<ErrorResponse xmlns=\"{xmlns}\"><Error><Type>{fault}</Type><Code>{code}</Code>\
             <Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            xmlns = XMLNS,
            fault = self.fault(),
            code = escape(self.code.as_str()),
            message = escape(self.message.as_str()),
        );
        xml(status, &request_id, body)
    }
}
