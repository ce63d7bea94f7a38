//! Twilio's Messages and Calls APIs, as the emulated tenant calls them.

use serde_json::Value;

use super::{is_loopback, without_url, Outbound};
use crate::message::{Link, LINK_HEADER};

/// A send through Twilio's API at `base`.
pub struct Send<'a> {
    pub base: &'a str,
    pub sid: &'a str,
    pub token: &'a str,
    /// `Messages.json` or `Calls.json`.
    pub resource: &'a str,
    pub form: &'a [(&'a str, String)],
    pub link: &'a Link,
}

impl Outbound {
    /// Posts the form with Basic auth; Twilio's resource sid, or why it failed.
    pub async fn twilio(&self, send: &Send<'_>) -> Result<String, String> {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/{}",
            send.base.trim_end_matches('/'),
            send.sid,
            send.resource
        );
        let mut request = self
            .http()
            .post(&url)
            .basic_auth(send.sid, Some(send.token))
            .form(send.form);
        if is_loopback(send.base) {
            request = request.header(LINK_HEADER, send.link.to_header());
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("Twilio did not answer: {}", without_url(e)))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            let message = body
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("no message");
            let code = body.get("code").map(Value::to_string).unwrap_or_default();
            return Err(format!(
                "Twilio refused the message ({status}, code {code}): {message}"
            ));
        }
        Ok(body
            .get("sid")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned())
    }
}
