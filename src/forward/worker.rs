//! Sends queued forwards: claims what is due, sends it off the capture path, and
//! records each attempt. Transient failures (no answer, 5xx, 429) are retried with
//! bounded backoff; anything else is not.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::providers::{self, Job};
use super::settings::Via;
use super::views::ForwardView;
use super::{now_ms, ForwardEvent, Forwarder};
use crate::capture::pipeline::Event;
use crate::message::phone::PhoneNumber;
use crate::message::Channel;
use crate::outbound::Verdict;
use crate::store::forwards::{self, AttemptRow, ForwardRow, Settle};

/// Tries per forward, the first included.
pub const MAX_ATTEMPTS: i64 = 5;
/// Forwards at a provider at once.
const IN_FLIGHT: usize = 8;
/// The longest wait between tries, and the most of a `Retry-After` honoured.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// Looked at again at least this often, in case a wake-up was missed.
const IDLE_LOOK: Duration = Duration::from_secs(30);
/// How long sends in flight may take to finish once the server is stopping.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);
/// How long the queue is left alone after the database failed to read it.
const ERROR_PAUSE: Duration = Duration::from_secs(2);

/// The sending loop; `run` it once.
pub struct Worker {
    forwarder: Forwarder,
}

impl Worker {
    pub(super) fn new(forwarder: Forwarder) -> Worker {
        Worker { forwarder }
    }

    /// Sends until `stop` is cancelled, then gives sends in flight `SHUTDOWN_GRACE`
    /// to finish.
    pub async fn run(self, stop: CancellationToken) {
        let inner = &self.forwarder.0;
        if inner.store.is_read_only() {
            return;
        }
        let slots = Arc::new(Semaphore::new(IN_FLIGHT));
        let mut sends = JoinSet::new();
        let mut captures = inner.pipeline.subscribe();
        let mut listening = true;
        loop {
            let free = slots.available_permits();
            let mut wait = IDLE_LOOK;
            if free > 0 {
                match forwards::claim_due(&inner.store, now_ms(), free as i64).await {
                    Ok(claimed) => {
                        for row in claimed {
                            let Ok(permit) = slots.clone().acquire_owned().await else {
                                break;
                            };
                            let forwarder = self.forwarder.clone();
                            sends.spawn(async move {
                                attempt(&forwarder, row).await;
                                drop(permit);
                                forwarder.0.wake.notify_one();
                            });
                        }
                    }
                    Err(e) => {
                        // The database may be failing: look again in a while, not at once.
                        tracing::error!(error = %e, "cannot read the forwarding queue");
                        wait = ERROR_PAUSE;
                    }
                }
                match forwards::next_due(&inner.store).await {
                    _ if wait == ERROR_PAUSE => {}
                    Ok(Some(at)) => {
                        let ms = u64::try_from(at.saturating_sub(now_ms())).unwrap_or(0);
                        wait = wait.min(Duration::from_millis(ms.max(5)));
                    }
                    Ok(None) => {}
                    Err(e) => tracing::error!(error = %e, "cannot read the forwarding queue"),
                }
            }
            while sends.try_join_next().is_some() {}
            let deadline = tokio::time::Instant::now() + wait;
            // Waits for a reason to look at the queue again; a capture is one only
            // while an auto-forward rule is on (it may have queued a forward), so
            // captures cost the queue nothing otherwise.
            let stopped = loop {
                tokio::select! {
                    () = stop.cancelled() => break true,
                    () = inner.wake.notified() => break false,
                    () = tokio::time::sleep_until(deadline) => break false,
                    event = captures.recv(), if listening => match event {
                        Ok(Event::MessageCreated(_)) | Err(RecvError::Lagged(_))
                            if inner.auto.any_on() => break false,
                        Err(RecvError::Closed) => listening = false,
                        _ => {}
                    },
                }
            };
            if stopped {
                break;
            }
            // Rules changed by another server on this database are seen here too.
            if tokio::time::Instant::now() >= deadline && wait == IDLE_LOOK {
                if let Err(e) = self.forwarder.reload_rules().await {
                    tracing::error!(error = %e, "cannot reload the auto-forward rules");
                }
            }
        }
        // Sends in flight get a moment to finish and be recorded; one a hung
        // provider holds longer is dropped, left `sending`, and marked interrupted at
        // the next start (it may have arrived).
        let finished = tokio::time::timeout(SHUTDOWN_GRACE, async {
            while sends.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            tracing::warn!(
                in_flight = sends.len(),
                "stopping with forwards still at their provider: they will show as interrupted"
            );
            sends.abort_all();
        }
    }
}

/// One attempt at one claimed forward, recorded whatever happens.
async fn attempt(forwarder: &Forwarder, row: ForwardRow) {
    let inner = &forwarder.0;
    let started_at = now_ms();
    let mut record = AttemptRow {
        forward_id: row.id,
        attempt: row.attempts,
        at: started_at,
        outcome: String::new(),
        http_status: None,
        provider_message_id: None,
        error: None,
        latency_ms: 0,
        request: None,
    };
    let verdict = match prepare(forwarder, &row).await {
        Err(Unready::Refused(why)) => {
            record.outcome = "refused".into();
            record.error = Some(why);
            None
        }
        // The database could not say (busy, failing): not the forward's fault.
        Err(Unready::Later(why)) => Some(Verdict::Retry { why, after: None }),
        Ok((via, built)) => {
            record.request = serde_json::to_string(&built.request.shown()).ok();
            let (answer, took) = inner.outbound.send(&built.request).await;
            record.latency_ms = i64::try_from(took.as_millis()).unwrap_or(i64::MAX);
            let verdict = match &answer {
                Ok(answer) => {
                    record.http_status = Some(i64::from(answer.status));
                    providers::verdict(via, answer)
                }
                Err(e) => e.verdict(via.label()),
            };
            // An answer can echo the request (a proxy, a debugging endpoint):
            // what is recorded of it is masked as the request is.
            Some(match verdict {
                Verdict::Retry { why, after } => Verdict::Retry {
                    why: built.request.mask(&why),
                    after,
                },
                Verdict::Refused { why } => Verdict::Refused {
                    why: built.request.mask(&why),
                },
                Verdict::Accepted { provider_id } => Verdict::Accepted {
                    provider_id: provider_id.map(|id| built.request.mask(&id)),
                },
            })
        }
    };
    // What the forward becomes: sent, queued again at a time, or failed.
    enum Next {
        Sent,
        Retry(i64),
        Failed,
    }
    let next = match verdict {
        None => Next::Failed,
        Some(Verdict::Accepted { provider_id }) => {
            record.outcome = "accepted".into();
            record.provider_message_id = provider_id;
            Next::Sent
        }
        Some(Verdict::Retry { why, after }) if row.attempts < MAX_ATTEMPTS => {
            record.outcome = "retrying".into();
            record.error = Some(why);
            // From the end of this try, so a slow failure still waits before the next.
            let wait = backoff(row.attempts, after);
            Next::Retry(now_ms().saturating_add(i64::try_from(wait.as_millis()).unwrap_or(0)))
        }
        Some(Verdict::Retry { why, .. }) => {
            record.outcome = "failed".into();
            record.error = Some(format!("{why} (gave up after {MAX_ATTEMPTS} tries)"));
            Next::Failed
        }
        Some(Verdict::Refused { why }) => {
            record.outcome = "failed".into();
            record.error = Some(why);
            Next::Failed
        }
    };
    let error = record.error.as_deref().unwrap_or_default();
    let settle = match next {
        Next::Sent => Settle::Sent {
            provider_message_id: record.provider_message_id.as_deref(),
        },
        Next::Retry(at) => Settle::Retry { at, error },
        Next::Failed => Settle::Failed { error },
    };
    let settled = forwards::settle(&inner.store, &record, settle).await;
    if settled.is_ok() {
        if let Some(outcome) = crate::metrics::ForwardOutcome::parse(&record.outcome) {
            inner.pipeline.metrics().forward_attempt(outcome);
        }
    }
    match settled {
        Ok(Some(row)) => {
            let attempts = forwards::attempts_of(&inner.store, row.id)
                .await
                .unwrap_or_default();
            let view = ForwardView::from_rows(&row, &attempts);
            forwarder.publish(ForwardEvent::Attempt(Arc::new(view)));
        }
        Ok(None) => {}
        Err(e) => tracing::error!(forward = row.id, error = %e, "cannot record a forward attempt"),
    }
}

/// Why a forward cannot go now.
enum Unready {
    /// It will never go as it is (off the allowlist, no such provider).
    Refused(String),
    /// Its settings could not be read: try again later.
    Later(String),
}

/// Checks the forward may still go (the allowlist may have changed since it was
/// queued; an auto-forward is first checked here) and builds its request.
async fn prepare(
    forwarder: &Forwarder,
    row: &ForwardRow,
) -> Result<(Via, providers::Built), Unready> {
    let later = |e: super::ForwardError| Unready::Later(format!("cannot read the settings: {e}"));
    let via = Via::parse(&row.via)
        .ok_or_else(|| Unready::Refused(format!("unknown provider '{}'", row.via)))?;
    let to = PhoneNumber::parse(&row.destination).map_err(|e| Unready::Refused(e.to_string()))?;
    // A rule removed or turned off since (by another server on this database,
    // say, whose change this one's copy of the rules has not seen) sends nothing.
    if let Some(rule) = row.rule_id {
        let on = crate::store::forward_rules::is_on(&forwarder.0.store, rule)
            .await
            .map_err(|e| later(e.into()))?;
        if !on {
            return Err(Unready::Refused(format!(
                "auto-forward rule {rule} was removed or turned off before this was sent"
            )));
        }
    }
    let list = forwarder.allowlist().await.map_err(later)?;
    if !list.allows(&to) {
        return Err(Unready::Refused(list.refusal(&to)));
    }
    let account = forwarder
        .account(via)
        .await
        .map_err(later)?
        .ok_or_else(|| Unready::Refused(super::not_set_up(via).to_string()))?;
    let key = format!("fwd_{}_{}", row.message_id, row.id);
    let built = providers::build(
        &account,
        &Job {
            key: &key,
            message_id: &row.message_id,
            tenant: &row.tenant,
            channel: Channel::parse(&row.channel).unwrap_or(Channel::Sms),
            to: to.as_str(),
            text: &row.text,
            now: std::time::SystemTime::now(),
        },
    )
    .map_err(Unready::Refused)?;
    Ok((via, built))
}

/// How long before try `attempts + 1`: the provider's `Retry-After` if it gave
/// one, else 1 s, 4 s, 16 s…; never less than 1 s (a `Retry-After: 0` must not
/// spend every try at once) nor more than `MAX_BACKOFF`.
fn backoff(attempts: i64, retry_after: Option<u64>) -> Duration {
    let wait = match retry_after {
        Some(secs) => Duration::from_secs(secs.max(1)),
        None => {
            let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 8)).unwrap_or(8);
            Duration::from_secs(4u64.saturating_pow(exp))
        }
    };
    wait.min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_bounded() {
        assert_eq!(backoff(1, None), Duration::from_secs(1));
        assert_eq!(backoff(2, None), Duration::from_secs(4));
        assert_eq!(backoff(3, None), Duration::from_secs(16));
        assert_eq!(backoff(50, None), MAX_BACKOFF);
        assert_eq!(backoff(1, Some(0)), Duration::from_secs(1));
        assert_eq!(backoff(1, Some(u64::MAX)), MAX_BACKOFF);
    }
}
