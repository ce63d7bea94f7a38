//! The emulated clock: real time plus an offset that only QA moves, through
//! `/emulator/v1/clock`, so "an hour later" (a code expiring, a rate limit freeing)
//! needs no waiting. The offset is stored, so time never runs backwards across a
//! restart.
//!
//! Each tenant also has an offset of its own on top (`?tenant=`), so one test
//! worker moving its tenant's time expires nothing of another's. The global clock
//! is the default tenant's, and moves every tenant.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use time::OffsetDateTime;

use crate::store::{settings, Store, StoreError};
use crate::unix_ms;

const OFFSET_KEY: &str = "clock.offset_ms";
/// A tenant's own offset: `clock.offset_ms.<tenant>`.
const TENANT_KEY: &str = "clock.offset_ms.";
/// The tenant whose clock is the global one.
const GLOBAL_TENANT: &str = "default";

/// Cheap to clone; every clone sees the same offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
    /// Each tenant's own offset on top of the global one.
    tenants: Arc<RwLock<HashMap<String, i64>>>,
    /// Held across a change and its write, so the stored offset is always the
    /// last one set (two advances at once cannot store the smaller).
    writes: Arc<tokio::sync::Mutex<()>>,
    /// Woken when the clock is moved, so a wait on emulated time ends at once.
    moved: Arc<tokio::sync::Notify>,
}

/// The clock as `/emulator/v1/clock` shows it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
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
        let tenants = settings::with_prefix(store, TENANT_KEY)
            .await?
            .into_iter()
            .filter_map(|(key, value)| {
                let tenant = key.strip_prefix(TENANT_KEY)?.to_owned();
                Some((tenant, value.parse::<i64>().ok()?))
            })
            .collect();
        Ok(Clock {
            offset_ms: Arc::new(AtomicI64::new(offset)),
            tenants: Arc::new(RwLock::new(tenants)),
            writes: Arc::default(),
            moved: Arc::default(),
        })
    }

    /// `tenant`'s own offset on top of the global one, in ms: a time read on the
    /// tenant's clock, less this, is the same moment on the global clock.
    pub fn extra(&self, tenant: &str) -> i64 {
        if tenant == GLOBAL_TENANT {
            return 0;
        }
        self.tenants
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(tenant)
            .copied()
            .unwrap_or(0)
    }

    /// `tenant`'s emulated now, to the millisecond.
    pub fn now_in(&self, tenant: &str) -> OffsetDateTime {
        let real = unix_ms::from_time(OffsetDateTime::now_utc());
        let ms = real
            .saturating_add(self.offset_ms.load(Ordering::Relaxed))
            .saturating_add(self.extra(tenant));
        unix_ms::to_time(ms).unwrap_or_else(unix_ms::now)
    }

    /// `tenant`'s clock, as `/emulator/v1/clock?tenant=` shows it.
    pub fn view_in(&self, tenant: &str) -> ClockView {
        let offset = self.offset_in(tenant);
        ClockView {
            now: self.now_in(tenant),
            offset_ms: u64::try_from(offset.as_millis()).unwrap_or(u64::MAX),
            offset: humantime::format_duration(offset).to_string(),
        }
    }

    fn offset_in(&self, tenant: &str) -> Duration {
        let ms = self
            .offset_ms
            .load(Ordering::Relaxed)
            .saturating_add(self.extra(tenant));
        Duration::from_millis(ms.max(0) as u64)
    }

    /// Moves `tenant`'s clock forward by `by` (the global one for the default
    /// tenant), unless that puts it more than `max` ahead of real time.
    pub async fn advance_in(
        &self,
        store: &Store,
        tenant: &str,
        by: Duration,
        max: Duration,
    ) -> Result<bool, StoreError> {
        if tenant == GLOBAL_TENANT {
            return self.advance(store, by, max).await;
        }
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        let max = i64::try_from(max.as_millis()).unwrap_or(i64::MAX);
        let _writing = self.writes.lock().await;
        let global = self.offset_ms.load(Ordering::Relaxed);
        let next = {
            let mut tenants = self.tenants.write().unwrap_or_else(|p| p.into_inner());
            let extra = tenants.get(tenant).copied().unwrap_or(0);
            let Some(next) = extra
                .checked_add(by)
                .filter(|next| global.saturating_add(*next) <= max)
            else {
                return Ok(false);
            };
            tenants.insert(tenant.to_owned(), next);
            next
        };
        settings::set(store, &format!("{TENANT_KEY}{tenant}"), &next.to_string()).await?;
        self.moved.notify_waiters();
        Ok(true)
    }

    /// Waits until `tenant`'s emulated clock reads `due_ms` (Unix ms): by real time,
    /// or at once when the clock is moved past it.
    pub async fn sleep_until_in(&self, tenant: &str, due_ms: i64) {
        loop {
            let moved = self.moved.notified();
            tokio::pin!(moved);
            moved.as_mut().enable();
            let now = unix_ms::from_time(self.now_in(tenant));
            let Ok(left) = u64::try_from(due_ms.saturating_sub(now)) else {
                return;
            };
            if left == 0 {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(left)) => {}
                _ = moved => {}
            }
        }
    }

    /// `tenant`'s own offset back to none (the global one for the default tenant).
    pub async fn reset_in(&self, store: &Store, tenant: &str) -> Result<(), StoreError> {
        if tenant == GLOBAL_TENANT {
            return self.reset(store).await;
        }
        let _writing = self.writes.lock().await;
        self.tenants
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(tenant);
        settings::delete(store, &format!("{TENANT_KEY}{tenant}")).await
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
        self.moved.notify_waiters();
        Ok(true)
    }

    /// Back to real time. Times already stored keep what they were.
    pub async fn reset(&self, store: &Store) -> Result<(), StoreError> {
        let _writing = self.writes.lock().await;
        self.offset_ms.store(0, Ordering::Relaxed);
        settings::set(store, OFFSET_KEY, "0").await
    }
}
