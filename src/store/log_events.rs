//! The `log_events` table: the tenant's Auth0-format log.

use sqlx::{QueryBuilder, Sqlite};

use super::{on, Db, Store, StoreError};

pub struct LogRow<'a> {
    pub log_id: &'a str,
    pub tenant: &'a str,
    pub date: i64,
    pub kind: &'a str,
    pub user_id: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub body: &'a str,
}

pub async fn insert(db: impl Into<Db<'_>>, row: &LogRow<'_>) -> Result<(), StoreError> {
    on!(
        db,
        sqlx::query(
            "INSERT INTO log_events (log_id, tenant, date, type, user_id, client_id, body) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(row.log_id)
        .bind(row.tenant)
        .bind(row.date)
        .bind(row.kind)
        .bind(row.user_id)
        .bind(row.client_id)
        .bind(row.body),
        execute
    )?;
    Ok(())
}

/// Which log events a query wants; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub types: Vec<String>,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    /// The MFA transaction (challenge) an event is about.
    pub transaction_id: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub newest_first: bool,
}

fn push_where(builder: &mut QueryBuilder<'_, Sqlite>, tenant: &str, f: &LogFilter) {
    builder
        .push(" WHERE tenant = ")
        .push_bind(tenant.to_owned());
    if !f.types.is_empty() {
        builder.push(" AND type IN (");
        let mut list = builder.separated(", ");
        for t in &f.types {
            list.push_bind(t.clone());
        }
        builder.push(")");
    }
    if let Some(user) = &f.user_id {
        builder.push(" AND user_id = ").push_bind(user.clone());
    }
    if let Some(client) = &f.client_id {
        builder.push(" AND client_id = ").push_bind(client.clone());
    }
    if let Some(tx) = &f.transaction_id {
        builder
            .push(" AND json_extract(body, '$.details.transaction_id') = ")
            .push_bind(tx.clone());
    }
    if let Some(from) = f.from {
        builder.push(" AND date >= ").push_bind(from);
    }
    if let Some(to) = f.to {
        builder.push(" AND date <= ").push_bind(to);
    }
}

/// Bodies of the matching events, a page at a time, and the total.
pub async fn list(
    store: &Store,
    tenant: &str,
    filter: &LogFilter,
    offset: u32,
    limit: u32,
) -> Result<(Vec<String>, i64), StoreError> {
    let mut builder = QueryBuilder::new("SELECT body FROM log_events");
    push_where(&mut builder, tenant, filter);
    builder.push(if filter.newest_first {
        " ORDER BY log_id DESC"
    } else {
        " ORDER BY log_id"
    });
    builder
        .push(" LIMIT ")
        .push_bind(i64::from(limit))
        .push(" OFFSET ")
        .push_bind(i64::from(offset));
    let bodies: Vec<String> = builder.build_query_scalar().fetch_all(store.pool()).await?;
    let mut count = QueryBuilder::new("SELECT COUNT(*) FROM log_events");
    push_where(&mut count, tenant, filter);
    let total: i64 = count.build_query_scalar().fetch_one(store.pool()).await?;
    Ok((bodies, total))
}

pub async fn get(
    db: impl Into<Db<'_>>,
    tenant: &str,
    log_id: &str,
) -> Result<Option<String>, StoreError> {
    Ok(on!(
        db,
        sqlx::query_scalar("SELECT body FROM log_events WHERE tenant = ? AND log_id = ?")
            .bind(tenant)
            .bind(log_id),
        fetch_optional
    )?)
}
