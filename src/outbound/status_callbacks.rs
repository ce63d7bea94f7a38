//! Status callbacks: telling the sender's webhook how a message fares, as Twilio does.
//!
//! Phonebox only calls loopback addresses: a callback URL comes from the request, and
//! an emulator must never reach real hosts on a caller's say-so.

use super::{is_loopback, Outbound};
use crate::message::Message;

impl Outbound {
    /// Posts `queued`, `sent`, `delivered` for a Twilio message, one after the other,
    /// in the background. A URL that is not loopback HTTP is logged and skipped.
    pub fn twilio_status_callbacks(&self, url: &str, message: &Message) {
        if !is_loopback(url) {
            tracing::warn!(
                url,
                "StatusCallback skipped: Phonebox only calls loopback addresses"
            );
            return;
        }
        let http = self.http().clone();
        let url = url.to_owned();
        let sid = message.provider_message_id.clone().unwrap_or_default();
        let account = message.provider_account.clone().unwrap_or_default();
        let from = message.sender.clone().unwrap_or_default();
        let to = message.recipient.to_string();
        tokio::spawn(async move {
            for status in ["queued", "sent", "delivered"] {
                let form = [
                    ("AccountSid", account.as_str()),
                    ("ApiVersion", "2010-04-01"),
                    ("MessageSid", sid.as_str()),
                    ("SmsSid", sid.as_str()),
                    ("MessageStatus", status),
                    ("SmsStatus", status),
                    ("From", from.as_str()),
                    ("To", to.as_str()),
                ];
                if let Err(e) = http.post(&url).form(&form).send().await {
                    tracing::warn!(url, status, error = %e, "StatusCallback failed");
                    return;
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn only_loopback_http_urls_are_called() {
        assert!(is_loopback("http://127.0.0.1:9000/status"));
        assert!(is_loopback("http://localhost/x"));
        assert!(is_loopback("http://[::1]:80/"));
        assert!(!is_loopback("https://example.com/status"));
        assert!(!is_loopback("http://10.0.0.1/"));
        assert!(!is_loopback("file:///etc/passwd"));
        assert!(!is_loopback("not a url"));
    }
}
