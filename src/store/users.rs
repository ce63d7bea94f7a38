//! The `users` table: an emulated tenant's users, database (email and password)
//! and SMS passwordless (phone number only).

use sqlx::{FromRow, QueryBuilder, Sqlite};

use super::{on, Db, Store, StoreError};

/// Auth0's database connection, every tenant's first.
pub const DATABASE_CONNECTION: &str = "Username-Password-Authentication";
/// Auth0's SMS passwordless connection.
pub const SMS_CONNECTION: &str = "sms";

#[derive(Debug, Clone, FromRow, Default)]
pub struct UserRow {
    pub user_id: String,
    pub tenant: String,
    pub connection: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub phone_number: Option<String>,
    pub phone_verified: bool,
    pub password_hash: Option<String>,
    pub name: Option<String>,
    pub nickname: Option<String>,
    /// JSON objects, as stored.
    pub user_metadata: String,
    pub app_metadata: String,
    pub blocked: bool,
    pub logins_count: i64,
    pub last_login: Option<i64>,
    pub last_ip: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A stored metadata column (`user_metadata`, `app_metadata`) as the JSON object
/// it holds; anything else reads empty.
pub fn metadata_object(stored: &str) -> serde_json::Map<String, serde_json::Value> {
    serde_json::from_str(stored).unwrap_or_default()
}

impl UserRow {
    /// The name Auth0's logs give the user: the email, else the phone number.
    pub fn user_name(&self) -> &str {
        self.email
            .as_deref()
            .or(self.phone_number.as_deref())
            .unwrap_or(&self.user_id)
    }
}

const COLUMNS: &str = "user_id, tenant, connection, email, email_verified, phone_number, \
    phone_verified, password_hash, name, nickname, user_metadata, app_metadata, blocked, \
    logins_count, last_login, last_ip, created_at, updated_at";

/// The database-connection user with this email (any case): who a password
/// login names.
pub async fn by_email(
    db: impl Into<Db<'_>>,
    tenant: &str,
    email: &str,
) -> Result<Option<UserRow>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM users WHERE tenant = ? AND connection = ? \
             AND email = ? COLLATE NOCASE"
        ))
        .bind(tenant)
        .bind(DATABASE_CONNECTION)
        .bind(email),
        fetch_optional
    )?)
}

/// Every user with this email exactly, whatever the connection (`users-by-email`
/// is documented case-sensitive; database emails are kept in lower case).
pub async fn all_by_email(
    db: impl Into<Db<'_>>,
    tenant: &str,
    email: &str,
) -> Result<Vec<UserRow>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM users WHERE tenant = ? AND email = ? COLLATE BINARY \
             ORDER BY created_at, user_id"
        ))
        .bind(tenant)
        .bind(email),
        fetch_all
    )?)
}

/// Every user of `tenant` whose email is `email` in any case, in any
/// connection (the emulator API's `?email=`).
pub async fn all_by_email_any_case(
    store: &Store,
    tenant: &str,
    email: &str,
) -> Result<Vec<UserRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE tenant = ? AND email = ? COLLATE NOCASE \
         ORDER BY created_at, user_id"
    ))
    .bind(tenant)
    .bind(email)
    .fetch_all(store.pool())
    .await?)
}

/// The SMS passwordless user with this phone number: who a passwordless login
/// names (a database user with the same number is someone else).
pub async fn sms_by_phone(
    db: impl Into<Db<'_>>,
    tenant: &str,
    phone_number: &str,
) -> Result<Option<UserRow>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM users WHERE tenant = ? AND connection = ? AND phone_number = ?"
        ))
        .bind(tenant)
        .bind(SMS_CONNECTION)
        .bind(phone_number),
        fetch_optional
    )?)
}

pub async fn get(
    db: impl Into<Db<'_>>,
    tenant: &str,
    user_id: &str,
) -> Result<Option<UserRow>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM users WHERE tenant = ? AND user_id = ?"
        ))
        .bind(tenant)
        .bind(user_id),
        fetch_optional
    )?)
}

pub async fn list(db: impl Into<Db<'_>>, tenant: &str) -> Result<Vec<UserRow>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM users WHERE tenant = ? ORDER BY created_at, user_id"
        ))
        .bind(tenant),
        fetch_all
    )?)
}

/// Which users a search wants: each field narrows (exact, case-insensitive email).
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub user_id: Option<String>,
    pub connection: Option<String>,
    pub name: Option<String>,
}

fn push_where(builder: &mut QueryBuilder<'_, Sqlite>, tenant: &str, f: &UserFilter) {
    builder
        .push(" WHERE tenant = ")
        .push_bind(tenant.to_owned());
    let exact = [
        ("phone_number", &f.phone_number),
        ("user_id", &f.user_id),
        ("connection", &f.connection),
        ("name", &f.name),
    ];
    for (column, value) in exact {
        if let Some(value) = value {
            builder
                .push(format!(" AND {column} = "))
                .push_bind(value.clone());
        }
    }
    if let Some(email) = &f.email {
        builder
            .push(" AND email = ")
            .push_bind(email.clone())
            .push(" COLLATE NOCASE");
    }
}

/// A page of the matching users, oldest first, and how many match in all.
pub async fn search(
    store: &super::Store,
    tenant: &str,
    filter: &UserFilter,
    offset: u32,
    limit: u32,
) -> Result<(Vec<UserRow>, i64), StoreError> {
    let mut page = QueryBuilder::new(format!("SELECT {COLUMNS} FROM users"));
    push_where(&mut page, tenant, filter);
    page.push(" ORDER BY created_at, user_id LIMIT ")
        .push_bind(i64::from(limit))
        .push(" OFFSET ")
        .push_bind(i64::from(offset));
    // The page and its total from one snapshot, so they agree.
    let mut tx = store.begin_read().await?;
    let users = page.build_query_as().fetch_all(&mut *tx).await?;
    let mut count = QueryBuilder::new("SELECT COUNT(*) FROM users");
    push_where(&mut count, tenant, filter);
    let total: i64 = count.build_query_scalar().fetch_one(&mut *tx).await?;
    Ok((users, total))
}

/// Inserts a user; `false` if the email or phone number is taken in the tenant.
pub async fn insert(db: impl Into<Db<'_>>, row: &UserRow) -> Result<bool, StoreError> {
    let done = on!(
        db,
        sqlx::query(&format!(
            "INSERT INTO users ({COLUMNS}) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
        ))
        .bind(&row.user_id)
        .bind(&row.tenant)
        .bind(&row.connection)
        .bind(&row.email)
        .bind(row.email_verified)
        .bind(&row.phone_number)
        .bind(row.phone_verified)
        .bind(&row.password_hash)
        .bind(&row.name)
        .bind(&row.nickname)
        .bind(&row.user_metadata)
        .bind(&row.app_metadata)
        .bind(row.blocked)
        .bind(row.logins_count)
        .bind(row.last_login)
        .bind(&row.last_ip)
        .bind(row.created_at)
        .bind(row.updated_at),
        execute
    )?;
    Ok(done.rows_affected() == 1)
}

/// Writes every changeable field of `row` back; `false` if the user is gone, or
/// the new email or phone number is another user's (nothing changes then).
pub async fn update(db: impl Into<Db<'_>>, row: &UserRow) -> Result<bool, StoreError> {
    let done = on!(
        db,
        sqlx::query(
            "UPDATE OR IGNORE users SET email = ?, email_verified = ?, phone_number = ?, \
             phone_verified = ?, password_hash = ?, name = ?, nickname = ?, user_metadata = ?, \
             app_metadata = ?, blocked = ?, updated_at = ? WHERE tenant = ? AND user_id = ?",
        )
        .bind(&row.email)
        .bind(row.email_verified)
        .bind(&row.phone_number)
        .bind(row.phone_verified)
        .bind(&row.password_hash)
        .bind(&row.name)
        .bind(&row.nickname)
        .bind(&row.user_metadata)
        .bind(&row.app_metadata)
        .bind(row.blocked)
        .bind(row.updated_at)
        .bind(&row.tenant)
        .bind(&row.user_id),
        execute
    )?;
    Ok(done.rows_affected() == 1)
}

/// Counts a login: `logins_count`, `last_login`, `last_ip`.
pub async fn record_login(
    db: impl Into<Db<'_>>,
    tenant: &str,
    user_id: &str,
    at: i64,
    ip: Option<&str>,
) -> Result<(), StoreError> {
    on!(
        db,
        sqlx::query(
            "UPDATE users SET logins_count = logins_count + 1, last_login = ?, last_ip = ? \
             WHERE tenant = ? AND user_id = ?",
        )
        .bind(at)
        .bind(ip)
        .bind(tenant)
        .bind(user_id),
        execute
    )?;
    Ok(())
}

/// Deletes a user (their enrollments and recovery code go with them); `false` if
/// there was none.
pub async fn delete(
    db: impl Into<Db<'_>>,
    tenant: &str,
    user_id: &str,
) -> Result<bool, StoreError> {
    let done = on!(
        db,
        sqlx::query("DELETE FROM users WHERE tenant = ? AND user_id = ?")
            .bind(tenant)
            .bind(user_id),
        execute
    )?;
    Ok(done.rows_affected() == 1)
}
