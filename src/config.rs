//! How a Phonebox server is configured: flags, their `PHONEBOX_` env twins, defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Defaults of the hold limits, kept with the pipeline that enforces them.
pub use crate::capture::pipeline::{DEFAULT_MAX_EVENT_STREAMS, DEFAULT_MAX_HELD_WAITS};

/// Default address: loopback only, so nothing off this machine can reach it.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7676";
/// Default largest request body accepted, in bytes (1 MiB).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// Defaults no real client notices: headers arrive in milliseconds, bodies of a
/// megabyte in well under a second, and clients reopen idle connections we close.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// Reads a `--listen` address: `127.0.0.1:7676` or `[::1]:7676` as written, and
/// `localhost:7676`, `:7676` or a bare `7676` as that port on 127.0.0.1. Other host
/// names are refused rather than looked up: what `localhost` resolves to (and
/// whether it is loopback at all) varies between machines.
pub fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    let text = s.trim();
    let wrong = || {
        format!(
            "'{s}' is not an address to listen on, such as 127.0.0.1:7676, localhost:7676, \
             :7676 or 7676"
        )
    };
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let port = match text.rsplit_once(':') {
        Some((host, port)) if host.is_empty() || host.eq_ignore_ascii_case("localhost") => port,
        Some(_) => return Err(wrong()),
        None => text,
    };
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(wrong());
    }
    let port: u16 = port
        .parse()
        .map_err(|_| format!("'{s}': a port is a number from 0 to 65535"))?;
    Ok(SocketAddr::from(([127, 0, 0, 1], port)))
}

fn connections(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
        _ => Err(format!("'{s}' is not a number from 1 to 1000000")),
    }
}

fn secrets_store(s: &str) -> Result<crate::secrets::SecretsStore, String> {
    crate::secrets::SecretsStore::parse(Some(s)).map_err(|e| e.to_string())
}

fn duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("'{s}' is not a duration such as 10s or 1m: {e}"))?;
    if d.is_zero() {
        return Err("must be more than zero".into());
    }
    Ok(d)
}

/// Settings of one server.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address to listen on: `127.0.0.1:7676`, `localhost:7676`, `:7676` and `7676`
    /// all mean port 7676 on loopback; `[::1]:7676` for IPv6. Keep it on loopback
    /// unless you know who can reach it; port 0 picks a free port.
    #[arg(long, env = "PHONEBOX_LISTEN", default_value = DEFAULT_LISTEN, value_parser = parse_listen)]
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

    /// Longest a client may take to send a request's headers once it has started
    /// one; slower clients are disconnected.
    #[arg(long, env = "PHONEBOX_HEADER_TIMEOUT", default_value = "10s", value_parser = duration)]
    pub header_timeout: Duration,

    /// How long a connection with no request in flight is kept open. Held waits
    /// and event streams are requests in flight.
    #[arg(long, env = "PHONEBOX_IDLE_TIMEOUT", default_value = "60s", value_parser = duration)]
    pub idle_timeout: Duration,

    /// Longest a client may take to send a request body; slower ones get 408.
    #[arg(long, env = "PHONEBOX_BODY_TIMEOUT", default_value = "30s", value_parser = duration)]
    pub body_timeout: Duration,

    /// Connections open at once; more are answered 503 and closed. Lowered to
    /// what the open-file limit allows.
    #[arg(long, env = "PHONEBOX_MAX_CONNECTIONS", default_value_t = DEFAULT_MAX_CONNECTIONS,
          value_parser = connections)]
    pub max_connections: usize,

    /// `latest?wait=` requests held at once (over every connection); past it a
    /// wait that would be held is answered 503 `too_many_waits`.
    #[arg(long, env = "PHONEBOX_MAX_HELD_WAITS", default_value_t = DEFAULT_MAX_HELD_WAITS,
          value_parser = connections)]
    pub max_held_waits: usize,

    /// Event streams (`/emulator/v1/events`) open at once; past it a new one is
    /// answered 503 `too_many_streams`.
    #[arg(long, env = "PHONEBOX_MAX_EVENT_STREAMS", default_value_t = DEFAULT_MAX_EVENT_STREAMS,
          value_parser = connections)]
    pub max_event_streams: usize,

    /// Open the database read-only, to look at a copy: nothing is captured or
    /// changed. Without it, a database that cannot be written is refused at start.
    #[arg(long, env = "PHONEBOX_READ_ONLY")]
    pub read_only: bool,

    /// A PEM file of extra root certificates to trust for outbound HTTPS (a
    /// corporate proxy's CA, a local fake's); Mozilla's roots are always trusted.
    /// Repeat or separate with commas.
    #[arg(long = "extra-ca", env = "PHONEBOX_EXTRA_CA", value_delimiter = ',')]
    pub extra_ca: Vec<PathBuf>,

    /// Longest one call to another server (a provider, a webhook) may take.
    #[arg(long, env = "PHONEBOX_OUTBOUND_TIMEOUT", default_value = "15s", value_parser = duration)]
    pub outbound_timeout: Duration,

    /// Where provider credentials and the signing key are kept: `auto` seals the
    /// secrets file with a key in the OS keyring when one answers (else a plain
    /// owner-only file), `file` never asks the keyring, `keyring` requires it.
    #[arg(long, env = "PHONEBOX_SECRETS_STORE", default_value = "auto", value_parser = secrets_store)]
    pub secrets_store: crate::secrets::SecretsStore,

    // Retention: both off unless given here or set in the UI; a flag given here
    // wins over the UI's setting while this server runs (see `capture::retention`).
    /// Keep only the newest N messages; older ones are deleted in the background.
    /// While set, the UI and API cannot change it. [default: keep every one, or
    /// what the UI's Settings set]
    #[arg(long, env = "PHONEBOX_MAX_MESSAGES", value_name = "N",
          value_parser = crate::capture::retention::parse_max_messages)]
    pub max_messages: Option<u64>,

    /// Delete messages older than this by the emulated clock: `7d`, `12h`, `30m`,
    /// `90s`. While set, the UI and API cannot change it. [default: keep any age,
    /// or what the UI's Settings set]
    #[arg(long, env = "PHONEBOX_MAX_AGE", value_name = "DURATION",
          value_parser = crate::capture::retention::parse_max_age)]
    pub max_age: Option<Duration>,

    /// The `node` that runs the user's Actions and Hooks (Node.js 18 or later).
    /// [default: `node` on PATH]
    #[arg(long, env = "PHONEBOX_NODE", value_name = "PATH")]
    pub node: Option<PathBuf>,

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
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_held_waits: DEFAULT_MAX_HELD_WAITS,
            max_event_streams: DEFAULT_MAX_EVENT_STREAMS,
            read_only: false,
            extra_ca: Vec::new(),
            outbound_timeout: crate::outbound::DEFAULT_TIMEOUT,
            secrets_store: crate::secrets::SecretsStore::Auto,
            max_messages: None,
            max_age: None,
            node: None,
            notice: None,
        }
    }

    /// The database path: the one given, or `phonebox.db` in the platform data dir.
    pub fn db_path(&self) -> PathBuf {
        self.db.clone().unwrap_or_else(default_db_path)
    }

    /// Whether the database sits in Phonebox's own data directory (so that
    /// directory may be kept owner-only), not in one the user named.
    pub fn owns_data_dir(&self) -> bool {
        let dir = |p: PathBuf| p.parent().map(std::path::Path::to_path_buf);
        dir(self.db_path()) == dir(default_db_path())
    }
}

/// `phonebox.db` in the OS data directory (e.g. `~/.local/share/phonebox` on Linux).
pub fn default_db_path() -> PathBuf {
    directories::ProjectDirs::from("dev", "Phonebox", "phonebox")
        .map(|dirs| dirs.data_dir().join("phonebox.db"))
        .unwrap_or_else(|| PathBuf::from("phonebox.db"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loopback(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    fn serve(args: &[&str]) -> Result<Config, String> {
        use clap::Parser;
        let argv = ["phonebox", "serve"].iter().chain(args);
        match crate::cli::Cli::try_parse_from(argv) {
            Ok(crate::cli::Cli {
                command: crate::cli::Command::Serve(config),
            }) => Ok(config),
            Ok(other) => Err(format!("not serve: {other:?}")),
            Err(e) => Err(e.to_string()),
        }
    }

    #[test]
    fn retention_flags_take_a_cap_and_an_age_and_are_off_unless_given() {
        let config = serve(&["--max-messages", "20", "--max-age", "7d"]).expect("parses");
        assert_eq!(config.max_messages, Some(20));
        assert_eq!(config.max_age, Some(Duration::from_secs(7 * 86_400)));
        let config = serve(&["--max-age", "90s"]).expect("parses");
        assert_eq!(config.max_messages, None);
        assert_eq!(config.max_age, Some(Duration::from_secs(90)));
    }

    #[test]
    fn a_bad_retention_flag_is_refused_with_the_flag_named() {
        for (flag, value, says) in [
            ("--max-messages", "0", "from 1 to 1000000000"),
            ("--max-messages", "lots", "from 1 to 1000000000"),
            (
                "--max-messages",
                "99999999999999999999999",
                "from 1 to 1000000000",
            ),
            ("--max-age", "0s", "more than zero"),
            ("--max-age", "a week", "such as 7d"),
            ("--max-age", "99999999999999999999d", "such as 7d"),
            ("--max-age", "40000d", "longest age"),
        ] {
            let e = serve(&[flag, value]).expect_err(value);
            assert!(e.contains(flag), "{flag} {value}: {e}");
            assert!(e.contains(says), "{flag} {value}: {e}");
        }
    }

    #[test]
    fn listen_takes_a_port_alone_or_after_a_colon_or_localhost() {
        for text in [
            "7676",
            ":7676",
            "localhost:7676",
            "LOCALHOST:7676",
            " 7676 ",
        ] {
            assert_eq!(parse_listen(text), Ok(loopback(7676)), "{text}");
        }
        assert_eq!(parse_listen(":0"), Ok(loopback(0)));
    }

    #[test]
    fn listen_takes_ip_addresses_as_written() {
        assert_eq!(parse_listen("127.0.0.1:7676"), Ok(loopback(7676)));
        assert_eq!(
            parse_listen("[::1]:7676"),
            Ok("[::1]:7676".parse().expect("addr"))
        );
        assert_eq!(
            parse_listen("0.0.0.0:80"),
            Ok(SocketAddr::from(([0, 0, 0, 0], 80)))
        );
        assert_eq!(parse_listen(DEFAULT_LISTEN), Ok(loopback(7676)));
    }

    #[test]
    fn listen_refuses_what_is_not_an_address_with_a_port() {
        for text in [
            "",
            ":",
            "localhost",
            "example.com:7676",
            "7676x",
            "127.0.0.1",
            "::1",
        ] {
            let e = parse_listen(text).expect_err(text);
            assert!(e.contains("such as 127.0.0.1:7676"), "{text}: {e}");
        }
        let e = parse_listen("70000").expect_err("too big");
        assert!(e.contains("0 to 65535"), "{e}");
    }
}
