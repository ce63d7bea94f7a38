//! The `mfa_challenges` table: each code sent, with its attempts and outcome.
//! Checking a code changes its row only through guarded statements, so two
//! requests with the same code cannot both succeed.

use sqlx::FromRow;

use super::{on, Db, Store, StoreError};
use crate::message::{Channel, Purpose};

crate::message::text_enum! {
    /// Where a sent code stands.
    pub enum ChallengeStatus {
        /// Waiting for the user to type it.
        Pending = "pending",
        /// Typed right: it signed someone in, and cannot again.
        Verified = "verified",
        /// Typed wrong too often.
        Failed = "failed",
        Expired = "expired",
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct ChallengeRow {
    pub id: String,
    pub oob_code: String,
    pub tenant: String,
    pub user_id: String,
    pub client_id: String,
    pub mfa_token: String,
    pub enrollment_id: String,
    pub channel: Channel,
    pub purpose: Purpose,
    pub code: String,
    pub attempts: i64,
    pub status: ChallengeStatus,
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
        .bind(row.channel)
        .bind(row.purpose)
        .bind(&row.code)
        .bind(row.attempts)
        .bind(row.status)
        .bind(row.created_at)
        .bind(row.expires_at),
        execute
    )?;
    Ok(())
}

/// Counts one wrong code against a pending challenge, failing it when that makes
/// `max` attempts (if it has a cap); the attempts counted so far, or `None` if it
/// was no longer pending (another request used it up first).
pub async fn count_wrong(
    db: impl Into<Db<'_>>,
    id: &str,
    max: Option<i64>,
) -> Result<Option<i64>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_scalar(
            "UPDATE mfa_challenges SET attempts = attempts + 1, \
             status = CASE WHEN ? IS NOT NULL AND attempts + 1 >= ? THEN 'failed' ELSE status END \
             WHERE id = ? AND status = 'pending' RETURNING attempts",
        )
        .bind(max)
        .bind(max)
        .bind(id),
        fetch_optional
    )?)
}

/// Marks a pending, unexpired challenge verified; whether this call was the one
/// that did (at most one ever is).
pub async fn verify(db: impl Into<Db<'_>>, id: &str, now: i64) -> Result<bool, StoreError> {
    let done = on!(
        db,
        sqlx::query(
            "UPDATE mfa_challenges SET attempts = attempts + 1, status = 'verified' \
             WHERE id = ? AND status = 'pending' AND expires_at > ?",
        )
        .bind(id)
        .bind(now),
        execute
    )?;
    Ok(done.rows_affected() == 1)
}

/// One challenge by its id (the transaction id its messages and logs carry).
pub async fn get(store: &Store, id: &str) -> Result<Option<ChallengeRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM mfa_challenges WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(store.pool())
    .await?)
}
