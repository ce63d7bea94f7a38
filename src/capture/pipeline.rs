//! receiver → `NewMessage` → store → bus.
//!
//! One writer task owns every insert and commits what has queued up in one
//! transaction (group commit): under load, one fsync serves many requests, and each
//! caller still gets its answer only after its own row is committed. The writer also
//! hands out ids, so id order is commit order.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::clock::Clock;
use crate::message::{Message, NewMessage, RawRequest, Status};
use crate::metrics::Metrics;
use crate::store::forwards::QueuedForward;
use crate::store::writer::BatchWriter;
use crate::store::{Store, StoreError};

/// Far above a QA suite's workers each holding a wait, yet a bound on what one
/// client looping on `latest?wait=` (or multiplexing over HTTP/2) can pin down.
pub const DEFAULT_MAX_HELD_WAITS: usize = 1024;
/// Browser tabs, the desktop window and test workers each watching the stream.
pub const DEFAULT_MAX_EVENT_STREAMS: usize = 256;
/// The most messages one transaction commits.
const MAX_BATCH: usize = 256;
/// Requests waiting for the writer before callers start to wait for room.
const QUEUE: usize = 4096;
/// How long after a commit the write-ahead log is checkpointed (see
/// `run_checkpointer`): the commits in between share one checkpoint.
const CHECKPOINT_AFTER: std::time::Duration = std::time::Duration::from_millis(500);
/// Events kept for slow subscribers before they see `Lagged`.
const BUS_CAPACITY: usize = 1024;

/// What happened, for live views (SSE, UI, held `latest` requests).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", content = "data")]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "ServerEvent"))]
pub enum Event {
    #[serde(rename = "message.created")]
    MessageCreated(Arc<Message>),
    #[serde(rename = "message.deleted")]
    MessageDeleted { id: String },
    /// Many messages went at once; `to` is the phone cleared and `tenant` the
    /// tenant, or none for all.
    #[serde(rename = "messages.cleared")]
    MessagesCleared {
        to: Option<String>,
        tenant: Option<String>,
    },
    /// Retention deleted `deleted` of the oldest messages, across phones and
    /// tenants: one event per pass, however many went, so views reload once.
    #[serde(rename = "messages.pruned")]
    MessagesPruned { deleted: u64 },
    /// A phone's messages were read up to `last_read_id`.
    #[serde(rename = "phone.read")]
    PhoneRead { to: String, last_read_id: String },
    /// Capture was paused or resumed.
    #[serde(rename = "capture.changed")]
    CaptureChanged { paused: bool },
}

/// Why a capture was not stored.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("could not commit: {0}")]
    Commit(Arc<StoreError>),
    #[error("the server is shutting down")]
    Stopped,
    #[error(
        "capture is paused (resume it in the Phonebox window or with PUT /emulator/v1/capture)"
    )]
    Paused,
    #[error("the database was opened read-only (--read-only): nothing can be captured")]
    ReadOnly,
}

impl CaptureError {
    /// Whether the capture was refused for a while (paused, read-only, stopping,
    /// a database that cannot take writes): answered 503, not 500.
    pub fn is_unavailable(&self) -> bool {
        match self {
            CaptureError::Paused | CaptureError::ReadOnly | CaptureError::Stopped => true,
            CaptureError::Commit(e) => e.is_unwritable(),
        }
    }

    /// What Phonebox failed at, for the log; none for a state someone chose
    /// (paused, read-only, stopping), which is no failure.
    pub fn failure(&self) -> Option<String> {
        match self {
            CaptureError::Paused | CaptureError::ReadOnly | CaptureError::Stopped => None,
            CaptureError::Commit(e) => Some(e.to_string()),
        }
    }
}

/// What else a capture queues in its own transaction: auto-forwards. Set by the
/// forwarder; the pipeline knows nothing of what it does with a message.
pub trait AutoForward: Send + Sync {
    /// The forwards `message` queues; empty (and cheap) when no rule is on.
    fn queue(&self, message: &Message, raw: &RawRequest) -> Vec<QueuedForward>;
}

/// The hook, once set.
type Hook = Arc<std::sync::RwLock<Option<Arc<dyn AutoForward>>>>;

struct Job {
    message: NewMessage,
    /// `recipient.international()`, formatted on the caller's task: the writer's
    /// single thread only copies it.
    to_display: String,
    reply: oneshot::Sender<Result<Arc<Message>, Arc<StoreError>>>,
}

/// The writer thread, to wait for once every `Pipeline` is dropped.
pub struct Writer {
    done: oneshot::Receiver<()>,
    stop: tokio_util::sync::CancellationToken,
}

impl Writer {
    /// Resolves when the writer has committed everything queued and stopped.
    pub async fn finished(self) {
        let _ = self.done.await;
    }

    /// Refuses new captures, commits what is queued, and resolves when the writer has
    /// stopped, even while other parts (a desktop tray) still hold pipeline handles.
    pub async fn stop(self) {
        self.stop.cancel();
        self.finished().await;
    }
}

/// The capture pipeline; cheap to clone.
#[derive(Clone)]
pub struct Pipeline {
    jobs: mpsc::Sender<Job>,
    bus: broadcast::Sender<Event>,
    store: Store,
    /// Requests held waiting for a message (see `inbox::wait_latest`).
    held_waits: Arc<AtomicUsize>,
    /// Live views (SSE streams) open right now.
    live_views: Arc<AtomicUsize>,
    /// How many of each may be open at once.
    hold_limits: HoldLimits,
    clock: Clock,
    /// While set, captures are refused (the desktop tray's "Pause capture").
    paused: Arc<std::sync::atomic::AtomicBool>,
    auto_forward: Hook,
    /// Held by the writer around each commit and by bulk deletes (retention), so
    /// the two take turns (the lock is fair) instead of meeting in SQLite's busy
    /// handler, whose growing sleeps could keep a capture waiting.
    turn: WriteTurn,
    /// This server's figures for `/metrics`.
    metrics: Arc<Metrics>,
}

pub(crate) type WriteTurn = Arc<tokio::sync::Mutex<()>>;
/// How many requests may be held open at once: each costs a task, a bus
/// receiver and (over HTTP/1) a connection, so one client looping on them must
/// not exhaust memory or descriptors. See `Config` for the flags.
#[derive(Debug, Clone, Copy)]
pub struct HoldLimits {
    /// `latest?wait=` requests held at once.
    pub max_held_waits: usize,
    /// Event streams open at once.
    pub max_live_views: usize,
}

impl Default for HoldLimits {
    fn default() -> HoldLimits {
        HoldLimits {
            max_held_waits: DEFAULT_MAX_HELD_WAITS,
            max_live_views: DEFAULT_MAX_EVENT_STREAMS,
        }
    }
}

/// A held wait or a live view refused because as many as allowed are open.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("{held} {what} are already open, the most allowed ({flag}); try again when one ends")]
pub struct AtCapacity {
    /// The error kind an API answers with (`too_many_waits`, `too_many_streams`).
    pub kind: &'static str,
    pub held: usize,
    pub what: &'static str,
    pub flag: &'static str,
}

/// Counts one held wait or live view for as long as it lives.
pub(crate) struct Counted(Arc<AtomicUsize>);

impl Counted {
    /// Counts one more unless `max` are already counted: the check and the
    /// increment are one atomic step, so a crowd arriving at once cannot overshoot.
    fn try_new(counter: &Arc<AtomicUsize>, max: usize) -> Option<Counted> {
        counter
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Counted(counter.clone()))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Pipeline {
    /// Starts the writer task. It ends when every `Pipeline` clone is dropped,
    /// after committing what was queued.
    pub fn start(store: Store, clock: Clock) -> (Pipeline, Writer) {
        let (jobs, rx) = mpsc::channel(QUEUE);
        let (bus, _) = broadcast::channel(BUS_CAPACITY);
        let (done_tx, done) = oneshot::channel();
        let auto_forward: Hook = Arc::default();
        let stop = tokio_util::sync::CancellationToken::new();
        let writer_stop = stop.clone();
        let turn = WriteTurn::default();
        let metrics = Arc::new(Metrics::new());
        let (committed, commits) = tokio::sync::watch::channel(0u64);
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(run_checkpointer(
                    store.clone(),
                    commits.clone(),
                    stop.clone(),
                    metrics.clone(),
                ));
                runtime.spawn(super::search_index::run(
                    store.clone(),
                    commits,
                    turn.clone(),
                    stop.clone(),
                ));
            }
            // The writer's own connection still checkpoints, later (see `writer`),
            // and searches find what is not indexed by LIKE.
            Err(_) => tracing::warn!("no runtime: no checkpointer and no search indexer"),
        }
        let parts = WriterParts {
            committed,
            store: store.clone(),
            bus: bus.clone(),
            clock: clock.clone(),
            auto_forward: auto_forward.clone(),
            turn: turn.clone(),
            metrics: metrics.clone(),
        };
        // A thread of its own: woken by the database's thread, the writer runs at once
        // instead of queueing behind every HTTP task on the shared runtime.
        let spawned = std::thread::Builder::new()
            .name("phonebox-writer".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime.block_on(run_writer(parts, rx, writer_stop)),
                    Err(e) => tracing::error!(error = %e, "cannot start the writer"),
                }
                let _ = done_tx.send(());
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the writer thread");
        }
        let pipeline = Pipeline {
            jobs,
            bus,
            store,
            held_waits: Arc::default(),
            live_views: Arc::default(),
            hold_limits: HoldLimits::default(),
            clock,
            paused: Arc::default(),
            auto_forward,
            turn,
            metrics,
        };
        (pipeline, Writer { done, stop })
    }

    /// Stores a message; returns once it is committed and announced.
    ///
    /// A message whose request carries `x-phonebox-link` (an Action's SDK call,
    /// another Phonebox's tenant) is stored as linked: every receiver's capture
    /// comes through here, so the header is read once, in one place.
    pub async fn capture(&self, message: NewMessage) -> Result<Arc<Message>, CaptureError> {
        if self.store.is_read_only() {
            return Err(CaptureError::ReadOnly);
        }
        if self.is_paused() {
            return Err(CaptureError::Paused);
        }
        let message = message.with_link_header();
        let to_display = message.recipient.international();
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                message,
                to_display,
                reply,
            })
            .await
            .map_err(|_| CaptureError::Stopped)?;
        match answer.await {
            Ok(Ok(message)) => Ok(message),
            Ok(Err(e)) => Err(CaptureError::Commit(e)),
            Err(_) => Err(CaptureError::Stopped),
        }
    }

    /// Sets what a capture queues with it (the forwarder's auto-forward rules).
    pub fn set_auto_forward(&self, hook: Arc<dyn AutoForward>) {
        let mut slot = self.auto_forward.write().unwrap_or_else(|p| p.into_inner());
        *slot = Some(hook);
    }

    /// Listens to what happens from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.bus.subscribe()
    }

    /// Announces a change made outside the writer (deletes).
    pub fn publish(&self, event: Event) {
        // No subscriber is fine: nobody is watching.
        let _ = self.bus.send(event);
    }

    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::Relaxed)
    }

    /// Pauses or resumes capture, telling every live view.
    pub fn set_paused(&self, paused: bool) {
        if self.paused.swap(paused, Ordering::Relaxed) != paused {
            self.publish(Event::CaptureChanged { paused });
        }
    }

    /// How many requests are being held waiting for a message right now.
    pub fn held_waits(&self) -> usize {
        self.held_waits.load(Ordering::Relaxed)
    }

    /// How many live views (SSE streams: browser tabs, the desktop window) are open.
    pub fn live_views(&self) -> usize {
        self.live_views.load(Ordering::Relaxed)
    }

    /// Sets how many waits and live views may be held at once; call before
    /// cloning the pipeline out.
    pub fn with_hold_limits(mut self, limits: HoldLimits) -> Pipeline {
        self.hold_limits = limits;
        self
    }

    /// Counts one more live view while the guard lives, unless the cap is reached.
    pub(crate) fn hold_view(&self) -> Result<Counted, AtCapacity> {
        Counted::try_new(&self.live_views, self.hold_limits.max_live_views).ok_or(AtCapacity {
            kind: "too_many_streams",
            held: self.hold_limits.max_live_views,
            what: "event streams",
            flag: "--max-event-streams",
        })
    }

    /// Counts one more held wait while the guard lives, unless the cap is reached.
    pub(crate) fn hold_wait(&self) -> Result<Counted, AtCapacity> {
        Counted::try_new(&self.held_waits, self.hold_limits.max_held_waits).ok_or(AtCapacity {
            kind: "too_many_waits",
            held: self.hold_limits.max_held_waits,
            what: "held waits",
            flag: "--max-held-waits",
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Waits for the writer to finish its commit, and keeps it waiting until the
    /// guard is dropped: hold it for one short statement at a time.
    pub(crate) async fn write_turn(&self) -> tokio::sync::OwnedMutexGuard<()> {
        self.turn.clone().lock_owned().await
    }

    /// This server's figures (for `/metrics`), counted wherever it acts.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The emulated clock every capture is stamped with.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }
}

/// What the writer shares with the pipeline (not the job sender: the writer ends
/// when the last one is dropped).
struct WriterParts {
    store: Store,
    /// Counts commits, for the checkpointer and the search indexer.
    committed: tokio::sync::watch::Sender<u64>,
    bus: broadcast::Sender<Event>,
    clock: Clock,
    auto_forward: Hook,
    turn: WriteTurn,
    metrics: Arc<Metrics>,
}

async fn run_writer(
    parts: WriterParts,
    mut rx: mpsc::Receiver<Job>,
    stop: tokio_util::sync::CancellationToken,
) {
    let WriterParts {
        store,
        committed: committed_note,
        bus,
        clock,
        auto_forward,
        turn,
        metrics,
    } = parts;
    let mut ids = ulid::Generator::new();
    let mut conn: Option<BatchWriter> = None;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        let received = tokio::select! {
            n = rx.recv_many(&mut batch, MAX_BATCH) => n,
            () = stop.cancelled(), if !rx.is_closed() => {
                // No new jobs from here on; those already queued are still received.
                rx.close();
                continue;
            }
        };
        if received == 0 {
            break;
        }
        let now = clock.now();
        let mut stored: Vec<(Message, RawRequest)> = Vec::with_capacity(batch.len());
        let mut replies = Vec::with_capacity(batch.len());
        for job in batch.drain(..) {
            // Ids carry the emulated time too, so `after=<id>` and `after=<time>` agree.
            let id = ids
                .generate_from_datetime(now.into())
                .unwrap_or_else(|_| ulid::Ulid::from_datetime(now.into()))
                .to_string();
            let (message, raw) = complete(job.message, job.to_display, id, now);
            stored.push((message, raw));
            replies.push(job.reply);
        }
        let rows: Vec<(&Message, &RawRequest)> = stored.iter().map(|(m, r)| (m, r)).collect();
        let hook = auto_forward
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let forwards: Vec<QueuedForward> = match hook {
            Some(hook) => rows.iter().flat_map(|(m, r)| hook.queue(m, r)).collect(),
            None => Vec::new(),
        };
        let committed = {
            let _turn = turn.lock().await;
            insert(&store, &mut conn, &rows, &forwards)
        };
        match committed {
            Ok(()) => {
                committed_note.send_modify(|n| *n = n.wrapping_add(1));
                for ((message, _), reply) in stored.into_iter().zip(replies) {
                    metrics.captured(message.source, message.channel);
                    let message = Arc::new(message);
                    let _ = bus.send(Event::MessageCreated(message.clone()));
                    let _ = reply.send(Ok(message));
                }
            }
            Err(e) => {
                // Each caller logs the failure where it answers, once.
                store.write_failed(&e).await;
                let e = Arc::new(e);
                for reply in replies {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
    }
}

/// Inserts through the writer's own connection, opening it on first use (or again
/// after a failure, in case the connection was the problem). Blocks this thread
/// while SQLite commits: the writer's thread is its own, and the callers are
/// waiting for exactly this.
fn insert(
    store: &Store,
    conn: &mut Option<BatchWriter>,
    rows: &[(&Message, &RawRequest)],
    forwards: &[QueuedForward],
) -> Result<(), StoreError> {
    let mut open = match conn.take() {
        Some(open) => open,
        None => store.batch_writer()?,
    };
    let outcome = open.insert(rows, forwards);
    // After a failure its state (a transaction SQLite cancelled on its own, say)
    // cannot be trusted: the next batch opens a fresh one.
    if outcome.is_ok() {
        *conn = Some(open);
    }
    outcome
}

/// Copies the write-ahead log into the database file, off the writer's thread: a
/// checkpoint run by the committing connection (SQLite's default, every 1000
/// pages) made one capture in a thousand wait for it, with the fsync of the
/// database file `synchronous=FULL` adds. Runs a while after commits, never while idle.
async fn run_checkpointer(
    store: Store,
    mut commits: tokio::sync::watch::Receiver<u64>,
    stop: tokio_util::sync::CancellationToken,
    metrics: Arc<Metrics>,
) {
    loop {
        tokio::select! {
            changed = commits.changed() => if changed.is_err() { break },
            () = stop.cancelled() => break,
        }
        tokio::select! {
            () = tokio::time::sleep(CHECKPOINT_AFTER) => {}
            () = stop.cancelled() => break,
        }
        match store.checkpoint_passive().await {
            Ok(()) => metrics.checkpointed(),
            // The writer's own connection checkpoints later if this keeps failing.
            Err(e) => tracing::debug!(error = %e, "checkpoint failed"),
        }
    }
}

/// Completes a parsed message with what only the store side knows.
pub(crate) fn finish(new: NewMessage, id: String, now: OffsetDateTime) -> (Message, RawRequest) {
    let to_display = new.recipient.international();
    complete(new, to_display, id, now)
}

/// `finish`, with the recipient already formatted (`to_display`).
fn complete(
    new: NewMessage,
    to_display: String,
    id: String,
    now: OffsetDateTime,
) -> (Message, RawRequest) {
    let layout = crate::message::sms::layout(&new.text);
    let code = new
        .code
        .filter(|c| !c.trim().is_empty())
        .or_else(|| crate::message::code::extract(&new.text));
    let message = Message {
        id,
        tenant: new.tenant,
        received_at: now,
        channel: new.channel,
        source: new.source,
        to_display,
        recipient: new.recipient,
        sender: new.sender,
        text: new.text,
        code,
        action: new.action,
        purpose: new.purpose,
        locale: new.locale,
        user_id: new.user_id,
        client_id: new.client_id,
        status: if new.error.is_some() {
            Status::Failed
        } else {
            Status::Received
        },
        encoding: layout.encoding,
        segments: layout.segments,
        provider_message_id: new.provider_message_id,
        provider_account: new.provider_account,
        attributes: new.attributes,
        error: new.error,
    };
    (message, new.raw)
}
