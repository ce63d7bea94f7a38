//! The one way messages are inserted: batches of messages (and the auto-forwards
//! they queue) written synchronously on the caller's thread, the capture writer's
//! or `phonebox seed`'s blocking task.
//!
//! Why not sqlx here: a sqlx SQLite connection runs on a worker thread of its own,
//! so every statement is two thread hand-offs, and the multi-row INSERT that kept
//! those to one per batch was a new SQL text (parsed and planned again) for every
//! batch size. The writer already owns a thread, so it talks to SQLite directly:
//! one cached single-row statement, one transaction per batch, no hand-off. The
//! profile before the change: 8.9 µs per capture on sqlx's thread, most of it
//! statement preparation and waking threads. Only this file speaks rusqlite; every
//! other query stays on sqlx (and so portable to the PostgreSQL backend planned).

use std::path::Path;

use rusqlite::{params, Connection, TransactionBehavior};

use super::forwards::QueuedForward;
use super::StoreError;
use crate::message::{Message, RawRequest};
use crate::unix_ms;

/// The columns a message row is inserted with, in `insert`'s order.
const MESSAGE_COLUMNS: &str = "id, tenant, received_at, channel, source, recipient, \
     sender, text, code, action, purpose, locale, user_id, client_id, status, encoding, \
     segments, provider_message_id, provider_account, attributes, error_code, error_message, \
     content_type, headers, raw_body, transaction_id";

const INSERT_FORWARD: &str = "INSERT INTO forwards (message_id, tenant, channel, text, via, \
     destination, rule_id, state, next_at, created_at) \
     VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)";

/// A connection owned by the capture writer.
pub struct BatchWriter {
    conn: Connection,
    /// `INSERT INTO messages (MESSAGE_COLUMNS) VALUES (?, …)`, made once.
    insert_message: String,
}

impl std::fmt::Debug for BatchWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchWriter").finish_non_exhaustive()
    }
}

impl BatchWriter {
    /// Opens the database file (already created and migrated by `Store::open`) with
    /// the settings the pool's connections have.
    pub(crate) fn open(path: &Path) -> Result<BatchWriter, StoreError> {
        // Never create it: were the file moved away, a new empty one without the
        // schema would take the captures.
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(super::BUSY_TIMEOUT)?;
        // As the pool's writers (see `Store::open_with`): FULL, so a 2xx survives a
        // power cut; then the settings every connection shares.
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")?;
        for (name, value) in super::CONNECTION_PRAGMAS {
            conn.pragma_update(None, name, value)?;
        }
        let marks = vec!["?"; MESSAGE_COLUMNS.split(',').count()].join(", ");
        Ok(BatchWriter {
            conn,
            insert_message: format!("INSERT INTO messages ({MESSAGE_COLUMNS}) VALUES ({marks})"),
        })
    }

    /// Inserts `rows` and `forwards` in one transaction: all are committed, or none.
    pub fn insert(
        &mut self,
        rows: &[(&Message, &RawRequest)],
        forwards: &[QueuedForward],
    ) -> Result<(), StoreError> {
        if rows.is_empty() && forwards.is_empty() {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut insert = tx.prepare_cached(&self.insert_message)?;
            for (m, raw) in rows {
                let headers = serde_json::to_string(&raw.headers)
                    .map_err(|e| StoreError::Corrupt(format!("headers: {e}")))?;
                let attributes = m.attributes.as_ref().map(|a| a.to_string());
                // The flow the message belongs to, kept in a column of its own for
                // the timeline and the transaction filter.
                let transaction_id = m
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get("transaction_id"))
                    .and_then(serde_json::Value::as_str);
                insert.execute(params![
                    m.id,
                    m.tenant,
                    unix_ms::from_time(m.received_at),
                    m.channel.as_str(),
                    m.source.as_str(),
                    m.recipient.as_str(),
                    m.sender,
                    m.text,
                    m.code,
                    m.action,
                    m.purpose.map(|p| p.as_str()),
                    m.locale,
                    m.user_id,
                    m.client_id,
                    m.status.as_str(),
                    m.encoding.as_str(),
                    i64::from(m.segments),
                    m.provider_message_id,
                    m.provider_account,
                    attributes,
                    m.error.as_ref().map(|e| e.code.as_str()),
                    m.error.as_ref().map(|e| e.message.as_str()),
                    raw.content_type,
                    headers,
                    raw.body,
                    transaction_id,
                ])?;
            }
        }
        if !forwards.is_empty() {
            let mut insert = tx.prepare_cached(INSERT_FORWARD)?;
            for f in forwards {
                insert.execute(params![
                    f.message_id,
                    f.tenant,
                    f.channel,
                    f.text,
                    f.via,
                    f.destination,
                    f.rule_id,
                    f.now,
                    f.now,
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        let code = match &e {
            rusqlite::Error::SqliteFailure(failure, _) => Some(i64::from(failure.extended_code)),
            _ => None,
        };
        match code {
            Some(code) if super::is_unwritable_code(code) => {
                super::saw_unwritable();
                StoreError::Unwritable(e.to_string())
            }
            // BUSY, LOCKED: another writer held the database past busy_timeout (a
            // huge delete, another process): a while, not a failure of Phonebox's.
            Some(code) if matches!(code & 0xff, 5 | 6) => StoreError::Unwritable(e.to_string()),
            _ => StoreError::Write(e.to_string()),
        }
    }
}
