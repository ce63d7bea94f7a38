//! What came of one send, in the terms a retry loop needs.

/// The outcome of one attempt at a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The provider took it; its id for what it sends (`SM…`, a `MessageId`), if given.
    Accepted { provider_id: Option<String> },
    /// Worth trying again later: a timeout, a refused connection, a 5xx, a 429 or a
    /// throttle; `after` is the provider's `Retry-After`, in seconds.
    Retry { why: String, after: Option<u64> },
    /// Will not work as sent: wrong credentials, a refused number, an untrusted
    /// certificate. Not retried.
    Refused { why: String },
}

impl Verdict {
    /// The usual reading of an HTTP status, for providers whose answer says no more:
    /// 2xx taken, 408/429/5xx worth retrying, any other status refused.
    pub fn from_status(answer: &super::Answer, provider: &str, detail: &str) -> Verdict {
        let status = answer.status;
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!(": {detail}")
        };
        match status {
            200..=299 => Verdict::Accepted { provider_id: None },
            408 | 429 | 500..=599 => Verdict::Retry {
                why: format!("{provider} answered {status}{detail}"),
                after: answer.retry_after,
            },
            _ => Verdict::Refused {
                why: format!("{provider} answered {status}{detail}"),
            },
        }
    }
}
