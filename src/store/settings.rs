//! The `settings` table: a few named values that outlive a restart.

use super::{on, Db, Store, StoreError};

pub async fn get(db: impl Into<Db<'_>>, key: &str) -> Result<Option<String>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_scalar("SELECT value FROM settings WHERE key = ?").bind(key),
        fetch_optional
    )?)
}

pub async fn set(db: impl Into<Db<'_>>, key: &str, value: &str) -> Result<(), StoreError> {
    on!(
        db,
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES (?, ?) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value),
        execute
    )?;
    Ok(())
}

/// Forgets a value.
pub async fn delete(store: &Store, key: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM settings WHERE key = ?")
        .bind(key)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Every value whose key starts with `prefix`.
pub async fn with_prefix(store: &Store, prefix: &str) -> Result<Vec<(String, String)>, StoreError> {
    let pattern = format!(
        "{}%",
        prefix
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    Ok(
        sqlx::query_as("SELECT key, value FROM settings WHERE key LIKE ? ESCAPE '\\'")
            .bind(pattern)
            .fetch_all(store.pool())
            .await?,
    )
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
