//! The `limit_buckets` table: each user's Auth0 rate-limit buckets, one row each,
//! as the time the bucket is full again (see `auth0::limits`). Read and written
//! inside the flow's transaction.

use super::{on, Db, StoreError};

crate::message::text_enum! {
    /// Which of a user's buckets.
    pub enum BucketName {
        /// Messages sent (SMS and voice together).
        Sends = "sends",
        /// Wrong codes entered.
        FailedCodes = "failed_codes",
        /// `POST /passwordless/start` calls, per caller IP (kept under `ip:<addr>`).
        PasswordlessStart = "passwordless_start",
    }
}

/// The bucket's full-again time; `None` when it has no row (it is full).
pub async fn get(
    db: impl Into<Db<'_>>,
    tenant: &str,
    user_id: &str,
    bucket: BucketName,
) -> Result<Option<i64>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_scalar(
            "SELECT tat FROM limit_buckets WHERE tenant = ? AND user_id = ? AND bucket = ?"
        )
        .bind(tenant)
        .bind(user_id)
        .bind(bucket),
        fetch_optional
    )?)
}

pub async fn set(
    db: impl Into<Db<'_>>,
    tenant: &str,
    user_id: &str,
    bucket: BucketName,
    tat: i64,
) -> Result<(), StoreError> {
    on!(
        db,
        sqlx::query(
            "INSERT INTO limit_buckets (tenant, user_id, bucket, tat) VALUES (?, ?, ?, ?) \
             ON CONFLICT (tenant, user_id, bucket) DO UPDATE SET tat = excluded.tat"
        )
        .bind(tenant)
        .bind(user_id)
        .bind(bucket)
        .bind(tat),
        execute
    )?;
    Ok(())
}

/// Users with a bucket not yet full at `now`: who the limits view lists.
pub async fn users_draining(
    db: impl Into<Db<'_>>,
    tenant: &str,
    now: i64,
) -> Result<Vec<String>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_scalar(
            "SELECT DISTINCT user_id FROM limit_buckets WHERE tenant = ? AND tat > ? \
             AND bucket IN ('sends', 'failed_codes') ORDER BY user_id"
        )
        .bind(tenant)
        .bind(now),
        fetch_all
    )?)
}
