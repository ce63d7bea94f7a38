//! The `mfa_tokens` table: the `mfa_token`s a password grant hands out.

use sqlx::FromRow;

use super::{on, Db, StoreError};

#[derive(Debug, Clone, FromRow)]
pub struct MfaTokenRow {
    pub token: String,
    pub tenant: String,
    pub user_id: String,
    pub client_id: String,
    pub audience: Option<String>,
    pub scope: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

pub async fn get(db: impl Into<Db<'_>>, token: &str) -> Result<Option<MfaTokenRow>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as(
            "SELECT token, tenant, user_id, client_id, audience, scope, created_at, expires_at \
         FROM mfa_tokens WHERE token = ?",
        )
        .bind(token),
        fetch_optional
    )?)
}

pub async fn insert(db: impl Into<Db<'_>>, row: &MfaTokenRow) -> Result<(), StoreError> {
    on!(db, sqlx::query(
        "INSERT INTO mfa_tokens (token, tenant, user_id, client_id, audience, scope, created_at, expires_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&row.token)
    .bind(&row.tenant)
    .bind(&row.user_id)
    .bind(&row.client_id)
    .bind(&row.audience)
    .bind(&row.scope)
    .bind(row.created_at)
    .bind(row.expires_at), execute)?;
    Ok(())
}
