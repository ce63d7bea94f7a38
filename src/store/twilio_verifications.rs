//! The `twilio_verifications` table: Twilio Verify's state between start and check.
//! A check changes its row in one guarded statement, so concurrent checks can
//! neither approve one code twice nor be counted from a stale read.

use sqlx::FromRow;

use super::{on, Db, StoreError, Tx};

crate::message::text_enum! {
    /// Where a verification stands, in Twilio's words.
    pub enum VerifyStatus {
        Pending = "pending",
        Approved = "approved",
        Canceled = "canceled",
        MaxAttemptsReached = "max_attempts_reached",
        /// Never written: a pending verification past its expiry reads so.
        Expired = "expired",
    }
}

crate::message::text_enum! {
    /// How the code is sent, in Twilio's words.
    pub enum VerifyChannel {
        Sms = "sms",
        Call = "call",
    }
}

/// One verification as stored.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct VerificationRow {
    pub sid: String,
    pub service_sid: String,
    pub account_sid: String,
    pub recipient: String,
    pub channel: VerifyChannel,
    pub code: String,
    pub status: VerifyStatus,
    pub check_attempts: i64,
    /// JSON array of `{attempt_sid, channel, time}`, appended to in SQL.
    pub send_attempts: String,
    pub message_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: i64,
}

const COLUMNS: &str = "sid, service_sid, account_sid, recipient, channel, code, status, \
     check_attempts, send_attempts, message_id, created_at, updated_at, expires_at";

/// The pending, unexpired verification of `new.recipient` in `new.service_sid`,
/// given `new`'s channel (and its code, when `custom_code`); or `new`, inserted.
/// In the caller's transaction, so two starts at once make one verification.
pub async fn pending_or_insert(
    tx: &mut Tx,
    new: &VerificationRow,
    custom_code: bool,
    now: i64,
) -> Result<VerificationRow, StoreError> {
    let pending: Option<VerificationRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM twilio_verifications WHERE service_sid = ? AND recipient = ? \
         AND status = 'pending' AND expires_at > ? ORDER BY created_at DESC, sid DESC LIMIT 1"
    ))
    .bind(&new.service_sid)
    .bind(&new.recipient)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(pending) = pending {
        let code = if custom_code {
            &new.code
        } else {
            &pending.code
        };
        let row: VerificationRow = sqlx::query_as(&format!(
            "UPDATE twilio_verifications SET channel = ?, code = ?, updated_at = ? \
             WHERE sid = ? RETURNING {COLUMNS}"
        ))
        .bind(new.channel)
        .bind(code)
        .bind(now)
        .bind(&pending.sid)
        .fetch_one(&mut **tx)
        .await?;
        return Ok(row);
    }
    sqlx::query(&format!(
        "INSERT INTO twilio_verifications ({COLUMNS}) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&new.sid)
    .bind(&new.service_sid)
    .bind(&new.account_sid)
    .bind(&new.recipient)
    .bind(new.channel)
    .bind(&new.code)
    .bind(new.status)
    .bind(new.check_attempts)
    .bind(&new.send_attempts)
    .bind(&new.message_id)
    .bind(new.created_at)
    .bind(new.updated_at)
    .bind(new.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(new.clone())
}

/// Appends one send attempt (a JSON object) and points at its message.
pub async fn record_send(
    db: impl Into<Db<'_>>,
    sid: &str,
    attempt: &str,
    message_id: &str,
    now: i64,
) -> Result<Option<VerificationRow>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as(&format!(
            "UPDATE twilio_verifications SET \
             send_attempts = json_insert(send_attempts, '$[#]', json(?)), \
             message_id = ?, updated_at = ? WHERE sid = ? RETURNING {COLUMNS}"
        ))
        .bind(attempt)
        .bind(message_id)
        .bind(now)
        .bind(sid),
        fetch_optional
    )?)
}

/// Counts one check of a pending, unexpired verification and settles it in the
/// same statement: `approved` when `code` is its code, `max_attempts_reached`
/// past `max` checks. The row after, or `None` when it was not pending (another
/// check settled it first, or it expired).
pub async fn check(
    db: impl Into<Db<'_>>,
    sid: &str,
    code: &str,
    max: i64,
    now: i64,
) -> Result<Option<VerificationRow>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as(&format!(
            "UPDATE twilio_verifications SET check_attempts = check_attempts + 1, updated_at = ?, \
             status = CASE WHEN check_attempts + 1 > ? THEN 'max_attempts_reached' \
                           WHEN code = ? THEN 'approved' ELSE status END \
             WHERE sid = ? AND status = 'pending' AND expires_at > ? RETURNING {COLUMNS}"
        ))
        .bind(now)
        .bind(max)
        .bind(code)
        .bind(sid)
        .bind(now),
        fetch_optional
    )?)
}

/// The newest verification of `recipient` in a service, whatever its status.
pub async fn latest(
    db: impl Into<Db<'_>>,
    service_sid: &str,
    recipient: &str,
) -> Result<Option<VerificationRow>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM twilio_verifications WHERE service_sid = ? AND recipient = ? \
             ORDER BY created_at DESC, sid DESC LIMIT 1"
        ))
        .bind(service_sid)
        .bind(recipient),
        fetch_optional
    )?)
}

/// One verification by sid, within a service.
pub async fn get(
    db: impl Into<Db<'_>>,
    service_sid: &str,
    sid: &str,
) -> Result<Option<VerificationRow>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM twilio_verifications WHERE service_sid = ? AND sid = ?"
        ))
        .bind(service_sid)
        .bind(sid),
        fetch_optional
    )?)
}
