//! Delivering a message the tenant sends, by the provider the tenant selected, the
//! way Auth0 does:
//! - `auth0` (built-in test provider): straight to the inbox, SMS only, at most
//!   `builtin_lifetime` messages in the tenant's life;
//! - `twilio`: through Twilio's API with the tenant's credentials;
//! - custom (`phone-message-hook`, or the Unified Phone `custom` provider): the exact
//!   event the user's code would get, posted to a webhook.
//!
//! When the target is Phonebox itself (the defaults) nothing goes over HTTP: the
//! request is built as it would be sent, parsed by the receiver that would get it,
//! linked to its tenant, user and transaction, and captured once. A foreign target
//! gets a real request through `outbound`, with the link in a header when it is
//! on this machine (a second Phonebox).

pub mod action;
mod custom;
mod twilio;

use super::templates::Purpose;
use super::tenant::{CustomFormat, GuardianProvider, Tenant};
use crate::capture::chaos::Chaos;
use crate::capture::pipeline::Pipeline;
use crate::message::phone::PhoneNumber;
use crate::message::{self, Channel, Link, NewMessage, SendProvider, Source};
use crate::metrics::SendOutcome;
use crate::outbound::Outbound;
use crate::secrets::Secrets;
use crate::store::clients::ClientRow;
use crate::store::users::UserRow;

/// Where a tenant's messages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Builtin,
    Twilio,
    /// The legacy `phone-message-hook`, posting the send-phone-message event or the
    /// Hook's parameters.
    PhoneMessageHook(CustomFormat),
    /// The Unified Phone `custom` provider, posting the custom-phone-provider event.
    CustomPhoneProvider,
}

impl Route {
    /// The route in force: an enabled Unified Phone provider wins over the legacy
    /// Guardian selection, as in Auth0.
    pub fn of(tenant: &Tenant) -> Route {
        if let Some(provider) = tenant.settings.branding_provider() {
            return match provider.name.as_str() {
                "twilio" => Route::Twilio,
                _ => Route::CustomPhoneProvider,
            };
        }
        match tenant.settings.selected_provider {
            GuardianProvider::Auth0 => Route::Builtin,
            GuardianProvider::Twilio => Route::Twilio,
            GuardianProvider::PhoneMessageHook => {
                Route::PhoneMessageHook(tenant.settings.custom.format)
            }
        }
    }

    /// The provider name the limits and logs use.
    pub fn provider(&self) -> SendProvider {
        match self {
            Route::Builtin => SendProvider::Auth0,
            Route::Twilio => SendProvider::Twilio,
            Route::PhoneMessageHook(_) | Route::CustomPhoneProvider => SendProvider::Custom,
        }
    }
}

/// One message to send.
pub struct Outgoing<'a> {
    pub tenant: &'a Tenant,
    pub user: &'a UserRow,
    pub client: &'a ClientRow,
    pub channel: Channel,
    pub recipient: &'a PhoneNumber,
    /// The rendered text for `channel`.
    pub text: String,
    /// Both renderings, for the custom-phone-provider event's `as_text`/`as_voice`.
    pub as_text: String,
    pub as_voice: String,
    pub code: &'a str,
    pub purpose: Purpose,
    pub locale: &'a str,
    /// The MFA challenge this message carries the code of.
    pub transaction_id: &'a str,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    /// A web page's request caused it (see `Caller::from_page`).
    pub from_page: bool,
}

impl Outgoing<'_> {
    /// The legacy `action` the send-phone-message event and the Hook carry.
    fn action(&self) -> &'static str {
        match self.purpose {
            Purpose::Enrollment => "enrollment",
            Purpose::Verification => "second-factor-authentication",
        }
    }

    fn message_purpose(&self) -> message::Purpose {
        match self.purpose {
            Purpose::Enrollment => message::Purpose::OtpEnroll,
            Purpose::Verification => message::Purpose::OtpVerify,
        }
    }

    /// Whose message this is, for the inbox, set before it is captured.
    pub(crate) fn link(&self, delivered_by: SendProvider) -> Link {
        Link {
            tenant: self.tenant.id.clone(),
            user_id: self.user.user_id.clone(),
            client_id: self.client.client_id.clone(),
            action: self.action().to_owned(),
            purpose: self.message_purpose(),
            locale: self.locale.to_owned(),
            transaction_id: self.transaction_id.to_owned(),
            delivered_by,
            code: Some(self.code.to_owned()),
            requested_by_page: self.from_page,
            action_run: None,
        }
    }
}

/// How a delivery went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub provider: SendProvider,
    pub delivered: bool,
    /// Why not, when not.
    pub error: Option<String>,
    /// The inbox message, when it landed in this Phonebox.
    pub message_id: Option<String>,
    /// The run of the user's Action that delivered it, when one did.
    pub action_run: Option<String>,
    /// The Action asked to retry, and may: when the next attempt is due.
    pub retry: Option<action::Retry>,
}

impl Outcome {
    pub(crate) fn delivered(provider: SendProvider, message_id: Option<String>) -> Outcome {
        Outcome {
            provider,
            delivered: true,
            error: None,
            message_id,
            action_run: None,
            retry: None,
        }
    }

    pub(crate) fn failed(provider: SendProvider, why: impl Into<String>) -> Outcome {
        Outcome {
            provider,
            delivered: false,
            error: Some(why.into()),
            message_id: None,
            action_run: None,
            retry: None,
        }
    }
}

/// Sends messages for the emulated tenants.
#[derive(Clone)]
pub struct Delivery {
    outbound: Outbound,
    /// This server's own base URL (`http://127.0.0.1:7676`).
    own_base: String,
    pipeline: Pipeline,
    secrets: Secrets,
    /// The provider failures the user asked for apply to the tenant's sends too.
    chaos: Chaos,
    /// Runs the user's own Action or Hook, when the tenant has one for its route.
    runner: crate::actions::runner::Runner,
}

/// The path on the Phonebox at `own_base` that `url` names, if it names that
/// Phonebox: plain HTTP to its port on a loopback host (any spelling) or on the
/// address it listens on.
fn own_path(own_base: &str, url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    let own = url::Url::parse(own_base).ok()?;
    let here = url.scheme() == "http"
        && url.port_or_known_default() == own.port_or_known_default()
        && (crate::outbound::is_loopback(url.as_str()) || url.host() == own.host());
    here.then(|| url.path().to_owned())
}

/// The secrets-file key of a tenant's Guardian Twilio auth token.
pub fn twilio_token_key(tenant: &str) -> String {
    format!("{tenant}/guardian/twilio/auth_token")
}

/// The secrets-file key of a Unified Phone provider's auth token.
pub fn branding_token_key(tenant: &str, provider_id: &str) -> String {
    format!("{tenant}/branding/{provider_id}/auth_token")
}

impl Delivery {
    pub fn new(
        own_base: String,
        pipeline: Pipeline,
        secrets: Secrets,
        chaos: Chaos,
        outbound: Outbound,
        runner: crate::actions::runner::Runner,
    ) -> Delivery {
        Delivery {
            outbound,
            own_base,
            pipeline,
            secrets,
            chaos,
            runner,
        }
    }

    pub fn own_base(&self) -> &str {
        &self.own_base
    }

    fn own_path(&self, url: &str) -> Option<String> {
        own_path(&self.own_base, url)
    }

    /// Sends `out` by `route` (the caller counted the send, and checked the
    /// built-in provider's lifetime cap, before it started). `Err` only when this
    /// Phonebox failed; a provider's refusal is an undelivered `Outcome`.
    pub async fn deliver(&self, out: &Outgoing<'_>, route: &Route) -> Outcome {
        let outcome = match route {
            Route::Builtin => self.builtin(out).await,
            Route::Twilio => self.twilio(out).await,
            Route::PhoneMessageHook(format) => self.custom(out, custom::Shape::from(*format)).await,
            Route::CustomPhoneProvider => {
                self.custom(out, custom::Shape::CustomPhoneProvider).await
            }
        };
        self.count(&outcome);
        outcome
    }

    /// A retry the user's custom-phone-provider Action asked for: attempt
    /// `retry.attempt` of that same Action, while the tenant's custom provider still
    /// runs it. An Action deleted or replaced, or a provider changed, meanwhile
    /// ends the retries as a failure: a retry never goes by another route.
    pub async fn deliver_retry(
        &self,
        out: &Outgoing<'_>,
        route: &Route,
        retry: &action::Retry,
    ) -> Outcome {
        let action = match route {
            Route::CustomPhoneProvider => self
                .action_for(&out.tenant.id, crate::actions::Trigger::CustomPhoneProvider)
                .await
                .ok()
                .flatten()
                .filter(|a| a.id == retry.action_id),
            _ => None,
        };
        let outcome = match action {
            Some(action) => {
                self.run_action(out, &action, retry.attempt, Some(retry.due_ms))
                    .await
            }
            None => Outcome::failed(
                SendProvider::Custom,
                format!(
                    "The retry (attempt {}) was not run: Action {} is no longer the tenant's custom phone provider",
                    retry.attempt, retry.action_id
                ),
            ),
        };
        self.count(&outcome);
        outcome
    }

    /// Counts a send that went (delivered or failed) in the metrics.
    fn count(&self, outcome: &Outcome) {
        let counted = if outcome.delivered {
            SendOutcome::Delivered
        } else {
            SendOutcome::Failed
        };
        self.pipeline
            .metrics()
            .tenant_send(outcome.provider, counted);
    }

    /// Counts a send a limit refused before it went by `route`.
    pub fn refused(&self, route: &Route) {
        self.pipeline
            .metrics()
            .tenant_send(route.provider(), SendOutcome::Refused);
    }

    async fn builtin(&self, out: &Outgoing<'_>) -> Outcome {
        let message = NewMessage::new(
            out.channel,
            Source::Auth0Builtin,
            out.recipient.clone(),
            out.text.clone(),
        )
        .linked(out.link(SendProvider::Auth0));
        self.capture(SendProvider::Auth0, message).await
    }

    /// Stores a message the tenant sent into this Phonebox.
    async fn capture(&self, provider: SendProvider, message: NewMessage) -> Outcome {
        match self.pipeline.capture(message).await {
            Ok(stored) => Outcome::delivered(provider, Some(stored.id.clone())),
            Err(e) => Outcome::failed(provider, format!("could not store the message: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::own_path;

    #[test]
    fn every_spelling_of_this_phonebox_is_this_phonebox() {
        let own = "http://127.0.0.1:7676";
        for url in [
            "http://127.0.0.1:7676",
            "http://127.0.0.1:7676/",
            "HTTP://LOCALHOST:7676/",
            "http://[::1]:7676/",
            "http://127.0.0.2:7676/",
        ] {
            assert_eq!(own_path(own, url).as_deref(), Some("/"), "{url}");
        }
        assert_eq!(
            own_path(own, "http://localhost:7676/capture/auth0/hook?x=1").as_deref(),
            Some("/capture/auth0/hook")
        );
        for url in [
            "http://127.0.0.1:7677/",
            "https://127.0.0.1:7676/",
            "http://example.com:7676/",
            "http://10.0.0.1:7676/",
            "not a url",
        ] {
            assert_eq!(own_path(own, url), None, "{url}");
        }
        assert_eq!(
            own_path("http://10.0.0.5:80", "http://10.0.0.5/").as_deref(),
            Some("/"),
            "the address it listens on"
        );
    }
}
