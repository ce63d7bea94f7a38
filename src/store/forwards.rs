//! The `forwards` and `forward_attempts` tables: the forwarding queue and its
//! audit trail. A forward moves `queued → sending → sent | failed | queued` by
//! guarded updates, so two workers (or a restart) never send one twice.

use sqlx::Row;

use super::{on, Db, Store, StoreError};

/// One forward as stored.
#[derive(Debug, Clone)]
pub struct ForwardRow {
    pub id: i64,
    pub message_id: String,
    pub tenant: String,
    pub channel: String,
    pub text: String,
    pub via: String,
    pub destination: String,
    pub rule_id: Option<i64>,
    pub state: String,
    pub attempts: i64,
    pub next_at: i64,
    pub created_at: i64,
    pub provider_message_id: Option<String>,
    pub last_error: Option<String>,
}

/// One try at the provider.
#[derive(Debug, Clone)]
pub struct AttemptRow {
    pub forward_id: i64,
    pub attempt: i64,
    pub at: i64,
    pub outcome: String,
    pub http_status: Option<i64>,
    pub provider_message_id: Option<String>,
    pub error: Option<String>,
    pub latency_ms: i64,
    /// JSON of the request as shown (secrets masked).
    pub request: Option<String>,
}

/// What a new forward carries.
pub struct NewForward<'a> {
    pub message_id: &'a str,
    pub tenant: &'a str,
    pub channel: &'a str,
    pub text: &'a str,
    pub via: &'a str,
    pub destination: &'a str,
    pub now: i64,
}

/// An auto-forward queued with the capture that matched it, in the same
/// transaction.
#[derive(Debug, Clone)]
pub struct QueuedForward {
    pub message_id: String,
    pub tenant: String,
    pub channel: &'static str,
    pub text: String,
    pub via: &'static str,
    pub destination: String,
    pub rule_id: i64,
    pub now: i64,
}

const COLUMNS: &str = "id, message_id, tenant, channel, text, via, destination, rule_id, state, \
                       attempts, next_at, created_at, provider_message_id, last_error";

fn forward(row: &sqlx::sqlite::SqliteRow) -> Result<ForwardRow, sqlx::Error> {
    Ok(ForwardRow {
        id: row.try_get("id")?,
        message_id: row.try_get("message_id")?,
        tenant: row.try_get("tenant")?,
        channel: row.try_get("channel")?,
        text: row.try_get("text")?,
        via: row.try_get("via")?,
        destination: row.try_get("destination")?,
        rule_id: row.try_get("rule_id")?,
        state: row.try_get("state")?,
        attempts: row.try_get("attempts")?,
        next_at: row.try_get("next_at")?,
        created_at: row.try_get("created_at")?,
        provider_message_id: row.try_get("provider_message_id")?,
        last_error: row.try_get("last_error")?,
    })
}

fn attempt(row: &sqlx::sqlite::SqliteRow) -> Result<AttemptRow, sqlx::Error> {
    Ok(AttemptRow {
        forward_id: row.try_get("forward_id")?,
        attempt: row.try_get("attempt")?,
        at: row.try_get("at")?,
        outcome: row.try_get("outcome")?,
        http_status: row.try_get("http_status")?,
        provider_message_id: row.try_get("provider_message_id")?,
        error: row.try_get("error")?,
        latency_ms: row.try_get("latency_ms")?,
        request: row.try_get("request")?,
    })
}

/// Queues a forward, due now, unless `max_pending` are already waiting (queued or
/// at a provider): the count and the insert are one statement, so requests at
/// once cannot overshoot it. `None` when full.
pub async fn insert(
    store: &Store,
    new: &NewForward<'_>,
    max_pending: i64,
) -> Result<Option<ForwardRow>, StoreError> {
    let row = sqlx::query(&format!(
        "INSERT INTO forwards (message_id, tenant, channel, text, via, destination, state, \
         next_at, created_at) SELECT ?, ?, ?, ?, ?, ?, 'queued', ?7, ?7 \
         WHERE (SELECT COUNT(*) FROM forwards WHERE state IN ('queued', 'sending')) < ?8 \
         RETURNING {COLUMNS}"
    ))
    .bind(new.message_id)
    .bind(new.tenant)
    .bind(new.channel)
    .bind(new.text)
    .bind(new.via)
    .bind(new.destination)
    .bind(new.now)
    .bind(max_pending)
    .fetch_optional(store.pool())
    .await?;
    Ok(row.as_ref().map(forward).transpose()?)
}

pub async fn get(db: impl Into<Db<'_>>, id: i64) -> Result<Option<ForwardRow>, StoreError> {
    let row = on!(
        db,
        sqlx::query(&format!("SELECT {COLUMNS} FROM forwards WHERE id = ?")).bind(id),
        fetch_optional
    )?;
    Ok(row.as_ref().map(forward).transpose()?)
}

/// The forwards of one message, oldest first, with their attempts.
pub async fn of_message(
    store: &Store,
    message_id: &str,
) -> Result<Vec<(ForwardRow, Vec<AttemptRow>)>, StoreError> {
    let mut tx = store.begin_read().await?;
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM forwards WHERE message_id = ? ORDER BY id"
    ))
    .bind(message_id)
    .fetch_all(&mut *tx)
    .await?;
    let attempts = sqlx::query(
        "SELECT a.* FROM forward_attempts a JOIN forwards f ON f.id = a.forward_id \
         WHERE f.message_id = ? ORDER BY a.forward_id, a.attempt",
    )
    .bind(message_id)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut attempts = attempts
        .iter()
        .map(attempt)
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .peekable();
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let f = forward(row)?;
        let mut mine = Vec::new();
        while let Some(a) = attempts.next_if(|a| a.forward_id == f.id) {
            mine.push(a);
        }
        out.push((f, mine));
    }
    Ok(out)
}

pub async fn attempts_of(
    db: impl Into<Db<'_>>,
    forward_id: i64,
) -> Result<Vec<AttemptRow>, StoreError> {
    let rows = on!(
        db,
        sqlx::query("SELECT * FROM forward_attempts WHERE forward_id = ? ORDER BY attempt")
            .bind(forward_id),
        fetch_all
    )?;
    Ok(rows.iter().map(attempt).collect::<Result<_, _>>()?)
}

/// Claims up to `limit` forwards due by `now`: each moves to `sending` and counts
/// its attempt in one guarded statement, so only one claimer gets it.
pub async fn claim_due(store: &Store, now: i64, limit: i64) -> Result<Vec<ForwardRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "UPDATE forwards SET state = 'sending', attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM forwards WHERE state = 'queued' AND next_at <= ? \
                      ORDER BY next_at, id LIMIT ?) AND state = 'queued' \
         RETURNING {COLUMNS}"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    Ok(rows.iter().map(forward).collect::<Result<_, _>>()?)
}

/// When the next queued forward is due, if any.
pub async fn next_due(store: &Store) -> Result<Option<i64>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT MIN(next_at) FROM forwards WHERE state = 'queued'")
            .fetch_one(store.pool())
            .await?,
    )
}

/// How a claimed forward ends its attempt.
pub enum Settle<'a> {
    Sent {
        provider_message_id: Option<&'a str>,
    },
    Retry {
        at: i64,
        error: &'a str,
    },
    Failed {
        error: &'a str,
    },
}

/// Records the attempt and moves the forward on, in one transaction, only if it is
/// still the `sending` this attempt claimed.
pub async fn settle(
    store: &Store,
    attempt_row: &AttemptRow,
    settle: Settle<'_>,
) -> Result<Option<ForwardRow>, StoreError> {
    let mut tx = store.begin().await?;
    insert_attempt(&mut tx, attempt_row).await?;
    let (state, next_at, provider_id, error) = match settle {
        Settle::Sent {
            provider_message_id,
        } => ("sent", None, provider_message_id, None),
        Settle::Retry { at, error } => ("queued", Some(at), None, Some(error)),
        Settle::Failed { error } => ("failed", None, None, Some(error)),
    };
    let row = sqlx::query(&format!(
        "UPDATE forwards SET state = ?, next_at = COALESCE(?, next_at), \
         provider_message_id = COALESCE(?, provider_message_id), last_error = ? \
         WHERE id = ? AND state = 'sending' AND attempts = ? RETURNING {COLUMNS}"
    ))
    .bind(state)
    .bind(next_at)
    .bind(provider_id)
    .bind(error)
    .bind(attempt_row.forward_id)
    .bind(attempt_row.attempt)
    .fetch_optional(&mut *tx)
    .await?;
    if row.is_none() {
        // Not ours any more: record nothing.
        return Ok(None);
    }
    tx.commit().await?;
    Ok(row.as_ref().map(forward).transpose()?)
}

async fn insert_attempt(tx: &mut super::Tx, a: &AttemptRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO forward_attempts (forward_id, attempt, at, outcome, http_status, \
         provider_message_id, error, latency_ms, request) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(a.forward_id)
    .bind(a.attempt)
    .bind(a.at)
    .bind(&a.outcome)
    .bind(a.http_status)
    .bind(&a.provider_message_id)
    .bind(&a.error)
    .bind(a.latency_ms)
    .bind(&a.request)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// At start: forwards a crash left `sending` may or may not have reached the
/// provider. They are marked `interrupted` with an attempt saying so, not sent
/// again: a second real SMS costs money; the user can forward again.
pub async fn interrupt_sending(store: &Store, now: i64) -> Result<Vec<i64>, StoreError> {
    let mut tx = store.begin().await?;
    let rows = sqlx::query(
        "UPDATE forwards SET state = 'interrupted', \
         last_error = 'Phonebox stopped while sending: whether it arrived is unknown' \
         WHERE state = 'sending' RETURNING id, attempts",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut ids = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: i64 = row.try_get("id")?;
        let attempt: i64 = row.try_get("attempts")?;
        insert_attempt(
            &mut tx,
            &AttemptRow {
                forward_id: id,
                attempt,
                at: now,
                outcome: "interrupted".into(),
                http_status: None,
                provider_message_id: None,
                error: Some("Phonebox stopped while sending: whether it arrived is unknown".into()),
                latency_ms: 0,
                request: None,
            },
        )
        .await?;
        ids.push(id);
    }
    tx.commit().await?;
    Ok(ids)
}
