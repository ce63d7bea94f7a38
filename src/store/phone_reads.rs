//! The `phone_reads` table: how far the inbox has shown each phone's messages;
//! those newer than its `last_read_id` are unread (counted in `phones`). A mark
//! goes with its phone's last message (the `phones_delete` trigger, migration 13).

use super::{Store, StoreError};
use crate::message::phone::PhoneNumber;

/// A phone's newest message, up to an id if given: the mark `mark_read` sets.
pub(super) const NEWEST: &str =
    "SELECT MAX(id) FROM messages WHERE recipient = ?1 AND (?2 IS NULL OR id <= ?2)";

/// Marks a phone read up to its newest message (or `up_to`); the id marked, if any.
pub async fn mark_read(
    store: &Store,
    to: &PhoneNumber,
    up_to: Option<&str>,
) -> Result<Option<String>, StoreError> {
    let newest: Option<String> = sqlx::query_scalar(NEWEST)
        .bind(to.as_str())
        .bind(up_to)
        .fetch_one(store.pool())
        .await?;
    let Some(newest) = newest else {
        return Ok(None);
    };
    // Never move the mark backwards: a late request must not unread newer messages.
    sqlx::query(
        "INSERT INTO phone_reads (recipient, last_read_id) VALUES (?, ?) \
         ON CONFLICT (recipient) DO UPDATE SET last_read_id = MAX(last_read_id, excluded.last_read_id)",
    )
    .bind(to.as_str())
    .bind(&newest)
    .execute(store.pool())
    .await?;
    Ok(Some(newest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::messages;

    async fn marked(store: &Store) -> Vec<String> {
        sqlx::query_scalar("SELECT recipient FROM phone_reads ORDER BY recipient")
            .fetch_all(store.pool())
            .await
            .expect("reads")
    }

    #[tokio::test]
    async fn a_read_mark_goes_with_its_phones_last_message_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("reads.db"))
            .await
            .expect("store opens");
        // Two phones, two messages each (row i goes to phone i modulo 2).
        let numbers = crate::cli::seed::demo_numbers(2);
        let mut ids = ulid::Generator::new();
        let rows = crate::cli::seed::demo_rows(&mut ids, &numbers, 1_700_000_000_000, 0..4);
        let refs: Vec<_> = rows.iter().map(|(m, r)| (m, r)).collect();
        store
            .batch_writer()
            .expect("writer")
            .insert(&refs, &[])
            .expect("insert");
        for number in &numbers {
            mark_read(&store, number, None).await.expect("marks");
        }
        let [a, b] = [numbers[0].as_str(), numbers[1].as_str()];
        assert_eq!(marked(&store).await, [a, b]);

        // One of a's two messages: a still has one, and keeps its mark.
        assert!(messages::delete(&store, &rows[0].0.id)
            .await
            .expect("deletes"));
        assert_eq!(marked(&store).await, [a, b]);
        // Its last, one by id; then all of b's, in one statement.
        assert!(messages::delete(&store, &rows[2].0.id)
            .await
            .expect("deletes"));
        assert_eq!(marked(&store).await, [b]);
        let b_only = messages::Filter {
            to: Some(numbers[1].clone()),
            ..messages::Filter::default()
        };
        assert_eq!(
            messages::delete_matching(&store, &b_only)
                .await
                .expect("deletes"),
            2
        );
        assert!(marked(&store).await.is_empty());
    }
}
