//! `GET /emulator/v1/events`: Server-Sent Events of new and deleted messages and
//! of forwards queued and attempted.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::stream::{Stream, StreamExt};
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

use super::error::ApiError;
use super::state::AppState;
use crate::capture::inbox;
use crate::capture::pipeline::Event;
use crate::store::messages::Filter;

/// One SSE event per bus event: `event: message.created` with the message as `data`,
/// and so on. A subscriber too slow to keep up gets `event: lagged` and should reload.
/// `?tenant=`: only that tenant's messages (a test worker's own), with the
/// events that belong to no tenant.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamParams {
    /// Only this tenant's messages (with the events that belong to no tenant).
    tenant: Option<String>,
    /// Only this user's messages.
    user_id: Option<String>,
    /// Only messages carrying the code of this MFA transaction.
    transaction_id: Option<String>,
}

impl StreamParams {
    /// The messages this stream is about, matched as a held wait matches them.
    fn filter(self) -> Filter {
        Filter {
            tenant: self.tenant,
            user_id: self.user_id,
            transaction_id: self.transaction_id,
            ..Filter::default()
        }
    }
}

/// Whether `event` is for a stream of `filter`: a new message must match every
/// part given; a clear, the tenant's; every other event belongs to no one.
fn wants(filter: &Filter, event: &Event) -> bool {
    match event {
        Event::MessageCreated(m) => inbox::matches(filter, m),
        Event::MessagesCleared {
            tenant: Some(cleared),
            ..
        } => filter.tenant.as_ref().is_none_or(|t| t == cleared),
        _ => true,
    }
}

/// Server-Sent Events: `ready` first, then `message.created`, `message.deleted`,
/// `messages.cleared`, `messages.pruned` (retention deleted old ones),
/// `phone.read`, `capture.changed`, `forward.queued`, `forward.attempt`, and
/// `lagged` when a subscriber fell behind (reload).
#[utoipa::path(get, operation_id = "streamEvents", path = "/emulator/v1/events", tag = "events", params(StreamParams),
    responses(
        (status = 200, description = "An endless event stream; each `data` is JSON", content_type = "text/event-stream", body = String),
        (status = 400, description = "A bad parameter", body = super::error::ErrorBody),
        (status = 503, description = "As many streams as allowed are open (`too_many_streams`, --max-event-streams)", body = super::error::ErrorBody),
    ))]
pub async fn stream(
    State(state): State<AppState>,
    axum::extract::Query(params): axum::extract::Query<StreamParams>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    // Counted while the stream lives, so tests can tell a window is watching,
    // and refused past the cap.
    let view = state.pipeline.hold_view()?;
    let filter = params.filter();
    let messages = BroadcastStream::new(state.pipeline.subscribe())
        .filter(move |item| {
            let keep = match item {
                Ok(event) => wants(&filter, event),
                Err(_) => true,
            };
            std::future::ready(keep)
        })
        .map(|item| match item {
            Ok(event) => to_sse(&event),
            Err(BroadcastStreamRecvError::Lagged(missed)) => lagged(missed),
        });
    let forwards = BroadcastStream::new(state.forwarder.subscribe()).map(|item| match item {
        Ok(event) => to_sse(&event),
        Err(BroadcastStreamRecvError::Lagged(missed)) => lagged(missed),
    });
    let events = futures_util::stream::select(messages, forwards)
        .map(move |event| {
            let _ = &view;
            Ok(event)
        })
        .take_until(state.shutdown.clone().cancelled_owned());
    let hello =
        futures_util::stream::once(async { Ok(SseEvent::default().event("ready").data("{}")) });
    Ok(
        Sse::new(hello.chain(events))
            .keep_alive(KeepAlive::new().interval(Duration::from_secs(15))),
    )
}

fn lagged(missed: u64) -> SseEvent {
    SseEvent::default()
        .event("lagged")
        .data(format!("{{\"missed\":{missed}}}"))
}

/// The event's serde form (`{"type", "data"}`) split into the SSE name and data,
/// so the names and shapes are written once, on `Event` and `ForwardEvent`.
fn to_sse(event: &impl serde::Serialize) -> SseEvent {
    let (name, data) = match serde_json::to_value(event) {
        Ok(serde_json::Value::Object(mut wire)) => (
            wire.remove("type")
                .and_then(|t| t.as_str().map(str::to_owned))
                .unwrap_or_default(),
            wire.remove("data").unwrap_or_default().to_string(),
        ),
        _ => (String::new(), "{}".to_owned()),
    };
    SseEvent::default().event(name).data(data)
}
