//! A small client of a running server's `/emulator/v1` API, for the CLI.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::capture::chaos::Rule;
use crate::capture::provider::Provider;
use crate::clock::ClockView;

/// What the CLI reads of a message.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct MessageView {
    pub id: String,
    pub received_at: String,
    pub channel: String,
    pub source: String,
    pub to: String,
    pub from: Option<String>,
    pub text: String,
    pub code: Option<String>,
    pub status: String,
}

/// What `forward` asks for.
#[derive(Debug, serde::Serialize)]
pub struct ForwardCall<'a> {
    pub via: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<&'a str>,
    pub dry_run: bool,
}

/// What the CLI reads of a forward.
#[derive(Debug, Clone, Deserialize)]
pub struct ForwardStatus {
    pub id: i64,
    pub via: String,
    pub to: String,
    pub state: String,
    pub provider_message_id: Option<String>,
    pub last_error: Option<String>,
    pub attempts: Vec<AttemptStatus>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AttemptStatus {
    pub attempt: i64,
    pub outcome: String,
    pub http_status: Option<i64>,
    pub error: Option<String>,
    pub latency_ms: i64,
}

impl ForwardStatus {
    /// Whether it will change no more (sent, failed, interrupted).
    pub fn is_settled(&self) -> bool {
        !matches!(self.state.as_str(), "queued" | "sending")
    }

    /// One line per attempt, then the outcome.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for a in &self.attempts {
            out.push_str(&format!(
                "attempt {}: {}{}{} ({} ms)\n",
                a.attempt,
                a.outcome,
                a.http_status
                    .map(|s| format!(", HTTP {s}"))
                    .unwrap_or_default(),
                a.error
                    .as_ref()
                    .map(|e| format!(", {e}"))
                    .unwrap_or_default(),
                a.latency_ms
            ));
        }
        match self.state.as_str() {
            "sent" => out.push_str(&format!(
                "forwarded to {} via {}: accepted{}",
                self.to,
                self.via,
                self.provider_message_id
                    .as_ref()
                    .map(|id| format!(", {id}"))
                    .unwrap_or_default()
            )),
            state => out.push_str(&format!(
                "forward to {} via {}: {state}{}",
                self.to,
                self.via,
                self.last_error
                    .as_ref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            )),
        }
        out
    }
}

#[derive(Debug, Deserialize)]
struct PageView {
    messages: Vec<MessageView>,
}

#[derive(Debug, Deserialize)]
struct ErrorView {
    message: String,
}

/// Why a call to the server failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach Phonebox at {base}: {source} (is `phonebox serve` running?)")]
    Unreachable {
        base: String,
        source: reqwest::Error,
    },
    #[error("{0}")]
    Refused(String),
    #[error("unexpected answer from {base}: {source}")]
    BadAnswer {
        base: String,
        source: reqwest::Error,
    },
}

/// Talks to one server.
pub struct EmulatorClient {
    http: reqwest::Client,
    base: String,
}

impl EmulatorClient {
    /// A client of the server at `base` (e.g. `http://127.0.0.1:7676`).
    pub fn new(base: &str) -> EmulatorClient {
        EmulatorClient {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// The newest message to `to` (newer than `after`), waiting up to `wait`.
    /// `Ok(None)` when none came.
    pub async fn latest(
        &self,
        to: &str,
        wait: Duration,
        after: Option<&str>,
    ) -> Result<Option<MessageView>, ClientError> {
        let mut query = vec![("wait", format!("{}ms", wait.as_millis()))];
        if let Some(after) = after {
            query.push(("after", after.to_owned()));
        }
        let url = format!("{}/emulator/v1/phones/{}/latest", self.base, encode(to));
        let response = self
            .http
            .get(url)
            .query(&query)
            // The server holds the request for `wait`; give it room to answer.
            .timeout(wait + Duration::from_secs(10))
            .send()
            .await
            .map_err(|source| self.unreachable(source))?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            let body: Result<ErrorView, _> = response.json().await;
            return match body {
                Ok(_) => Ok(None),
                Err(source) => Err(self.bad_answer(source)),
            };
        }
        self.read(response).await.map(Some)
    }

    /// The newest `limit` messages, to `to` if given.
    pub async fn messages(
        &self,
        to: Option<&str>,
        limit: u32,
    ) -> Result<Vec<MessageView>, ClientError> {
        let mut query = vec![("limit", limit.to_string())];
        if let Some(to) = to {
            query.push(("to", to.to_owned()));
        }
        let response = self
            .http
            .get(format!("{}/emulator/v1/messages", self.base))
            .query(&query)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|source| self.unreachable(source))?;
        let page: PageView = self.read(response).await?;
        Ok(page.messages)
    }

    /// The emulated clock.
    pub async fn clock(&self) -> Result<ClockView, ClientError> {
        let request = self.http.get(format!("{}/emulator/v1/clock", self.base));
        self.call(request).await
    }

    pub async fn advance_clock(&self, by: &str) -> Result<ClockView, ClientError> {
        let request = self
            .http
            .post(format!("{}/emulator/v1/clock/advance", self.base))
            .json(&serde_json::json!({ "by": by }));
        self.call(request).await
    }

    pub async fn reset_clock(&self) -> Result<ClockView, ClientError> {
        let request = self.http.delete(format!("{}/emulator/v1/clock", self.base));
        self.call(request).await
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let response = request
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|source| self.unreachable(source))?;
        self.read(response).await
    }

    /// Forwards message `id`: the queued forward (`ForwardStatus`), or with
    /// `dry_run` the request it would send, as the server shows it (JSON).
    pub async fn forward<T: serde::de::DeserializeOwned>(
        &self,
        id: &str,
        call: &ForwardCall<'_>,
    ) -> Result<T, ClientError> {
        let request = self
            .http
            .post(format!(
                "{}/emulator/v1/messages/{}/forward",
                self.base,
                encode(id)
            ))
            .json(call);
        self.call(request).await
    }

    /// Waits up to `wait` for forward `id` to settle; the forward as it then is.
    pub async fn wait_forward(
        &self,
        id: i64,
        wait: Duration,
    ) -> Result<ForwardStatus, ClientError> {
        let deadline = std::time::Instant::now() + wait;
        loop {
            let request = self
                .http
                .get(format!("{}/emulator/v1/forwards/{id}", self.base));
            let status: ForwardStatus = self.call(request).await?;
            if status.is_settled() || std::time::Instant::now() >= deadline {
                return Ok(status);
            }
            // A CLI polling another process; no event to wait on without SSE parsing.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The chaos rules, by provider.
    pub async fn chaos_rules(&self) -> Result<BTreeMap<Provider, Rule>, ClientError> {
        #[derive(serde::Deserialize)]
        struct Rules {
            rules: BTreeMap<Provider, Rule>,
        }
        let request = self.http.get(format!("{}/emulator/v1/chaos", self.base));
        let body: Rules = self.call(request).await?;
        Ok(body.rules)
    }

    /// Sets `provider`'s chaos rule; the rule as the server keeps it.
    pub async fn set_chaos(&self, provider: &str, rule: &Rule) -> Result<Rule, ClientError> {
        let response = self
            .http
            .put(format!(
                "{}/emulator/v1/chaos/{}",
                self.base,
                encode(provider)
            ))
            .json(rule)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|source| self.unreachable(source))?;
        self.read(response).await
    }

    /// Removes one provider's chaos rule, or all of them.
    pub async fn clear_chaos(&self, provider: Option<&str>) -> Result<(), ClientError> {
        let url = match provider {
            Some(p) => format!("{}/emulator/v1/chaos/{}", self.base, encode(p)),
            None => format!("{}/emulator/v1/chaos", self.base),
        };
        let response = self
            .http
            .delete(url)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|source| self.unreachable(source))?;
        if response.status().is_success() {
            return Ok(());
        }
        self.read::<serde_json::Value>(response).await.map(|_| ())
    }

    async fn read<T: serde::de::DeserializeOwned>(
        &self,
        response: reqwest::Response,
    ) -> Result<T, ClientError> {
        if !response.status().is_success() {
            let status = response.status();
            let message = match response.json::<ErrorView>().await {
                Ok(e) => e.message,
                Err(_) => status.to_string(),
            };
            return Err(ClientError::Refused(message));
        }
        response
            .json()
            .await
            .map_err(|source| self.bad_answer(source))
    }

    fn unreachable(&self, source: reqwest::Error) -> ClientError {
        ClientError::Unreachable {
            base: self.base.clone(),
            source,
        }
    }

    fn bad_answer(&self, source: reqwest::Error) -> ClientError {
        ClientError::BadAnswer {
            base: self.base.clone(),
            source,
        }
    }
}

/// Percent-encodes a path segment (a `+` is fine in paths but spaces are not).
fn encode(segment: &str) -> String {
    form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
