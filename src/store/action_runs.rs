//! The `action_runs` table: every run of an Action, kept whole as JSON beside the
//! columns the flow timeline and the run lists look up by.

use super::{Store, StoreError};

pub struct RunRow<'a> {
    pub id: &'a str,
    pub action_id: &'a str,
    pub tenant: &'a str,
    pub transaction_id: &'a str,
    pub trigger_id: &'a str,
    pub attempt: i64,
    pub started_at: i64,
    pub duration_ms: i64,
    pub outcome: &'a str,
    pub reason: Option<&'a str>,
    pub body: &'a str,
}

pub async fn insert(store: &Store, row: &RunRow<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO action_runs (id, action_id, tenant, transaction_id, trigger_id, attempt, started_at, duration_ms, outcome, reason, body) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(row.id)
    .bind(row.action_id)
    .bind(row.tenant)
    .bind(row.transaction_id)
    .bind(row.trigger_id)
    .bind(row.attempt)
    .bind(row.started_at)
    .bind(row.duration_ms)
    .bind(row.outcome)
    .bind(row.reason)
    .bind(row.body)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// The runs of one transaction, in order.
pub async fn of_transaction(
    store: &Store,
    transaction_id: &str,
    limit: u32,
) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT body FROM action_runs WHERE transaction_id = ? ORDER BY id LIMIT ?")
            .bind(transaction_id)
            .bind(i64::from(limit))
            .fetch_all(store.pool())
            .await?;
    Ok(rows.into_iter().map(|(b,)| b).collect())
}

/// An Action's latest runs, newest first.
pub async fn of_action(
    store: &Store,
    tenant: &str,
    action_id: &str,
    limit: u32,
) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT body FROM action_runs WHERE tenant = ? AND action_id = ? ORDER BY id DESC LIMIT ?",
    )
    .bind(tenant)
    .bind(action_id)
    .bind(i64::from(limit))
    .fetch_all(store.pool())
    .await?;
    Ok(rows.into_iter().map(|(b,)| b).collect())
}
