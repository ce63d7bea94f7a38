//! The `phone_reads` table: how far the inbox has shown each phone's messages;
//! those newer than its `last_read_id` are unread (counted in `phones`).

use super::{Store, StoreError};
use crate::message::phone::PhoneNumber;

/// A phone's newest message, up to an id if given: the mark `mark_read` sets.
pub(super) const NEWEST: &str =
    "SELECT MAX(id) FROM messages WHERE recipient = ?1 AND (?2 IS NULL OR id <= ?2)";

/// Marks a phone read up to its newest message (or `up_to`); the id marked, if any.
pub async fn mark_read(
    store: &Store,
    to: &PhoneNumber,
    up_to: Option<&str>,
) -> Result<Option<String>, StoreError> {
    let newest: Option<String> = sqlx::query_scalar(NEWEST)
        .bind(to.as_str())
        .bind(up_to)
        .fetch_one(store.pool())
        .await?;
    let Some(newest) = newest else {
        return Ok(None);
    };
    // Never move the mark backwards: a late request must not unread newer messages.
    sqlx::query(
        "INSERT INTO phone_reads (recipient, last_read_id) VALUES (?, ?) \
         ON CONFLICT (recipient) DO UPDATE SET last_read_id = MAX(last_read_id, excluded.last_read_id)",
    )
    .bind(to.as_str())
    .bind(&newest)
    .execute(store.pool())
    .await?;
    Ok(Some(newest))
}

/// Forgets how far the inbox read a phone that has no message left: what
/// belonged only to deleted messages goes with them. How many went.
pub async fn delete_without_messages(db: impl Into<super::Db<'_>>) -> Result<u64, StoreError> {
    let query = sqlx::query(
        "DELETE FROM phone_reads WHERE NOT EXISTS \
           (SELECT 1 FROM messages m WHERE m.recipient = phone_reads.recipient)",
    );
    let done = super::on!(db, query, execute)?;
    Ok(done.rows_affected())
}
