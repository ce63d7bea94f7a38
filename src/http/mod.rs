//! The HTTP face of Phonebox: one router per resource, merged here, behind the
//! local-only guard and the JSON error mapping.

mod actions;
mod auth0;
mod body;
mod capture;
pub mod chaos;
mod clock;
mod credentials;
pub mod emulator;
pub mod error;
mod events;
mod forward;
pub mod guard;
mod management;
mod marketplace;
pub mod metrics;
pub mod openapi;
mod retention;
mod routing_errors;
pub mod serve;
mod sns;
mod state;
pub mod tenants;
mod twilio;
mod ui;
mod users;
mod vonage;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use tower_http::trace::TraceLayer;

pub use state::{AppState, Shared};

/// The whole application, usable without a socket (e.g. with `tower::ServiceExt`).
pub fn router(state: AppState, guard: guard::HostGuard) -> Router {
    let management_routes = management::routes().merge(users::routes()).route_layer(
        axum::middleware::from_fn_with_state(state.clone(), management::authorize),
    );
    let tenant_routes = auth0::routes().merge(management_routes);
    Router::new()
        .merge(tenant_routes.clone())
        .nest("/t/{tenant}", tenant_routes)
        .merge(tenants::router())
        .merge(capture::router())
        .merge(emulator::router())
        .merge(forward::router())
        .merge(twilio::router())
        .merge(sns::router())
        .merge(chaos::router())
        .merge(clock::router())
        .merge(retention::router())
        .merge(actions::router())
        .merge(vonage::router())
        .merge(marketplace::router())
        .merge(openapi::router())
        .merge(metrics::router())
        .merge(ui::router())
        .with_state(state.clone())
        // Our own extractors enforce `body_limit` with a JSON 413.
        .layer(DefaultBodyLimit::max(state.body_limit))
        .layer(axum::middleware::from_fn(routing_errors::json_errors))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(guard),
            guard::local_only,
        ))
        // Outside the guard and the error mapping: it times the whole answer and
        // sees the final status.
        .layer(metrics::MetricsLayer {
            state: state.clone(),
        })
        .layer(TraceLayer::new_for_http())
}
