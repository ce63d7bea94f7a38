//! Times as the store keeps them: Unix milliseconds, UTC.

use time::OffsetDateTime;

const NANOS_PER_MS: i128 = 1_000_000;

/// `t` in whole Unix milliseconds.
pub fn from_time(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / NANOS_PER_MS) as i64
}

/// The time `ms` names, if it is in range.
pub fn to_time(ms: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * NANOS_PER_MS).ok()
}

/// `t` as answers write times: RFC 3339, UTC (`2026-11-22T01:58:51.816Z`).
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `rfc3339` of a stored Unix-ms value; empty if it is out of range.
pub fn rfc3339_ms(ms: i64) -> String {
    to_time(ms).map(rfc3339).unwrap_or_default()
}

/// `ms` plus `secs` seconds, saturating: a time computed from a setting can never
/// overflow (settings are bounded too; this is the second fence).
pub fn add_secs(ms: i64, secs: u64) -> i64 {
    ms.saturating_add(i64::try_from(secs).unwrap_or(i64::MAX).saturating_mul(1000))
}

/// Now, cut to the millisecond, so a value reads the same live and stored.
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    to_time(from_time(now)).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_at_millisecond_precision() {
        let t = now();
        assert_eq!(to_time(from_time(t)), Some(t));
        assert_eq!(t.nanosecond() % 1_000_000, 0);
        assert_eq!(to_time(i64::MAX), None);
    }
}
