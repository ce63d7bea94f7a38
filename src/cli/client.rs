//! A small client of a running server's `/emulator/v1` API, for the CLI.
//!
//! Each call reads the few fields its command shows and keeps the server's JSON
//! beside them, so `--json` prints what the API answered rather than a re-shaped
//! copy. Whether the other end is Phonebox at all is judged here, once: an answer
//! that is not HTTP, not JSON or not in Phonebox's shape is `NotPhonebox`, told
//! apart from a server that cannot be reached and from Phonebox refusing.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
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

/// A server's answer: what the CLI reads of it, and its JSON as the server sent it
/// (for `--json`).
#[derive(Debug, Clone)]
pub struct Answer<T> {
    pub view: T,
    pub json: serde_json::Value,
}

/// Phonebox's error answer, `{"error", "message", "field"?}`; on a `latest` that
/// found nothing, also the send that failed in the wait (`failure`).
#[derive(Debug, Clone, Deserialize)]
pub struct Refusal {
    /// The HTTP status it came with.
    #[serde(skip)]
    pub status: u16,
    pub error: String,
    pub message: String,
    /// The request field at fault, as the server names it (`to`, `wait`...).
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default)]
    pub failure: Option<SendFailure>,
}

impl Refusal {
    /// The message without the server's "`field`: " in front, to put the
    /// user's own flag there instead.
    pub fn reason(&self) -> &str {
        let Some(field) = &self.field else {
            return &self.message;
        };
        self.message
            .strip_prefix(&format!("`{field}`: "))
            .unwrap_or(&self.message)
    }
}

/// A send that failed (an Auth0 log event), as a `no_message` answer reports it.
#[derive(Debug, Clone, Deserialize)]
pub struct SendFailure {
    /// The Auth0 log type, e.g. `gd_send_sms_failure`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub date: Option<String>,
}

/// Why a call to the server failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach Phonebox at {base}: {detail} (is `phonebox serve` running there?)")]
    Unreachable { base: String, detail: String },
    /// Phonebox answered, with an error in its own shape.
    #[error("{}", .0.message)]
    Refused(Box<Refusal>),
    #[error("what answers at {base} is not Phonebox ({detail}): check --server")]
    NotPhonebox { base: String, detail: String },
}

/// What a `latest` call found.
#[derive(Debug)]
pub enum Latest {
    Found(Answer<MessageView>),
    /// Nothing arrived in the wait; the last send that failed in it, when the
    /// server tells.
    Nothing(Option<SendFailure>),
}

/// Which messages count, beyond the number: each one given must match.
#[derive(Debug, Default, Clone, Copy)]
pub struct Scope<'a> {
    pub tenant: Option<&'a str>,
    pub user_id: Option<&'a str>,
    pub transaction_id: Option<&'a str>,
}

impl Scope<'_> {
    fn push_onto(&self, query: &mut Vec<(&'static str, String)>) {
        let given = [
            ("tenant", self.tenant),
            ("user_id", self.user_id),
            ("transaction_id", self.transaction_id),
        ];
        for (name, value) in given {
            if let Some(value) = value {
                query.push((name, value.to_owned()));
            }
        }
    }
}

/// An HTTP answer, read whole.
struct Reply {
    status: StatusCode,
    content_type: Option<String>,
    body: bytes::Bytes,
}

/// How long a call other than a held wait may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

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

    /// The newest message to `to` (newer than `after`, within `scope`), waiting up
    /// to `wait`.
    pub async fn latest(
        &self,
        to: &str,
        wait: Duration,
        after: Option<&str>,
        scope: &Scope<'_>,
    ) -> Result<Latest, ClientError> {
        let mut query = vec![("wait", format!("{}ms", wait.as_millis()))];
        if let Some(after) = after {
            query.push(("after", after.to_owned()));
        }
        scope.push_onto(&mut query);
        let url = format!("{}/emulator/v1/phones/{}/latest", self.base, encode(to));
        let request = self.http.get(url).query(&query);
        // The server holds the request for `wait`; give it room to answer.
        let reply = self.send(request, wait + Duration::from_secs(10)).await?;
        if reply.status == StatusCode::NOT_FOUND {
            return match self.refusal(&reply) {
                ClientError::Refused(r) if r.error == "no_message" => {
                    Ok(Latest::Nothing(r.failure))
                }
                other => Err(other),
            };
        }
        self.answer(&reply).map(Latest::Found)
    }

    /// The newest `limit` messages (to `to` if given, within `scope`); the JSON is
    /// the answer's `messages` array.
    pub async fn messages(
        &self,
        to: Option<&str>,
        limit: u32,
        scope: &Scope<'_>,
    ) -> Result<Answer<Vec<MessageView>>, ClientError> {
        #[derive(Deserialize)]
        struct Page {
            messages: Vec<serde_json::Value>,
        }
        let mut query = vec![("limit", limit.to_string())];
        if let Some(to) = to {
            query.push(("to", to.to_owned()));
        }
        scope.push_onto(&mut query);
        let request = self
            .http
            .get(format!("{}/emulator/v1/messages", self.base))
            .query(&query);
        let page: Answer<Page> = self.call(request).await?;
        let view = page
            .view
            .messages
            .iter()
            .map(MessageView::deserialize)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.not_phonebox(format!("a message it listed: {e}")))?;
        Ok(Answer {
            view,
            json: serde_json::Value::Array(page.view.messages),
        })
    }

    /// One flow's timeline (`GET /emulator/v1/flows/{id}`), as JSON.
    pub async fn flow(
        &self,
        transaction_id: &str,
    ) -> Result<Answer<serde_json::Value>, ClientError> {
        let request = self.http.get(format!(
            "{}/emulator/v1/flows/{}",
            self.base,
            encode(transaction_id)
        ));
        self.call(request).await
    }

    /// The emulated clock.
    pub async fn clock(&self) -> Result<Answer<ClockView>, ClientError> {
        let request = self.http.get(format!("{}/emulator/v1/clock", self.base));
        self.call(request).await
    }

    pub async fn advance_clock(&self, by: &str) -> Result<Answer<ClockView>, ClientError> {
        let request = self
            .http
            .post(format!("{}/emulator/v1/clock/advance", self.base))
            .json(&serde_json::json!({ "by": by }));
        self.call(request).await
    }

    pub async fn reset_clock(&self) -> Result<Answer<ClockView>, ClientError> {
        let request = self.http.delete(format!("{}/emulator/v1/clock", self.base));
        self.call(request).await
    }

    /// Forwards message `id`: the queued forward (`ForwardStatus`), or with
    /// `dry_run` the request it would send, as the server shows it.
    pub async fn forward<T: DeserializeOwned>(
        &self,
        id: &str,
        call: &ForwardCall<'_>,
    ) -> Result<Answer<T>, ClientError> {
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
    ) -> Result<Answer<ForwardStatus>, ClientError> {
        let deadline = std::time::Instant::now() + wait;
        loop {
            let request = self
                .http
                .get(format!("{}/emulator/v1/forwards/{id}", self.base));
            let status: Answer<ForwardStatus> = self.call(request).await?;
            if status.view.is_settled() || std::time::Instant::now() >= deadline {
                return Ok(status);
            }
            // A CLI polling another process; no event to wait on without SSE parsing.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The chaos rules, by provider; the JSON is the whole answer (the rules and
    /// every provider one can be set for).
    pub async fn chaos_rules(&self) -> Result<Answer<BTreeMap<Provider, Rule>>, ClientError> {
        #[derive(Deserialize)]
        struct Rules {
            rules: BTreeMap<Provider, Rule>,
        }
        let request = self.http.get(format!("{}/emulator/v1/chaos", self.base));
        let answer: Answer<Rules> = self.call(request).await?;
        Ok(Answer {
            view: answer.view.rules,
            json: answer.json,
        })
    }

    /// Sets `provider`'s chaos rule; the rule as the server keeps it.
    pub async fn set_chaos(
        &self,
        provider: Provider,
        rule: &Rule,
    ) -> Result<Answer<Rule>, ClientError> {
        let request = self
            .http
            .put(format!("{}/emulator/v1/chaos/{provider}", self.base))
            .json(rule);
        self.call(request).await
    }

    /// Removes one provider's chaos rule, or all of them.
    pub async fn clear_chaos(&self, provider: Option<Provider>) -> Result<(), ClientError> {
        let url = match provider {
            Some(p) => format!("{}/emulator/v1/chaos/{p}", self.base),
            None => format!("{}/emulator/v1/chaos", self.base),
        };
        let reply = self.send(self.http.delete(url), CALL_TIMEOUT).await?;
        if reply.status.is_success() {
            return Ok(());
        }
        Err(self.refusal(&reply))
    }

    async fn call<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Answer<T>, ClientError> {
        let reply = self.send(request, CALL_TIMEOUT).await?;
        self.answer(&reply)
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        timeout: Duration,
    ) -> Result<Reply, ClientError> {
        let response = request
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| self.transport(&e))?;
        let status = response.status();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.bytes().await.map_err(|e| self.transport(&e))?;
        Ok(Reply {
            status,
            content_type,
            body,
        })
    }

    /// A success in the shape `T`, or the error it carries.
    fn answer<T: DeserializeOwned>(&self, reply: &Reply) -> Result<Answer<T>, ClientError> {
        if !reply.status.is_success() {
            return Err(self.refusal(reply));
        }
        let json = self.json(reply)?;
        let view = T::deserialize(&json)
            .map_err(|e| self.not_phonebox(format!("HTTP {}, but {e}", reply.status)))?;
        Ok(Answer { view, json })
    }

    /// An error answer: Phonebox's refusal, or proof that something else answered.
    fn refusal(&self, reply: &Reply) -> ClientError {
        let json = match self.json(reply) {
            Ok(json) => json,
            Err(e) => return e,
        };
        match Refusal::deserialize(&json) {
            Ok(mut refusal) => {
                refusal.status = reply.status.as_u16();
                ClientError::Refused(Box::new(refusal))
            }
            Err(_) => self.not_phonebox(format!(
                "HTTP {} with JSON that is not a Phonebox error",
                reply.status
            )),
        }
    }

    fn json(&self, reply: &Reply) -> Result<serde_json::Value, ClientError> {
        serde_json::from_slice(&reply.body).map_err(|_| {
            let kind = match &reply.content_type {
                Some(t) => format!("a {t} body"),
                None => "a body".to_owned(),
            };
            self.not_phonebox(format!(
                "HTTP {} with {kind} that is not JSON",
                reply.status
            ))
        })
    }

    /// A call that got no HTTP answer: nothing listening, no answer in time or
    /// the connection dropped (unreachable), or an answer that is not HTTP.
    fn transport(&self, e: &reqwest::Error) -> ClientError {
        let mut detail = e.to_string();
        let mut protocol = None;
        let mut io = false;
        let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
        while let Some(c) = cause {
            if let Some(h) = c.downcast_ref::<hyper::Error>() {
                protocol = Some(h);
            }
            io |= c.is::<std::io::Error>();
            detail = c.to_string();
            cause = c.source();
        }
        // hyper read bytes, and they were not an HTTP answer (a parse error, or
        // data before any request, as an SSH server sends).
        let not_http = !e.is_connect()
            && !e.is_timeout()
            && !io
            && protocol.is_some_and(|h| {
                !(h.is_closed() || h.is_incomplete_message() || h.is_canceled() || h.is_timeout())
            });
        if not_http {
            self.not_phonebox(format!("it does not answer in HTTP: {detail}"))
        } else {
            ClientError::Unreachable {
                base: self.base.clone(),
                detail,
            }
        }
    }

    fn not_phonebox(&self, detail: String) -> ClientError {
        ClientError::NotPhonebox {
            base: self.base.clone(),
            detail,
        }
    }
}

/// Percent-encodes a path segment (a `+` is fine in paths but spaces are not).
fn encode(segment: &str) -> String {
    form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
