//! Forwarding captured messages to real providers: the allowlist, the dry run, the
//! queue, retries and the audit trail. Nothing here runs on the capture path: a
//! forward is a row in `forwards` that the worker sends later, so a slow or hung
//! provider delays no capture, and a restart neither loses nor repeats a forward.

pub mod allowlist;
pub mod auto;
pub mod providers;
pub mod settings;
pub mod views;
mod worker;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, Notify};

use crate::capture::pipeline::Pipeline;
use crate::message::phone::PhoneNumber;
use crate::outbound::Outbound;
use crate::secrets::Secrets;
use crate::store::{self, forward_rules, forwards, Store, StoreError};
use allowlist::Allowlist;
use settings::{ProviderInput, ProviderSettings, ProviderView, SavedPhone, Via};
use views::{DryRun, ForwardView, ForwardingView, ForwardsPage, RuleView};

pub use worker::Worker;

const ALLOWLIST_KEY: &str = "forward.allowlist";
const PHONES_KEY: &str = "forward.my_phones";
/// The most auto-forward rules.
pub const MAX_RULES: usize = 50;
/// The most forwards waiting to be sent (queued or at a provider): a runaway
/// script is stopped before it spends much.
pub const MAX_PENDING: i64 = 1000;

/// Why a forwarding request was not done.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    #[error("{0}")]
    NotFound(String),
    /// The provider is not set up (409).
    #[error("{0}")]
    NotSetUp(String),
    /// The destination is not on the allowlist (403).
    #[error("{0}")]
    NotAllowed(String),
    /// Too many forwards are waiting (429).
    #[error("{0}")]
    TooMany(String),
    #[error("`{field}`: {message}")]
    Bad { field: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The secrets store could not be written; the text never holds a value.
    #[error("cannot save the credentials: {0}")]
    Secrets(String),
}

fn bad(field: &str, message: impl Into<String>) -> ForwardError {
    ForwardError::Bad {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// `POST /emulator/v1/messages/{id}/forward`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardRequest {
    pub via: String,
    /// Where to; none = the message's recipient.
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub dry_run: bool,
}

/// A rule as sent in.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    pub pattern: String,
    pub via: String,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

/// What a forward request did.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Forwarded {
    DryRun(DryRun),
    Queued(ForwardView),
}

/// What happened to a forward, for live views.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", content = "data")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum ForwardEvent {
    #[serde(rename = "forward.queued")]
    Queued(Arc<ForwardView>),
    /// One attempt was made (or a forward was given up before one).
    #[serde(rename = "forward.attempt")]
    Attempt(Arc<ForwardView>),
}

/// Forwarding; cheap to clone.
#[derive(Clone)]
pub struct Forwarder(Arc<Inner>);

struct Inner {
    store: Store,
    pipeline: Pipeline,
    secrets: Secrets,
    outbound: Outbound,
    wake: Notify,
    bus: broadcast::Sender<ForwardEvent>,
    /// The auto-forward rules the capture writer matches; while one is on, a
    /// capture wakes the worker.
    auto: Arc<auto::AutoRules>,
    /// Held over a rule change and the reload after it, so two changes at once
    /// cannot leave the older list in force.
    rule_changes: tokio::sync::Mutex<()>,
}

impl Forwarder {
    /// Marks forwards a crash left mid-send, and makes the forwarder; `Worker::run`
    /// then sends.
    pub async fn start(
        pipeline: Pipeline,
        secrets: Secrets,
        outbound: Outbound,
    ) -> Result<(Forwarder, Worker), StoreError> {
        let store = pipeline.store().clone();
        let (bus, _) = broadcast::channel(256);
        let forwarder = Forwarder(Arc::new(Inner {
            store,
            pipeline,
            secrets,
            outbound,
            wake: Notify::new(),
            bus,
            auto: Arc::default(),
            rule_changes: tokio::sync::Mutex::new(()),
        }));
        if !forwarder.0.store.is_read_only() {
            let interrupted = forwards::interrupt_sending(&forwarder.0.store, now_ms()).await?;
            for _ in &interrupted {
                let outcome = crate::metrics::ForwardOutcome::Interrupted;
                forwarder.0.pipeline.metrics().forward_attempt(outcome);
            }
            if !interrupted.is_empty() {
                tracing::warn!(
                    forwards = ?interrupted,
                    "forwards were mid-send when Phonebox stopped; marked interrupted, not resent"
                );
            }
        }
        forwarder.refresh_rules().await?;
        forwarder
            .0
            .pipeline
            .set_auto_forward(forwarder.0.auto.clone());
        let worker = Worker::new(forwarder.clone());
        Ok((forwarder, worker))
    }

    /// Listens to forwards queued and attempted from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ForwardEvent> {
        self.0.bus.subscribe()
    }

    fn publish(&self, event: ForwardEvent) {
        let _ = self.0.bus.send(event);
    }

    fn store(&self) -> &Store {
        &self.0.store
    }

    // ----- settings -----

    /// Everything forwarding is set up with, credentials masked.
    pub async fn view(&self) -> Result<ForwardingView, ForwardError> {
        let mut providers = Vec::new();
        for via in Via::ALL {
            if let Some(view) = self.provider_view(*via).await? {
                providers.push(view);
            }
        }
        Ok(ForwardingView {
            allowlist: self.allowlist().await?.entries().to_vec(),
            my_phones: self.my_phones().await?,
            providers,
            rules: self.rules().await?,
        })
    }

    pub async fn allowlist(&self) -> Result<Allowlist, ForwardError> {
        let stored: Vec<String> = self.setting(ALLOWLIST_KEY).await?.unwrap_or_default();
        Ok(Allowlist::from_stored(stored))
    }

    pub async fn set_allowlist(&self, entries: &[String]) -> Result<Vec<String>, ForwardError> {
        self.writable()?;
        let list = Allowlist::parse(entries).map_err(|why| bad("numbers", why))?;
        self.put_setting(ALLOWLIST_KEY, &list.entries()).await?;
        Ok(list.entries().to_vec())
    }

    pub async fn my_phones(&self) -> Result<Vec<SavedPhone>, ForwardError> {
        Ok(self.setting(PHONES_KEY).await?.unwrap_or_default())
    }

    pub async fn set_my_phones(
        &self,
        phones: &[SavedPhone],
    ) -> Result<Vec<SavedPhone>, ForwardError> {
        self.writable()?;
        let phones = settings::check_phones(phones).map_err(|why| bad("phones", why))?;
        self.put_setting(PHONES_KEY, &phones).await?;
        Ok(phones)
    }

    /// Sets up `via`; credentials left out keep the stored ones, and each one the
    /// provider needs must be set by the end.
    pub async fn set_provider(
        &self,
        via: &str,
        mut input: ProviderInput,
    ) -> Result<ProviderView, ForwardError> {
        let via = parse_via(via)?;
        // The URL as the view showed it (query masked) means the stored one.
        if let Some(old) = self.account(via).await? {
            if let (Some(sent), Some(stored)) = (&input.settings.url, &old.settings.url) {
                if *sent == settings::mask_query(stored) {
                    input.settings.url = Some(stored.clone());
                }
            }
        }
        self.writable()?;
        settings::check(via, &input.settings).map_err(|(field, why)| bad(field, why))?;
        // Stored credentials go only where they were entered for: pointing the
        // provider at another host takes them again.
        let moved = match self.account(via).await? {
            Some(old) => {
                let new = providers::Account {
                    via,
                    settings: input.settings.clone(),
                    credentials: BTreeMap::new(),
                };
                host_of(&old.effective_base()) != host_of(&new.effective_base())
            }
            None => false,
        };
        let mut sent = BTreeMap::new();
        for name in via.secret_names() {
            match input.credential(name) {
                Some(value) => {
                    if value.is_empty()
                        || value.len() > settings::MAX_VALUE
                        || value.chars().any(char::is_control)
                    {
                        return Err(bad(
                            name,
                            format!("must be 1 to {} printable characters", settings::MAX_VALUE),
                        ));
                    }
                    if via == Via::Webhook {
                        crate::outbound::webhook::WebhookSecret::parse(value)
                            .map_err(|why| bad(name, why))?;
                    }
                    sent.insert(*name, value.to_owned());
                }
                None if self.0.secrets.get(&via.secret_key(name)).is_none() => {
                    return Err(bad(name, format!("{} needs `{name}`", via.label())));
                }
                None if moved => {
                    return Err(bad(
                        name,
                        format!(
                            "the stored `{name}` is only sent to the host it was entered for: \
                             enter it again to use it with another one"
                        ),
                    ));
                }
                None => {}
            }
        }
        for name in [
            "auth_token",
            "access_key_id",
            "secret_access_key",
            "api_key",
            "api_secret",
            "secret",
        ] {
            if input.credential(name).is_some() && !via.secret_names().contains(&name) {
                return Err(bad(name, format!("{} has no `{name}`", via.label())));
            }
        }
        // The settings first: a database that refuses them leaves no credential
        // written without the account it belongs to.
        self.put_setting(&via.settings_key(), &input.settings)
            .await?;
        let secrets = self.0.secrets.clone();
        // With the credentials, the host they are for: whatever happens to the
        // settings later (another server, a failed write), they go nowhere else.
        let target = providers::Account {
            via,
            settings: input.settings.clone(),
            credentials: BTreeMap::new(),
        }
        .effective_base();
        let mut keys: Vec<(String, String)> = sent
            .into_iter()
            .map(|(name, value)| (via.secret_key(name), value))
            .collect();
        keys.push((via.secret_key(HOST_KEY), host_label(&target)));
        tokio::task::spawn_blocking(move || {
            let pairs: Vec<(&str, &str)> =
                keys.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            secrets.set_many(&pairs)
        })
        .await
        .map_err(|e| ForwardError::Secrets(e.to_string()))?
        .map_err(|e| ForwardError::Secrets(e.kind().to_string()))?;
        self.provider_view(via)
            .await?
            .ok_or_else(|| ForwardError::NotSetUp(format!("{} is not set up", via.label())))
    }

    /// Forgets `via`'s settings and credentials.
    pub async fn remove_provider(&self, via: &str) -> Result<(), ForwardError> {
        let via = parse_via(via)?;
        self.writable()?;
        let _change = self.0.rule_changes.lock().await;
        store::settings::delete_overwriting(self.store(), &via.settings_key()).await?;
        // Its rules would only queue forwards doomed to fail.
        if forward_rules::delete_via(self.store(), via.as_str()).await? > 0 {
            self.refresh_rules().await?;
        }
        let secrets = self.0.secrets.clone();
        let keys: Vec<String> = via
            .secret_names()
            .iter()
            .chain(&[HOST_KEY])
            .map(|n| via.secret_key(n))
            .collect();
        tokio::task::spawn_blocking(move || keys.iter().try_for_each(|k| secrets.remove(k)))
            .await
            .map_err(|e| ForwardError::Secrets(e.to_string()))?
            .map_err(|e| ForwardError::Secrets(e.kind().to_string()))?;
        Ok(())
    }

    /// Refuses a change to a database opened `--read-only`, before anything is
    /// written anywhere (the secrets store included).
    fn writable(&self) -> Result<(), ForwardError> {
        if self.store().is_read_only() {
            return Err(ForwardError::Store(StoreError::Unwritable(
                "the database was opened read-only (--read-only)".into(),
            )));
        }
        Ok(())
    }

    async fn provider_view(&self, via: Via) -> Result<Option<ProviderView>, ForwardError> {
        let Some(mut account) = self.account(via).await? else {
            return Ok(None);
        };
        // A webhook URL's query often carries a token: shown masked, like the
        // requests sent to it.
        let effective_base = settings::mask_query(&account.effective_base());
        account.settings.url = account.settings.url.as_deref().map(settings::mask_query);
        Ok(Some(ProviderView {
            via,
            label: via.label(),
            effective_base,
            credentials: via
                .secret_names()
                .iter()
                .map(|name| settings::MaskedCredential {
                    name,
                    masked: account.credentials.get(name).map(|v| settings::mask(v)),
                })
                .collect(),
            settings: account.settings,
        }))
    }

    /// `via`'s settings and credentials, if it is set up.
    pub(crate) async fn account(
        &self,
        via: Via,
    ) -> Result<Option<providers::Account>, ForwardError> {
        let Some(settings) = self
            .setting::<ProviderSettings>(&via.settings_key())
            .await?
        else {
            return Ok(None);
        };
        let mut account = providers::Account {
            via,
            settings,
            credentials: BTreeMap::new(),
        };
        // Credentials entered for another host than the one set now are not used.
        let entered_for = self.0.secrets.get(&via.secret_key(HOST_KEY));
        if entered_for.is_none_or(|host| host == host_label(&account.effective_base())) {
            account.credentials = via
                .secret_names()
                .iter()
                .filter_map(|name| {
                    self.0
                        .secrets
                        .get(&via.secret_key(name))
                        .map(|value| (*name, value))
                })
                .collect();
        }
        Ok(Some(account))
    }

    async fn setting<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, ForwardError> {
        let Some(text) = store::settings::get(self.store(), key).await? else {
            return Ok(None);
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| ForwardError::Store(StoreError::Corrupt(format!("{key}: {e}"))))
    }

    async fn put_setting<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), ForwardError> {
        let text = serde_json::to_string(value)
            .map_err(|e| ForwardError::Store(StoreError::Corrupt(e.to_string())))?;
        store::settings::set(self.store(), key, &text).await?;
        Ok(())
    }

    // ----- rules -----

    pub async fn rules(&self) -> Result<Vec<RuleView>, ForwardError> {
        Ok(forward_rules::all(self.store())
            .await?
            .into_iter()
            .map(rule_view)
            .collect())
    }

    pub async fn add_rule(&self, input: &RuleInput) -> Result<RuleView, ForwardError> {
        let _change = self.0.rule_changes.lock().await;
        self.writable()?;
        let (pattern, via, to) = self.check_rule(input).await?;
        if forward_rules::all(self.store()).await?.len() >= MAX_RULES {
            return Err(bad("pattern", format!("at most {MAX_RULES} rules")));
        }
        let row = forward_rules::insert(
            self.store(),
            &forward_rules::RuleFields {
                pattern: &pattern,
                via: via.as_str(),
                to_number: to.as_deref(),
                enabled: input.enabled,
            },
            now_ms(),
        )
        .await?;
        self.refresh_rules().await?;
        Ok(rule_view(row))
    }

    pub async fn update_rule(&self, id: i64, input: &RuleInput) -> Result<RuleView, ForwardError> {
        let _change = self.0.rule_changes.lock().await;
        self.writable()?;
        let (pattern, via, to) = self.check_rule(input).await?;
        let row = forward_rules::update(
            self.store(),
            id,
            &forward_rules::RuleFields {
                pattern: &pattern,
                via: via.as_str(),
                to_number: to.as_deref(),
                enabled: input.enabled,
            },
        )
        .await?
        .ok_or_else(|| ForwardError::NotFound(format!("no forwarding rule {id}")))?;
        self.refresh_rules().await?;
        Ok(rule_view(row))
    }

    pub async fn delete_rule(&self, id: i64) -> Result<(), ForwardError> {
        let _change = self.0.rule_changes.lock().await;
        self.writable()?;
        if !forward_rules::delete(self.store(), id).await? {
            return Err(ForwardError::NotFound(format!("no forwarding rule {id}")));
        }
        self.refresh_rules().await?;
        Ok(())
    }

    async fn check_rule(
        &self,
        input: &RuleInput,
    ) -> Result<(String, Via, Option<String>), ForwardError> {
        let pattern =
            allowlist::entry_of(input.pattern.trim()).map_err(|why| bad("pattern", why))?;
        let via = parse_via(&input.via)?;
        if self.account(via).await?.is_none() {
            return Err(not_set_up(via));
        }
        let to = match &input.to {
            Some(to) => {
                let number = PhoneNumber::parse(to).map_err(|e| bad("to", e.to_string()))?;
                let list = self.allowlist().await?;
                if !list.allows(&number) {
                    return Err(ForwardError::NotAllowed(list.refusal(&number)));
                }
                Some(number.as_str().to_owned())
            }
            None => None,
        };
        Ok((pattern, via, to))
    }

    /// Reloads the rules, as a change to them does.
    pub(crate) async fn reload_rules(&self) -> Result<(), StoreError> {
        let _change = self.0.rule_changes.lock().await;
        self.refresh_rules().await
    }

    /// Reloads the rules the capture writer matches. If they cannot be read, none
    /// is kept in force: a rule the user removed must not go on sending.
    async fn refresh_rules(&self) -> Result<(), StoreError> {
        match forward_rules::all(self.store()).await {
            Ok(rules) => {
                self.0.auto.set(rules);
                Ok(())
            }
            Err(e) => {
                self.0.auto.set(Vec::new());
                Err(e)
            }
        }
    }

    // ----- forwarding -----

    /// Forwards one message: a dry run answers the exact request; otherwise the
    /// forward is queued (on disk) and the worker woken.
    pub async fn request(
        &self,
        message_id: &str,
        request: &ForwardRequest,
    ) -> Result<Forwarded, ForwardError> {
        let via = parse_via(&request.via)?;
        let message = store::messages::get(self.store(), message_id)
            .await?
            .ok_or_else(|| ForwardError::NotFound(format!("no message with id '{message_id}'")))?
            .message;
        let to = match &request.to {
            Some(to) => PhoneNumber::parse(to).map_err(|e| bad("to", e.to_string()))?,
            None => message.recipient.clone(),
        };
        let list = self.allowlist().await?;
        if !list.allows(&to) {
            return Err(ForwardError::NotAllowed(list.refusal(&to)));
        }
        let account = self.account(via).await?.ok_or_else(|| not_set_up(via))?;
        // Built now even when queued: a forward that cannot be built is refused here,
        // with the reason, rather than failing later in the worker.
        let built = providers::build(
            &account,
            &providers::Job {
                key: "dry-run",
                message_id: &message.id,
                tenant: &message.tenant,
                channel: message.channel,
                to: to.as_str(),
                text: &message.text,
                now: std::time::SystemTime::now(),
            },
        )
        .map_err(ForwardError::NotSetUp)?;
        if request.dry_run {
            return Ok(Forwarded::DryRun(DryRun {
                dry_run: true,
                via,
                to: to.as_str().to_owned(),
                channel: message.channel,
                request: built.request.shown(),
                billing: built.billing,
                note: built.note,
            }));
        }
        let row = forwards::insert(
            self.store(),
            &forwards::NewForward {
                message_id: &message.id,
                tenant: &message.tenant,
                channel: message.channel.as_str(),
                text: &message.text,
                via: via.as_str(),
                destination: to.as_str(),
                now: now_ms(),
            },
            MAX_PENDING,
        )
        .await?
        .ok_or_else(|| {
            ForwardError::TooMany(format!(
                "{MAX_PENDING} forwards are already waiting to be sent; try again once they are"
            ))
        })?;
        let view = ForwardView::from_rows(&row, &[]);
        self.publish(ForwardEvent::Queued(Arc::new(view.clone())));
        self.0.wake.notify_one();
        Ok(Forwarded::Queued(view))
    }

    /// The forwards of one message, with every attempt.
    pub async fn of_message(&self, message_id: &str) -> Result<ForwardsPage, ForwardError> {
        let rows = forwards::of_message(self.store(), message_id).await?;
        Ok(ForwardsPage {
            forwards: rows
                .iter()
                .map(|(f, a)| ForwardView::from_rows(f, a))
                .collect(),
        })
    }

    /// One forward, with every attempt.
    pub async fn get(&self, id: i64) -> Result<ForwardView, ForwardError> {
        let row = forwards::get(self.store(), id)
            .await?
            .ok_or_else(|| ForwardError::NotFound(format!("no forward {id}")))?;
        let attempts = forwards::attempts_of(self.store(), id).await?;
        Ok(ForwardView::from_rows(&row, &attempts))
    }
}

/// The host and port of a URL, to tell where credentials would go.
fn host_of(url: &str) -> Option<(String, Option<u16>)> {
    let url = url::Url::parse(url).ok()?;
    Some((url.host_str()?.to_owned(), url.port_or_known_default()))
}

/// The secrets-store name, beside a provider's credentials, of the host they were
/// entered for.
const HOST_KEY: &str = "host";

/// `host:port` of a URL, as kept under `HOST_KEY`.
fn host_label(url: &str) -> String {
    match host_of(url) {
        Some((host, Some(port))) => format!("{host}:{port}"),
        Some((host, None)) => host,
        None => String::new(),
    }
}

fn parse_via(via: &str) -> Result<Via, ForwardError> {
    Via::parse(via).ok_or_else(|| {
        bad(
            "via",
            format!("'{via}' is not a provider: twilio, sns, vonage or webhook"),
        )
    })
}

fn not_set_up(via: Via) -> ForwardError {
    ForwardError::NotSetUp(format!(
        "{} is not set up for forwarding: add its account in Settings → Forwarding, or PUT \
         /emulator/v1/forwarding/providers/{}",
        via.label(),
        via.as_str()
    ))
}

fn rule_view(row: forward_rules::RuleRow) -> RuleView {
    RuleView {
        id: row.id,
        pattern: row.pattern,
        via: Via::parse(&row.via).unwrap_or(Via::Webhook),
        to: row.to_number,
        enabled: row.enabled,
    }
}

/// Wall-clock Unix ms: forwarding runs on real time, not the emulated clock.
fn now_ms() -> i64 {
    crate::unix_ms::from_time(crate::unix_ms::now())
}
