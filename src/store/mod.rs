//! SQLite storage: the only place with SQL.
//!
//! One setup function opens the database with WAL, a busy timeout and foreign keys,
//! and applies the migrations. Every query lives in a file named for its table, so a
//! PostgreSQL backend later is this module's work alone.

pub mod clients;
pub mod log_events;
pub mod messages;
pub mod mfa_challenges;
pub mod mfa_enrollments;
pub mod mfa_tokens;
pub mod phone_sends;
pub mod settings;
pub mod tenants;
pub mod twilio_verifications;
pub mod users;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};

/// What went wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("a batch of {0} rows is more than one statement can insert")]
    BatchTooLarge(usize),
    #[error("stored row is not readable: {0}")]
    Corrupt(String),
}

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a 2xx means the row survives a power cut, not just a crash. Group
            // commit (see `pipeline`) pays one fsync per batch, not per message.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool })
    }

    /// Closes every connection, checkpointing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A connection kept by one owner (the writer), so each batch skips the pool.
    pub async fn dedicated(&self) -> Result<Connection, StoreError> {
        Ok(Connection(self.pool.acquire().await?))
    }

    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// A connection held by one owner; returned to the pool when dropped.
pub struct Connection(PoolConnection<Sqlite>);

impl Connection {
    pub(crate) fn raw(&mut self) -> &mut sqlx::SqliteConnection {
        &mut self.0
    }
}
