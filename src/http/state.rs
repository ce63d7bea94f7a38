//! What every handler can reach: the pipeline, the emulated tenants, the limits
//! a request is held to, and the shutdown signal.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::capture::pipeline::Pipeline;

/// What every handler can reach. Behind one `Arc`: axum clones the state for every
/// request, and one reference count is cheaper than a clone of each part.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub pipeline: Pipeline,
    /// The emulated Auth0 tenants.
    pub auth0: crate::auth0::Auth0,
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// Longest a request body may take to arrive.
    pub body_timeout: std::time::Duration,
    /// Cancelled when the server stops: ends held requests and event streams.
    pub shutdown: CancellationToken,
    /// Makes every request to another server (status callbacks here).
    pub outbound: crate::outbound::Outbound,
    /// Forwarding captured messages to real providers.
    pub forwarder: crate::forward::Forwarder,
    /// Provider fault-injection rules (off until set).
    pub chaos: crate::capture::chaos::Chaos,
    /// What is kept of the inbox (`--max-messages`, `--max-age`, Settings).
    pub retention: crate::capture::retention::Retention,
    /// Something the UI should tell the user (the desktop moved off a taken port).
    pub notice: Option<String>,
}

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
