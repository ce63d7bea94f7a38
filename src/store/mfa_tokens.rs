//! The `mfa_tokens` table: the `mfa_token`s a password grant hands out.

use sqlx::FromRow;

use super::{Store, StoreError};

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

pub async fn get(store: &Store, token: &str) -> Result<Option<MfaTokenRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT token, tenant, user_id, client_id, audience, scope, created_at, expires_at \
         FROM mfa_tokens WHERE token = ?",
    )
    .bind(token)
    .fetch_optional(store.pool())
    .await?)
}

pub async fn insert(store: &Store, row: &MfaTokenRow) -> Result<(), StoreError> {
    sqlx::query(
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
    .bind(row.expires_at)
    .execute(store.pool())
    .await?;
    Ok(())
}
