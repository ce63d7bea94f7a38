//! The `action_cache` table: each Action's `api.cache`, kept between runs.

use super::{Store, StoreError};

/// The Action's records that have not expired at `now` (Unix ms, emulated clock).
pub async fn live(
    store: &Store,
    action_id: &str,
    now: i64,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT key, value, expires_at FROM action_cache WHERE action_id = ? AND expires_at > ? ORDER BY key",
    )
    .bind(action_id)
    .bind(now)
    .fetch_all(store.pool())
    .await?)
}

/// One change a run made: a value sets the record, `None` deletes it.
pub struct Write<'a> {
    pub key: &'a str,
    pub value: Option<&'a str>,
    pub expires_at: i64,
}

/// Applies a run's changes in one transaction, drops what has expired, and keeps
/// at most `max_entries` records (those expiring last): runs at once each check
/// the limit against the records they were given, so together they could pass it.
pub async fn apply(
    store: &Store,
    action_id: &str,
    writes: &[Write<'_>],
    now: i64,
    max_entries: usize,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    for write in writes {
        match write.value {
            Some(value) => {
                sqlx::query(
                    "INSERT INTO action_cache (action_id, key, value, expires_at) VALUES (?, ?, ?, ?) \
                     ON CONFLICT (action_id, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
                )
                .bind(action_id)
                .bind(write.key)
                .bind(value)
                .bind(write.expires_at)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM action_cache WHERE action_id = ? AND key = ?")
                    .bind(action_id)
                    .bind(write.key)
                    .execute(&mut *tx)
                    .await?;
            }
        }
    }
    sqlx::query("DELETE FROM action_cache WHERE action_id = ? AND expires_at <= ?")
        .bind(action_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "DELETE FROM action_cache WHERE action_id = ? AND key IN \
         (SELECT key FROM action_cache WHERE action_id = ? \
          ORDER BY expires_at DESC, key LIMIT -1 OFFSET ?)",
    )
    .bind(action_id)
    .bind(action_id)
    .bind(i64::try_from(max_entries).unwrap_or(i64::MAX))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
