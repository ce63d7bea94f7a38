//! The inbox as the API, CLI and UI see it: reading, waiting for and deleting messages.
//!
//! Deletions are announced on the bus here, so every caller keeps live views right.
//! A phone's read mark goes with its last message (the `phones_delete` trigger), as
//! with retention's deletes.

use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::capture::pipeline::{AtCapacity, Event, Pipeline};
use crate::message::phone::PhoneNumber;
use crate::message::{Message, MessageDetail, Status};
use crate::store::messages::{self, After, Filter, PhoneSummary};
use crate::store::{phone_reads, phones as phone_rows, StoreError};

/// Most messages one page holds.
pub const MAX_PAGE: u32 = 500;

/// One page of messages, newest first.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "MessagesPage"))]
#[schema(as = MessagesPage)]
pub struct Page {
    pub messages: Vec<Message>,
    /// Pass as `before` to get the next (older) page; none when this page is the last.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// A page of messages matching `filter`.
pub async fn list(pipeline: &Pipeline, filter: &Filter, limit: u32) -> Result<Page, StoreError> {
    let limit = limit.clamp(1, MAX_PAGE);
    let messages = messages::list(pipeline.store(), filter, limit).await?;
    let next_cursor = (messages.len() == limit as usize)
        .then(|| messages.last().map(|m| m.id.clone()))
        .flatten();
    Ok(Page {
        messages,
        next_cursor,
    })
}

/// One message with its raw request.
pub async fn get(pipeline: &Pipeline, id: &str) -> Result<Option<MessageDetail>, StoreError> {
    messages::get(pipeline.store(), id).await
}

/// Deletes one message; whether it existed.
pub async fn delete(pipeline: &Pipeline, id: &str) -> Result<bool, StoreError> {
    let existed = messages::delete(pipeline.store(), id).await?;
    if existed {
        pipeline.publish(Event::MessageDeleted { id: id.to_owned() });
    }
    Ok(existed)
}

/// Deletes every message matching `filter` (its phone, tenant and user parts);
/// how many went.
pub async fn clear(pipeline: &Pipeline, filter: Filter) -> Result<u64, StoreError> {
    let deleted = messages::delete_matching(pipeline.store(), &filter).await?;
    pipeline.publish(Event::MessagesCleared {
        to: filter.to.map(|t| t.to_string()),
        tenant: filter.tenant,
    });
    Ok(deleted)
}

/// The phones that received something, most recently active first, a page at a time
/// (`before`: the `last_message.id` of the last phone of the previous page).
pub async fn phones(
    pipeline: &Pipeline,
    limit: u32,
    before: Option<&str>,
) -> Result<Vec<PhoneSummary>, StoreError> {
    phone_rows::page(pipeline.store(), limit, before).await
}

/// Marks a phone's messages read (up to `up_to`, else all), telling live views.
pub async fn mark_read(
    pipeline: &Pipeline,
    to: &PhoneNumber,
    up_to: Option<&str>,
) -> Result<Option<String>, StoreError> {
    let marked = phone_reads::mark_read(pipeline.store(), to, up_to).await?;
    if let Some(id) = &marked {
        pipeline.publish(Event::PhoneRead {
            to: to.as_str().to_owned(),
            last_read_id: id.clone(),
        });
    }
    Ok(marked)
}

/// How many messages no inbox has shown yet (the tray's count).
pub async fn unread_total(pipeline: &Pipeline) -> Result<i64, StoreError> {
    phone_rows::unread_total(pipeline.store()).await
}

/// Why a wait could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// As many waits as allowed are already held.
    #[error(transparent)]
    AtCapacity(#[from] AtCapacity),
}

/// The newest message `to` received (newer than `after`, if given): one whose send
/// failed never reached the phone, so it is passed over. If there is none yet,
/// waits up to `wait` for one to arrive; `None` when the wait ends or the server stops.
/// Refused when there is none yet and `--max-held-waits` waits are already held.
pub async fn wait_latest(
    pipeline: &Pipeline,
    wanted: Wanted,
    wait: Duration,
    shutdown: &CancellationToken,
) -> Result<Option<Message>, WaitError> {
    // Subscribe before looking, so a message committed in between is not missed.
    let mut events = pipeline.subscribe();
    let filter = Filter {
        to: Some(wanted.to),
        after: wanted.after,
        tenant: wanted.tenant,
        user_id: wanted.user_id,
        transaction_id: wanted.transaction_id,
        status: Some(Status::Received),
        ..Filter::default()
    };
    if let Some(found) = messages::latest(pipeline.store(), &filter).await? {
        return Ok(Some(found));
    }
    if wait.is_zero() {
        return Ok(None);
    }
    let _held = pipeline.hold_wait()?;
    let deadline = tokio::time::sleep(wait);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(Event::MessageCreated(m)) if matches(&filter, &m) => return Ok(Some((*m).clone())),
                Ok(_) => {}
                // Missed some events: the store knows what arrived.
                Err(RecvError::Lagged(_)) => {
                    if let Some(found) = messages::latest(pipeline.store(), &filter).await? {
                        return Ok(Some(found));
                    }
                }
                Err(RecvError::Closed) => return Ok(None),
            },
            () = &mut deadline => return Ok(None),
            () = shutdown.cancelled() => return Ok(None),
        }
    }
}

/// Which message a wait is for: a phone's, narrowed to one tenant, user or MFA
/// transaction so parallel test workers never read each other's codes.
#[derive(Debug, Clone)]
pub struct Wanted {
    pub to: PhoneNumber,
    pub after: Option<After>,
    pub tenant: Option<String>,
    pub user_id: Option<String>,
    pub transaction_id: Option<String>,
}

/// Whether a just-created message satisfies the parts of a filter a wait (or an
/// event stream) uses.
pub(crate) fn matches(filter: &Filter, m: &Message) -> bool {
    let transaction = m
        .attributes
        .as_ref()
        .and_then(|a| a.get("transaction_id"))
        .and_then(serde_json::Value::as_str);
    let to_ok = filter.to.as_ref().is_none_or(|to| *to == m.recipient)
        && filter.status.is_none_or(|s| s == m.status)
        && filter.tenant.as_ref().is_none_or(|t| *t == m.tenant)
        && filter
            .user_id
            .as_ref()
            .is_none_or(|u| Some(u.as_str()) == m.user_id.as_deref())
        && filter
            .transaction_id
            .as_ref()
            .is_none_or(|t| Some(t.as_str()) == transaction);
    let after_ok = match &filter.after {
        None => true,
        Some(After::Id(id)) => m.id.as_str() > id.as_str(),
        Some(After::Time(t)) => m.received_at > *t,
    };
    to_ok && after_ok
}
