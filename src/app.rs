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
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
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
    limits: ConnectionLimits,
}

impl App {
    /// Opens the database and binds the listener (port 0 picks a free one).
    pub async fn build(config: Config) -> Result<App, StartError> {
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
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let addr = listener.local_addr().map_err(StartError::Serve)?;
        if !addr.ip().is_loopback() {
            tracing::warn!(%addr, "listening beyond loopback: anyone who can reach this address can read captured codes");
        }
        let clock =
            crate::clock::Clock::load(&store)
                .await
                .map_err(|source| StartError::Store {
                    path: db_path.clone(),
                    source,
                })?;
        let (pipeline, writer) = Pipeline::start(store.clone(), clock);
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
        let outbound = crate::outbound::Outbound::with(&crate::outbound::OutboundOptions {
            extra_ca: config.extra_ca.clone(),
            timeout: config.outbound_timeout,
        })?;
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
        tracing::info!(addr = %self.addr, db = %self.db_path.display(), "Phonebox listening");
        let served = http::serve::serve(self.listener, router, self.limits, shutdown).await;
        // Sends in flight get a few seconds to finish before the database closes, so
        // their attempts are recorded.
        let _ = forwarding.await;
        // No request is left: commit what is queued and stop the writer, whoever
        // still holds a pipeline handle.
        self.writer.stop().await;
        self.store.close().await;
        served.map_err(StartError::Serve)
    }
}
