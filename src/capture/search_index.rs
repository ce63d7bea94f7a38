//! Fills the search index off the capture path: once captures pause, the messages
//! the index does not hold yet are added in large batches, each in one short
//! transaction taken in turn with the capture writer. Until then a search finds
//! them by LIKE (see `store::messages::list`), so nothing is missed. A burst is
//! captured at full speed and indexed after it (FTS5 costs some 9 µs of CPU a
//! message even in batches, on two cores as dear as the capture itself); under a
//! load that never pauses, the index still follows at most `BACKLOG` behind (and
//! at most five seconds), so a search never reads more than that many rows one by one.
//!
//! At start it first adds what an earlier run captured but had not indexed (a
//! crash, a kill -9, `phonebox seed` into an older file).

use std::time::Duration;

use tokio::sync::watch;

use crate::store::{message_search, Store};

/// How long without a commit counts as a pause in captures.
const QUIET: Duration = Duration::from_millis(250);
/// The most messages left to LIKE while captures keep coming.
const BACKLOG: i64 = 50_000;
/// The longest a message waits for the index while captures trickle in (a CI loop
/// capturing a few a second never pauses for `QUIET`).
const LONGEST_WAIT: u32 = 20;
/// Rows per transaction while captures pause: large enough that FTS5 writes few
/// segments.
const BATCH: u32 = 1000;
/// Rows per transaction while captures keep coming: a capture waiting for its turn
/// waits for one of these (a 1000-row batch took c32 p99 past 20 ms).
const BATCH_UNDER_LOAD: u32 = 200;

/// Runs until `stop`; `commits` changes after every commit.
pub(crate) async fn run(
    store: Store,
    mut commits: watch::Receiver<u64>,
    // The pipeline's `WriteTurn`, named by its type: this module sits below it.
    turn: std::sync::Arc<tokio::sync::Mutex<()>>,
    stop: tokio_util::sync::CancellationToken,
) {
    if store.is_read_only() {
        return;
    }
    // The commit count when last looked at: moved since, captures are coming.
    let mut last = *commits.borrow();
    loop {
        loop {
            let now = *commits.borrow();
            let batch = if now == last { BATCH } else { BATCH_UNDER_LOAD };
            last = now;
            let added = async {
                // The connection first: the writer must never wait behind the pool.
                let mut conn = store.dedicated().await?;
                let _turn = turn.lock().await;
                message_search::index_next_on(&mut conn, batch).await
            }
            .await;
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
        // Wait for a pause, for the backlog to pass its bound, or `LONGEST_WAIT`
        // rounds of `QUIET`.
        let mut rounds = 0;
        loop {
            rounds += 1;
            let seen = *commits.borrow_and_update();
            last = seen;
            tokio::select! {
                () = tokio::time::sleep(QUIET) => {}
                () = stop.cancelled() => return,
            }
            if *commits.borrow() == seen
                || rounds >= LONGEST_WAIT
                || message_search::backlog(&store).await.unwrap_or(0) >= BACKLOG
            {
                break;
            }
        }
    }
}
