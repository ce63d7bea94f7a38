//! The `log_events` table: the tenant's Auth0-format log.

use sqlx::{QueryBuilder, Sqlite};

use super::log_query::{Bind, Where};
use super::{on, Db, Store, StoreError};

pub struct LogRow<'a> {
    pub log_id: &'a str,
    pub tenant: &'a str,
    pub date: i64,
    pub kind: &'a str,
    pub user_id: Option<&'a str>,
    pub client_id: Option<&'a str>,
    /// The MFA challenge or passwordless code the event is about, for the flow
    /// timeline.
    pub transaction_id: Option<&'a str>,
    pub body: &'a str,
}

/// Stores one event of an existing tenant: one whose tenant was deleted since
/// its flow began (a refusal logged after its transaction, say) is not kept.
pub async fn insert(db: impl Into<Db<'_>>, row: &LogRow<'_>) -> Result<(), StoreError> {
    on!(
        db,
        sqlx::query(
            "INSERT INTO log_events (log_id, tenant, date, type, user_id, client_id, transaction_id, body) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE EXISTS (SELECT 1 FROM tenants WHERE id = ?2)",
        )
        .bind(row.log_id)
        .bind(row.tenant)
        .bind(row.date)
        .bind(row.kind)
        .bind(row.user_id)
        .bind(row.client_id)
        .bind(row.transaction_id)
        .bind(row.body),
        execute
    )?;
    Ok(())
}

/// How a page of the log is picked: by offset in date order, or after a
/// checkpoint (a `log_id`) in id order.
#[derive(Debug, Clone, Copy)]
pub enum Paging<'a> {
    Offset {
        offset: u32,
        limit: u32,
        newest_first: bool,
    },
    After {
        from: &'a str,
        take: u32,
    },
}

fn push_where(builder: &mut QueryBuilder<'_, Sqlite>, tenant: &str, filter: &Where) {
    builder
        .push(" WHERE tenant = ")
        .push_bind(tenant.to_owned())
        .push(" AND (");
    // The compiled query holds `?` only where its binds go, in order.
    debug_assert_eq!(filter.sql().matches('?').count(), filter.binds().len());
    let mut binds = filter.binds().iter();
    for (i, part) in filter.sql().split('?').enumerate() {
        if i > 0 {
            match binds.next() {
                Some(Bind::Text(t)) => builder.push_bind(t.clone()),
                Some(Bind::Int(n)) => builder.push_bind(*n),
                None => builder.push("NULL"),
            };
        }
        builder.push(part);
    }
    builder.push(")");
}

/// Bodies of the matching events, a page at a time, and how many match in all.
pub async fn list(
    store: &Store,
    tenant: &str,
    filter: &Where,
    paging: Paging<'_>,
) -> Result<(Vec<String>, i64), StoreError> {
    let mut builder = QueryBuilder::new("SELECT body FROM log_events");
    push_where(&mut builder, tenant, filter);
    match paging {
        Paging::Offset {
            offset,
            limit,
            newest_first,
        } => {
            builder.push(if newest_first {
                " ORDER BY log_id DESC"
            } else {
                " ORDER BY log_id"
            });
            builder
                .push(" LIMIT ")
                .push_bind(i64::from(limit))
                .push(" OFFSET ")
                .push_bind(i64::from(offset));
        }
        Paging::After { from, take } => {
            builder
                .push(" AND log_id > ")
                .push_bind(from.to_owned())
                .push(" ORDER BY log_id LIMIT ")
                .push_bind(i64::from(take));
        }
    }
    // The page and its total from one snapshot, so they agree.
    let mut tx = store.begin_read().await?;
    let bodies: Vec<String> = builder.build_query_scalar().fetch_all(&mut *tx).await?;
    let mut count = QueryBuilder::new("SELECT COUNT(*) FROM log_events");
    push_where(&mut count, tenant, filter);
    let total: i64 = count.build_query_scalar().fetch_one(&mut *tx).await?;
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

/// Bodies of a transaction's events, oldest first (at most `limit`).
pub async fn of_transaction(
    store: &Store,
    transaction_id: &str,
    limit: u32,
) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT body FROM log_events WHERE transaction_id = ? ORDER BY log_id LIMIT ?",
    )
    .bind(transaction_id)
    .bind(i64::from(limit))
    .fetch_all(store.pool())
    .await?;
    Ok(rows.into_iter().map(|(body,)| body).collect())
}
