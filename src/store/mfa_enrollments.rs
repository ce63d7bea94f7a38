//! The `mfa_enrollments` table: phones a user enrolled.

use sqlx::FromRow;

use super::{on, Db, StoreError, Tx};

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

pub async fn for_user(
    db: impl Into<Db<'_>>,
    tenant: &str,
    user_id: &str,
) -> Result<Vec<EnrollmentRow>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM mfa_enrollments WHERE tenant = ? AND user_id = ? \
             ORDER BY created_at, id"
        ))
        .bind(tenant)
        .bind(user_id),
        fetch_all
    )?)
}

pub async fn get(
    db: impl Into<Db<'_>>,
    tenant: &str,
    user_id: &str,
    id: &str,
) -> Result<Option<EnrollmentRow>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM mfa_enrollments WHERE tenant = ? AND user_id = ? AND id = ?"
        ))
        .bind(tenant)
        .bind(user_id)
        .bind(id),
        fetch_optional
    )?)
}

pub async fn insert(db: impl Into<Db<'_>>, row: &EnrollmentRow) -> Result<(), StoreError> {
    on!(
        db,
        sqlx::query(&format!(
            "INSERT INTO mfa_enrollments ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(&row.id)
        .bind(&row.tenant)
        .bind(&row.user_id)
        .bind(&row.phone_number)
        .bind(row.active)
        .bind(row.created_at)
        .bind(row.confirmed_at),
        execute
    )?;
    Ok(())
}

/// Confirms an enrollment (the first right code) and drops the user's other
/// unconfirmed ones, inside the caller's transaction.
pub async fn activate(
    tx: &mut Tx,
    tenant: &str,
    user_id: &str,
    id: &str,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE mfa_enrollments SET active = 1, confirmed_at = ? \
         WHERE tenant = ? AND user_id = ? AND id = ?",
    )
    .bind(at)
    .bind(tenant)
    .bind(user_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM mfa_enrollments WHERE tenant = ? AND user_id = ? AND active = 0")
        .bind(tenant)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Removes an enrollment; whether there was one.
pub async fn delete(
    db: impl Into<Db<'_>>,
    tenant: &str,
    user_id: &str,
    id: &str,
) -> Result<bool, StoreError> {
    let done = on!(
        db,
        sqlx::query("DELETE FROM mfa_enrollments WHERE tenant = ? AND user_id = ? AND id = ?")
            .bind(tenant)
            .bind(user_id)
            .bind(id),
        execute
    )?;
    Ok(done.rows_affected() > 0)
}

/// An enrollment by its id, in `tenant`.
pub async fn by_id(
    db: impl Into<Db<'_>>,
    tenant: &str,
    id: &str,
) -> Result<Option<EnrollmentRow>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM mfa_enrollments WHERE tenant = ? AND id = ?"
        ))
        .bind(tenant)
        .bind(id),
        fetch_optional
    )?)
}
