//! The `forward_rules` table: auto-forward rules. The trigger on `messages` reads
//! it; this module writes it.

use sqlx::Row;

use super::{Store, StoreError};

#[derive(Debug, Clone)]
pub struct RuleRow {
    pub id: i64,
    pub pattern: String,
    pub via: String,
    pub to_number: Option<String>,
    pub enabled: bool,
}

/// What a rule says, without its id.
pub struct RuleFields<'a> {
    pub pattern: &'a str,
    pub via: &'a str,
    pub to_number: Option<&'a str>,
    pub enabled: bool,
}

fn rule(row: &sqlx::sqlite::SqliteRow) -> Result<RuleRow, sqlx::Error> {
    Ok(RuleRow {
        id: row.try_get("id")?,
        pattern: row.try_get("pattern")?,
        via: row.try_get("via")?,
        to_number: row.try_get("to_number")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
    })
}

pub async fn all(store: &Store) -> Result<Vec<RuleRow>, StoreError> {
    let rows = sqlx::query("SELECT * FROM forward_rules ORDER BY id")
        .fetch_all(store.pool())
        .await?;
    Ok(rows.iter().map(rule).collect::<Result<_, _>>()?)
}

/// Whether rule `id` exists and is on.
pub async fn is_on(store: &Store, id: i64) -> Result<bool, StoreError> {
    let on: Option<i64> = sqlx::query_scalar("SELECT enabled FROM forward_rules WHERE id = ?")
        .bind(id)
        .fetch_optional(store.pool())
        .await?;
    Ok(on.is_some_and(|e| e != 0))
}

pub async fn insert(
    store: &Store,
    fields: &RuleFields<'_>,
    now: i64,
) -> Result<RuleRow, StoreError> {
    let row = sqlx::query(
        "INSERT INTO forward_rules (pattern, via, to_number, enabled, created_at) \
         VALUES (?, ?, ?, ?, ?) RETURNING *",
    )
    .bind(fields.pattern)
    .bind(fields.via)
    .bind(fields.to_number)
    .bind(i64::from(fields.enabled))
    .bind(now)
    .fetch_one(store.pool())
    .await?;
    Ok(rule(&row)?)
}

pub async fn update(
    store: &Store,
    id: i64,
    fields: &RuleFields<'_>,
) -> Result<Option<RuleRow>, StoreError> {
    let row = sqlx::query(
        "UPDATE forward_rules SET pattern = ?, via = ?, to_number = ?, enabled = ? \
         WHERE id = ? RETURNING *",
    )
    .bind(fields.pattern)
    .bind(fields.via)
    .bind(fields.to_number)
    .bind(i64::from(fields.enabled))
    .bind(id)
    .fetch_optional(store.pool())
    .await?;
    Ok(row.as_ref().map(rule).transpose()?)
}

/// Deletes every rule sending through `via`; how many there were.
pub async fn delete_via(store: &Store, via: &str) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM forward_rules WHERE via = ?")
        .bind(via)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected())
}

pub async fn delete(store: &Store, id: i64) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM forward_rules WHERE id = ?")
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}
