//! Auth0's caps on phone messages, as pure functions of the sends already made and
//! the time (so "the 11th in an hour" and "an hour later" are tested without waiting).
//!
//! - at most `per_user_per_hour` SMS and voice messages to one user in any rolling
//!   hour (Auth0: 10, burst 10);
//! - at most `voice_per_hour` voice messages to one user in a rolling hour (Auth0: 1);
//! - at most `builtin_lifetime` messages through the built-in provider, per tenant,
//!   ever (Auth0: 100);
//! - `max_failed_codes` wrong codes in a row lock the user out of code checks for
//!   `failed_code_lockout` after the last one.

use serde::{Deserialize, Serialize};

use crate::auth0::bounded::Bounded;
use crate::message::Channel;

pub const HOUR_MS: i64 = 3_600_000;

/// The caps, configurable per tenant; the defaults are Auth0's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// 0 to 1,000,000.
    pub per_user_per_hour: Bounded<0, 1_000_000>,
    /// 0 to 1,000,000.
    pub voice_per_hour: Bounded<0, 1_000_000>,
    /// 0 to 1,000,000,000.
    pub builtin_lifetime: Bounded<0, 1_000_000_000>,
    /// 1 to 1,000,000.
    pub max_failed_codes: Bounded<1, 1_000_000>,
    /// Seconds a user stays locked out after too many wrong codes: up to 30 days.
    pub failed_code_lockout_secs: Bounded<0, 2_592_000>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            per_user_per_hour: Bounded::new(10),
            voice_per_hour: Bounded::new(1),
            builtin_lifetime: Bounded::new(100),
            max_failed_codes: Bounded::new(10),
            failed_code_lockout_secs: Bounded::new(15 * 60),
        }
    }
}

/// Why a send is refused, and when it would be allowed again (Unix ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    UserHourly { frees_at: i64 },
    VoiceHourly { frees_at: i64 },
}

/// One counter as the limits view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Gauge {
    pub used: u32,
    pub cap: u32,
    /// When `used` next goes down (RFC 3339), if anything is counted.
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(test, ts(type = "string | null"))]
    pub frees_at: Option<time::OffsetDateTime>,
}

/// The sends inside the rolling hour ending at `now`.
fn in_window(sends: &[(Channel, i64)], now: i64) -> impl Iterator<Item = &(Channel, i64)> {
    sends
        .iter()
        .filter(move |(_, at)| *at > now - HOUR_MS && *at <= now)
}

/// When the oldest counted send leaves the window: the moment the gauge drops.
fn frees_at(times: &[i64], cap: u32) -> Option<i64> {
    // With `n` counted, the count drops below `cap` once the (n - cap + 1)th oldest leaves.
    let n = times.len();
    if n == 0 {
        return None;
    }
    let index = n.saturating_sub(cap as usize);
    times.get(index.min(n - 1)).map(|t| t + HOUR_MS)
}

/// Whether one more message on `channel` may go to a user who was sent `sends`.
pub fn check_send(
    limits: &Limits,
    sends: &[(Channel, i64)],
    channel: Channel,
    now: i64,
) -> Result<(), Refusal> {
    let mut all: Vec<i64> = in_window(sends, now).map(|(_, at)| *at).collect();
    all.sort_unstable();
    let per_hour = limits.per_user_per_hour.get_u32();
    if all.len() >= per_hour as usize {
        let frees_at = frees_at(&all, per_hour).unwrap_or(now);
        return Err(Refusal::UserHourly { frees_at });
    }
    if channel == Channel::Voice {
        let mut voice: Vec<i64> = in_window(sends, now)
            .filter(|(c, _)| *c == Channel::Voice)
            .map(|(_, at)| *at)
            .collect();
        voice.sort_unstable();
        let voice_per_hour = limits.voice_per_hour.get_u32();
        if voice.len() >= voice_per_hour as usize {
            let frees_at = frees_at(&voice, voice_per_hour).unwrap_or(now);
            return Err(Refusal::VoiceHourly { frees_at });
        }
    }
    Ok(())
}

/// The user's two hourly gauges: all messages, and voice.
pub fn user_gauges(limits: &Limits, sends: &[(Channel, i64)], now: i64) -> (Gauge, Gauge) {
    let gauge = |times: Vec<i64>, cap: u32| {
        let mut times = times;
        times.sort_unstable();
        Gauge {
            used: times.len() as u32,
            cap,
            frees_at: times
                .first()
                .and_then(|t| crate::unix_ms::to_time(t + HOUR_MS)),
        }
    };
    let all = in_window(sends, now).map(|(_, at)| *at).collect();
    let voice = in_window(sends, now)
        .filter(|(c, _)| *c == Channel::Voice)
        .map(|(_, at)| *at)
        .collect();
    (
        gauge(all, limits.per_user_per_hour.get_u32()),
        gauge(voice, limits.voice_per_hour.get_u32()),
    )
}

/// Whether the built-in provider still delivers, having sent `sent` in the tenant's life.
pub fn builtin_allows(limits: &Limits, sent: i64) -> bool {
    sent < limits.builtin_lifetime.get_i64()
}

/// Whether a user with `failed` wrong codes in a row, the last at `last_failed_at`, is
/// locked out of checking codes at `now`.
pub fn locked_out(limits: &Limits, failed: i64, last_failed_at: Option<i64>, now: i64) -> bool {
    let lockout = limits
        .failed_code_lockout_secs
        .get_i64()
        .saturating_mul(1000);
    failed >= limits.max_failed_codes.get_i64()
        && last_failed_at.is_some_and(|at| now < at.saturating_add(lockout))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000_000;

    fn sms_at(minutes: &[i64]) -> Vec<(Channel, i64)> {
        minutes
            .iter()
            .map(|m| (Channel::Sms, T0 + m * 60_000))
            .collect()
    }

    #[test]
    fn the_eleventh_message_in_an_hour_is_refused_until_the_first_is_an_hour_old() {
        let limits = Limits::default();
        let sends = sms_at(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        let now = T0 + 10 * 60_000;
        assert_eq!(
            check_send(&limits, &sends, Channel::Sms, now),
            Err(Refusal::UserHourly {
                frees_at: T0 + HOUR_MS
            })
        );
        assert!(check_send(&limits, &sends, Channel::Sms, T0 + HOUR_MS - 1).is_err());
        assert!(check_send(&limits, &sends, Channel::Sms, T0 + HOUR_MS).is_ok());
        assert!(check_send(&limits, &sends[..9], Channel::Sms, now).is_ok());
    }

    #[test]
    fn one_voice_message_per_hour() {
        let limits = Limits::default();
        let sends = vec![(Channel::Voice, T0), (Channel::Sms, T0 + 1)];
        assert_eq!(
            check_send(&limits, &sends, Channel::Voice, T0 + 60_000),
            Err(Refusal::VoiceHourly {
                frees_at: T0 + HOUR_MS
            })
        );
        assert!(check_send(&limits, &sends, Channel::Sms, T0 + 60_000).is_ok());
        assert!(check_send(&limits, &sends, Channel::Voice, T0 + HOUR_MS).is_ok());
    }

    #[test]
    fn gauges_count_the_window_and_say_when_it_frees() {
        let limits = Limits::default();
        let mut sends = sms_at(&[0, 30]);
        sends.push((Channel::Voice, T0 + 45 * 60_000));
        let (all, voice) = user_gauges(&limits, &sends, T0 + 50 * 60_000);
        assert_eq!((all.used, all.cap, voice.used, voice.cap), (3, 10, 1, 1));
        assert_eq!(all.frees_at, crate::unix_ms::to_time(T0 + HOUR_MS));
        let (all, _) = user_gauges(&limits, &sends, T0 + 2 * HOUR_MS);
        assert_eq!((all.used, all.frees_at), (0, None));
    }

    #[test]
    fn the_builtin_provider_stops_at_one_hundred() {
        let limits = Limits::default();
        assert!(builtin_allows(&limits, 99));
        assert!(!builtin_allows(&limits, 100));
    }

    #[test]
    fn too_many_wrong_codes_lock_out_for_a_while() {
        let limits = Limits::default();
        assert!(!locked_out(&limits, 9, Some(T0), T0));
        assert!(locked_out(&limits, 10, Some(T0), T0 + 60_000));
        assert!(!locked_out(&limits, 10, Some(T0), T0 + 15 * 60_000));
    }
}
