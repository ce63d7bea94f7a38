//! The `settings` table: a few named values that outlive a restart.

use super::{Store, StoreError};

pub async fn get(store: &Store, key: &str) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(store.pool())
            .await?,
    )
}

pub async fn set(store: &Store, key: &str, value: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES (?, ?) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Deletes a value that must not linger once moved elsewhere: the delete
/// overwrites its bytes (every connection has `secure_delete` on), and a
/// checkpoint carries that into the database file at once.
pub async fn delete_overwriting(store: &Store, key: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM settings WHERE key = ?")
        .bind(key)
        .execute(store.pool())
        .await?;
    store.checkpoint().await
}
