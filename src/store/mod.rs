//! SQLite storage: the only place with SQL.
//!
//! One setup function opens the database with WAL, a busy timeout and foreign keys,
//! and applies the migrations. Every query lives in a file named for its table, so a
//! PostgreSQL backend later is this module's work alone.

pub mod action_cache;
pub mod action_runs;
pub mod actions;
pub mod clients;
pub mod files;
pub mod forward_rules;
pub mod forwards;
pub mod limit_buckets;
pub mod log_events;
pub mod log_query;
pub mod message_search;
pub mod messages;
pub mod mfa_challenges;
pub mod mfa_enrollments;
pub mod mfa_tokens;
pub mod passwordless_codes;
pub mod phone_reads;
pub mod phone_sends;
pub mod phones;
#[cfg(test)]
mod plans;
pub mod recovery_codes;
pub mod settings;
pub mod tenants;
pub mod twilio_verifications;
pub mod users;
pub mod writer;

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};

/// What went wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create or secure {path}: {source}")]
    Files {
        path: String,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Sqlx(sqlx::Error),
    /// The database cannot be written: opened `--read-only`, made read-only on
    /// disk, or its disk is full. Answered 503, never 500.
    #[error("the database cannot be written: {0}")]
    Unwritable(String),
    #[error("the database needs upgrading: open it once without --read-only")]
    Outdated,
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored row is not readable: {0}")]
    Corrupt(String),
    /// A write on the capture writer's own connection failed (see `writer`).
    #[error("database error: {0}")]
    Write(String),
}

/// Set by any write, anywhere, that failed because the file could not take it:
/// the next health check then checks again rather than trust its last look.
/// Process-wide, as errors are converted far from the store that saw them; a
/// false alarm (another database in the same process) costs one extra check.
static UNWRITABLE_SEEN: AtomicBool = AtomicBool::new(false);

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        let code = e
            .as_database_error()
            .and_then(|d| d.code())
            .and_then(|c| c.parse::<i64>().ok());
        match code {
            Some(c) if is_unwritable_code(c) => {
                saw_unwritable();
                StoreError::Unwritable(e.to_string())
            }
            _ => StoreError::Sqlx(e),
        }
    }
}

/// Whether a SQLite (extended) result code means the file cannot take writes: its
/// primary code (the low byte) is READONLY, IOERR, CANTOPEN or FULL.
fn is_unwritable_code(code: i64) -> bool {
    const UNWRITABLE: [i64; 4] = [8, 10, 14, 13];
    UNWRITABLE.contains(&(code & 0xff))
}

/// Notes a write that failed for want of a writable file (see `UNWRITABLE_SEEN`).
fn saw_unwritable() {
    UNWRITABLE_SEEN.store(true, Ordering::Relaxed);
}

impl StoreError {
    /// Whether the store is unusable for writing (so: 503, not 500).
    pub fn is_unwritable(&self) -> bool {
        matches!(self, StoreError::Unwritable(_))
    }
}

/// How to open the database.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenOptions {
    /// Open it read-only: no migrations, no writes (for inspecting a copy).
    pub read_only: bool,
    /// The directory is Phonebox's own data directory, so an existing one with
    /// looser permissions is tightened to 0700 (never a directory the user named).
    pub own_dir: bool,
}

/// How long a connection waits for another's write lock before it gives up.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Every connection's settings, the pool's and the capture writer's (`writer`) alike.
pub(crate) const CONNECTION_PRAGMAS: [(&str, &str); 4] = [
    ("foreign_keys", "ON"),
    // What is deleted (a message, a moved key, a rebuilt table's old pages) is
    // overwritten, not left readable in free pages of the file.
    ("secure_delete", "ON"),
    // The pipeline's checkpointer copies the log into the file, off the capture
    // path; a connection checkpoints in its own commit only past 64 MB of log, as
    // a backstop (under a load that never pauses, a checkpoint from elsewhere never
    // catches the log's end, so the log could not start over).
    ("wal_autocheckpoint", "16384"),
    ("journal_size_limit", "67108864"),
];

/// How often health re-checks a database it last found unwritable.
const RECHECK: Duration = Duration::from_secs(2);

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    read_only: bool,
    /// Whether the last write check (at start, after a failed write, or by health
    /// while unwritable) succeeded.
    writable: Arc<AtomicBool>,
    /// When the check last ran, in ms since `opened`.
    checked_at: Arc<AtomicI64>,
    opened: Instant,
    /// The database file: its size on disk, the capture writer's own connection.
    path: Arc<Path>,
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, OpenOptions::default()).await
    }

    /// Opens the database as `options` say. Created files are owner-only (see
    /// `files`); a database that cannot be written is refused unless asked for
    /// read-only.
    pub async fn open_with(path: &Path, options: OpenOptions) -> Result<Store, StoreError> {
        let files_error = |at: &Path| {
            let path = at.display().to_string();
            move |source| StoreError::Files { path, source }
        };
        let connect = CONNECTION_PRAGMAS.iter().fold(
            SqliteConnectOptions::from_str("sqlite://")?
                .filename(path)
                .busy_timeout(BUSY_TIMEOUT),
            |connect, (name, value)| connect.pragma(*name, *value),
        );
        let connect = if options.read_only {
            // With no log to replay, read the file as it is: SQLite would otherwise
            // want to create the -shm file beside it, which a read-only copy's
            // directory may not allow.
            let [_, wal, _] = files::database_files(path);
            connect.read_only(true).immutable(!wal.exists())
        } else {
            if let Some(dir) = path.parent() {
                files::private_dir(dir, options.own_dir).map_err(files_error(dir))?;
            }
            files::private_database(path).map_err(files_error(path))?;
            connect
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a 2xx means the row survives a power cut, not just a crash.
                // Group commit (see `pipeline`) pays one fsync per batch, not per message.
                .synchronous(SqliteSynchronous::Full)
        };
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(connect)
            .await?;
        let migrator = sqlx::migrate!("./migrations");
        if options.read_only {
            let applied: Option<i64> =
                sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                    .fetch_one(&pool)
                    .await
                    .map_err(|_| StoreError::Outdated)?;
            let latest = migrator.iter().map(|m| m.version).max();
            if applied < latest {
                return Err(StoreError::Outdated);
            }
        } else {
            // None before the first run made the table.
            let applied = || async {
                sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM _sqlx_migrations")
                    .fetch_one(&pool)
                    .await
                    .ok()
            };
            let before = applied().await;
            migrator.run(&pool).await?;
            // What a migration rewrote (a secret it hashed, a key it moved out)
            // reaches the database file now, not at a checkpoint some time later;
            // a start with nothing to migrate has nothing to hurry.
            if applied().await != before {
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(&pool)
                    .await?;
            }
        }
        let store = Store {
            pool,
            read_only: options.read_only,
            writable: Arc::new(AtomicBool::new(!options.read_only)),
            checked_at: Arc::new(AtomicI64::new(0)),
            opened: Instant::now(),
            path: Arc::from(path),
        };
        if !options.read_only {
            store.check_writable().await?;
        }
        Ok(store)
    }

    /// Whether the database was opened `--read-only`.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Whether writes are expected to work, as last checked. Checks again when
    /// a write somewhere failed for want of a writable file since, and (at most
    /// every couple of seconds) while they were not working, so health sees a
    /// recovery too.
    pub async fn writable(&self) -> bool {
        if self.read_only {
            return false;
        }
        let now = i64::try_from(self.opened.elapsed().as_millis()).unwrap_or(i64::MAX);
        let due = now - self.checked_at.load(Ordering::Relaxed) >= RECHECK.as_millis() as i64;
        let failed_since = UNWRITABLE_SEEN.swap(false, Ordering::Relaxed);
        let believed = self.writable.load(Ordering::Relaxed);
        if (believed && failed_since) || (!believed && due) {
            let _ = self.check_writable().await;
        }
        self.writable.load(Ordering::Relaxed)
    }

    /// A write that failed: checks whether the database still takes writes.
    pub async fn write_failed(&self, e: &StoreError) {
        if e.is_unwritable() || matches!(e, StoreError::Sqlx(_) | StoreError::Write(_)) {
            let _ = self.check_writable().await;
        }
    }

    /// Commits one small row: a write that must reach the disk (a rolled-back one
    /// never does, and succeeds on a full disk), to learn that writes fail before a
    /// user's request does.
    async fn check_writable(&self) -> Result<(), StoreError> {
        let now = i64::try_from(self.opened.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.checked_at.store(now, Ordering::Relaxed);
        let outcome = sqlx::query(
            "INSERT INTO settings (key, value) VALUES ('phonebox.write_check', ?) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(crate::unix_ms::from_time(time::OffsetDateTime::now_utc()).to_string())
        .execute(&self.pool)
        .await
        .map(|_| ())
        .map_err(StoreError::from);
        self.writable.store(outcome.is_ok(), Ordering::Relaxed);
        match outcome {
            Err(StoreError::Sqlx(e)) => Err(StoreError::Unwritable(e.to_string())),
            other => other,
        }
    }

    /// The bytes the database takes on disk: its file and its write-ahead log
    /// (the log holds what is committed but not yet copied into the file).
    pub async fn disk_bytes(&self) -> u64 {
        let [file, wal, _] = files::database_files(&self.path);
        let mut bytes = 0;
        for path in [file, wal] {
            bytes += tokio::fs::metadata(path).await.map_or(0, |m| m.len());
        }
        bytes
    }

    /// Copies the write-ahead log into the database file and empties the log.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Copies what it can of the write-ahead log into the database file without
    /// waiting for, or blocking, the writer or readers.
    pub async fn checkpoint_passive(&self) -> Result<(), StoreError> {
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Closes every connection, checkpointing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A connection kept by one owner (the writer), so each batch skips the pool.
    pub async fn dedicated(&self) -> Result<Connection, StoreError> {
        Ok(Connection(self.pool.acquire().await?))
    }

    /// The capture writer's own connection (see `writer`), opened on the writer's
    /// thread: it blocks while SQLite works, which only that thread may do.
    pub fn batch_writer(&self) -> Result<writer::BatchWriter, StoreError> {
        if self.read_only {
            return Err(StoreError::Unwritable("opened --read-only".into()));
        }
        writer::BatchWriter::open(&self.path)
    }

    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// A write transaction, begun `IMMEDIATE`: it holds SQLite's write lock from its
/// first statement, so a flow that reads, decides and writes inside one cannot
/// interleave with another doing the same. Dropped without `commit`, it rolls back.
pub type Tx = sqlx::Transaction<'static, Sqlite>;

impl Store {
    /// Begins a write transaction. Never hold one across a call to another server.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// A read-only flow's transaction: one consistent view, no write lock taken.
    pub async fn begin_read(&self) -> Result<Tx, StoreError> {
        Ok(self.pool.begin().await?)
    }
}

/// Where one statement runs: the store's pool, or an open transaction. Table
/// functions take `impl Into<Db>`, so a flow passes its transaction (`&mut tx`)
/// and everyone else the store.
pub enum Db<'a> {
    Pool(&'a SqlitePool),
    Conn(&'a mut sqlx::SqliteConnection),
}

impl<'a> From<&'a Store> for Db<'a> {
    fn from(store: &'a Store) -> Db<'a> {
        Db::Pool(&store.pool)
    }
}

impl<'a> From<&'a mut Connection> for Db<'a> {
    fn from(conn: &'a mut Connection) -> Db<'a> {
        Db::Conn(conn.raw())
    }
}

impl<'a> From<&'a mut Tx> for Db<'a> {
    fn from(tx: &'a mut Tx) -> Db<'a> {
        Db::Conn(&mut *tx)
    }
}

/// Runs `$query.$method(executor)` on whichever executor `$db` is.
macro_rules! on {
    ($db:expr, $query:expr, $method:ident) => {
        match $db.into() {
            $crate::store::Db::Pool(pool) => $query.$method(pool).await,
            $crate::store::Db::Conn(conn) => $query.$method(conn).await,
        }
    };
}
pub(crate) use on;

/// A connection held by one owner; returned to the pool when dropped.
pub struct Connection(PoolConnection<Sqlite>);

impl Connection {
    pub(crate) fn raw(&mut self) -> &mut sqlx::SqliteConnection {
        &mut self.0
    }
}
