//! The HTTP face of Phonebox: one router per resource, merged here, behind the
//! local-only guard and the JSON error mapping.

mod auth0;
mod body;
mod capture;
pub mod chaos;
mod clock;
mod credentials;
pub mod emulator;
pub mod error;
mod events;
pub mod guard;
mod management;
mod marketplace;
pub mod serve;
mod sns;
pub mod tenants;
mod twilio;
mod ui;
mod vonage;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use tokio_util::sync::CancellationToken;
use tower_http::trace::TraceLayer;

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
    /// Provider fault-injection rules (off until set).
    pub chaos: crate::capture::chaos::Chaos,
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

/// The whole application, usable without a socket (e.g. with `tower::ServiceExt`).
pub fn router(state: AppState, guard: guard::HostGuard) -> Router {
    let tenant_routes = auth0::routes().merge(management::routes());
    Router::new()
        .merge(tenant_routes.clone())
        .nest("/t/{tenant}", tenant_routes)
        .merge(tenants::router())
        .merge(capture::router())
        .merge(emulator::router())
        .merge(twilio::router())
        .merge(sns::router())
        .merge(chaos::router())
        .merge(clock::router())
        .merge(vonage::router())
        .merge(marketplace::router())
        .merge(ui::router())
        .with_state(state.clone())
        // Our own extractors enforce `body_limit` with a JSON 413.
        .layer(DefaultBodyLimit::max(state.body_limit))
        .layer(axum::middleware::from_fn(error::json_errors))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(guard),
            guard::local_only,
        ))
        .layer(TraceLayer::new_for_http())
}
