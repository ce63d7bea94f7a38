//! The `passwordless_codes` table: the one code each phone number may sign in with
//! by SMS passwordless (a new code replaces the last: Auth0 accepts only the latest).

use sqlx::FromRow;

use super::{on, Db, StoreError};

#[derive(Debug, Clone, FromRow)]
pub struct PasswordlessCodeRow {
    pub tenant: String,
    pub phone_number: String,
    pub client_id: String,
    pub user_id: String,
    pub code: String,
    pub attempts: i64,
    pub created_at: i64,
    pub expires_at: i64,
    /// The flow this code was sent in: its log events carry it too.
    pub transaction_id: Option<String>,
}

/// Stores `row` as the phone's code, replacing any earlier one.
pub async fn put(db: impl Into<Db<'_>>, row: &PasswordlessCodeRow) -> Result<(), StoreError> {
    on!(
        db,
        sqlx::query(
            "INSERT INTO passwordless_codes \
             (tenant, phone_number, client_id, user_id, code, attempts, created_at, expires_at, transaction_id) \
             VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?) \
             ON CONFLICT (tenant, phone_number) DO UPDATE SET client_id = excluded.client_id, \
             user_id = excluded.user_id, code = excluded.code, attempts = 0, \
             created_at = excluded.created_at, expires_at = excluded.expires_at, \
             transaction_id = excluded.transaction_id",
        )
        .bind(&row.tenant)
        .bind(&row.phone_number)
        .bind(&row.client_id)
        .bind(&row.user_id)
        .bind(&row.code)
        .bind(row.created_at)
        .bind(row.expires_at)
        .bind(&row.transaction_id),
        execute
    )?;
    Ok(())
}

pub async fn get(
    db: impl Into<Db<'_>>,
    tenant: &str,
    phone_number: &str,
) -> Result<Option<PasswordlessCodeRow>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as(
            "SELECT tenant, phone_number, client_id, user_id, code, attempts, created_at, \
             expires_at, transaction_id FROM passwordless_codes WHERE tenant = ? AND phone_number = ?",
        )
        .bind(tenant)
        .bind(phone_number),
        fetch_optional
    )?)
}

/// Spends the code: `true` for exactly one caller while it is still `code`.
pub async fn spend(
    db: impl Into<Db<'_>>,
    tenant: &str,
    phone_number: &str,
    code: &str,
) -> Result<bool, StoreError> {
    let done = on!(
        db,
        sqlx::query(
            "DELETE FROM passwordless_codes WHERE tenant = ? AND phone_number = ? AND code = ?",
        )
        .bind(tenant)
        .bind(phone_number)
        .bind(code),
        execute
    )?;
    Ok(done.rows_affected() == 1)
}

/// Counts a wrong code; at `max` attempts the code is gone (a new one must be
/// asked for). Run inside the grant's transaction, so the two steps are one.
pub async fn count_wrong(
    tx: &mut super::Tx,
    tenant: &str,
    phone_number: &str,
    max: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE passwordless_codes SET attempts = attempts + 1 \
         WHERE tenant = ? AND phone_number = ?",
    )
    .bind(tenant)
    .bind(phone_number)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "DELETE FROM passwordless_codes WHERE tenant = ? AND phone_number = ? AND attempts >= ?",
    )
    .bind(tenant)
    .bind(phone_number)
    .bind(max)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
