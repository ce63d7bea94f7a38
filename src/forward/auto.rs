//! Auto-forward rules as the capture writer reads them: in memory, matched on each
//! capture, queued in the capture's own transaction. Only what a provider, an
//! Action or an SDK sent is forwarded: a capture a web page made (it carries an
//! `Origin`, or a `Sec-Fetch-Site` other than `none`) never is, nor a code the
//! emulated tenant sent for a page's request (`/passwordless/start` from a page),
//! so no page can spend the user's credit through a rule; nor is what `phonebox seed` writes, as it goes
//! around the pipeline. Auto-forwards through each provider are capped per hour
//! (`BILLED_HOURLY` through Twilio, SNS or Vonage; `WEBHOOK_HOURLY` to the
//! webhook), however many rules point at it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, RwLock};

use super::settings::Via;
use crate::capture::pipeline::AutoForward;
use crate::message::{Message, RawRequest};
use crate::store::forward_rules::RuleRow;
use crate::store::forwards::QueuedForward;

/// The most captures auto-forwarded in an hour through each of Twilio, SNS and
/// Vonage (they bill per message).
pub const BILLED_HOURLY: u32 = 60;
/// The most captures auto-forwarded to the webhook in an hour.
pub const WEBHOOK_HOURLY: u32 = 3600;
const HOUR_MS: i64 = 3_600_000;

/// The rules in force.
#[derive(Default)]
pub struct AutoRules {
    rules: RwLock<Vec<RuleRow>>,
    on: AtomicBool,
    /// Per provider: the hour's start, how many went in it, and whether its
    /// warning was logged.
    spent: Mutex<HashMap<Via, (i64, u32, bool)>>,
}

impl AutoRules {
    /// Replaces the rules (after any change to them).
    pub fn set(&self, rules: Vec<RuleRow>) {
        let on = rules.iter().any(|r| r.enabled);
        *self.rules.write().unwrap_or_else(|p| p.into_inner()) = rules;
        self.on.store(on, Ordering::Relaxed);
    }

    /// Whether any rule is on.
    pub fn any_on(&self) -> bool {
        self.on.load(Ordering::Relaxed)
    }

    /// Counts one forward against `via`'s hour; false when it is spent (logged
    /// once an hour).
    fn spend(&self, via: Via, now: i64) -> bool {
        let budget = match via {
            Via::Webhook => WEBHOOK_HOURLY,
            _ => BILLED_HOURLY,
        };
        let mut spent = self.spent.lock().unwrap_or_else(|p| p.into_inner());
        let (start, count, warned) = spent.entry(via).or_insert((now, 0, false));
        if now - *start >= HOUR_MS {
            *start = now;
            *count = 0;
            *warned = false;
        }
        if *count >= budget {
            if !*warned {
                *warned = true;
                tracing::warn!(
                    provider = via.as_str(),
                    budget,
                    "auto-forwarding spent its hourly budget: captures are not forwarded \
                     until the hour is over"
                );
            }
            return false;
        }
        *count += 1;
        true
    }

    /// Whether rule `id` is on, as this process last loaded the rules.
    pub fn is_on(&self, id: i64) -> bool {
        self.rules
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .any(|r| r.id == id && r.enabled)
    }
}

/// Whether a browser sent the request, or the emulated tenant sent it for a
/// page's request (`requested_by_page`, set from the Authentication API call).
fn from_a_page(message: &Message, raw: &RawRequest) -> bool {
    let sent = raw.headers.iter().any(|(name, value)| {
        name == "origin" || (name == "sec-fetch-site" && value.trim() != "none")
    });
    let caused = message
        .attributes
        .as_ref()
        .and_then(|a| a.get("requested_by_page"))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    sent || caused
}

impl AutoForward for AutoRules {
    fn queue(&self, message: &Message, raw: &RawRequest) -> Vec<QueuedForward> {
        if !self.any_on() || from_a_page(message, raw) {
            return Vec::new();
        }
        let rules = self.rules.read().unwrap_or_else(|p| p.into_inner());
        let to = message.recipient.as_str();
        let now = crate::unix_ms::from_time(crate::unix_ms::now());
        let mut out = Vec::new();
        for rule in rules.iter().filter(|r| r.enabled) {
            let matches = match rule.pattern.strip_suffix('*') {
                Some(prefix) => to.starts_with(prefix),
                None => to == rule.pattern,
            };
            let Some(via) = Via::parse(&rule.via) else {
                continue;
            };
            if !matches {
                continue;
            }
            if !self.spend(via, now) {
                continue;
            }
            out.push(QueuedForward {
                message_id: message.id.clone(),
                tenant: message.tenant.clone(),
                channel: message.channel.as_str(),
                text: message.text.clone(),
                via: via.as_str(),
                destination: rule.to_number.clone().unwrap_or_else(|| to.to_owned()),
                rule_id: rule.id,
                now,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: i64, pattern: &str, via: &str) -> RuleRow {
        RuleRow {
            id,
            pattern: pattern.into(),
            via: via.into(),
            to_number: None,
            enabled: true,
        }
    }

    fn capture(to: &str, headers: &[(&str, &str)]) -> (Message, RawRequest) {
        let raw = RawRequest {
            content_type: None,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: Vec::new(),
        };
        let new = crate::message::NewMessage::new(
            crate::message::Channel::Sms,
            crate::message::Source::TwilioMessages,
            crate::message::phone::PhoneNumber::parse(to).expect("number"),
            "Your code is 123456".into(),
        );
        let (message, _) =
            crate::capture::pipeline::finish(new, "01TEST".into(), crate::unix_ms::now());
        (message, raw)
    }

    #[test]
    fn rules_match_by_prefix_or_number_and_never_a_page() {
        let rules = AutoRules::default();
        let (m, raw) = capture("+15555550100", &[]);
        assert!(rules.queue(&m, &raw).is_empty(), "no rule, nothing");
        rules.set(vec![
            rule(1, "+1555*", "twilio"),
            rule(2, "+15555550100", "webhook"),
            rule(3, "+44*", "sns"),
        ]);
        let queued = rules.queue(&m, &raw);
        assert_eq!(queued.iter().map(|q| q.rule_id).collect::<Vec<_>>(), [1, 2]);
        for page in [
            &[("origin", "http://localhost:3000")][..],
            &[("sec-fetch-site", "same-site")][..],
        ] {
            let (m, raw) = capture("+15555550100", page);
            assert!(rules.queue(&m, &raw).is_empty(), "{page:?}");
        }
        let (m, raw) = capture("+15555550100", &[("sec-fetch-site", "none")]);
        assert_eq!(
            rules.queue(&m, &raw).len(),
            2,
            "typed into the address bar is no page"
        );
    }

    #[test]
    fn a_provider_stops_at_its_hourly_budget_however_many_rules_point_at_it() {
        let rules = AutoRules::default();
        rules.set(vec![
            rule(1, "+1555*", "twilio"),
            rule(2, "+1555*", "twilio"),
            rule(3, "+1555*", "webhook"),
        ]);
        let (m, raw) = capture("+15555550100", &[]);
        let mut twilio = 0;
        let mut webhook = 0;
        for _ in 0..WEBHOOK_HOURLY {
            for q in rules.queue(&m, &raw) {
                if q.via == "twilio" {
                    twilio += 1;
                } else {
                    webhook += 1;
                }
            }
        }
        assert_eq!(twilio, BILLED_HOURLY, "two rules share Twilio's budget");
        assert_eq!(webhook, WEBHOOK_HOURLY);
        assert!(rules.queue(&m, &raw).is_empty(), "every budget spent");
    }
}
