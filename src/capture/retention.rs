//! Retention: keeps the inbox to the newest `max_messages` and to messages younger
//! than `max_age`, by the emulated clock the messages are stamped with (the global
//! one), deleting the rest in the background.
//!
//! Off the capture path: a task of its own (`Pruner`) deletes a few hundred rows per
//! short statement, taking turns with the capture writer (`Pipeline::write_turn`), so
//! a capture waits for one batch at most. It learns of captures from the bus and
//! keeps a lower bound on the room left under the cap, so it looks at the table only
//! when the cap may have been passed, and then reads no more than the cap's worth of
//! index (never a `COUNT(*)` of the whole table). Age is looked at every few seconds,
//! and at once when the clock is advanced.
//!
//! Where a value comes from: a flag (`--max-messages`, `--max-age`, or their env
//! twins) wins while this server runs, and the API and UI cannot change it (409);
//! without one, the value saved in Settings (the `settings` table) applies, and
//! outlives a restart. A flag is a choice made for this run (a script, a CI job): a
//! value saved in the UI weeks ago silently beating it would surprise, and starting
//! without the flag brings the saved value back.
//!
//! Deleting a message deletes what belongs only to it: its raw request and headers
//! (columns of its row) and, by triggers on `messages` in the same statement, its
//! search rows and the read mark of a phone left with no message. Forwards keep
//! their own copy of the text and are the audit trail of what was sent: they stay,
//! as when the inbox deletes a message. Twilio Verify's verifications carry their
//! own code and stay.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch, Notify};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::capture::pipeline::{Event, Pipeline};
use crate::store::{messages, settings, Store, StoreError};
use crate::unix_ms;

/// The largest cap accepted.
pub const MAX_MESSAGES: u64 = 1_000_000_000;
/// The longest age accepted: a hundred years, so the cutoff is always a real date.
pub const MAX_AGE: Duration = Duration::from_secs(36_500 * 86_400);
/// Rows one statement deletes: a few milliseconds of the write lock.
const BATCH: u32 = 500;
/// Between two batches, for writers outside the turn (the pool's) to get in.
const BATCH_PAUSE: Duration = Duration::from_millis(2);
/// The least time between two passes: under a steady stream of captures past the
/// cap, one pass (and one event) every half second, not one per capture.
const GAP: Duration = Duration::from_millis(500);
/// How often messages are looked at for age.
const AGE_EVERY: Duration = Duration::from_secs(2);
/// How long a pass that failed waits before the next.
const ERROR_PAUSE: Duration = Duration::from_secs(5);

const MAX_MESSAGES_KEY: &str = "retention.max_messages";
const MAX_AGE_KEY: &str = "retention.max_age_secs";
/// What the settings table holds for a value turned off.
const OFF: &str = "off";

/// What is kept; none of either keeps everything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    pub max_messages: Option<u64>,
    pub max_age: Option<Duration>,
}

/// Reads `--max-messages`: a whole number from 1 to 1,000,000,000.
pub fn parse_max_messages(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(n) => check_max_messages(n),
        Err(_) => Err(format!(
            "'{s}' is not a number of messages from 1 to {MAX_MESSAGES}"
        )),
    }
}

fn check_max_messages(n: u64) -> Result<u64, String> {
    if (1..=MAX_MESSAGES).contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "{n} is not a number of messages from 1 to {MAX_MESSAGES}"
        ))
    }
}

/// Reads `--max-age`: `7d`, `12h`, `30m`, `90s` (or `1h 30m`), whole seconds from
/// 1s to 36500d.
pub fn parse_max_age(s: &str) -> Result<Duration, String> {
    let text = s.trim();
    let d = humantime::parse_duration(text)
        .map_err(|e| format!("'{s}' is not an age such as 7d, 12h, 30m or 90s: {e}"))?;
    if d.is_zero() {
        return Err(format!("'{s}': an age must be more than zero"));
    }
    if d.subsec_nanos() != 0 {
        return Err(format!("'{s}': an age is whole seconds, such as 90s"));
    }
    if d > MAX_AGE {
        return Err(format!("'{s}' is more than the longest age, 36500d"));
    }
    Ok(d)
}

/// An age as the flag takes it, in its largest whole unit: `7d`, `36h`, `90m`, `45s`.
pub fn format_age(d: Duration) -> String {
    let secs = d.as_secs();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if secs % size == 0 {
            return format!("{}{unit}", secs / size);
        }
    }
    format!("{secs}s")
}

/// Why retention was not changed.
#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error("`{field}`: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(
        "`{field}` is set by {flag} for as long as this server runs: restart it without \
         that flag to change it here"
    )]
    SetByFlag {
        field: &'static str,
        flag: &'static str,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `GET /emulator/v1/retention`: what is kept, and where each value comes from.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RetentionView {
    /// The newest messages kept; none keeps every one.
    #[schema(required = true)]
    pub max_messages: Option<u64>,
    /// The oldest a message may get by the emulated clock, as `7d`, `12h`, `30m`
    /// or `90s`; none keeps any age.
    #[schema(required = true)]
    pub max_age: Option<String>,
    #[schema(required = true)]
    pub max_age_secs: Option<u64>,
    /// Which values the command line set (`--max-messages`, `--max-age` or their
    /// env twins): those stay as set while this server runs.
    pub set_by_flag: SetByFlag,
    /// Messages retention deleted since this server started.
    pub pruned: u64,
}

/// Which retention values a flag set.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SetByFlag {
    pub max_messages: bool,
    pub max_age: bool,
}

/// `PATCH /emulator/v1/retention`, a JSON merge patch: a value sets it, `null`
/// turns it off, a field left out stays as it is.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionPatch {
    /// Keep the newest N messages: 1 to 1000000000; null keeps every one.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u64>)]
    pub max_messages: Option<Option<u64>>,
    /// Delete messages older than this: `7d`, `12h`, `30m`, `90s`; null keeps any age.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub max_age: Option<Option<String>>,
}

/// A field given, even as `null` (which plain `Option` cannot tell from absent).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Retention's settings, shared by the API and the pruner; cheap to clone.
#[derive(Clone)]
pub struct Retention(Arc<Inner>);

struct Inner {
    flags: Policy,
    /// What Settings saved (shadowed by a flag where one is given); held across a
    /// change and its write, so the stored values are the last set.
    saved: tokio::sync::Mutex<Policy>,
    /// What is in force, watched by the pruner.
    policy: watch::Sender<Policy>,
    pruned: AtomicU64,
    /// The clock moved: look at ages now.
    wake: Notify,
}

impl Retention {
    /// The flags given, over what Settings saved in `store`.
    pub async fn load(store: &Store, flags: Policy) -> Result<Retention, StoreError> {
        let saved = Policy {
            max_messages: stored(store, MAX_MESSAGES_KEY, |v| {
                v.parse::<u64>()
                    .ok()
                    .and_then(|n| check_max_messages(n).ok())
            })
            .await?,
            max_age: stored(store, MAX_AGE_KEY, |v| {
                let secs: u64 = v.parse().ok().filter(|s| *s > 0)?;
                Some(Duration::from_secs(secs)).filter(|d| *d <= MAX_AGE)
            })
            .await?,
        };
        let (policy, _) = watch::channel(effective(flags, saved));
        Ok(Retention(Arc::new(Inner {
            flags,
            saved: tokio::sync::Mutex::new(saved),
            policy,
            pruned: AtomicU64::new(0),
            wake: Notify::new(),
        })))
    }

    /// What is kept right now.
    pub fn policy(&self) -> Policy {
        *self.0.policy.borrow()
    }

    /// What is kept, as the API and UI show it.
    pub fn view(&self) -> RetentionView {
        let policy = self.policy();
        RetentionView {
            max_messages: policy.max_messages,
            max_age: policy.max_age.map(format_age),
            max_age_secs: policy.max_age.map(|d| d.as_secs()),
            set_by_flag: SetByFlag {
                max_messages: self.0.flags.max_messages.is_some(),
                max_age: self.0.flags.max_age.is_some(),
            },
            pruned: self.0.pruned.load(Ordering::Relaxed),
        }
    }

    /// Applies `patch`, saving it; a value a flag set can only be given as it is.
    pub async fn update(
        &self,
        store: &Store,
        patch: RetentionPatch,
    ) -> Result<RetentionView, RetentionError> {
        let max_messages = patch
            .max_messages
            .map(|n| n.map(check_max_messages).transpose())
            .transpose()
            .map_err(|message| RetentionError::Invalid {
                field: "max_messages",
                message,
            })?;
        let max_age = patch
            .max_age
            .map(|a| a.as_deref().map(parse_max_age).transpose())
            .transpose()
            .map_err(|message| RetentionError::Invalid {
                field: "max_age",
                message,
            })?;
        let flags = self.0.flags;
        if let (Some(wanted), Some(flag)) = (max_messages, flags.max_messages) {
            if wanted != Some(flag) {
                return Err(RetentionError::SetByFlag {
                    field: "max_messages",
                    flag: "--max-messages",
                });
            }
        }
        if let (Some(wanted), Some(flag)) = (max_age, flags.max_age) {
            if wanted != Some(flag) {
                return Err(RetentionError::SetByFlag {
                    field: "max_age",
                    flag: "--max-age",
                });
            }
        }
        let mut held = self.0.saved.lock().await;
        let mut saved = *held;
        if flags.max_messages.is_none() {
            if let Some(n) = max_messages {
                saved.max_messages = n;
            }
        }
        if flags.max_age.is_none() {
            if let Some(age) = max_age {
                saved.max_age = age;
            }
        }
        let mut tx = store.begin().await?;
        let text = |v: Option<u64>| v.map_or_else(|| OFF.to_owned(), |v| v.to_string());
        settings::set(&mut tx, MAX_MESSAGES_KEY, &text(saved.max_messages)).await?;
        settings::set(
            &mut tx,
            MAX_AGE_KEY,
            &text(saved.max_age.map(|d| d.as_secs())),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        *held = saved;
        self.0.policy.send_replace(effective(flags, saved));
        Ok(self.view())
    }

    /// Looks at ages now: the emulated clock moved.
    pub fn wake(&self) {
        self.0.wake.notify_one();
    }

    /// The background task that deletes what is not kept; `run` it once.
    pub fn pruner(&self, pipeline: Pipeline) -> Pruner {
        Pruner {
            retention: self.clone(),
            pipeline,
        }
    }
}

fn effective(flags: Policy, saved: Policy) -> Policy {
    Policy {
        max_messages: flags.max_messages.or(saved.max_messages),
        max_age: flags.max_age.or(saved.max_age),
    }
}

/// A saved value; one that cannot be read (edited by hand) counts as off.
async fn stored<T>(
    store: &Store,
    key: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, StoreError> {
    let Some(value) = settings::get(store, key).await? else {
        return Ok(None);
    };
    if value == OFF {
        return Ok(None);
    }
    let parsed = parse(&value);
    if parsed.is_none() {
        tracing::warn!(key, value, "ignoring an unreadable retention setting");
    }
    Ok(parsed)
}

/// Which messages one batch deletes.
enum Cut {
    /// The oldest, up to and including this id.
    Through(String),
    /// Those received before this time (Unix ms).
    Before(i64),
}

/// Deletes, in the background, what retention does not keep.
pub struct Pruner {
    retention: Retention,
    pipeline: Pipeline,
}

/// The next event, or never without a subscription.
async fn next_event(events: &mut Option<broadcast::Receiver<Event>>) -> Result<Event, RecvError> {
    match events {
        Some(events) => events.recv().await,
        None => std::future::pending().await,
    }
}

impl Pruner {
    /// Prunes until `stop` is cancelled.
    pub async fn run(self, stop: CancellationToken) {
        if self.pipeline.store().is_read_only() {
            return;
        }
        // Captures are followed only while there is a cap: every capture would
        // otherwise wake this task for nothing (a cost `make bench` saw).
        let mut events: Option<broadcast::Receiver<Event>> = None;
        let mut policy = self.retention.0.policy.subscribe();
        let mut age_tick = tokio::time::interval(AGE_EVERY);
        age_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Captures that fit under the cap for sure; none: look.
        let mut room: Option<u64> = None;
        let (mut count_due, mut age_due) = (true, true);
        let mut next_pass = Instant::now();
        loop {
            let current = *policy.borrow_and_update();
            match (current.max_messages.is_some(), events.is_some()) {
                (true, false) => {
                    events = Some(self.pipeline.subscribe());
                    room = None;
                    count_due = true;
                }
                (false, true) => events = None,
                _ => {}
            }
            let due = (count_due && current.max_messages.is_some())
                || (age_due && current.max_age.is_some());
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep_until(next_pass), if due => {
                    let (count, age) = (count_due, age_due);
                    count_due = false;
                    age_due = false;
                    match self.pass(current, count, age, &stop).await {
                        Ok(left) => {
                            if count {
                                room = left;
                            }
                            next_pass = Instant::now() + GAP;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "retention could not delete old messages");
                            (count_due, age_due) = (count, age);
                            next_pass = Instant::now() + ERROR_PAUSE;
                        }
                    }
                }
                event = next_event(&mut events) => match event {
                    Ok(Event::MessageCreated(_)) => match room {
                        Some(n) if n > 0 => room = Some(n - 1),
                        _ => count_due = true,
                    },
                    // Other deletes only make room; the bound stays a bound.
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => {
                        room = None;
                        count_due = true;
                    }
                    Err(RecvError::Closed) => return,
                },
                changed = policy.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    room = None;
                    count_due = true;
                    age_due = true;
                }
                _ = age_tick.tick() => age_due = true,
                () = self.retention.0.wake.notified() => age_due = true,
            }
        }
    }

    /// One pass: over the cap (if `count`), then too old (if `age`). Returns the
    /// room left under the cap when it was not reached, `Some(0)` after deleting.
    async fn pass(
        &self,
        policy: Policy,
        count: bool,
        age: bool,
        stop: &CancellationToken,
    ) -> Result<Option<u64>, StoreError> {
        let store = self.pipeline.store();
        let mut deleted = 0;
        let mut room = None;
        if let (true, Some(cap)) = (count, policy.max_messages) {
            // Past the cap (a steady stream keeps it there), one walk of the cap's
            // worth of index finds what goes; only under it is the room counted.
            match messages::newest_beyond(store, cap).await? {
                Some(last) => {
                    room = Some(0);
                    deleted += self.in_batches(Cut::Through(last), stop).await?;
                }
                None => {
                    let seen = messages::count_up_to(store, cap).await?;
                    room = Some(cap.saturating_sub(seen));
                }
            }
        }
        if let (true, Some(max_age)) = (age, policy.max_age) {
            let now = unix_ms::from_time(self.pipeline.clock().now());
            let age_ms = i64::try_from(max_age.as_millis()).unwrap_or(i64::MAX);
            let cutoff = now.saturating_sub(age_ms);
            deleted += self.in_batches(Cut::Before(cutoff), stop).await?;
        }
        if deleted > 0 {
            self.retention
                .0
                .pruned
                .fetch_add(deleted, Ordering::Relaxed);
            tracing::debug!(deleted, "retention deleted old messages");
            self.pipeline.publish(Event::MessagesPruned { deleted });
        }
        Ok(room)
    }

    /// Deletes what `cut` names, one short statement at a time, each in its turn
    /// with the capture writer; how many went.
    async fn in_batches(&self, cut: Cut, stop: &CancellationToken) -> Result<u64, StoreError> {
        let store = self.pipeline.store();
        let mut total = 0;
        while !stop.is_cancelled() {
            let n = {
                // The connection before the turn: the writer never waits behind the pool.
                let mut conn = store.dedicated().await?;
                let _turn = self.pipeline.write_turn().await;
                match &cut {
                    Cut::Through(last) => {
                        messages::delete_oldest_through(&mut conn, last, BATCH).await?
                    }
                    Cut::Before(cutoff) => {
                        messages::delete_received_before(&mut conn, *cutoff, BATCH).await?
                    }
                }
            };
            total += n;
            if n < u64::from(BATCH) {
                break;
            }
            tokio::time::sleep(BATCH_PAUSE).await;
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_take_days_hours_minutes_and_seconds() {
        let day = 86_400;
        for (text, secs) in [
            ("7d", 7 * day),
            ("12h", 12 * 3_600),
            ("30m", 1_800),
            ("90s", 90),
            (" 1h 30m ", 5_400),
            ("36500d", 36_500 * day),
        ] {
            assert_eq!(parse_max_age(text), Ok(Duration::from_secs(secs)), "{text}");
        }
    }

    #[test]
    fn ages_that_are_garbage_zero_fractional_or_too_long_are_refused() {
        for text in ["", "7", "seven days", "7x", "-1d"] {
            let e = parse_max_age(text).expect_err(text);
            assert!(e.contains("such as 7d"), "{text}: {e}");
        }
        assert!(parse_max_age("0s")
            .expect_err("zero")
            .contains("more than zero"));
        assert!(parse_max_age("0d")
            .expect_err("zero")
            .contains("more than zero"));
        assert!(parse_max_age("1500ms")
            .expect_err("fraction")
            .contains("whole seconds"));
        assert!(parse_max_age("36501d")
            .expect_err("long")
            .contains("longest age"));
        // Past what a u64 of seconds holds: humantime's own overflow.
        for text in ["99999999999999999999d", "999999999999999d"] {
            let e = parse_max_age(text).expect_err(text);
            assert!(e.contains("such as 7d"), "{text}: {e}");
        }
    }

    #[test]
    fn message_caps_are_whole_numbers_from_one_to_a_billion() {
        assert_eq!(parse_max_messages("20"), Ok(20));
        assert_eq!(parse_max_messages(" 1000000000 "), Ok(MAX_MESSAGES));
        for text in [
            "0",
            "-5",
            "1.5",
            "ten",
            "",
            "1000000001",
            "99999999999999999999999",
        ] {
            let e = parse_max_messages(text).expect_err(text);
            assert!(e.contains("from 1 to 1000000000"), "{text}: {e}");
        }
    }

    #[test]
    fn ages_are_shown_in_their_largest_whole_unit() {
        let shown: Vec<String> = [7 * 86_400, 36 * 3_600, 90 * 60, 45, 86_401]
            .into_iter()
            .map(|s| format_age(Duration::from_secs(s)))
            .collect();
        assert_eq!(shown, ["7d", "36h", "90m", "45s", "86401s"]);
    }

    #[test]
    fn a_flag_shadows_the_saved_value_of_its_own_field_only() {
        let flags = Policy {
            max_messages: Some(10),
            max_age: None,
        };
        let saved = Policy {
            max_messages: Some(500),
            max_age: Some(Duration::from_secs(60)),
        };
        assert_eq!(
            effective(flags, saved),
            Policy {
                max_messages: Some(10),
                max_age: Some(Duration::from_secs(60)),
            }
        );
    }
}
