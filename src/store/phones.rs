//! The `phones` table: one row per number that received something, with its
//! message count, unread count and newest message id.
//!
//! Triggers on `messages` and `phone_reads` keep it (migration 12), in the same
//! statement as the change it counts, so nothing here writes it: at a million
//! messages the phone list and the unread counts read these rows instead of
//! grouping every message.

use sqlx::{QueryBuilder, Row, Sqlite};

use super::messages::{message_from_row, summary_columns, PhoneSummary};
use super::{Store, StoreError};

/// Every number that received something, the most recently active first, at most
/// `limit`, older than `before` (the last phone's `last_message.id`).
pub async fn page(
    store: &Store,
    limit: u32,
    before: Option<&str>,
) -> Result<Vec<PhoneSummary>, StoreError> {
    let rows = page_query("", limit, before)
        .build()
        .fetch_all(store.pool())
        .await?;
    rows.iter()
        .map(|row| {
            let last_message = message_from_row(row)?;
            Ok(PhoneSummary {
                valid: last_message.recipient.is_valid(),
                number: last_message.recipient.clone(),
                count: row.try_get("count")?,
                unread: row.try_get("unread")?,
                last_message,
            })
        })
        .collect()
}

/// The statement `page` runs (`prefix` is `EXPLAIN QUERY PLAN ` in the plan test).
pub(super) fn page_query<'a>(
    prefix: &str,
    limit: u32,
    before: Option<&'a str>,
) -> QueryBuilder<'a, Sqlite> {
    let mut builder = QueryBuilder::new(format!(
        "{prefix}SELECT {}, p.count, p.unread FROM phones p JOIN messages m ON m.id = p.last_id",
        summary_columns("m.")
    ));
    if let Some(before) = before {
        builder.push(" WHERE p.last_id < ").push_bind(before);
    }
    builder
        .push(" ORDER BY p.last_id DESC LIMIT ")
        .push_bind(i64::from(limit));
    builder
}

/// Messages newer than what the inbox last showed, across every phone.
pub async fn unread_total(store: &Store) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(UNREAD_TOTAL)
        .fetch_one(store.pool())
        .await?)
}

pub(super) const UNREAD_TOTAL: &str = "SELECT COALESCE(SUM(unread), 0) FROM phones";
