//! The `users` table: database users of an emulated tenant.

use sqlx::FromRow;

use super::{on, Db, StoreError};

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub user_id: String,
    pub tenant: String,
    pub email: String,
    pub password_hash: String,
    pub name: Option<String>,
    pub failed_codes: i64,
    pub last_failed_at: Option<i64>,
    pub created_at: i64,
}

const COLUMNS: &str =
    "user_id, tenant, email, password_hash, name, failed_codes, last_failed_at, created_at";

pub async fn by_email(
    db: impl Into<Db<'_>>,
    tenant: &str,
    email: &str,
) -> Result<Option<UserRow>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM users WHERE tenant = ? AND email = ? COLLATE NOCASE"
        ))
        .bind(tenant)
        .bind(email),
        fetch_optional
    )?)
}

pub async fn get(
    db: impl Into<Db<'_>>,
    tenant: &str,
    user_id: &str,
) -> Result<Option<UserRow>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM users WHERE tenant = ? AND user_id = ?"
        ))
        .bind(tenant)
        .bind(user_id),
        fetch_optional
    )?)
}

pub async fn list(db: impl Into<Db<'_>>, tenant: &str) -> Result<Vec<UserRow>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM users WHERE tenant = ? ORDER BY created_at, user_id"
        ))
        .bind(tenant),
        fetch_all
    )?)
}

/// Inserts a user; `false` if the email is taken in the tenant.
pub async fn insert(db: impl Into<Db<'_>>, row: &UserRow) -> Result<bool, StoreError> {
    let done = on!(
        db,
        sqlx::query(&format!(
            "INSERT INTO users ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT DO NOTHING"
        ))
        .bind(&row.user_id)
        .bind(&row.tenant)
        .bind(&row.email)
        .bind(&row.password_hash)
        .bind(&row.name)
        .bind(row.failed_codes)
        .bind(row.last_failed_at)
        .bind(row.created_at),
        execute
    )?;
    Ok(done.rows_affected() == 1)
}

/// Counts a wrong code; the new count of wrong codes in a row.
pub async fn record_failed_code(
    db: impl Into<Db<'_>>,
    user_id: &str,
    at: i64,
) -> Result<i64, StoreError> {
    Ok(on!(db, sqlx::query_scalar(
        "UPDATE users SET failed_codes = failed_codes + 1, last_failed_at = ? WHERE user_id = ? \
         RETURNING failed_codes",
    )
    .bind(at)
    .bind(user_id), fetch_one)?)
}

/// A right code ends the run of wrong ones.
pub async fn reset_failed_codes(db: impl Into<Db<'_>>, user_id: &str) -> Result<(), StoreError> {
    on!(
        db,
        sqlx::query("UPDATE users SET failed_codes = 0, last_failed_at = NULL WHERE user_id = ?")
            .bind(user_id),
        execute
    )?;
    Ok(())
}
