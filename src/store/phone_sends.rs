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
