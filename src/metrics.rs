//! What one server counts, for Prometheus at `GET /metrics`: messages captured by
//! source and channel, captures refused by reason, forward attempts and tenant
//! sends by outcome, request latency by route kind, and (read when scraped) the
//! database's size, held waits and open event streams.
//!
//! One registry per server, never a process-wide recorder: the tests run many
//! servers in one process and the desktop app embeds one, and each must report
//! its own figures. Every labelled series is made when the server starts, so
//! counting is one atomic add on a handle picked by index: no lock, no map
//! lookup and no allocation on a request's path. Route kinds, not paths, label
//! the latency histogram, so no request can add a series.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};

use crate::message::{Channel, SendProvider, Source};

/// The media type of what `encode` writes (Prometheus scrapes OpenMetrics text).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Declares a label enum with its spellings and `ALL`, indexable by `as usize`.
macro_rules! label_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order (`value as usize` is its index).
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }
    };
}

label_enum! {
    /// Why a capture request was not stored.
    Refusal {
        /// The payload did not parse or lacked a field.
        Invalid = "invalid",
        /// Over `--body-limit`.
        TooLarge = "too_large",
        /// The body did not arrive within `--body-timeout`.
        TimedOut = "timed_out",
        /// Credentials refused (strict mode) or the request's origin.
        Unauthorized = "unauthorized",
        /// A limit or an injected fault answered 429.
        RateLimited = "rate_limited",
        /// Capture is paused.
        Paused = "paused",
        /// The database was opened `--read-only`.
        ReadOnly = "read_only",
        /// The database cannot take writes, or the server is stopping.
        Unavailable = "unavailable",
        /// Phonebox failed (a 5xx other than 503), or an injected fault.
        Failed = "failed",
    }
}

label_enum! {
    /// What kind of route a request went to: the latency histogram's label.
    RouteKind {
        /// A message sent to be captured: `/capture/auth0/*` and the providers'
        /// send endpoints.
        Capture = "capture",
        /// Other provider API calls (fetching a Twilio message, checking a code).
        Provider = "provider",
        /// The emulated tenant's authentication API (`/oauth`, `/mfa`, ...).
        Auth0 = "auth0",
        /// Auth0's Management API (`/api/v2`).
        Management = "management",
        /// Phonebox's own `/emulator/v1`.
        Emulator = "emulator",
        /// The inbox UI and its assets, the API docs.
        Ui = "ui",
        /// `/metrics` itself.
        Metrics = "metrics",
        /// Anything else (unknown paths).
        Other = "other",
    }
}

label_enum! {
    /// How one forward attempt went (`forward_attempts.outcome`).
    ForwardOutcome {
        Accepted = "accepted",
        Retrying = "retrying",
        Failed = "failed",
        Refused = "refused",
        Interrupted = "interrupted",
    }
}

impl ForwardOutcome {
    /// The outcome an attempt row records.
    pub fn parse(s: &str) -> Option<ForwardOutcome> {
        ForwardOutcome::ALL
            .iter()
            .copied()
            .find(|o| o.as_str() == s)
    }
}

label_enum! {
    /// How a message the emulated tenant sent went.
    SendOutcome {
        /// It reached the provider (or this Phonebox's inbox).
        Delivered = "delivered",
        /// The provider refused it, or it could not be stored.
        Failed = "failed",
        /// A send limit refused it before it went.
        Refused = "refused",
    }
}

/// Upper bounds of the latency buckets, in microseconds (0.5 ms to 10 s).
const BOUNDS_US: [u64; 14] = [
    500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
    2_500_000, 5_000_000, 10_000_000,
];

/// A histogram of fixed buckets on atomics: `prometheus_client`'s own takes a
/// mutex on every observation.
#[derive(Debug, Default)]
struct AtomicHistogram {
    /// Per bucket (not cumulative); the last is `+Inf`.
    buckets: [AtomicU64; BOUNDS_US.len() + 1],
    sum_us: AtomicU64,
}

impl AtomicHistogram {
    fn observe(&self, took: Duration) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let bucket = BOUNDS_US.partition_point(|&bound| bound < us);
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
    }
}

/// Request latency, one histogram per route kind.
#[derive(Debug, Clone)]
struct Latency(Arc<[AtomicHistogram]>);

impl EncodeMetric for Latency {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        for (kind, histogram) in RouteKind::ALL.iter().zip(self.0.iter()) {
            let buckets: Vec<(f64, u64)> = BOUNDS_US
                .iter()
                .map(|&us| us as f64 / 1e6)
                .chain(std::iter::once(f64::INFINITY))
                .zip(histogram.buckets.iter().map(|b| b.load(Ordering::Relaxed)))
                .collect();
            // The count is the buckets' sum, read once, so `_count` always
            // equals the `+Inf` bucket even while requests are being counted.
            let count = buckets.iter().map(|(_, n)| n).sum();
            let sum = histogram.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
            let labels = [("kind", kind.as_str())];
            encoder
                .encode_family(&labels)?
                .encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

type Labels<const N: usize> = [(&'static str, &'static str); N];

/// Every figure of one server.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Indexed `source * channels + channel`.
    captured: Box<[Counter]>,
    refused: Box<[Counter]>,
    forwards: Box<[Counter]>,
    /// Indexed `provider * outcomes + outcome`.
    sends: Box<[Counter]>,
    latency: Latency,
    database_bytes: Gauge,
    held_waits: Gauge,
    event_streams: Gauge,
    checkpoints: Counter,
}

/// What is read when scraped rather than counted.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot {
    /// The database file and its write-ahead log, in bytes.
    pub database_bytes: u64,
    pub held_waits: usize,
    pub event_streams: usize,
}

/// Registers a counter family and makes each of its label sets now.
fn counters<const N: usize>(
    registry: &mut Registry,
    name: &str,
    help: &str,
    label_sets: impl IntoIterator<Item = Labels<N>>,
) -> Box<[Counter]> {
    let family = Family::<Labels<N>, Counter>::default();
    registry.register(name, help, family.clone());
    label_sets
        .into_iter()
        .map(|labels| family.get_or_create(&labels).clone())
        .collect()
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    /// A fresh registry with every series at zero.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("phonebox");
        let captured = counters(
            &mut registry,
            "messages_captured",
            "Messages stored, by the receiver they came through and their channel",
            Source::ALL.iter().flat_map(|source| {
                Channel::ALL
                    .iter()
                    .map(|channel| [("source", source.as_str()), ("channel", channel.as_str())])
            }),
        );
        let refused = counters(
            &mut registry,
            "captures_refused",
            "Capture requests answered without storing a message, by reason",
            Refusal::ALL.iter().map(|r| [("reason", r.as_str())]),
        );
        let forwards = counters(
            &mut registry,
            "forward_attempts",
            "Attempts at forwarding a captured message to a real provider, by outcome",
            ForwardOutcome::ALL
                .iter()
                .map(|o| [("outcome", o.as_str())]),
        );
        let sends = counters(
            &mut registry,
            "tenant_sends",
            "Codes the emulated tenant sent (MFA and passwordless), by provider and outcome",
            SendProvider::ALL.iter().flat_map(|provider| {
                SendOutcome::ALL
                    .iter()
                    .map(|o| [("provider", provider.as_str()), ("outcome", o.as_str())])
            }),
        );
        let latency = Latency(
            RouteKind::ALL
                .iter()
                .map(|_| AtomicHistogram::default())
                .collect(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer a request (to its response head), by kind of route",
            Unit::Seconds,
            latency.clone(),
        );
        let database_bytes = Gauge::default();
        registry.register_with_unit(
            "database_size",
            "The database file and its write-ahead log",
            Unit::Bytes,
            database_bytes.clone(),
        );
        let held_waits = Gauge::default();
        registry.register(
            "held_waits",
            "Requests held waiting for a message (latest?wait=)",
            held_waits.clone(),
        );
        let event_streams = Gauge::default();
        registry.register(
            "event_streams",
            "Live views open (SSE event streams: browser tabs, the desktop window)",
            event_streams.clone(),
        );
        let checkpoints = Counter::default();
        registry.register(
            "wal_checkpoints",
            "Checkpoints of the write-ahead log run off the capture writer",
            checkpoints.clone(),
        );
        Metrics {
            checkpoints,
            registry,
            captured,
            refused,
            forwards,
            sends,
            latency,
            database_bytes,
            held_waits,
            event_streams,
        }
    }

    /// One message stored.
    pub fn captured(&self, source: Source, channel: Channel) {
        self.captured[source as usize * Channel::ALL.len() + channel as usize].inc();
    }

    /// One capture request refused.
    pub fn refused(&self, reason: Refusal) {
        self.refused[reason as usize].inc();
    }

    /// One forward attempt recorded.
    pub fn forward_attempt(&self, outcome: ForwardOutcome) {
        self.forwards[outcome as usize].inc();
    }

    /// One tenant send settled.
    pub fn tenant_send(&self, provider: SendProvider, outcome: SendOutcome) {
        self.sends[provider as usize * SendOutcome::ALL.len() + outcome as usize].inc();
    }

    /// One checkpoint of the write-ahead log run.
    pub fn checkpointed(&self) {
        self.checkpoints.inc();
    }

    /// One request answered in `took`.
    pub fn request(&self, kind: RouteKind, took: Duration) {
        self.latency.0[kind as usize].observe(took);
    }

    /// The exposition, with `now`'s scrape-time figures.
    pub fn encode(&self, now: Snapshot) -> String {
        let gauge = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.database_bytes.set(gauge(now.database_bytes));
        self.held_waits.set(gauge(now.held_waits as u64));
        self.event_streams.set(gauge(now.event_streams as u64));
        let mut text = String::with_capacity(16 * 1024);
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot {
        Snapshot {
            database_bytes: 4096,
            held_waits: 2,
            event_streams: 1,
        }
    }

    fn line<'a>(text: &'a str, prefix: &str) -> &'a str {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
    }

    #[test]
    fn every_series_exists_at_zero_and_counts_land_on_their_own_labels() {
        let metrics = Metrics::new();
        let before = metrics.encode(snapshot());
        assert!(before
            .contains("phonebox_messages_captured_total{source=\"aws.sns\",channel=\"voice\"} 0"));
        metrics.captured(Source::AwsSns, Channel::Sms);
        metrics.captured(Source::AwsSns, Channel::Sms);
        metrics.refused(Refusal::Paused);
        metrics.tenant_send(SendProvider::Twilio, SendOutcome::Failed);
        metrics.forward_attempt(ForwardOutcome::Retrying);
        let text = metrics.encode(snapshot());
        let count = |prefix: &str| line(&text, prefix).rsplit(' ').next().unwrap_or_default();
        assert_eq!(
            count("phonebox_messages_captured_total{source=\"aws.sns\",channel=\"sms\"}"),
            "2"
        );
        assert_eq!(
            count("phonebox_messages_captured_total{source=\"aws.sns\",channel=\"voice\"}"),
            "0"
        );
        assert_eq!(
            count("phonebox_captures_refused_total{reason=\"paused\"}"),
            "1"
        );
        assert_eq!(
            count("phonebox_tenant_sends_total{provider=\"twilio\",outcome=\"failed\"}"),
            "1"
        );
        assert_eq!(
            count("phonebox_forward_attempts_total{outcome=\"retrying\"}"),
            "1"
        );
        assert_eq!(count("phonebox_database_size_bytes "), "4096");
        assert_eq!(count("phonebox_held_waits "), "2");
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn latency_falls_in_the_first_bucket_at_or_above_it_and_buckets_are_cumulative() {
        let metrics = Metrics::new();
        metrics.request(RouteKind::Capture, Duration::from_micros(1_000));
        metrics.request(RouteKind::Capture, Duration::from_micros(1_001));
        metrics.request(RouteKind::Capture, Duration::from_secs(60));
        let text = metrics.encode(snapshot());
        let bucket = |le: &str| {
            line(
                &text,
                &format!(
                    "phonebox_http_request_duration_seconds_bucket{{le=\"{le}\",kind=\"capture\"}}"
                ),
            )
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .to_owned()
        };
        assert_eq!(bucket("0.0005"), "0");
        assert_eq!(bucket("0.001"), "1", "a bound is inclusive");
        assert_eq!(bucket("0.0025"), "2");
        assert_eq!(bucket("10.0"), "2");
        assert_eq!(bucket("+Inf"), "3");
        assert!(text.contains("phonebox_http_request_duration_seconds_count{kind=\"capture\"} 3"));
        assert!(text.contains("phonebox_http_request_duration_seconds_count{kind=\"ui\"} 0"));
    }
}
