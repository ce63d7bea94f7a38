//! How a Phonebox server is configured: flags, their `PHONEBOX_` env twins, defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Default address: loopback only, so nothing off this machine can reach it.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7676";
/// Default largest request body accepted, in bytes (1 MiB).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Settings of one server.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address to listen on. Keep it on loopback unless you know who can reach it;
    /// port 0 picks a free port.
    #[arg(long, env = "PHONEBOX_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,

    /// SQLite database file [default: phonebox.db in the platform data directory].
    #[arg(long, env = "PHONEBOX_DB")]
    pub db: Option<PathBuf>,

    /// Largest request body accepted, in bytes; larger ones get 413.
    #[arg(long, env = "PHONEBOX_BODY_LIMIT", default_value_t = DEFAULT_BODY_LIMIT)]
    pub body_limit: usize,

    /// Extra host names this server answers to besides loopback names (e.g. a name
    /// in /etc/hosts); any other Host header is refused (DNS rebinding). Repeat or
    /// separate with commas.
    #[arg(
        long = "allow-host",
        env = "PHONEBOX_ALLOW_HOSTS",
        value_delimiter = ','
    )]
    pub allow_hosts: Vec<String>,

    /// A line for the UI to show (the desktop app sets it when it had to move off a
    /// taken port); not a command-line flag.
    #[arg(skip)]
    pub notice: Option<String>,
}

impl Config {
    /// A config with every default, listening on `listen` and storing in `db`.
    pub fn new(listen: SocketAddr, db: PathBuf) -> Config {
        Config {
            listen,
            db: Some(db),
            body_limit: DEFAULT_BODY_LIMIT,
            allow_hosts: Vec::new(),
            notice: None,
        }
    }

    /// The database path: the one given, or `phonebox.db` in the platform data dir.
    pub fn db_path(&self) -> PathBuf {
        self.db.clone().unwrap_or_else(default_db_path)
    }
}

/// `phonebox.db` in the OS data directory (e.g. `~/.local/share/phonebox` on Linux).
pub fn default_db_path() -> PathBuf {
    directories::ProjectDirs::from("dev", "Phonebox", "phonebox")
        .map(|dirs| dirs.data_dir().join("phonebox.db"))
        .unwrap_or_else(|| PathBuf::from("phonebox.db"))
}
