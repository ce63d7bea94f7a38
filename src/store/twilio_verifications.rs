//! The `twilio_verifications` table: Twilio Verify's state between start and check.

use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::{Store, StoreError};

/// One verification as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationRow {
    pub sid: String,
    pub service_sid: String,
    pub account_sid: String,
    pub recipient: String,
    pub channel: String,
    pub code: String,
    pub status: String,
    pub check_attempts: i64,
    /// JSON array of `{attempt_sid, channel, time}`.
    pub send_attempts: String,
    pub message_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: i64,
}

const COLUMNS: &str = "sid, service_sid, account_sid, recipient, channel, code, status, \
     check_attempts, send_attempts, message_id, created_at, updated_at, expires_at";

/// Inserts a new verification, or replaces one with the same sid (a resend).
pub async fn upsert(store: &Store, v: &VerificationRow) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT OR REPLACE INTO twilio_verifications ({COLUMNS}) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&v.sid)
    .bind(&v.service_sid)
    .bind(&v.account_sid)
    .bind(&v.recipient)
    .bind(&v.channel)
    .bind(&v.code)
    .bind(&v.status)
    .bind(v.check_attempts)
    .bind(&v.send_attempts)
    .bind(&v.message_id)
    .bind(v.created_at)
    .bind(v.updated_at)
    .bind(v.expires_at)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// The newest verification of `recipient` in a service, whatever its status.
pub async fn latest(
    store: &Store,
    service_sid: &str,
    recipient: &str,
) -> Result<Option<VerificationRow>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM twilio_verifications WHERE service_sid = ? AND recipient = ? \
         ORDER BY created_at DESC, sid DESC LIMIT 1"
    ))
    .bind(service_sid)
    .bind(recipient)
    .fetch_optional(store.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// One verification by sid, within a service.
pub async fn get(
    store: &Store,
    service_sid: &str,
    sid: &str,
) -> Result<Option<VerificationRow>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM twilio_verifications WHERE service_sid = ? AND sid = ?"
    ))
    .bind(service_sid)
    .bind(sid)
    .fetch_optional(store.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

fn from_row(row: &SqliteRow) -> Result<VerificationRow, StoreError> {
    Ok(VerificationRow {
        sid: row.try_get("sid")?,
        service_sid: row.try_get("service_sid")?,
        account_sid: row.try_get("account_sid")?,
        recipient: row.try_get("recipient")?,
        channel: row.try_get("channel")?,
        code: row.try_get("code")?,
        status: row.try_get("status")?,
        check_attempts: row.try_get("check_attempts")?,
        send_attempts: row.try_get("send_attempts")?,
        message_id: row.try_get("message_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}
