//! Fault injection for the provider APIs (Mailpit's "chaos", for SMS): a rule per
//! provider makes its endpoint answer with a chosen provider error, with a
//! probability, and/or answer late. Off until a rule is set; rules live in memory
//! only, so a restart always comes back well-behaved.
//!
//! A request that chaos fails is still stored, as `failed` with the error, so the
//! inbox shows what the caller was told.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::capture::pipeline::{CaptureError, Pipeline};
pub use crate::capture::provider::Provider;
use crate::message::{Message, NewMessage, SendError};

/// What a provider endpoint does when its rule fires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[schema(as = ChaosRule)]
pub struct Rule {
    /// The provider's own error code to answer with (`21611`, `Throttling`, `1`);
    /// none for latency only.
    #[serde(default)]
    pub error: Option<String>,
    /// Chance in [0, 1] that the error is given; 1 unless said.
    #[serde(default = "always")]
    pub probability: f64,
    /// Added before every answer of this provider, failed or not.
    #[serde(default)]
    pub latency_ms: u64,
    /// Fire at most this many more times, then the rule removes itself.
    #[serde(default)]
    pub times: Option<u32>,
}

fn always() -> f64 {
    1.0
}

/// Why a rule cannot be set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}`: {message}")]
pub struct RuleError {
    pub field: &'static str,
    pub message: String,
}

impl Rule {
    fn validate(&self, provider: Provider) -> Result<(), RuleError> {
        if !(0.0..=1.0).contains(&self.probability) {
            return Err(RuleError {
                field: "probability",
                message: format!("{} is not between 0 and 1", self.probability),
            });
        }
        if self.latency_ms > 600_000 {
            return Err(RuleError {
                field: "latency_ms",
                message: "at most 600000 (ten minutes)".into(),
            });
        }
        if self.times == Some(0) {
            return Err(RuleError {
                field: "times",
                message: "must be at least 1 (delete the rule to turn it off)".into(),
            });
        }
        match &self.error {
            None if self.latency_ms == 0 => Err(RuleError {
                field: "error",
                message: "a rule needs an error code, a latency, or both".into(),
            }),
            Some(code) if numeric_codes(provider) && code.parse::<i64>().is_err() => {
                Err(RuleError {
                    field: "error",
                    message: format!(
                        "{} error codes are numbers, not '{code}'",
                        provider.as_str()
                    ),
                })
            }
            Some(code)
                if code.is_empty()
                    || code.len() > 64
                    || !code
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)) =>
            {
                Err(RuleError {
                    field: "error",
                    message: format!("'{code}' is not an error code"),
                })
            }
            _ => Ok(()),
        }
    }
}

/// Whether the provider's error codes are numbers (Twilio 21611, Vonage 1).
fn numeric_codes(provider: Provider) -> bool {
    matches!(
        provider,
        Provider::Twilio
            | Provider::Vonage
            | Provider::Mitto
            | Provider::Telesign
            | Provider::Messagebird
    )
}

/// What chaos decided for one request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decision {
    pub latency: Duration,
    pub error: Option<String>,
}

/// The rule set, shared by every request.
#[derive(Debug, Clone, Default)]
pub struct Chaos(Arc<Mutex<BTreeMap<Provider, Rule>>>);

impl Chaos {
    pub fn rules(&self) -> BTreeMap<Provider, Rule> {
        self.lock().clone()
    }

    pub fn set(&self, provider: Provider, rule: Rule) -> Result<(), RuleError> {
        rule.validate(provider)?;
        self.lock().insert(provider, rule);
        Ok(())
    }

    /// Removes one provider's rule; whether there was one.
    pub fn remove(&self, provider: Provider) -> bool {
        self.lock().remove(&provider).is_some()
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Rolls the dice for one request to `provider`.
    pub fn decide(&self, provider: Provider) -> Decision {
        let mut rules = self.lock();
        let Some(rule) = rules.get_mut(&provider) else {
            return Decision::default();
        };
        let latency = Duration::from_millis(rule.latency_ms);
        let fires = crate::random::chance(rule.probability);
        if !fires {
            return Decision {
                latency,
                error: None,
            };
        }
        let error = rule.error.clone();
        if let Some(times) = rule.times.as_mut() {
            *times -= 1;
            if *times == 0 {
                rules.remove(&provider);
            }
        }
        Decision { latency, error }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Provider, Rule>> {
        // A panic while holding this lock cannot leave the map half-updated.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A provider's error type, as chaos injects it.
pub trait InjectedError: Sized {
    /// The error `provider` gives for `code`, with its own status and wording.
    fn injected(provider: Provider, code: &str) -> Self;
    /// `provider`'s "internal error", for a capture Phonebox itself failed to store.
    fn internal(provider: Option<Provider>, e: CaptureError) -> Self;
    /// The code and message to keep on the failed message.
    fn send_error(&self) -> SendError;
}

/// Captures a provider API message, first applying that provider's chaos rule: the
/// answer is delayed, or the message is stored as failed and the error returned.
pub async fn capture<E: InjectedError>(
    pipeline: &Pipeline,
    chaos: &Chaos,
    message: NewMessage,
) -> Result<Arc<Message>, E> {
    let provider = Provider::of(message.source);
    let mut stored = capture_all::<E>(pipeline, chaos, vec![message]).await?;
    stored
        .pop()
        .ok_or_else(|| E::internal(provider, CaptureError::Stopped))
}

/// Applies `provider`'s rule to one request: waits its latency, then gives the
/// error it injects, if it fires.
pub async fn verdict<E: InjectedError>(chaos: &Chaos, provider: Provider) -> Option<E> {
    let decision = chaos.decide(provider);
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    decision.error.map(|code| E::injected(provider, &code))
}

/// `capture` for one request that sends several messages (one per recipient): chaos
/// decides once for the request, and a failure marks every message failed.
pub async fn capture_all<E: InjectedError>(
    pipeline: &Pipeline,
    chaos: &Chaos,
    messages: Vec<NewMessage>,
) -> Result<Vec<Arc<Message>>, E> {
    let provider = messages.first().and_then(|m| Provider::of(m.source));
    let failure = match provider {
        Some(provider) => verdict::<E>(chaos, provider).await,
        None => None,
    };
    let mut stored = Vec::with_capacity(messages.len());
    for mut message in messages {
        message.error = failure.as_ref().map(InjectedError::send_error);
        let message = pipeline
            .capture(message)
            .await
            .map_err(|e| E::internal(provider, e))?;
        stored.push(message);
    }
    match failure {
        Some(error) => Err(error),
        None => Ok(stored),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(error: &str, probability: f64, times: Option<u32>) -> Rule {
        Rule {
            error: Some(error.into()),
            probability,
            latency_ms: 0,
            times,
        }
    }

    #[test]
    fn certain_and_impossible_rules_are_exact() {
        let chaos = Chaos::default();
        chaos
            .set(Provider::Twilio, rule("21611", 1.0, None))
            .expect("valid rule");
        chaos
            .set(Provider::Sns, rule("Throttling", 0.0, None))
            .expect("valid rule");
        for _ in 0..1000 {
            assert_eq!(
                chaos.decide(Provider::Twilio).error.as_deref(),
                Some("21611")
            );
            assert_eq!(chaos.decide(Provider::Sns).error, None);
        }
        assert_eq!(chaos.decide(Provider::Vonage), Decision::default());
    }

    #[test]
    fn a_rule_with_times_removes_itself() {
        let chaos = Chaos::default();
        chaos
            .set(Provider::Twilio, rule("21611", 1.0, Some(2)))
            .expect("valid rule");
        assert!(chaos.decide(Provider::Twilio).error.is_some());
        assert!(chaos.decide(Provider::Twilio).error.is_some());
        assert!(chaos.decide(Provider::Twilio).error.is_none());
        assert!(chaos.rules().is_empty());
    }

    #[test]
    fn half_probability_fires_about_half_the_time() {
        let chaos = Chaos::default();
        chaos
            .set(Provider::Vonage, rule("1", 0.5, None))
            .expect("valid rule");
        let fired = (0..10_000)
            .filter(|_| chaos.decide(Provider::Vonage).error.is_some())
            .count();
        // Binomial(10000, 0.5): 4500..5500 is more than ten standard deviations wide.
        assert!((4500..5500).contains(&fired), "fired {fired} times");
    }

    #[test]
    fn bad_rules_are_refused_with_the_field() {
        let chaos = Chaos::default();
        let field = |provider, rule| chaos.set(provider, rule).expect_err("invalid rule").field;
        assert_eq!(field(Provider::Twilio, rule("abc", 1.0, None)), "error");
        assert_eq!(
            field(Provider::Sns, rule("Throttling", 1.5, None)),
            "probability"
        );
        assert_eq!(
            field(Provider::Sns, rule("Throttling", 1.0, Some(0))),
            "times"
        );
        assert_eq!(field(Provider::Sns, rule("<script>", 1.0, None)), "error");
        let nothing = Rule {
            error: None,
            probability: 1.0,
            latency_ms: 0,
            times: None,
        };
        assert_eq!(field(Provider::Sns, nothing), "error");
    }
}
