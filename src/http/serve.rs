//! Accepting connections with limits a careless or hostile client cannot get
//! around: a cap on open connections (past it, a clear 503 and a close, never an
//! accept loop at the file-descriptor limit), a time to send a request's headers,
//! a time an idle keep-alive connection is kept, and (in `body`) a time to send a
//! body. Held waits and event streams are requests in flight, so no timeout here
//! cuts them; their own limits apply.
//!
//! axum's `serve` offers none of these, so this is its loop, written out with
//! hyper-util's connection builder, plus a watchdog per connection.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::Service;

/// What one connection may take; see `Config` for each flag.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// From a request's first byte to its last header.
    pub header_timeout: Duration,
    /// How long a connection with no request in flight is kept open.
    pub idle_timeout: Duration,
    /// Connections open at once; past it, new ones are answered 503 and closed.
    pub max_connections: usize,
}

/// Refusals being written at once; past it a connection is closed unanswered,
/// so a flood cannot turn the refusals themselves into the problem.
const MAX_REFUSALS: usize = 64;
/// Descriptors kept for the database, the secrets file, outbound calls.
const RESERVED_FDS: u64 = 64;
/// How long to wait before accepting again after `accept` failed (EMFILE...).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// Headers one HTTP/1 request may carry. hyper's default (100) answers more with a
/// bare 431 no API could recognise; at this many, a header flood reaches the route
/// and is answered in that API's shape, while `max_buf_size` (~400 KB) still bounds
/// their bytes.
const MAX_HEADERS: usize = 500;
/// How long shutdown waits for requests in flight before closing them.
const DRAIN: Duration = Duration::from_secs(10);

/// The connection cap, lowered to what the process's descriptor limit allows
/// (after trying to raise that limit to its hard maximum).
pub fn effective_max_connections(wanted: usize) -> usize {
    let wanted_fds = (wanted as u64).saturating_add(RESERVED_FDS);
    match rlimit::increase_nofile_limit(wanted_fds) {
        Ok(soft) if soft < wanted_fds => {
            let allowed = soft.saturating_sub(RESERVED_FDS).max(1) as usize;
            tracing::warn!(
                wanted,
                allowed,
                descriptor_limit = soft,
                "the open-file limit is low: fewer connections are allowed (raise it with ulimit -n)"
            );
            allowed
        }
        _ => wanted,
    }
}

/// Serves `router` on `listener` until `shutdown`, then lets requests in flight
/// finish (for up to ten seconds) before returning.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS));
    let connections = TaskTracker::new();
    let mut last_accept_warning: Option<Instant> = None;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.cancelled() => break,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // Out of descriptors or memory: back off rather than spin.
                if last_accept_warning.is_none_or(|at| at.elapsed() > Duration::from_secs(10)) {
                    tracing::warn!(error = %e, "cannot accept a connection");
                    last_accept_warning = Some(Instant::now());
                }
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            if let Ok(permit) = refusals.clone().try_acquire_owned() {
                tokio::spawn(async move {
                    refuse(stream, limits.max_connections).await;
                    drop(permit);
                });
            }
            continue;
        };
        let router = router.clone();
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            serve_connection(stream, peer, router, limits, shutdown).await;
            drop(slot);
        });
    }
    connections.close();
    if tokio::time::timeout(DRAIN, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after {DRAIN:?}; closing them");
    }
    Ok(())
}

/// A 503 in Phonebox's error shape, then a close.
async fn refuse(mut stream: TcpStream, max: usize) {
    let body = serde_json::json!({
        "error": "too_many_connections",
        "message": format!(
            "Phonebox already has {max} connections open (--max-connections); try again shortly"
        ),
    })
    .to_string();
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let write = async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
}

/// What the watchdog needs to know about one connection.
struct Watch {
    started: Instant,
    /// Requests being handled, their response bodies included.
    in_flight: AtomicUsize,
    /// Milliseconds since `started` when the connection last went idle.
    idle_since: AtomicU64,
    /// Milliseconds since `started` when the next request's first byte arrived;
    /// `u64::MAX` while none is being read.
    head_since: AtomicU64,
    changed: Notify,
}

impl Watch {
    fn now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }

    fn bytes_read(&self) {
        if self.in_flight.load(Ordering::Acquire) == 0
            && self.head_since.load(Ordering::Acquire) == u64::MAX
        {
            self.head_since.store(self.now(), Ordering::Release);
            self.changed.notify_one();
        }
    }

    fn request_started(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.head_since.store(u64::MAX, Ordering::Release);
        self.changed.notify_one();
        InFlight(self.clone())
    }
}

/// A request in flight; dropped when its response has been written (or given up).
struct InFlight(Arc<Watch>);

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle_since.store(self.0.now(), Ordering::Release);
        }
        self.0.changed.notify_one();
    }
}

/// Why the watchdog ends a connection.
enum Verdict {
    SlowHeaders,
    Idle,
}

/// Waits until the connection has been idle, or sending headers, for too long.
async fn watchdog(watch: &Watch, limits: ConnectionLimits) -> Verdict {
    loop {
        let deadline = if watch.in_flight.load(Ordering::Acquire) > 0 {
            None
        } else {
            match watch.head_since.load(Ordering::Acquire) {
                u64::MAX => Some((
                    watch.idle_since.load(Ordering::Acquire),
                    limits.idle_timeout,
                    Verdict::Idle,
                )),
                since => Some((since, limits.header_timeout, Verdict::SlowHeaders)),
            }
        };
        let changed = watch.changed.notified();
        match deadline {
            None => changed.await,
            Some((since, limit, verdict)) => {
                let due =
                    since.saturating_add(u64::try_from(limit.as_millis()).unwrap_or(u64::MAX));
                let left = Duration::from_millis(due.saturating_sub(watch.now()));
                if left.is_zero() {
                    return verdict;
                }
                let _ = tokio::time::timeout(left, changed).await;
            }
        }
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
) {
    let _ = stream.set_nodelay(true);
    let watch = Arc::new(Watch {
        started: Instant::now(),
        in_flight: AtomicUsize::new(0),
        idle_since: AtomicU64::new(0),
        head_since: AtomicU64::new(u64::MAX),
        changed: Notify::new(),
    });
    let io = TokioIo::new(WatchedIo {
        inner: stream,
        watch: watch.clone(),
    });
    let service_watch = watch.clone();
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let in_flight = service_watch.request_started();
        let mut router = router.clone();
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        async move {
            let response: Response<Body> = match router.call(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            Ok::<_, Infallible>(response.map(|body| {
                Body::new(Tracked {
                    inner: body,
                    _in_flight: in_flight,
                })
            }))
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().max_headers(MAX_HEADERS);
    let connection = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(connection);
    // Once asked to close, a connection gets a deadline: an HTTP/2 client that
    // never acknowledges the GOAWAY's ping would otherwise keep it (and its slot)
    // open for good.
    let mut close_by: Option<tokio::time::Instant> = None;
    loop {
        let deadline = close_by.unwrap_or_else(|| tokio::time::Instant::now() + DRAIN);
        tokio::select! {
            _ = connection.as_mut() => return,
            verdict = watchdog(&watch, limits), if close_by.is_none() => match verdict {
                Verdict::SlowHeaders => {
                    tracing::debug!(%peer, "closing a connection that sent its headers too slowly");
                    return;
                }
                Verdict::Idle => {
                    connection.as_mut().graceful_shutdown();
                    close_by = Some(tokio::time::Instant::now() + limits.header_timeout);
                }
            },
            () = shutdown.cancelled(), if close_by.is_none() => {
                connection.as_mut().graceful_shutdown();
                close_by = Some(tokio::time::Instant::now() + DRAIN);
            }
            () = tokio::time::sleep_until(deadline), if close_by.is_some() => {
                tracing::debug!(%peer, "closing a connection that did not finish closing in time");
                return;
            }
        }
    }
}

/// The socket, telling the watchdog when bytes arrive.
struct WatchedIo {
    inner: TcpStream,
    watch: Arc<Watch>,
}

impl AsyncRead for WatchedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.watch.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for WatchedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// A response body that counts as in flight until it is written or dropped.
struct Tracked {
    inner: Body,
    _in_flight: InFlight,
}

impl http_body::Body for Tracked {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

// The response future must be Send to run on the multi-threaded runtime.
const _: fn() = || {
    fn send<T: Send>() {}
    send::<Tracked>();
};
