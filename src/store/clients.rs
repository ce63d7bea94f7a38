//! The `clients` table: applications of an emulated tenant.

use sqlx::FromRow;

use super::{on, Db, Store, StoreError};

#[derive(Debug, Clone, FromRow)]
pub struct ClientRow {
    pub client_id: String,
    pub tenant: String,
    pub name: String,
    /// `salt$sha256(salt || secret)`: the secret itself is shown once, at creation.
    pub client_secret: String,
    /// Registered by permissive mode on first use: its caller never saw the secret.
    pub on_first_use: bool,
    pub created_at: i64,
}

pub async fn get(
    db: impl Into<Db<'_>>,
    tenant: &str,
    client_id: &str,
) -> Result<Option<ClientRow>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as(
            "SELECT client_id, tenant, name, client_secret, on_first_use, created_at FROM clients \
         WHERE tenant = ? AND client_id = ?",
        )
        .bind(tenant)
        .bind(client_id),
        fetch_optional
    )?)
}

pub async fn list(db: impl Into<Db<'_>>, tenant: &str) -> Result<Vec<ClientRow>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as(
            "SELECT client_id, tenant, name, client_secret, on_first_use, created_at FROM clients \
         WHERE tenant = ? ORDER BY created_at, client_id",
        )
        .bind(tenant),
        fetch_all
    )?)
}

/// Inserts a client; `false` if its tenant already has that id.
pub async fn insert(db: impl Into<Db<'_>>, row: &ClientRow) -> Result<bool, StoreError> {
    let done = on!(db, sqlx::query(
        "INSERT INTO clients (client_id, tenant, name, client_secret, on_first_use, created_at) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, client_id) DO NOTHING",
    )
    .bind(&row.client_id)
    .bind(&row.tenant)
    .bind(&row.name)
    .bind(&row.client_secret)
    .bind(row.on_first_use)
    .bind(row.created_at), execute)?;
    Ok(done.rows_affected() == 1)
}

/// Replaces each client secret an older Phonebox stored as typed (no `salt$hash`
/// form) with `hash(secret)`, in one write transaction (begun `IMMEDIATE`: a
/// deferred one that read first would fail at once, not wait, were the indexer or
/// the write check to commit between its read and its update), and checkpoints so the old
/// bytes (overwritten: `secure_delete` is on) leave the database file at once.
/// Returns how many were replaced.
pub async fn hash_clear_secrets(
    store: &Store,
    hash: impl Fn(&str) -> String,
) -> Result<usize, StoreError> {
    let mut tx = store.begin().await?;
    let clear: Vec<(String, String, String)> = sqlx::query_as(
        // A hash is 16 hex digits of salt, `$`, 64 of digest; anything else is a
        // secret stored as typed (which may itself contain a `$`).
        "SELECT tenant, client_id, client_secret FROM clients \
         WHERE NOT (length(client_secret) = 81 AND substr(client_secret, 17, 1) = '$')",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (tenant, client_id, secret) in &clear {
        sqlx::query("UPDATE clients SET client_secret = ? WHERE tenant = ? AND client_id = ?")
            .bind(hash(secret))
            .bind(tenant)
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    if !clear.is_empty() {
        store.checkpoint().await?;
    }
    Ok(clear.len())
}
