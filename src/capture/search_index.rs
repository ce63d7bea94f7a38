//! Fills the search index off the capture path: a while after commits, the
//! messages the index does not hold yet are added in large batches, each in one
//! short transaction taken in turn with the capture writer. Until then a search
//! finds them by LIKE (see `store::messages::list`), so nothing is missed.
//!
//! At start it first adds what an earlier run captured but had not indexed (a
//! crash, a kill -9, `phonebox seed` into an older file).

use std::time::Duration;

use tokio::sync::watch;

use super::pipeline::WriteTurn;
use crate::store::{message_search, Store};

/// How long after a commit the indexer runs: the commits in between share a batch.
const INDEX_AFTER: Duration = Duration::from_millis(200);
/// Rows per transaction: large enough that FTS5 writes few segments, small enough
/// that a capture waiting for its turn waits a few milliseconds at most.
const BATCH: u32 = 1000;

/// Runs until `stop`; `commits` changes after every commit.
pub(crate) async fn run(
    store: Store,
    mut commits: watch::Receiver<u64>,
    turn: WriteTurn,
    stop: tokio_util::sync::CancellationToken,
) {
    if store.is_read_only() {
        return;
    }
    loop {
        loop {
            let added = {
                let _turn = turn.lock().await;
                message_search::index_next(&store, BATCH).await
            };
            match added {
                Ok(0) => break,
                Ok(_) => tokio::task::yield_now().await,
                Err(e) => {
                    // Searches still find these rows by LIKE; the next commit retries.
                    tracing::warn!(error = %e, "cannot fill the search index");
                    break;
                }
            }
            if stop.is_cancelled() {
                return;
            }
        }
        tokio::select! {
            changed = commits.changed() => if changed.is_err() { return },
            () = stop.cancelled() => return,
        }
        tokio::select! {
            () = tokio::time::sleep(INDEX_AFTER) => {}
            () = stop.cancelled() => return,
        }
    }
}
