//! Delivering a message the tenant sends, by the provider the tenant selected, the
//! way Auth0 does:
//! - `auth0` (built-in test provider): straight to the inbox, SMS only, at most
//!   `builtin_lifetime` messages in the tenant's life;
//! - `twilio`: through Twilio's API with the tenant's credentials, to Phonebox's own
//!   Twilio endpoint unless another base URL is configured;
//! - custom (`phone-message-hook`, or the Unified Phone `custom` provider): the exact
//!   event the user's code would get, posted to a webhook (by default Phonebox's own
//!   capture endpoint for that shape).

use std::time::Duration;

use serde_json::{json, Value};

use super::templates::Purpose;
use super::tenant::{CustomFormat, GuardianProvider, Tenant};
use crate::capture::pipeline::Pipeline;
use crate::message::phone::PhoneNumber;
use crate::message::{self, Channel, NewMessage, RawRequest, Source};
use crate::secrets::Secrets;
use crate::store::clients::ClientRow;
use crate::store::messages::{self as message_store, Link};
use crate::store::users::UserRow;
use crate::store::StoreError;

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
    pub fn provider(&self) -> &'static str {
        match self {
            Route::Builtin => "auth0",
            Route::Twilio => "twilio",
            Route::PhoneMessageHook(_) | Route::CustomPhoneProvider => "custom",
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
}

impl Outgoing<'_> {
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

    fn attributes(&self, provider: &str) -> Value {
        json!({ "transaction_id": self.transaction_id, "delivered_by": provider })
    }

    fn link<'b>(&'b self, attributes: &'b Value) -> Link<'b> {
        Link {
            tenant: &self.tenant.id,
            user_id: &self.user.user_id,
            client_id: &self.client.client_id,
            action: self.action(),
            purpose: self.message_purpose(),
            locale: self.locale,
            attributes,
        }
    }
}

/// How a delivery went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub provider: &'static str,
    pub delivered: bool,
    /// Why not, when not.
    pub error: Option<String>,
    /// The inbox message, when it landed in this Phonebox.
    pub message_id: Option<String>,
}

/// What a Twilio send needs: where, as whom, from what.
struct TwilioRoute {
    base: String,
    sid: String,
    token: String,
    from: Option<String>,
    service: Option<String>,
}

/// Sends messages for the emulated tenants.
#[derive(Clone)]
pub struct Delivery {
    http: reqwest::Client,
    /// This server's own base URL (`http://127.0.0.1:7676`).
    own_base: String,
    pipeline: Pipeline,
    secrets: Secrets,
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
    pub fn new(own_base: String, pipeline: Pipeline, secrets: Secrets) -> Delivery {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Delivery {
            http,
            own_base,
            pipeline,
            secrets,
        }
    }

    pub fn own_base(&self) -> &str {
        &self.own_base
    }

    /// Sends `out` by `route` (the caller counted the send, and checked the
    /// built-in provider's lifetime cap, before it started).
    pub async fn deliver(&self, out: &Outgoing<'_>, route: &Route) -> Result<Outcome, StoreError> {
        let outcome = match route {
            Route::Builtin => self.builtin(out).await?,
            Route::Twilio => self.twilio(out).await?,
            Route::PhoneMessageHook(format) => {
                let (path, body) = match format {
                    CustomFormat::SendPhoneMessage => (
                        "/capture/auth0/send-phone-message",
                        send_phone_message_event(out),
                    ),
                    CustomFormat::Hook => ("/capture/auth0/hook", hook_parameters(out)),
                };
                self.webhook(out, path, body).await?
            }
            Route::CustomPhoneProvider => {
                self.webhook(
                    out,
                    "/capture/auth0/custom-phone-provider",
                    custom_phone_provider_event(out),
                )
                .await?
            }
        };
        Ok(outcome)
    }

    async fn builtin(&self, out: &Outgoing<'_>) -> Result<Outcome, StoreError> {
        let message = NewMessage {
            tenant: out.tenant.id.clone(),
            channel: out.channel,
            source: Source::Auth0Builtin,
            recipient: out.recipient.clone(),
            sender: None,
            text: out.text.clone(),
            code: Some(out.code.to_owned()),
            action: Some(out.action().to_owned()),
            purpose: Some(out.message_purpose()),
            locale: Some(out.locale.to_owned()),
            user_id: Some(out.user.user_id.clone()),
            client_id: Some(out.client.client_id.clone()),
            provider_message_id: None,
            provider_account: None,
            attributes: Some(out.attributes("auth0")),
            error: None,
            raw: RawRequest::default(),
        };
        match self.pipeline.capture(message).await {
            Ok(stored) => Ok(Outcome {
                provider: "auth0",
                delivered: true,
                error: None,
                message_id: Some(stored.id.clone()),
            }),
            Err(e) => Ok(failed("auth0", format!("could not store the message: {e}"))),
        }
    }

    /// Base URL, account SID, auth token and sender for the tenant's Twilio route.
    fn twilio_config(&self, tenant: &Tenant) -> Result<TwilioRoute, String> {
        let base = tenant
            .settings
            .twilio_base_url
            .clone()
            .unwrap_or_else(|| self.own_base.clone());
        if let Some(provider) = tenant.settings.branding_provider() {
            let config = &provider.configuration;
            let text = |k: &str| config.get(k).and_then(Value::as_str).map(str::to_owned);
            let sid = text("sid").ok_or("the Twilio phone provider has no sid")?;
            let token = self
                .secrets
                .get(&branding_token_key(&tenant.id, &provider.id))
                .ok_or("the Twilio phone provider has no auth_token")?;
            return Ok(TwilioRoute {
                base,
                sid,
                token,
                from: text("default_from"),
                service: text("mssid"),
            });
        }
        let twilio = &tenant.settings.twilio;
        let sid = twilio
            .sid
            .clone()
            .ok_or("Twilio is selected but has no sid (providers/twilio)")?;
        let token = self
            .secrets
            .get(&twilio_token_key(&tenant.id))
            .ok_or("Twilio is selected but has no auth_token (providers/twilio)")?;
        Ok(TwilioRoute {
            base,
            sid,
            token,
            from: twilio.from.clone(),
            service: twilio.messaging_service_sid.clone(),
        })
    }

    async fn twilio(&self, out: &Outgoing<'_>) -> Result<Outcome, StoreError> {
        let TwilioRoute {
            base,
            sid,
            token,
            from,
            service,
        } = match self.twilio_config(out.tenant) {
            Ok(config) => config,
            Err(why) => return Ok(failed("twilio", why)),
        };
        let base = base.trim_end_matches('/');
        let mut form: Vec<(&str, String)> = vec![("To", out.recipient.as_str().to_owned())];
        match (from, service) {
            (Some(from), _) => form.push(("From", from)),
            (None, Some(service)) => form.push(("MessagingServiceSid", service)),
            (None, None) => {
                return Ok(failed(
                    "twilio",
                    "Twilio has neither `from` nor `messaging_service_sid`",
                ))
            }
        }
        let (url, source) = match out.channel {
            Channel::Sms => {
                form.push(("Body", out.text.clone()));
                (
                    format!("{base}/2010-04-01/Accounts/{sid}/Messages.json"),
                    Source::TwilioMessages,
                )
            }
            Channel::Voice => {
                let say = quick_xml::escape::escape(out.text.as_str()).into_owned();
                form.push(("Twiml", format!("<Response><Say>{say}</Say></Response>")));
                (
                    format!("{base}/2010-04-01/Accounts/{sid}/Calls.json"),
                    Source::TwilioCalls,
                )
            }
        };
        let response = self
            .http
            .post(&url)
            .basic_auth(&sid, Some(&token))
            .form(&form)
            .send()
            .await;
        let response = match response {
            Ok(r) => r,
            Err(e) => {
                return Ok(failed(
                    "twilio",
                    format!("Twilio did not answer: {}", without_url(e)),
                ))
            }
        };
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            let message = body
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("no message");
            let code = body.get("code").map(Value::to_string).unwrap_or_default();
            return Ok(failed(
                "twilio",
                format!("Twilio refused the message ({status}, code {code}): {message}"),
            ));
        }
        let twilio_sid = body
            .get("sid")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        // Sent to this very Phonebox: tie the captured message to its MFA transaction.
        let mut message_id = None;
        if base == self.own_base {
            let attributes = out.attributes("twilio");
            let store = self.pipeline.store();
            if message_store::link(store, source, &twilio_sid, &out.link(&attributes)).await? {
                message_id = message_store::by_provider_id(store, source, &twilio_sid)
                    .await?
                    .map(|m| m.id);
            }
        }
        Ok(Outcome {
            provider: "twilio",
            delivered: true,
            error: None,
            message_id,
        })
    }

    async fn webhook(
        &self,
        out: &Outgoing<'_>,
        own_path: &str,
        body: Value,
    ) -> Result<Outcome, StoreError> {
        let url = out
            .tenant
            .settings
            .custom
            .url
            .clone()
            .unwrap_or_else(|| format!("{}{own_path}", self.own_base));
        let own = url.starts_with(&format!("{}/", self.own_base));
        let response = self.http.post(&url).json(&body).send().await;
        Ok(match response {
            Ok(r) if r.status().is_success() => {
                let answer: Value = r.json().await.unwrap_or(Value::Null);
                // Phonebox's own capture answers with the message it stored: tie it
                // to its MFA transaction.
                let mut message_id = None;
                if let Some(id) = answer.get("id").and_then(Value::as_str).filter(|_| own) {
                    let attributes = out.attributes("custom");
                    let link = out.link(&attributes);
                    if message_store::link_by_id(self.pipeline.store(), id, &link).await? {
                        message_id = Some(id.to_owned());
                    }
                }
                Outcome {
                    provider: "custom",
                    delivered: true,
                    error: None,
                    message_id,
                }
            }
            Ok(r) => failed(
                "custom",
                format!("the custom provider answered {}", r.status()),
            ),
            Err(e) => failed(
                "custom",
                format!("the custom provider did not answer: {}", without_url(e)),
            ),
        })
    }
}

fn failed(provider: &'static str, why: impl Into<String>) -> Outcome {
    Outcome {
        provider,
        delivered: false,
        error: Some(why.into()),
        message_id: None,
    }
}

/// A reqwest error's text without the URL (which may carry credentials).
fn without_url(e: reqwest::Error) -> String {
    e.without_url().to_string()
}

fn user_json(user: &UserRow) -> Value {
    json!({
        "user_id": user.user_id,
        "email": user.email,
        "email_verified": false,
        "name": user.name.clone().unwrap_or_else(|| user.email.clone()),
        "app_metadata": {},
        "user_metadata": {},
        "created_at": crate::clock::unix_ms::rfc3339_ms(user.created_at),
    })
}

fn request_json(out: &Outgoing<'_>) -> Value {
    json!({
        "ip": out.ip.unwrap_or("127.0.0.1"),
        "method": "POST",
        "language": out.locale,
        "user_agent": out.user_agent,
        "geoip": {},
    })
}

/// The `send-phone-message` Action event (payloads.md §1).
fn send_phone_message_event(out: &Outgoing<'_>) -> Value {
    json!({
        "message_options": {
            "action": out.action(),
            "code": out.code,
            "message_type": out.channel.as_str(),
            "recipient": out.recipient.as_str(),
            "text": out.text,
        },
        "client": { "client_id": out.client.client_id, "name": out.client.name, "metadata": {} },
        "tenant": { "id": out.tenant.id },
        "user": user_json(out.user),
        "request": request_json(out),
        "secrets": {},
        "configuration": {},
    })
}

/// The `custom-phone-provider` Action event (payloads.md §2).
fn custom_phone_provider_event(out: &Outgoing<'_>) -> Value {
    let message_type = match out.purpose {
        Purpose::Enrollment => "otp_enroll",
        Purpose::Verification => "otp_verify",
    };
    let from = out
        .tenant
        .settings
        .branding_provider()
        .and_then(|p| p.configuration.get("default_from"))
        .cloned()
        .unwrap_or(Value::Null);
    json!({
        "notification": {
            "message_type": message_type,
            "delivery_method": match out.channel { Channel::Sms => "text", Channel::Voice => "voice" },
            "recipient": out.recipient.as_str(),
            "as_text": out.as_text,
            "as_voice": out.as_voice,
            "code": out.code,
            "from": from,
            "locale": out.locale,
        },
        "client": { "client_id": out.client.client_id, "name": out.client.name, "metadata": {} },
        "tenant": { "id": out.tenant.id, "friendly_name": out.tenant.friendly_name },
        "user": user_json(out.user),
        "request": request_json(out),
        "secrets": {},
        "configuration": {},
    })
}

/// The legacy Hook's parameters (payloads.md §3).
fn hook_parameters(out: &Outgoing<'_>) -> Value {
    json!({
        "recipient": out.recipient.as_str(),
        "text": out.text,
        "context": {
            "message_type": out.channel.as_str(),
            "action": out.action(),
            "language": out.locale,
            "code": out.code,
            "ip": out.ip.unwrap_or("127.0.0.1"),
            "user_agent": out.user_agent,
            "client": { "client_id": out.client.client_id, "name": out.client.name, "client_metadata": {} },
            "user": {
                "user_id": out.user.user_id,
                "name": out.user.name.clone().unwrap_or_else(|| out.user.email.clone()),
                "email": out.user.email,
                "app_metadata": {},
                "user_metadata": {},
            },
        },
    })
}
