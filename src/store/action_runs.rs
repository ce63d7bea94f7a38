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

/// Keeps one run, and of its Action's runs only the `keep` newest: a suite that
/// runs an Action for every login does not grow the file without end.
pub async fn insert(store: &Store, row: &RunRow<'_>, keep: u32) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
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
    .execute(&mut *tx)
    .await?;
    // Older than the `keep`-th newest (none while there are fewer), by the
    // (action_id, id) index.
    sqlx::query(
        "DELETE FROM action_runs WHERE action_id = ?1 AND id < \
         (SELECT id FROM action_runs WHERE action_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
    )
    .bind(row.action_id)
    .bind(i64::from(keep.saturating_sub(1)))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_action_keeps_only_its_newest_runs() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("runs.db"))
            .await
            .expect("store opens");
        let run = |id: &'static str, action_id: &'static str| RunRow {
            id,
            action_id,
            tenant: "default",
            transaction_id: "tx",
            trigger_id: "custom-phone-provider",
            attempt: 1,
            started_at: 0,
            duration_ms: 1,
            outcome: "success",
            reason: None,
            body: "{}",
        };
        for id in ["r1", "r2", "r3", "r4", "r5"] {
            insert(&store, &run(id, "act_a"), 3).await.expect("kept");
        }
        insert(&store, &run("r0", "act_b"), 3).await.expect("kept");
        let left: Vec<(String, String)> =
            sqlx::query_as("SELECT action_id, id FROM action_runs ORDER BY action_id, id")
                .fetch_all(store.pool())
                .await
                .expect("runs");
        let left: Vec<(&str, &str)> = left.iter().map(|(a, i)| (a.as_str(), i.as_str())).collect();
        assert_eq!(
            left,
            [
                ("act_a", "r3"),
                ("act_a", "r4"),
                ("act_a", "r5"),
                ("act_b", "r0")
            ]
        );
    }
}
