//! The emulated clock: real time plus an offset that only QA moves, through
//! `/emulator/v1/clock`, so "an hour later" (a code expiring, a rate limit freeing)
//! needs no waiting. The offset is stored, so time never runs backwards across a
//! restart.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use crate::store::{settings, Store, StoreError};
use crate::unix_ms;

const OFFSET_KEY: &str = "clock.offset_ms";

/// Cheap to clone; every clone sees the same offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
    /// Held across a change and its write, so the stored offset is always the
    /// last one set (two advances at once cannot store the smaller).
    writes: Arc<tokio::sync::Mutex<()>>,
}

/// The clock as `/emulator/v1/clock` shows it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ClockView {
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(test, ts(type = "string"))]
    pub now: OffsetDateTime,
    /// How far ahead of real time, in ms and as `1h 30m`.
    pub offset_ms: u64,
    pub offset: String,
}

impl Clock {
    /// The clock as last left in `store`.
    pub async fn load(store: &Store) -> Result<Clock, StoreError> {
        let offset = settings::get(store, OFFSET_KEY)
            .await?
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        Ok(Clock {
            offset_ms: Arc::new(AtomicI64::new(offset)),
            writes: Arc::default(),
        })
    }

    /// Emulated now, to the millisecond.
    pub fn now(&self) -> OffsetDateTime {
        let real = unix_ms::from_time(OffsetDateTime::now_utc());
        let ms = real.saturating_add(self.offset_ms.load(Ordering::Relaxed));
        unix_ms::to_time(ms).unwrap_or_else(unix_ms::now)
    }

    /// How far ahead of real time the clock runs.
    pub fn view(&self) -> ClockView {
        let offset = self.offset();
        ClockView {
            now: self.now(),
            offset_ms: u64::try_from(offset.as_millis()).unwrap_or(u64::MAX),
            offset: humantime::format_duration(offset).to_string(),
        }
    }

    pub fn offset(&self) -> Duration {
        Duration::from_millis(self.offset_ms.load(Ordering::Relaxed).max(0) as u64)
    }

    /// Moves the clock forward by `by` and stores the new offset, unless that
    /// would put it more than `max` ahead of real time (then `false`, unmoved).
    pub async fn advance(
        &self,
        store: &Store,
        by: Duration,
        max: Duration,
    ) -> Result<bool, StoreError> {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        let max = i64::try_from(max.as_millis()).unwrap_or(i64::MAX);
        let _writing = self.writes.lock().await;
        // One atomic step, so concurrent advances cannot pass the cap together.
        let moved = self
            .offset_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |offset| {
                offset.checked_add(by).filter(|next| *next <= max)
            });
        if moved.is_err() {
            return Ok(false);
        }
        let offset = self.offset_ms.load(Ordering::Relaxed);
        settings::set(store, OFFSET_KEY, &offset.to_string()).await?;
        Ok(true)
    }

    /// Back to real time. Times already stored keep what they were.
    pub async fn reset(&self, store: &Store) -> Result<(), StoreError> {
        let _writing = self.writes.lock().await;
        self.offset_ms.store(0, Ordering::Relaxed);
        settings::set(store, OFFSET_KEY, "0").await
    }
}
