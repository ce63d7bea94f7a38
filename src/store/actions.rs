//! The `actions` table: the Action files the user configured, per tenant, at most
//! one per trigger. Secret values are in the secrets store, never here.

use sqlx::FromRow;

use super::{on, Db, Store, StoreError};

#[derive(Debug, Clone, FromRow)]
pub struct ActionRow {
    pub id: String,
    pub tenant: String,
    pub name: String,
    pub trigger_id: String,
    pub path: String,
    /// JSON array of the secrets' names.
    pub secret_names: String,
    pub timeout_ms: i64,
    pub max_memory_mb: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ActionRow {
    pub fn secret_names(&self) -> Vec<String> {
        serde_json::from_str(&self.secret_names).unwrap_or_default()
    }
}

const COLUMNS: &str = "id, tenant, name, trigger_id, path, secret_names, timeout_ms, max_memory_mb, created_at, updated_at";

/// Inserts an Action; `false` when the tenant already has one for its trigger.
pub async fn insert(db: impl Into<Db<'_>>, row: &ActionRow) -> Result<bool, StoreError> {
    let done = on!(
        db,
        sqlx::query(
            "INSERT INTO actions (id, tenant, name, trigger_id, path, secret_names, timeout_ms, max_memory_mb, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, trigger_id) DO NOTHING",
        )
        .bind(&row.id)
        .bind(&row.tenant)
        .bind(&row.name)
        .bind(&row.trigger_id)
        .bind(&row.path)
        .bind(&row.secret_names)
        .bind(row.timeout_ms)
        .bind(row.max_memory_mb)
        .bind(row.created_at)
        .bind(row.updated_at),
        execute
    )?;
    Ok(done.rows_affected() == 1)
}

/// Replaces an Action's settings; `false` if it is gone.
pub async fn update(db: impl Into<Db<'_>>, row: &ActionRow) -> Result<bool, StoreError> {
    let done = on!(
        db,
        sqlx::query(
            "UPDATE actions SET name = ?, path = ?, secret_names = ?, timeout_ms = ?, max_memory_mb = ?, updated_at = ? \
             WHERE id = ? AND tenant = ?",
        )
        .bind(&row.name)
        .bind(&row.path)
        .bind(&row.secret_names)
        .bind(row.timeout_ms)
        .bind(row.max_memory_mb)
        .bind(row.updated_at)
        .bind(&row.id)
        .bind(&row.tenant),
        execute
    )?;
    Ok(done.rows_affected() == 1)
}

pub async fn get(
    db: impl Into<Db<'_>>,
    tenant: &str,
    id: &str,
) -> Result<Option<ActionRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM actions WHERE tenant = ? AND id = ?");
    Ok(on!(
        db,
        sqlx::query_as(&sql).bind(tenant).bind(id),
        fetch_optional
    )?)
}

/// The tenant's Action for `trigger`, if it has one.
pub async fn for_trigger(
    store: &Store,
    tenant: &str,
    trigger: &str,
) -> Result<Option<ActionRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM actions WHERE tenant = ? AND trigger_id = ?");
    Ok(sqlx::query_as(&sql)
        .bind(tenant)
        .bind(trigger)
        .fetch_optional(store.pool())
        .await?)
}

pub async fn list(store: &Store, tenant: &str) -> Result<Vec<ActionRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM actions WHERE tenant = ? ORDER BY created_at, id");
    Ok(sqlx::query_as(&sql)
        .bind(tenant)
        .fetch_all(store.pool())
        .await?)
}

/// Deletes an Action (its cache goes with it); `false` if it was not there.
pub async fn delete(db: impl Into<Db<'_>>, tenant: &str, id: &str) -> Result<bool, StoreError> {
    let done = on!(
        db,
        sqlx::query("DELETE FROM actions WHERE tenant = ? AND id = ?")
            .bind(tenant)
            .bind(id),
        execute
    )?;
    Ok(done.rows_affected() == 1)
}
