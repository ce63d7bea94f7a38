//! The `mfa_enrollments` and `recovery_codes` tables: phones a user enrolled.

use sqlx::FromRow;

use super::{Store, StoreError};

#[derive(Debug, Clone, FromRow)]
pub struct EnrollmentRow {
    pub id: String,
    pub tenant: String,
    pub user_id: String,
    pub phone_number: String,
    pub active: bool,
    pub created_at: i64,
    pub confirmed_at: Option<i64>,
}

const COLUMNS: &str = "id, tenant, user_id, phone_number, active, created_at, confirmed_at";

pub async fn for_user(store: &Store, user_id: &str) -> Result<Vec<EnrollmentRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM mfa_enrollments WHERE user_id = ? ORDER BY created_at, id"
    ))
    .bind(user_id)
    .fetch_all(store.pool())
    .await?)
}

pub async fn get(
    store: &Store,
    user_id: &str,
    id: &str,
) -> Result<Option<EnrollmentRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM mfa_enrollments WHERE user_id = ? AND id = ?"
    ))
    .bind(user_id)
    .bind(id)
    .fetch_optional(store.pool())
    .await?)
}

pub async fn insert(store: &Store, row: &EnrollmentRow) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO mfa_enrollments ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&row.id)
    .bind(&row.tenant)
    .bind(&row.user_id)
    .bind(&row.phone_number)
    .bind(row.active)
    .bind(row.created_at)
    .bind(row.confirmed_at)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Confirms an enrollment (the first right code) and drops the user's other
/// unconfirmed ones.
pub async fn activate(store: &Store, user_id: &str, id: &str, at: i64) -> Result<(), StoreError> {
    let mut tx = store.pool().begin().await?;
    sqlx::query(
        "UPDATE mfa_enrollments SET active = 1, confirmed_at = ? WHERE user_id = ? AND id = ?",
    )
    .bind(at)
    .bind(user_id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM mfa_enrollments WHERE user_id = ? AND active = 0")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes an enrollment; whether there was one.
pub async fn delete(store: &Store, user_id: &str, id: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM mfa_enrollments WHERE user_id = ? AND id = ?")
        .bind(user_id)
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

#[derive(Debug, Clone, FromRow)]
pub struct RecoveryCodeRow {
    pub user_id: String,
    pub id: String,
    pub code_hash: String,
    pub created_at: i64,
}

pub async fn recovery_code(
    store: &Store,
    user_id: &str,
) -> Result<Option<RecoveryCodeRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT user_id, id, code_hash, created_at FROM recovery_codes WHERE user_id = ?",
    )
    .bind(user_id)
    .fetch_optional(store.pool())
    .await?)
}

/// Stores the user's recovery code; `false` if they already have one.
pub async fn insert_recovery_code(
    store: &Store,
    row: &RecoveryCodeRow,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO recovery_codes (user_id, id, code_hash, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(&row.user_id)
    .bind(&row.id)
    .bind(&row.code_hash)
    .bind(row.created_at)
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}
