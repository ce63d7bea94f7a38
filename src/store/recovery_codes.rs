//! The `recovery_codes` table: one hashed recovery code per user, made with the
//! first enrollment.

use sqlx::FromRow;

use super::{on, Db, StoreError};

#[derive(Debug, Clone, FromRow)]
pub struct RecoveryCodeRow {
    pub tenant: String,
    pub user_id: String,
    pub id: String,
    pub code_hash: String,
    pub created_at: i64,
}

/// The user's recovery code (its hash), if they have one.
pub async fn for_user(
    db: impl Into<Db<'_>>,
    tenant: &str,
    user_id: &str,
) -> Result<Option<RecoveryCodeRow>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as(
            "SELECT tenant, user_id, id, code_hash, created_at FROM recovery_codes \
             WHERE tenant = ? AND user_id = ?",
        )
        .bind(tenant)
        .bind(user_id),
        fetch_optional
    )?)
}

/// Stores the user's recovery code; `false` if they already have one.
pub async fn insert(db: impl Into<Db<'_>>, row: &RecoveryCodeRow) -> Result<bool, StoreError> {
    let done = on!(
        db,
        sqlx::query(
            "INSERT INTO recovery_codes (tenant, user_id, id, code_hash, created_at) \
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant, user_id) DO NOTHING",
        )
        .bind(&row.tenant)
        .bind(&row.user_id)
        .bind(&row.id)
        .bind(&row.code_hash)
        .bind(row.created_at),
        execute
    )?;
    Ok(done.rows_affected() == 1)
}

/// Swaps the user's recovery code for a new one, only if it is still `old_hash`:
/// of two requests spending one code, one swaps and the other finds it gone.
pub async fn replace(
    db: impl Into<Db<'_>>,
    old_hash: &str,
    new: &RecoveryCodeRow,
) -> Result<bool, StoreError> {
    let done = on!(
        db,
        sqlx::query(
            "UPDATE recovery_codes SET id = ?, code_hash = ?, created_at = ? \
             WHERE tenant = ? AND user_id = ? AND code_hash = ?",
        )
        .bind(&new.id)
        .bind(&new.code_hash)
        .bind(new.created_at)
        .bind(&new.tenant)
        .bind(&new.user_id)
        .bind(old_hash),
        execute
    )?;
    Ok(done.rows_affected() == 1)
}

/// Stores `row` as the user's recovery code, replacing any earlier one.
pub async fn upsert(db: impl Into<Db<'_>>, row: &RecoveryCodeRow) -> Result<(), StoreError> {
    on!(
        db,
        sqlx::query(
            "INSERT INTO recovery_codes (tenant, user_id, id, code_hash, created_at) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant, user_id) DO UPDATE SET \
             id = excluded.id, code_hash = excluded.code_hash, created_at = excluded.created_at",
        )
        .bind(&row.tenant)
        .bind(&row.user_id)
        .bind(&row.id)
        .bind(&row.code_hash)
        .bind(row.created_at),
        execute
    )?;
    Ok(())
}
