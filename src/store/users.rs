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
    pub created_at: i64,
}

const COLUMNS: &str = "user_id, tenant, email, password_hash, name, created_at";

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
            "INSERT INTO users ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) \
         ON CONFLICT DO NOTHING"
        ))
        .bind(&row.user_id)
        .bind(&row.tenant)
        .bind(&row.email)
        .bind(&row.password_hash)
        .bind(&row.name)
        .bind(row.created_at),
        execute
    )?;
    Ok(done.rows_affected() == 1)
}
