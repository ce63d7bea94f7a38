//! Auth0's limits on phone messages, as pure functions of a bucket's state and the
//! emulated time (so "an hour later" is tested without waiting).
//!
//! Auth0 (MFA, "Enroll and challenge SMS and voice authenticators"): "SMS codes can
//! be sent 10 times and refill once per hour, while invalid codes can be returned 10
//! times and refill once every six minutes." SMS and voice share the send bucket.
//! The built-in test provider sends at most 100 messages per tenant, ever.
//!
//! A bucket is kept as one number, its theoretical arrival time (GCRA): the moment
//! it would be full again. Taking a token moves it one refill period later; a take
//! is allowed while that stays within `burst` periods of now. Integer arithmetic,
//! no drift, one row per bucket.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::auth0::bounded::Bounded;

/// The caps, configurable per tenant; the defaults are Auth0's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Messages (SMS and voice together) a user can be sent in a burst: 0 to 1,000,000.
    pub sends_burst: Bounded<0, 1_000_000>,
    /// Seconds until one more send comes back: 1 s to a year.
    pub sends_refill_secs: Bounded<1, 31_536_000>,
    /// Wrong codes a user can enter in a burst: 0 to 1,000,000.
    pub failed_codes_burst: Bounded<0, 1_000_000>,
    /// Seconds until one more wrong code is allowed: 1 s to a year.
    pub failed_codes_refill_secs: Bounded<1, 31_536_000>,
    /// Messages the built-in provider sends in the tenant's life: 0 to 1,000,000,000.
    pub builtin_lifetime: Bounded<0, 1_000_000_000>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            sends_burst: Bounded::new(10),
            sends_refill_secs: Bounded::new(3600),
            failed_codes_burst: Bounded::new(10),
            failed_codes_refill_secs: Bounded::new(360),
            builtin_lifetime: Bounded::new(100),
        }
    }
}

impl Limits {
    pub fn sends(&self) -> Bucket {
        Bucket::new(self.sends_burst.get(), self.sends_refill_secs.get())
    }

    pub fn failed_codes(&self) -> Bucket {
        Bucket::new(
            self.failed_codes_burst.get(),
            self.failed_codes_refill_secs.get(),
        )
    }
}

/// A token bucket: `burst` tokens, one back every `refill_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    pub burst: u64,
    pub refill_ms: i64,
}

/// A take refused: when one would be allowed (Unix ms), or never (a burst of 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Empty {
    pub frees_at: Option<i64>,
}

/// A bucket as the limits view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Level {
    /// Tokens left now.
    pub tokens: u64,
    pub burst: u64,
    pub refill_secs: u64,
    /// When the next token comes back; none when the bucket is full.
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(test, ts(type = "string | null"))]
    #[schema(required = true, value_type = Option<String>, format = DateTime)]
    pub next_refill_at: Option<OffsetDateTime>,
}

impl Bucket {
    pub fn new(burst: u64, refill_secs: u64) -> Bucket {
        Bucket {
            burst,
            refill_ms: i64::try_from(refill_secs.saturating_mul(1000)).unwrap_or(i64::MAX),
        }
    }

    /// How far ahead of now a full burst reaches.
    fn window(&self) -> i128 {
        i128::from(self.burst) * i128::from(self.refill_ms)
    }

    /// Takes one token from a bucket whose full-again time is `tat` (`None`: full):
    /// the new full-again time, or when a token would be there.
    pub fn take(&self, tat: Option<i64>, now: i64) -> Result<i64, Empty> {
        if self.burst == 0 {
            return Err(Empty { frees_at: None });
        }
        let base = i128::from(tat.unwrap_or(now).max(now));
        let next = base + i128::from(self.refill_ms);
        if next - i128::from(now) <= self.window() {
            return Ok(clamp(next));
        }
        Err(Empty {
            frees_at: Some(clamp(next - self.window())),
        })
    }

    /// Tokens left at `now`, and when the next comes back.
    pub fn level(&self, tat: Option<i64>, now: i64) -> Level {
        let owed = i128::from(tat.unwrap_or(now)) - i128::from(now);
        let owed = owed.max(0);
        let refill = i128::from(self.refill_ms.max(1));
        let tokens = ((self.window() - owed) / refill).max(0);
        let next_refill_at = (owed > 0).then(|| {
            // The count goes up when what is owed drops to the multiple below it.
            let below = (owed - 1) / refill * refill;
            crate::unix_ms::to_time(clamp(i128::from(now) + owed - below))
        });
        Level {
            tokens: u64::try_from(tokens).unwrap_or(0),
            burst: self.burst,
            refill_secs: u64::try_from(self.refill_ms / 1000).unwrap_or(0),
            next_refill_at: next_refill_at.flatten(),
        }
    }
}

fn clamp(ms: i128) -> i64 {
    i64::try_from(ms).unwrap_or(if ms < 0 { i64::MIN } else { i64::MAX })
}

/// Whether the built-in provider still delivers, having sent `sent` in the tenant's life.
pub fn builtin_allows(limits: &Limits, sent: i64) -> bool {
    sent < limits.builtin_lifetime.get_i64()
}

/// One counter as the limits view shows it (the built-in provider's lifetime).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Gauge {
    pub used: u32,
    pub cap: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000_000;
    const HOUR: i64 = 3_600_000;

    /// Takes `n` tokens at `now`, threading the state; how many were given.
    fn take_n(bucket: &Bucket, tat: &mut Option<i64>, n: usize, now: i64) -> usize {
        let mut given = 0;
        for _ in 0..n {
            if let Ok(next) = bucket.take(*tat, now) {
                *tat = Some(next);
                given += 1;
            }
        }
        given
    }

    #[test]
    fn ten_sends_at_once_then_one_back_each_hour_not_ten() {
        // Auth0: "SMS codes can be sent 10 times and refill once per hour".
        let bucket = Limits::default().sends();
        let mut tat = None;
        assert_eq!(take_n(&bucket, &mut tat, 11, T0), 10);
        assert_eq!(
            bucket.take(tat, T0),
            Err(Empty {
                frees_at: Some(T0 + HOUR)
            })
        );
        assert_eq!(take_n(&bucket, &mut tat, 1, T0 + HOUR - 1), 0);
        assert_eq!(
            take_n(&bucket, &mut tat, 3, T0 + HOUR),
            1,
            "one back, not ten"
        );
        assert_eq!(take_n(&bucket, &mut tat, 3, T0 + 4 * HOUR), 3);
        assert_eq!(bucket.level(tat, T0 + 14 * HOUR).tokens, 10, "full again");
    }

    #[test]
    fn wrong_codes_come_back_one_every_six_minutes() {
        // Auth0: "invalid codes can be returned 10 times and refill once every six minutes".
        let bucket = Limits::default().failed_codes();
        let mut tat = None;
        assert_eq!(take_n(&bucket, &mut tat, 12, T0), 10);
        let level = bucket.level(tat, T0);
        assert_eq!(level.tokens, 0);
        assert_eq!(level.next_refill_at, crate::unix_ms::to_time(T0 + 360_000));
        assert_eq!(bucket.level(tat, T0 + 359_999).tokens, 0);
        assert_eq!(bucket.level(tat, T0 + 360_000).tokens, 1);
        assert_eq!(bucket.level(tat, T0 + 720_000).tokens, 2);
    }

    #[test]
    fn the_level_says_tokens_left_and_the_next_refill() {
        let bucket = Bucket::new(10, 3600);
        let mut tat = None;
        assert_eq!(bucket.level(tat, T0).tokens, 10);
        assert_eq!(bucket.level(tat, T0).next_refill_at, None);
        take_n(&bucket, &mut tat, 3, T0);
        let level = bucket.level(tat, T0 + 10 * 60_000);
        assert_eq!(level.tokens, 7);
        assert_eq!(level.next_refill_at, crate::unix_ms::to_time(T0 + HOUR));
    }

    #[test]
    fn a_burst_of_zero_never_gives_and_never_frees() {
        let bucket = Bucket::new(0, 3600);
        assert_eq!(bucket.take(None, T0), Err(Empty { frees_at: None }));
        assert_eq!(bucket.level(None, T0).tokens, 0);
    }

    #[test]
    fn the_largest_settings_do_not_overflow() {
        let bucket = Bucket::new(1_000_000, 31_536_000);
        // Each would overflow i64 arithmetic (a panic in debug builds) without care.
        assert!(bucket.take(Some(i64::MAX - 5), i64::MAX - 10).is_ok());
        assert!(bucket.level(Some(i64::MAX), i64::MIN).tokens <= bucket.burst);
    }

    #[test]
    fn the_builtin_provider_stops_at_one_hundred() {
        let limits = Limits::default();
        assert!(builtin_allows(&limits, 99));
        assert!(!builtin_allows(&limits, 100));
    }
}
