//! The `mfa_challenges` table: each code sent, with its attempts and outcome.

use sqlx::FromRow;

use super::{on, Db, StoreError};

#[derive(Debug, Clone, FromRow)]
pub struct ChallengeRow {
    pub id: String,
    pub oob_code: String,
    pub tenant: String,
    pub user_id: String,
    pub client_id: String,
    pub mfa_token: String,
    pub enrollment_id: String,
    pub channel: String,
    pub purpose: String,
    pub code: String,
    pub attempts: i64,
    pub status: String,
    pub created_at: i64,
    pub expires_at: i64,
}

const COLUMNS: &str = "id, oob_code, tenant, user_id, client_id, mfa_token, enrollment_id, \
     channel, purpose, code, attempts, status, created_at, expires_at";

pub async fn by_oob_code(
    db: impl Into<Db<'_>>,
    oob_code: &str,
) -> Result<Option<ChallengeRow>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM mfa_challenges WHERE oob_code = ?"
        ))
        .bind(oob_code),
        fetch_optional
    )?)
}

pub async fn insert(db: impl Into<Db<'_>>, row: &ChallengeRow) -> Result<(), StoreError> {
    on!(
        db,
        sqlx::query(&format!(
        "INSERT INTO mfa_challenges ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
        .bind(&row.id)
        .bind(&row.oob_code)
        .bind(&row.tenant)
        .bind(&row.user_id)
        .bind(&row.client_id)
        .bind(&row.mfa_token)
        .bind(&row.enrollment_id)
        .bind(&row.channel)
        .bind(&row.purpose)
        .bind(&row.code)
        .bind(row.attempts)
        .bind(&row.status)
        .bind(row.created_at)
        .bind(row.expires_at),
        execute
    )?;
    Ok(())
}

/// Records one check of the code: its attempt count and new status.
pub async fn record_attempt(
    db: impl Into<Db<'_>>,
    id: &str,
    attempts: i64,
    status: &str,
) -> Result<(), StoreError> {
    on!(
        db,
        sqlx::query("UPDATE mfa_challenges SET attempts = ?, status = ? WHERE id = ?")
            .bind(attempts)
            .bind(status)
            .bind(id),
        execute
    )?;
    Ok(())
}
