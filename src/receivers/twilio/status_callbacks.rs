//! Status callbacks: telling the sender's webhook how a message fares, as Twilio does.
//!
//! Phonebox only calls loopback addresses: a callback URL comes from the request, and
//! an emulator must never reach real hosts on a caller's say-so.

use crate::message::Message;
use crate::outbound::{is_loopback, Outbound};

/// Posts `queued`, `sent`, `delivered` for a Twilio message, one after the other,
/// in the background. A URL that is not loopback HTTP is logged and skipped.
pub fn post(outbound: &Outbound, url: &str, message: &Message) {
    if !is_loopback(url) {
        // The URL is the caller's and may carry a token: it is not logged.
        tracing::warn!("StatusCallback skipped: Phonebox only calls loopback addresses");
        return;
    }
    let outbound = outbound.clone();
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
            if let Err(why) = outbound.post_form(&url, &form).await {
                tracing::warn!(status, error = %why, "StatusCallback failed");
                return;
            }
        }
    });
}
