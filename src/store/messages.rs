//! The `messages` table.

use serde::Serialize;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use time::OffsetDateTime;

use super::{Store, StoreError};
use crate::message::phone::PhoneNumber;
use crate::message::{Channel, Message, MessageDetail, SendError, Source, Status, StoredRequest};
use crate::unix_ms;

/// Columns of a `Message`, in the order `message_from_row` reads them.
const SUMMARY_COLUMNS: &str = "id, tenant, received_at, channel, source, recipient, sender, \
     text, code, action, purpose, locale, user_id, client_id, status, encoding, segments, \
     provider_message_id, provider_account, attributes, error_code, error_message";

/// `SUMMARY_COLUMNS`, each named through `table` (`m.`).
pub(super) fn summary_columns(table: &str) -> String {
    SUMMARY_COLUMNS
        .split(", ")
        .map(|c| format!("{table}{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which messages a query is about. Every field narrows; none set means all.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub to: Option<PhoneNumber>,
    pub channel: Option<Channel>,
    pub source: Option<Source>,
    pub tenant: Option<String>,
    /// For this user of the tenant (a message the emulated tenant sent).
    pub user_id: Option<String>,
    /// Carrying the code of this MFA transaction (its `transaction_id` attribute).
    pub transaction_id: Option<String>,
    /// Sent from this sender (number, sender id or messaging service).
    pub sender: Option<String>,
    /// Sent by this provider account (Twilio AccountSid...).
    pub provider_account: Option<String>,
    /// In this state (`received`, `failed`).
    pub status: Option<Status>,
    /// Text, number or code contains this (case-insensitive), at most
    /// `MAX_QUERY_CHARS`.
    pub query: Option<String>,
    /// Received at or after this time.
    pub since: Option<OffsetDateTime>,
    /// Strictly newer than this.
    pub after: Option<After>,
    /// Strictly older than this id: the cursor for the next page (newest first).
    pub before: Option<String>,
}

/// A point a client saw earlier: a message id or a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    Id(String),
    Time(OffsetDateTime),
}

/// One phone number that received messages.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct PhoneSummary {
    #[cfg_attr(test, ts(type = "string"))]
    #[schema(value_type = String)]
    pub number: PhoneNumber,
    /// Whether libphonenumber knows the number as assigned; fictional test numbers
    /// are captured all the same, this is only a hint.
    pub valid: bool,
    pub count: i64,
    /// Messages the inbox has not shown yet.
    pub unread: i64,
    pub last_message: Message,
}

/// Messages matching `filter`, newest first, at most `limit`.
///
/// A text query is answered from the trigram index (`message_search`), walked
/// newest first by rowid, which follows arrival as ids do (one writer stamps them
/// in order), so a common word's first page reads a hundred entries, not all that
/// match; its cursor is the `before` message's rowid, so pages neither skip nor
/// repeat a match.
pub async fn list(store: &Store, filter: &Filter, limit: u32) -> Result<Vec<Message>, StoreError> {
    // FTS5 reads its query as a C string: a NUL would end it mid-quote.
    let query = filter.query.as_deref().map(|q| q.replace('\0', ""));
    let search = match query.as_deref() {
        Some(q) if q.chars().count() > MAX_QUERY_CHARS => return Ok(Vec::new()),
        // Within one phone, its rows are few: LIKE on them beats walking every
        // match of a common word for the few that are its.
        Some(q) if q.chars().count() >= MIN_INDEXED_QUERY && filter.to.is_none() => Some(Search {
            mark: 0,
            matched: search_phrase(q),
            before_rowid: match &filter.before {
                Some(id) => rowid_of(store, id).await?,
                None => None,
            },
        }),
        // Shorter than a trigram, or one phone's: LIKE, walking the newest first.
        _ => None,
    };
    let Some(mut search) = search else {
        let rows = list_query("", filter, None, limit)
            .build()
            .fetch_all(store.pool())
            .await?;
        return rows.iter().map(message_from_row).collect();
    };
    // One snapshot: the mark, the rows above it and the index below it agree.
    let mut tx = store.begin_read().await?;
    search.mark = super::message_search::indexed_through(&mut tx).await?;
    // The newest first: those the indexer has not reached yet, by LIKE (of the
    // query as the index reads it).
    let mut normalised = filter.clone();
    normalised.query = query;
    let mut rows = tail_query("", &normalised, &search, limit)
        .build()
        .fetch_all(&mut *tx)
        .await?;
    let left = limit.saturating_sub(u32::try_from(rows.len()).unwrap_or(u32::MAX));
    if left > 0 {
        rows.extend(
            list_query("", filter, Some(&search), left)
                .build()
                .fetch_all(&mut *tx)
                .await?,
        );
    }
    rows.iter().map(message_from_row).collect()
}

/// A text query as `list` runs it: the FTS5 expression and the cursor's rowid.
#[derive(Debug, Clone)]
pub(super) struct Search {
    pub(super) matched: String,
    pub(super) before_rowid: Option<i64>,
    /// The index holds every message up to this rowid (`message_search`).
    pub(super) mark: i64,
}

/// The statement `list` runs (`prefix` is `EXPLAIN QUERY PLAN ` in the plan test).
pub(super) fn list_query<'a>(
    prefix: &str,
    filter: &'a Filter,
    search: Option<&'a Search>,
    limit: u32,
) -> QueryBuilder<'a, Sqlite> {
    let mut builder: QueryBuilder<Sqlite> = match search {
        Some(search) => {
            let mut builder = QueryBuilder::new(format!(
                "{prefix}SELECT {} FROM message_search JOIN messages m \
                 ON m.rowid = message_search.rowid WHERE message_search MATCH ",
                summary_columns("m.")
            ));
            builder.push_bind(search.matched.clone());
            builder
                .push(" AND message_search.rowid <= ")
                .push_bind(search.mark);
            let mut filter = filter.clone();
            // The cursor is the rowid when its message is still there; else its id.
            if let Some(rowid) = search.before_rowid {
                filter.before = None;
                builder
                    .push(" AND message_search.rowid < ")
                    .push_bind(rowid);
            }
            push_where(&mut builder, &filter, "m.", false);
            builder.push(" ORDER BY message_search.rowid DESC");
            builder
        }
        None => {
            let mut builder =
                QueryBuilder::new(format!("{prefix}SELECT {SUMMARY_COLUMNS} FROM messages"));
            push_where(&mut builder, filter, "", true);
            builder.push(" ORDER BY id DESC");
            builder
        }
    };
    builder.push(" LIMIT ").push_bind(limit as i64);
    builder
}

/// The part of a search `list` answers by LIKE: the rows newer than the index's
/// mark (a few, while the indexer catches up), newest first.
pub(super) fn tail_query<'a>(
    prefix: &str,
    filter: &'a Filter,
    search: &'a Search,
    limit: u32,
) -> QueryBuilder<'a, Sqlite> {
    let mut builder = QueryBuilder::new(format!(
        "{prefix}SELECT {} FROM messages m WHERE m.rowid > ",
        summary_columns("m.")
    ));
    builder.push_bind(search.mark);
    let mut filter = filter.clone();
    if let Some(rowid) = search.before_rowid {
        filter.before = None;
        builder.push(" AND m.rowid < ").push_bind(rowid);
    }
    // Walk the rowids above the mark, never a tenant's or a source's whole index.
    push_where_aside(&mut builder, &filter, "m.", true, true);
    builder
        .push(" ORDER BY m.rowid DESC LIMIT ")
        .push_bind(i64::from(limit));
    builder
}

async fn rowid_of(store: &Store, id: &str) -> Result<Option<i64>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT rowid FROM messages WHERE id = ?")
            .bind(id)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// The longest text query; the API refuses longer ones.
pub const MAX_QUERY_CHARS: usize = 256;

/// The shortest query the trigram index answers; shorter ones are matched by LIKE.
const MIN_INDEXED_QUERY: usize = 3;

/// What a user typed as one FTS5 string: quoted, so nothing in it is FTS5 syntax.
/// The trigram index then finds the messages whose text, code or number contain
/// it, as LIKE '%q%' did.
pub(super) fn search_phrase(q: &str) -> String {
    format!("\"{}\"", q.replace('"', "\"\""))
}

/// The newest message matching `filter`, if any.
pub async fn latest(store: &Store, filter: &Filter) -> Result<Option<Message>, StoreError> {
    Ok(list(store, filter, 1).await?.into_iter().next())
}

/// The message a provider API answered with this id (a Twilio `SM...`).
pub async fn by_provider_id(
    store: &Store,
    source: Source,
    provider_message_id: &str,
) -> Result<Option<Message>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM messages WHERE provider_message_id = ? AND source = ?"
    ))
    .bind(provider_message_id)
    .bind(source.as_str())
    .fetch_optional(store.pool())
    .await?;
    row.as_ref().map(message_from_row).transpose()
}

/// One message with its raw request.
pub async fn get(store: &Store, id: &str) -> Result<Option<MessageDetail>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {SUMMARY_COLUMNS}, content_type, headers, raw_body FROM messages WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(store.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let message = message_from_row(&row)?;
    let headers: String = row.try_get("headers")?;
    let headers: Vec<(String, String)> = serde_json::from_str(&headers)
        .map_err(|e| StoreError::Corrupt(format!("headers of {id}: {e}")))?;
    let body: Vec<u8> = row.try_get("raw_body")?;
    Ok(Some(MessageDetail {
        message,
        request: StoredRequest {
            content_type: row.try_get("content_type")?,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        },
    }))
}

/// Deletes one message; whether it existed.
pub async fn delete(store: &Store, id: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM messages WHERE id = ?")
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes every message matching `filter`; how many went.
pub async fn delete_matching(store: &Store, filter: &Filter) -> Result<u64, StoreError> {
    let mut builder: QueryBuilder<Sqlite> = QueryBuilder::new("DELETE FROM messages");
    push_where(&mut builder, filter, "", true);
    let done = builder.build().execute(store.pool()).await?;
    Ok(done.rows_affected())
}

/// How many messages there are, counting no further than `limit`: retention's
/// check reads at most that many index entries, never the whole table.
pub async fn count_up_to(store: &Store, limit: u64) -> Result<u64, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM messages LIMIT ?)")
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_one(store.pool())
        .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The newest message beyond the newest `keep` (ids sort by arrival): it and
/// every older one are over a cap of `keep`.
pub async fn newest_beyond(store: &Store, keep: u64) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM messages ORDER BY id DESC LIMIT 1 OFFSET ?")
            .bind(i64::try_from(keep).unwrap_or(i64::MAX))
            .fetch_optional(store.pool())
            .await?,
    )
}

/// Deletes at most `batch` of the oldest messages with an id up to `last`, in one
/// short statement; how many went.
pub async fn delete_oldest_through(
    db: impl Into<super::Db<'_>>,
    last: &str,
    batch: u32,
) -> Result<u64, StoreError> {
    let query = sqlx::query(
        "DELETE FROM messages WHERE id IN \
           (SELECT id FROM messages WHERE id <= ? ORDER BY id LIMIT ?)",
    )
    .bind(last)
    .bind(i64::from(batch));
    let done = super::on!(db, query, execute)?;
    Ok(done.rows_affected())
}

/// Deletes at most `batch` of the messages received before `cutoff` (Unix ms),
/// oldest first, in one short statement; how many went.
///
/// Walks the primary key: an id is a ULID made from the very time the message was
/// stamped with (`pipeline::finish`, `seed`), so every message received before
/// `cutoff` has an id below the first ULID of that millisecond. An index on
/// `received_at` would cost the capture writer one more B-tree (and one more page
/// written per commit) for what only this background delete reads.
pub async fn delete_received_before(
    db: impl Into<super::Db<'_>>,
    cutoff: i64,
    batch: u32,
) -> Result<u64, StoreError> {
    let bound = ulid::Ulid::from_parts(u64::try_from(cutoff).unwrap_or(0), 0).to_string();
    let query = sqlx::query(
        "DELETE FROM messages WHERE id IN \
           (SELECT id FROM messages WHERE id < ? AND received_at < ? ORDER BY id LIMIT ?)",
    )
    .bind(bound)
    .bind(cutoff)
    .bind(i64::from(batch));
    let done = super::on!(db, query, execute)?;
    Ok(done.rows_affected())
}

/// `col` prefixes each column (`m.` in a join); `with_query` adds the text query as
/// LIKE (for deletes, which never search; `list` searches through the index).
fn push_where(builder: &mut QueryBuilder<Sqlite>, filter: &Filter, col: &str, with_query: bool) {
    push_where_aside(builder, filter, col, with_query, false);
}

/// `push_where`; with `aside`, the tenant and source indexes are never used.
fn push_where_aside(
    builder: &mut QueryBuilder<Sqlite>,
    filter: &Filter,
    col: &str,
    with_query: bool,
    aside: bool,
) {
    // A join's WHERE already holds the MATCH.
    let mut first = col.is_empty();
    let mut and = |builder: &mut QueryBuilder<Sqlite>, what: &str| {
        builder.push(if first { " WHERE " } else { " AND " });
        if !what.is_empty() {
            builder.push(col).push(what);
        }
        first = false;
    };
    // A phone narrows most: with one, the other indexed columns are only checked
    // on its rows (`+` keeps SQLite from walking a whole tenant's index instead).
    let aside = if aside || filter.to.is_some() {
        "+"
    } else {
        ""
    };
    if let Some(to) = &filter.to {
        and(builder, "recipient = ");
        builder.push_bind(to.as_str().to_owned());
    }
    if let Some(channel) = filter.channel {
        and(builder, "channel = ");
        builder.push_bind(channel.as_str());
    }
    if let Some(source) = filter.source {
        and(builder, "");
        builder
            .push(format!("{aside}{col}source = "))
            .push_bind(source.as_str());
    }
    if let Some(tenant) = &filter.tenant {
        and(builder, "");
        builder
            .push(format!("{aside}{col}tenant = "))
            .push_bind(tenant.clone());
    }
    if let Some(user_id) = &filter.user_id {
        and(builder, "user_id = ");
        builder.push_bind(user_id.clone());
    }
    if let Some(transaction) = &filter.transaction_id {
        // The generated column, so `messages_by_transaction` can answer it.
        and(builder, "transaction_id = ");
        builder.push_bind(transaction.clone());
    }
    if let Some(sender) = &filter.sender {
        and(builder, "sender = ");
        builder.push_bind(sender.clone());
    }
    if let Some(account) = &filter.provider_account {
        and(builder, "provider_account = ");
        builder.push_bind(account.clone());
    }
    if let Some(status) = &filter.status {
        and(builder, "status = ");
        builder.push_bind(*status);
    }
    if let (Some(query), true) = (&filter.query, with_query) {
        let pattern = format!("%{}%", escape_like(query));
        and(builder, "");
        builder
            .push(format!("({col}text LIKE "))
            .push_bind(pattern.clone())
            .push(format!(" ESCAPE '\\' OR {col}recipient LIKE "))
            .push_bind(pattern.clone())
            .push(format!(" ESCAPE '\\' OR {col}code LIKE "))
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
    if let Some(since) = filter.since {
        and(builder, "received_at >= ");
        builder.push_bind(unix_ms::from_time(since));
    }
    match &filter.after {
        Some(After::Id(id)) => {
            and(builder, "id > ");
            builder.push_bind(id.clone());
        }
        Some(After::Time(at)) => {
            and(builder, "received_at > ");
            builder.push_bind(unix_ms::from_time(*at));
        }
        None => {}
    }
    if let Some(before) = &filter.before {
        and(builder, "id < ");
        builder.push_bind(before.clone());
    }
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub(super) fn message_from_row(row: &SqliteRow) -> Result<Message, StoreError> {
    let id: String = row.try_get("id")?;
    let corrupt = |what: &str| StoreError::Corrupt(format!("{what} of message {id}"));
    let received_ms: i64 = row.try_get("received_at")?;
    let received_at = unix_ms::to_time(received_ms).ok_or_else(|| corrupt("received_at"))?;
    let segments: i64 = row.try_get("segments")?;
    let recipient = PhoneNumber::from_stored(row.try_get("recipient")?);
    Ok(Message {
        tenant: row.try_get("tenant")?,
        received_at,
        channel: row.try_get("channel")?,
        source: row.try_get("source")?,
        to_display: recipient.international(),
        recipient,
        sender: row.try_get("sender")?,
        text: row.try_get("text")?,
        code: row.try_get("code")?,
        action: row.try_get("action")?,
        purpose: row.try_get("purpose")?,
        locale: row.try_get("locale")?,
        user_id: row.try_get("user_id")?,
        client_id: row.try_get("client_id")?,
        status: row.try_get("status")?,
        encoding: row.try_get("encoding")?,
        segments: u32::try_from(segments).map_err(|_| corrupt("segments"))?,
        provider_message_id: row.try_get("provider_message_id")?,
        provider_account: row.try_get("provider_account")?,
        attributes: match row.try_get::<Option<String>, _>("attributes")? {
            Some(json) => Some(serde_json::from_str(&json).map_err(|_| corrupt("attributes"))?),
            None => None,
        },
        error: match (
            row.try_get::<Option<String>, _>("error_code")?,
            row.try_get::<Option<String>, _>("error_message")?,
        ) {
            (Some(code), message) => Some(SendError {
                code,
                message: message.unwrap_or_default(),
            }),
            (None, _) => None,
        },
        id,
    })
}

/// The ids of the messages one Action run sent (linked by `action_run_id`) in its
/// transaction, oldest first, at most `limit`.
pub async fn ids_of_run(
    store: &Store,
    transaction_id: &str,
    run_id: &str,
    limit: u32,
) -> Result<Vec<String>, StoreError> {
    // The transaction's index narrows it; the run's id is in the attributes.
    Ok(sqlx::query_scalar(
        "SELECT id FROM messages WHERE transaction_id = ? \
         AND json_extract(attributes, '$.action_run_id') = ? ORDER BY id LIMIT ?",
    )
    .bind(transaction_id)
    .bind(run_id)
    .bind(i64::from(limit))
    .fetch_all(store.pool())
    .await?)
}

/// The messages of one transaction (an MFA challenge, a passwordless code, an
/// Action test), oldest first, at most `limit`.
pub async fn of_transaction(
    store: &Store,
    transaction_id: &str,
    limit: u32,
) -> Result<Vec<Message>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM messages WHERE transaction_id = ? ORDER BY id LIMIT ?"
    ))
    .bind(transaction_id)
    .bind(i64::from(limit))
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(message_from_row).collect()
}
