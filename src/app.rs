//! Building and running one Phonebox server: `phonebox serve`, the tests and the
//! desktop shell all start it through `App::build`.

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::capture::pipeline::{Pipeline, Writer};
use crate::config::Config;
use crate::http::serve::ConnectionLimits;
use crate::http::{self, guard::HostGuard, AppState, Shared};
use crate::store::{OpenOptions, Store, StoreError};

/// Why a server could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The listener could not be bound; `holder` names the process on the port
    /// when it is taken and the OS says which (Linux's `/proc`).
    #[error("cannot listen on {addr}: {source}{}", bind_hint(.source, .holder.as_deref()))]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
        holder: Option<String>,
    },
    #[error("cannot open the database {path}: {source}")]
    Store { path: PathBuf, source: StoreError },
    #[error(
        "the database {path} cannot be written ({detail}): check its permissions and free \
         space, or start with --read-only to look at it without changing it"
    )]
    Unwritable { path: PathBuf, detail: String },
    #[error("cannot open the secrets file {path}: {source}")]
    Secrets {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Outbound(#[from] crate::outbound::OutboundError),
    #[error("server failed: {0}")]
    Serve(std::io::Error),
}

/// A server bound to its port, with its database open, not yet serving.
pub struct App {
    listener: TcpListener,
    addr: SocketAddr,
    db_path: PathBuf,
    state: AppState,
    guard: HostGuard,
    store: Store,
    writer: Writer,
    forward_worker: crate::forward::Worker,
    pruner: crate::capture::retention::Pruner,
    limits: ConnectionLimits,
}

impl App {
    /// Binds the listener (port 0 picks a free one), then opens the database: a
    /// taken port, a bad address or a bad `--extra-ca` leaves no new database behind.
    pub async fn build(config: Config) -> Result<App, StartError> {
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartError::bind(config.listen, source))?;
        let addr = listener.local_addr().map_err(StartError::Serve)?;
        if !addr.ip().is_loopback() {
            tracing::warn!(%addr, "listening beyond loopback: anyone who can reach this address can read captured codes");
        }
        let outbound = crate::outbound::Outbound::with(&crate::outbound::OutboundOptions {
            extra_ca: config.extra_ca.clone(),
            timeout: config.outbound_timeout,
        })?;
        let db_path = config.db_path();
        let options = OpenOptions {
            read_only: config.read_only,
            // Phonebox's own data directory is kept owner-only; one the user
            // named is theirs.
            own_dir: config.owns_data_dir(),
        };
        let store = Store::open_with(&db_path, options)
            .await
            .map_err(|source| match source {
                StoreError::Unwritable(detail) => StartError::Unwritable {
                    path: db_path.clone(),
                    detail,
                },
                source => StartError::Store {
                    path: db_path.clone(),
                    source,
                },
            })?;
        let clock =
            crate::clock::Clock::load(&store)
                .await
                .map_err(|source| StartError::Store {
                    path: db_path.clone(),
                    source,
                })?;
        let retention = crate::capture::retention::Retention::load(
            &store,
            crate::capture::retention::Policy {
                max_messages: config.max_messages,
                max_age: config.max_age,
            },
        )
        .await
        .map_err(|source| StartError::Store {
            path: db_path.clone(),
            source,
        })?;
        let (pipeline, writer) = Pipeline::start(store.clone(), clock);
        let pipeline = pipeline.with_hold_limits(crate::capture::pipeline::HoldLimits {
            max_held_waits: config.max_held_waits,
            max_live_views: config.max_event_streams,
        });
        let pruner = retention.pruner(pipeline.clone());
        let secrets_path = crate::secrets::Secrets::beside(&db_path);
        let secrets = crate::secrets::Secrets::open(secrets_path.clone(), config.secrets_store)
            .map_err(|source| StartError::Secrets {
                path: secrets_path,
                source,
            })?;
        // The emulated tenant calls its own provider endpoints over loopback.
        let own_ip = if addr.ip().is_unspecified() {
            std::net::IpAddr::from([127, 0, 0, 1])
        } else {
            addr.ip()
        };
        let own_base = format!("http://{}", SocketAddr::new(own_ip, addr.port()));
        let chaos = crate::capture::chaos::Chaos::default();
        let (forwarder, forward_worker) =
            crate::forward::Forwarder::start(pipeline.clone(), secrets.clone(), outbound.clone())
                .await
                .map_err(|source| StartError::Store {
                    path: db_path.clone(),
                    source,
                })?;
        let auth0 = crate::auth0::Auth0::start(
            pipeline.clone(),
            secrets,
            own_base,
            chaos.clone(),
            outbound.clone(),
            crate::actions::runner::Runner::new(config.node.clone()),
        )
        .await
        .map_err(|source| StartError::Store {
            path: db_path.clone(),
            source,
        })?;
        let state = AppState::new(Shared {
            pipeline,
            auth0,
            body_limit: config.body_limit,
            body_timeout: config.body_timeout,
            shutdown: CancellationToken::new(),
            outbound,
            forwarder,
            chaos,
            retention,
            notice: config.notice.clone(),
        });
        Ok(App {
            listener,
            addr,
            db_path,
            guard: HostGuard::new(config.listen.ip(), &config.allow_hosts),
            limits: ConnectionLimits {
                header_timeout: config.header_timeout,
                idle_timeout: config.idle_timeout,
                max_connections: http::serve::effective_max_connections(config.max_connections),
            },
            state,
            store,
            writer,
            forward_worker,
            pruner,
        })
    }

    /// The capture pipeline: the desktop shell listens to it for its tray and
    /// notifications, and pauses it.
    pub fn pipeline(&self) -> crate::capture::pipeline::Pipeline {
        self.state.pipeline.clone()
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The database file in use.
    pub fn db_path(&self) -> &std::path::Path {
        &self.db_path
    }

    /// Cancel it to stop the server gracefully.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.state.shutdown.clone()
    }

    /// Serves until the shutdown token is cancelled, then finishes in-flight requests,
    /// lets the writer commit what it holds, and closes the database.
    pub async fn run(self) -> Result<(), StartError> {
        let shutdown = self.state.shutdown.clone();
        let router = http::router(self.state, self.guard);
        let forwarding = tokio::spawn(self.forward_worker.run(shutdown.clone()));
        let pruning = tokio::spawn(self.pruner.run(shutdown.clone()));
        tracing::info!(addr = %self.addr, db = %self.db_path.display(), "Phonebox listening");
        let served = http::serve::serve(self.listener, router, self.limits, shutdown).await;
        // Sends in flight get a few seconds to finish before the database closes, so
        // their attempts are recorded.
        let _ = forwarding.await;
        // A pass stops between two batches; each batch is committed or not at all.
        let _ = pruning.await;
        // No request is left: commit what is queued and stop the writer, whoever
        // still holds a pipeline handle.
        self.writer.stop().await;
        self.store.close().await;
        served.map_err(StartError::Serve)
    }
}

impl StartError {
    /// A failed bind of `addr`; when the port is taken, with who holds it.
    fn bind(addr: SocketAddr, source: std::io::Error) -> StartError {
        let holder = if source.kind() == std::io::ErrorKind::AddrInUse {
            port_holder(addr.port())
        } else {
            None
        };
        StartError::Bind {
            addr,
            source,
            holder,
        }
    }
}

/// What follows a bind error: who holds the port, and what to do instead.
fn bind_hint(source: &std::io::Error, holder: Option<&str>) -> String {
    match source.kind() {
        std::io::ErrorKind::AddrInUse => {
            let who = holder.unwrap_or("another program");
            format!("; {who} holds it: stop it, or start with --listen 127.0.0.1:0 for a free port")
        }
        std::io::ErrorKind::AddrNotAvailable => {
            "; that address is not this machine's: use 127.0.0.1 (--listen 127.0.0.1:7676)".into()
        }
        _ => String::new(),
    }
}

/// The process listening on TCP `port`, as `process 1234 (python3)`, where the OS
/// tells: on Linux, the socket's inode in `/proc/net/tcp{,6}`, then the process
/// with that socket among its open files. Best effort: a process of another user
/// is hidden from us, and then only its user id is known.
#[cfg(target_os = "linux")]
fn port_holder(port: u16) -> Option<String> {
    let mut sockets = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        if let Ok(text) = std::fs::read_to_string(table) {
            sockets.extend(listening_sockets(&text, port));
        }
    }
    let uid = sockets.first().map(|&(_, uid)| uid)?;
    let links: Vec<String> = sockets
        .iter()
        .map(|(inode, _)| format!("socket:[{inode}]"))
        .collect();
    for process in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = process.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(process.path().join("fd")) else {
            continue;
        };
        let holds = fds.flatten().any(|fd| {
            std::fs::read_link(fd.path())
                .is_ok_and(|target| links.iter().any(|l| target.as_os_str() == l.as_str()))
        });
        if holds {
            let comm = std::fs::read_to_string(process.path().join("comm")).unwrap_or_default();
            return Some(match comm.trim() {
                "" => format!("process {pid}"),
                comm => format!("process {pid} ({comm})"),
            });
        }
    }
    Some(format!("a process of user id {uid}"))
}

#[cfg(not(target_os = "linux"))]
fn port_holder(_port: u16) -> Option<String> {
    None
}

/// The inodes and owners' user ids of the sockets listening on `port` in a
/// `/proc/net/tcp` table (`sl local_address rem_address st ... uid timeout inode`,
/// addresses and ports in hex, state `0A` for LISTEN).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn listening_sockets(table: &str, port: u16) -> Vec<(u64, u32)> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            let (_, local_port) = columns.get(1)?.rsplit_once(':')?;
            let listening = *columns.get(3)? == "0A";
            let uid = columns.get(7)?.parse().ok()?;
            let inode = columns.get(9)?.parse().ok()?;
            let matches = u16::from_str_radix(local_port, 16).ok()? == port;
            (listening && matches && inode != 0).then_some((inode, uid))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1DF4 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 52341 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1DF4 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 52999 1 0000000000000000 20 4 30 10 -1
   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1587 1 0000000000000000 100 0 0 10 0
";

    #[test]
    fn listening_sockets_are_found_by_port_and_state() {
        assert_eq!(listening_sockets(TCP, 7668), vec![(52341, 1000)]);
        assert_eq!(listening_sockets(TCP, 22), vec![(1587, 0)]);
        assert!(listening_sockets(TCP, 7676).is_empty());
        assert!(listening_sockets("garbage\nnot a table", 7668).is_empty());
    }

    #[test]
    fn a_taken_port_suggests_a_free_one_and_names_its_holder() {
        let taken = std::io::Error::from(std::io::ErrorKind::AddrInUse);
        let hint = bind_hint(&taken, Some("process 7 (python3)"));
        assert!(hint.contains("process 7 (python3) holds it"), "{hint}");
        assert!(hint.contains("--listen 127.0.0.1:0"), "{hint}");
        let other = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert_eq!(bind_hint(&other, None), "");
    }
}
