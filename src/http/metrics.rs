//! `GET /metrics` for Prometheus, and the layer that times every request and
//! counts refused captures.
//!
//! A capture refused before the pipeline (a bad payload, a body too large) never
//! reaches any code that knows the server's figures, and each emulated API answers
//! it in its own shape; so refusals are read here, off the answer: its status, or
//! the `RefusedAs` mark an answer carries when its status does not say (Vonage
//! refuses in a 200). The layer is a plain tower service with its own future:
//! nothing is boxed or locked per request.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::routing_errors::{place, Area};
use super::state::AppState;
use crate::metrics::{Refusal, RouteKind, Snapshot, CONTENT_TYPE};

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

/// Prometheus's exposition of this server's figures (OpenMetrics text).
#[utoipa::path(get, operation_id = "getMetrics", path = "/metrics", tag = "health",
    responses(
        (status = 200, description = "This server's figures in the OpenMetrics text format Prometheus scrapes: \
            `phonebox_messages_captured_total{source,channel}`, `phonebox_captures_refused_total{reason}`, \
            `phonebox_forward_attempts_total{outcome}`, `phonebox_tenant_sends_total{provider,outcome}`, \
            `phonebox_http_request_duration_seconds{kind}` (a histogram), `phonebox_database_size_bytes`, \
            `phonebox_held_waits`, `phonebox_event_streams`",
            body = String, content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8"),
    ))]
pub(super) async fn metrics(State(state): State<AppState>) -> Response {
    let pipeline = &state.pipeline;
    let now = Snapshot {
        database_bytes: pipeline.store().disk_bytes().await,
        held_waits: pipeline.held_waits(),
        event_streams: pipeline.live_views(),
    };
    let text = pipeline.metrics().encode(now);
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response()
}

/// Marks an answer as a refused capture when its status does not say so: the
/// status an API that answers refusals with their own status would have sent.
#[derive(Debug, Clone, Copy)]
pub struct RefusedAs(pub StatusCode);

/// Which kind of route `path` is (a tenant's `/t/{id}` prefix aside), by the
/// classifier the router's error answers use.
pub fn route_kind(method: &Method, path: &str) -> RouteKind {
    let post = method == Method::POST;
    let sends_or_calls = |sends: bool| {
        if post && sends {
            RouteKind::Capture
        } else {
            RouteKind::Provider
        }
    };
    match place(path).area {
        Area::Capture => RouteKind::Capture,
        Area::Emulator => RouteKind::Emulator,
        Area::Management => RouteKind::Management,
        Area::Metrics => RouteKind::Metrics,
        Area::Auth0 => RouteKind::Auth0,
        Area::Twilio { sends } => sends_or_calls(sends),
        Area::Vonage | Area::Marketplace(_) => sends_or_calls(true),
        Area::Aws => RouteKind::Provider,
        // SNS posts its awsQuery form to the root; a browser gets the inbox.
        Area::Root | Area::TenantPage if post => RouteKind::Capture,
        Area::Root | Area::TenantPage | Area::Ui => RouteKind::Ui,
        Area::Other => RouteKind::Other,
    }
}

/// Why an answer to a capture stored nothing, if it did not.
fn refusal(state: &AppState, response: &Response) -> Option<Refusal> {
    let status = match response.extensions().get::<RefusedAs>() {
        Some(RefusedAs(status)) => *status,
        None => response.status(),
    };
    if status.is_success() || status.is_redirection() || status.is_informational() {
        return None;
    }
    Some(match status {
        StatusCode::PAYLOAD_TOO_LARGE => Refusal::TooLarge,
        StatusCode::REQUEST_TIMEOUT => Refusal::TimedOut,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Refusal::Unauthorized,
        StatusCode::TOO_MANY_REQUESTS => Refusal::RateLimited,
        StatusCode::SERVICE_UNAVAILABLE => {
            let pipeline = &state.pipeline;
            if pipeline.is_paused() {
                Refusal::Paused
            } else if pipeline.store().is_read_only() {
                Refusal::ReadOnly
            } else {
                Refusal::Unavailable
            }
        }
        s if s.is_server_error() => Refusal::Failed,
        _ => Refusal::Invalid,
    })
}

/// Times every request and counts refused captures.
#[derive(Clone)]
pub struct MetricsLayer {
    pub state: AppState,
}

impl<S> tower::Layer<S> for MetricsLayer {
    type Service = Tracked<S>;

    fn layer(&self, inner: S) -> Tracked<S> {
        Tracked {
            inner,
            state: self.state.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Tracked<S> {
    inner: S,
    state: AppState,
}

impl<S> tower::Service<Request> for Tracked<S>
where
    S: tower::Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = TrackedFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let kind = route_kind(request.method(), request.uri().path());
        TrackedFuture {
            inner: self.inner.call(request),
            state: Some(self.state.clone()),
            kind,
            started: Instant::now(),
        }
    }
}

pin_project_lite::pin_project! {
    /// The inner service's future, counted when it resolves.
    pub struct TrackedFuture<F> {
        #[pin]
        inner: F,
        state: Option<AppState>,
        kind: RouteKind,
        started: Instant,
    }
}

impl<F, E> Future for TrackedFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let answer = std::task::ready!(this.inner.poll(cx));
        if let (Some(state), Ok(response)) = (this.state.take(), &answer) {
            let metrics = state.pipeline.metrics();
            metrics.request(*this.kind, this.started.elapsed());
            if *this.kind == RouteKind::Capture {
                if let Some(reason) = refusal(&state, response) {
                    metrics.refused(reason);
                }
            }
        }
        Poll::Ready(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_told_apart_by_kind_not_path() {
        let cases = [
            (Method::POST, "/capture/auth0/hook", RouteKind::Capture),
            (
                Method::POST,
                "/t/acme/capture/auth0/hook",
                RouteKind::Capture,
            ),
            (Method::POST, "/", RouteKind::Capture),
            (Method::GET, "/", RouteKind::Ui),
            (
                Method::POST,
                "/2010-04-01/Accounts/AC1/Messages.json",
                RouteKind::Capture,
            ),
            (
                Method::GET,
                "/2010-04-01/Accounts/AC1/Messages.json",
                RouteKind::Provider,
            ),
            (
                Method::GET,
                "/2010-04-01/Accounts/AC1/Messages/SM1.json",
                RouteKind::Provider,
            ),
            (
                Method::POST,
                "/v2/Services/VA1/Verifications",
                RouteKind::Capture,
            ),
            (
                Method::POST,
                "/v2/Services/VA1/VerificationCheck",
                RouteKind::Provider,
            ),
            (Method::POST, "/sms/json", RouteKind::Capture),
            (Method::POST, "/t/acme/mfa/associate", RouteKind::Auth0),
            (Method::POST, "/oauth/token", RouteKind::Auth0),
            (Method::GET, "/oauth", RouteKind::Auth0),
            (Method::GET, "/api/v2/logs", RouteKind::Management),
            (Method::GET, "/emulator/v1/health", RouteKind::Emulator),
            (Method::GET, "/metrics", RouteKind::Metrics),
            (Method::GET, "/ui/assets/app.js", RouteKind::Ui),
            (Method::GET, "/no/such/thing", RouteKind::Other),
            (Method::GET, "/t/acme", RouteKind::Ui),
        ];
        for (method, path, kind) in cases {
            assert_eq!(route_kind(&method, path), kind, "{method} {path}");
        }
    }
}
