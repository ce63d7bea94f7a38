//! The `phone_sends` table: every SMS or voice message a tenant tried to send, which
//! is what Auth0's limits count. Never cleared with the inbox.

use super::{on, Db, StoreError};
use crate::message::{Channel, SendProvider};

/// Records a send as it starts (so concurrent sends count it at once); `delivered`
/// says whether it counts as delivered until its outcome is known. Its row id.
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    db: impl Into<Db<'_>>,
    tenant: &str,
    user_id: &str,
    channel: Channel,
    provider: SendProvider,
    sent_at: i64,
    delivered: bool,
) -> Result<i64, StoreError> {
    Ok(on!(
        db,
        sqlx::query_scalar(
            "INSERT INTO phone_sends (tenant, user_id, channel, provider, sent_at, delivered) \
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(tenant)
        .bind(user_id)
        .bind(channel)
        .bind(provider)
        .bind(sent_at)
        .bind(delivered),
        fetch_one
    )?)
}

/// Records how a send ended.
pub async fn set_delivered(
    db: impl Into<Db<'_>>,
    id: i64,
    delivered: bool,
) -> Result<(), StoreError> {
    on!(
        db,
        sqlx::query("UPDATE phone_sends SET delivered = ? WHERE id = ?")
            .bind(delivered)
            .bind(id),
        execute
    )?;
    Ok(())
}

/// How many messages went through `provider` in the tenant's whole life.
pub async fn lifetime_count(
    db: impl Into<Db<'_>>,
    tenant: &str,
    provider: SendProvider,
) -> Result<i64, StoreError> {
    Ok(on!(
        db,
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM phone_sends WHERE tenant = ? AND provider = ? AND delivered = 1",
        )
        .bind(tenant)
        .bind(provider),
        fetch_one
    )?)
}

/// A failed send, as a wait that ended empty reports it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FailedSend {
    pub tenant: String,
    pub failure_type: String,
    pub failure: String,
    pub sent_at: i64,
}

/// Records that send `id` to `recipient` failed, with Auth0's log type and
/// description for it.
pub async fn record_failure(
    db: impl Into<Db<'_>>,
    id: i64,
    recipient: &str,
    failure_type: &str,
    failure: &str,
) -> Result<(), StoreError> {
    on!(
        db,
        sqlx::query(
            "UPDATE phone_sends SET delivered = 0, recipient = ?, failure_type = ?, failure = ? \
             WHERE id = ?",
        )
        .bind(recipient)
        .bind(failure_type)
        .bind(failure)
        .bind(id),
        execute
    )?;
    Ok(())
}

/// The newest failed send to `recipient` at or after `since` (Unix ms, emulated
/// clock), in `tenant` and to `user_id` when given.
pub async fn last_failure(
    db: impl Into<Db<'_>>,
    recipient: &str,
    since: i64,
    tenant: Option<&str>,
    user_id: Option<&str>,
) -> Result<Option<FailedSend>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as(
            "SELECT tenant, failure_type, failure, sent_at FROM phone_sends \
             WHERE recipient = ?1 AND failure IS NOT NULL AND sent_at >= ?2 \
             AND (?3 IS NULL OR tenant = ?3) AND (?4 IS NULL OR user_id = ?4) \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(recipient)
        .bind(since)
        .bind(tenant)
        .bind(user_id),
        fetch_optional
    )?)
}
