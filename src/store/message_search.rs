//! The `message_search` index's filling: which messages it holds
//! (`message_search_progress`), and adding the newer ones in batches.
//!
//! The capture writer never touches the index (see the migration): indexing a
//! message in the capture's own small transaction cost FTS5 more than the rest of
//! the insert together. Searches read the mark in the same snapshot as the index.

use super::{Connection, Store, StoreError};

/// Every message with a rowid up to this is in the index.
pub(super) async fn indexed_through(conn: &mut sqlx::SqliteConnection) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT indexed_through FROM message_search_progress")
            .fetch_optional(conn)
            .await?
            .unwrap_or(0),
    )
}

/// Adds up to `batch` of the messages the index does not hold yet, oldest first,
/// in one transaction; how many it added (0: the index is complete).
pub async fn index_next(store: &Store, batch: u32) -> Result<u64, StoreError> {
    index_next_on(&mut store.dedicated().await?, batch).await
}

/// As `index_next`, on `conn`: the indexer takes a connection before its turn with
/// the capture writer, so the writer never waits behind the pool.
pub async fn index_next_on(conn: &mut Connection, batch: u32) -> Result<u64, StoreError> {
    let mut tx = sqlx::Connection::begin_with(conn.raw(), "BEGIN IMMEDIATE").await?;
    let mark = indexed_through(&mut tx).await?;
    let upto: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(rowid) FROM (SELECT rowid FROM messages WHERE rowid > ? ORDER BY rowid LIMIT ?)",
    )
    .bind(mark)
    .bind(i64::from(batch))
    .fetch_one(&mut *tx)
    .await?;
    let Some(upto) = upto else {
        return Ok(0);
    };
    let added = sqlx::query(
        "INSERT INTO message_search (rowid, text, code, recipient) \
         SELECT rowid, text, code, recipient FROM messages WHERE rowid > ? AND rowid <= ?",
    )
    .bind(mark)
    .bind(upto)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let marked = sqlx::query("UPDATE message_search_progress SET indexed_through = ?")
        .bind(upto)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if marked != 1 {
        // Without its mark the same rows would be indexed again and again.
        return Err(StoreError::Corrupt(
            "message_search_progress has no row".into(),
        ));
    }
    tx.commit().await?;
    Ok(added)
}

/// How many messages (at most) the index does not hold yet.
pub async fn backlog(store: &Store) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE((SELECT MAX(rowid) FROM messages), 0) - \
         COALESCE((SELECT indexed_through FROM message_search_progress), 0)",
    )
    .fetch_one(store.pool())
    .await?)
}

/// Adds every message the index does not hold yet (after a bulk load).
pub async fn index_all(store: &Store) -> Result<u64, StoreError> {
    let mut added = 0;
    loop {
        match index_next(store, 100_000).await? {
            0 => return Ok(added),
            n => added += n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Message, RawRequest};
    use crate::store::messages::{self, Filter};

    fn searching(q: &str) -> Filter {
        Filter {
            query: Some(q.to_owned()),
            ..Filter::default()
        }
    }

    /// What LIKE '%q%' over text, number and code finds, newest first.
    fn expected(rows: &[(Message, RawRequest)], q: &str) -> Vec<String> {
        let mut ids: Vec<String> = rows
            .iter()
            .map(|(m, _)| m)
            .filter(|m| {
                m.text.contains(q)
                    || m.recipient.as_str().contains(q)
                    || m.code.as_deref().is_some_and(|c| c.contains(q))
            })
            .map(|m| m.id.clone())
            .collect();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids
    }

    async fn found(store: &Store, q: &str) -> Vec<String> {
        let found = messages::list(store, &searching(q), 1000)
            .await
            .expect("search");
        found.into_iter().map(|m| m.id).collect()
    }

    async fn insert(store: &Store, rows: &[(Message, RawRequest)]) {
        let refs: Vec<_> = rows.iter().map(|(m, r)| (m, r)).collect();
        let mut writer = store.batch_writer().expect("writer");
        writer.insert(&refs, &[]).expect("insert");
    }

    #[tokio::test]
    async fn a_search_finds_each_row_once_before_during_and_after_indexing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("search.db"))
            .await
            .expect("store opens");
        let numbers = crate::cli::seed::demo_numbers(7);
        let mut ids = ulid::Generator::new();
        let mut rows = crate::cli::seed::demo_rows(&mut ids, &numbers, 1_700_000_000_000, 0..60);
        insert(&store, &rows).await;
        // A code and a part of a number: each found in the rows above the mark
        // (none indexed), half indexed, and all indexed.
        let code = rows[17].0.code.clone().expect("a code");
        let number = "5550100000";
        for q in [code.as_str(), number] {
            assert!(!expected(&rows, q).is_empty(), "{q}");
            assert_eq!(found(&store, q).await, expected(&rows, q), "unindexed: {q}");
        }
        assert_eq!(backlog(&store).await.expect("backlog"), 60);
        assert_eq!(index_next(&store, 30).await.expect("indexes"), 30);
        assert_eq!(backlog(&store).await.expect("backlog"), 30);
        for q in [code.as_str(), number] {
            assert_eq!(found(&store, q).await, expected(&rows, q), "half: {q}");
        }
        assert_eq!(index_all(&store).await.expect("indexes"), 30);
        assert_eq!(index_next(&store, 30).await.expect("nothing left"), 0);
        for q in [code.as_str(), number] {
            assert_eq!(found(&store, q).await, expected(&rows, q), "indexed: {q}");
        }
        // The newest, indexed row deleted: SQLite hands its rowid to the next row,
        // which must not count as indexed.
        let (newest, _) = rows.pop().expect("a row");
        assert!(messages::delete(&store, &newest.id).await.expect("deletes"));
        let mut again = crate::cli::seed::demo_rows(&mut ids, &numbers, 1_700_000_100_000, 60..61);
        again[0].0.code = Some("999111".into());
        again[0].0.text = "999111 is your code".into();
        insert(&store, &again).await;
        rows.extend(again);
        assert_eq!(found(&store, "999111").await, expected(&rows, "999111"));
        assert_eq!(index_all(&store).await.expect("indexes"), 1);
        assert_eq!(found(&store, "999111").await, expected(&rows, "999111"));
        assert_eq!(found(&store, &code).await, expected(&rows, &code));
    }
}
