//! A custom phone provider behind a URL: the event posted as JSON.

use super::{is_loopback, without_url, Outbound};
use crate::message::{Link, LINK_HEADER};

impl Outbound {
    /// Posts `body`; `Err` says why the provider did not take it.
    pub async fn webhook(&self, url: &str, body: &[u8], link: &Link) -> Result<(), String> {
        let mut request = self
            .http()
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        if is_loopback(url) {
            request = request.header(LINK_HEADER, link.to_header());
        }
        match request.send().await {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(format!("the custom provider answered {}", r.status())),
            Err(e) => Err(format!(
                "the custom provider did not answer: {}",
                without_url(e)
            )),
        }
    }
}
