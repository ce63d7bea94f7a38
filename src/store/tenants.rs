//! The `tenants` table: each emulated Auth0 tenant and its settings (a JSON document
//! the `auth0::tenant` module owns).

use sqlx::FromRow;

use super::{on, Db, Store, StoreError, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct TenantRow {
    pub id: String,
    pub friendly_name: String,
    pub settings: String,
    pub created_at: i64,
}

pub async fn get(db: impl Into<Db<'_>>, id: &str) -> Result<Option<TenantRow>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as("SELECT id, friendly_name, settings, created_at FROM tenants WHERE id = ?")
            .bind(id),
        fetch_optional
    )?)
}

pub async fn list(store: &Store) -> Result<Vec<TenantRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, friendly_name, settings, created_at FROM tenants ORDER BY created_at, id",
    )
    .fetch_all(store.pool())
    .await?)
}

/// Inserts a tenant; `false` if the id is taken.
pub async fn insert(db: impl Into<Db<'_>>, row: &TenantRow) -> Result<bool, StoreError> {
    let done =
        on!(db, sqlx::query(
        "INSERT INTO tenants (id, friendly_name, settings, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&row.id)
    .bind(&row.friendly_name)
    .bind(&row.settings)
    .bind(row.created_at), execute)?;
    Ok(done.rows_affected() == 1)
}

pub async fn update(
    db: impl Into<Db<'_>>,
    id: &str,
    friendly_name: &str,
    settings: &str,
) -> Result<(), StoreError> {
    on!(
        db,
        sqlx::query("UPDATE tenants SET friendly_name = ?, settings = ? WHERE id = ?")
            .bind(friendly_name)
            .bind(settings)
            .bind(id),
        execute
    )?;
    Ok(())
}

/// Tables whose rows name their tenant and are not removed by a cascade from
/// `tenants` (users, clients, passwordless codes and Actions are).
const OWNED: [&str; 11] = [
    "messages",
    "mfa_enrollments",
    "mfa_tokens",
    "mfa_challenges",
    "phone_sends",
    "log_events",
    "limit_buckets",
    "recovery_codes",
    "forwards",
    "passwordless_codes",
    "action_runs",
];

/// Drops a tenant with everything it owns, in one transaction; whether it existed.
pub async fn delete_with_everything(store: &Store, id: &str) -> Result<bool, StoreError> {
    let mut tx = store.begin().await?;
    delete_owned(&mut tx, id).await?;
    // Its own clock, if it had one (`clock.offset_ms.<id>`, see `crate::clock`).
    sqlx::query("DELETE FROM settings WHERE key = 'clock.offset_ms.' || ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let done = sqlx::query("DELETE FROM tenants WHERE id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}

/// Removes what a flow of tenant `id` committed after the tenant was dropped: a
/// send under way at the delete records its message, run and log afterwards.
/// Call it once the flow's writes are committed. A tenant still there at this
/// read has its delete (if any) still to commit, and that delete removes them;
/// a tenant made again under the same id meanwhile keeps what it has.
/// How many messages went (for the inbox views to drop them too).
pub async fn purge_if_gone(store: &Store, id: &str) -> Result<u64, StoreError> {
    if exists(store.pool(), id).await? {
        return Ok(0);
    }
    let mut tx = store.begin().await?;
    if exists(&mut *tx, id).await? {
        return Ok(0);
    }
    let messages = delete_owned(&mut tx, id).await?;
    tx.commit().await?;
    Ok(messages)
}

async fn exists<'e>(db: impl sqlx::SqliteExecutor<'e>, id: &str) -> Result<bool, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM tenants WHERE id = ?)")
            .bind(id)
            .fetch_one(db)
            .await?,
    )
}

/// Deletes `id`'s rows from every table in `OWNED`; how many messages went.
async fn delete_owned(tx: &mut Tx, id: &str) -> Result<u64, StoreError> {
    let mut messages = 0;
    for table in OWNED {
        // Table names are this module's constants, never input.
        let done = sqlx::query(&format!("DELETE FROM {table} WHERE tenant = ?"))
            .bind(id)
            .execute(&mut **tx)
            .await?;
        if table == "messages" {
            messages = done.rows_affected();
        }
    }
    Ok(messages)
}

/// Clears a tenant's counters (its users' send and wrong-code buckets, the
/// built-in provider's lifetime count), for a suite that reuses one tenant.
pub async fn reset_counters(store: &Store, id: &str) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    for table in ["limit_buckets", "phone_sends"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE tenant = ?"))
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
