//! From a provider's settings and a forward to the request that sends it, and back
//! from the provider's answer to a verdict. The request builders themselves are in
//! `outbound`; this picks one and fills it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::settings::{ProviderSettings, Via};
use crate::message::sms::Encoding;
use crate::message::Channel;
use crate::outbound::{self, Answer, Outgoing, Verdict};

/// A provider ready to send: its settings and credentials.
pub struct Account {
    pub via: Via,
    pub settings: ProviderSettings,
    pub credentials: BTreeMap<&'static str, String>,
}

/// What is being sent.
pub struct Job<'a> {
    /// Stable across retries: the webhook's `webhook-id`, so a receiver can drop
    /// a repeat.
    pub key: &'a str,
    pub message_id: &'a str,
    pub tenant: &'a str,
    pub channel: Channel,
    pub to: &'a str,
    pub text: &'a str,
    pub now: std::time::SystemTime,
}

/// How the provider bills what is sent: what a dry run tells the user.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Billing {
    /// `sms_part`, `call_minute` or `request`.
    pub unit: &'static str,
    /// SMS parts, for a text; none for a call or a webhook.
    #[schema(required = true)]
    pub parts: Option<u32>,
    #[schema(required = true)]
    pub encoding: Option<Encoding>,
    /// In words: "2 SMS parts (GSM-7)".
    pub summary: String,
}

/// A built request, and what the user should know about it.
pub struct Built {
    pub request: Outgoing,
    pub billing: Billing,
    /// Set when the message goes in another form than it came (a voice message
    /// sent as a text).
    pub note: Option<String>,
}

impl Account {
    fn credential(&self, name: &str) -> Result<&str, String> {
        self.credentials
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("{} has no `{name}` set", self.via.label()))
    }

    fn setting<'a>(&self, value: &'a Option<String>, name: &str) -> Result<&'a str, String> {
        value
            .as_deref()
            .ok_or_else(|| format!("{} has no `{name}` set", self.via.label()))
    }

    fn base(&self, default: &str) -> Result<url::Url, String> {
        let base = self.settings.base_url.as_deref().unwrap_or(default);
        super::settings::check_url(base).map_err(|why| format!("base_url: {why}"))
    }

    /// Where requests go, for the view.
    pub fn effective_base(&self) -> String {
        let default = match self.via {
            Via::Twilio => outbound::twilio::DEFAULT_BASE.to_owned(),
            Via::Sns => format!(
                "https://sns.{}.amazonaws.com",
                self.settings.region.as_deref().unwrap_or("us-east-1")
            ),
            Via::Vonage => outbound::vonage::DEFAULT_BASE.to_owned(),
            Via::Webhook => self.settings.url.clone().unwrap_or_default(),
        };
        self.settings.base_url.clone().unwrap_or(default)
    }
}

fn sms_billing(text: &str) -> Billing {
    let layout = crate::message::sms::layout(text);
    let name = match layout.encoding {
        Encoding::Gsm7 => "GSM-7",
        Encoding::Ucs2 => "UCS-2",
    };
    let s = if layout.segments == 1 { "" } else { "s" };
    Billing {
        unit: "sms_part",
        parts: Some(layout.segments),
        encoding: Some(layout.encoding),
        summary: format!("billed per SMS part: {} part{s} ({name})", layout.segments),
    }
}

/// The request that sends `job` through `account`.
pub fn build(account: &Account, job: &Job<'_>) -> Result<Built, String> {
    let as_text_note = |label: &str| {
        (job.channel == Channel::Voice)
            .then(|| format!("{label} sends texts: this voice message's words go as an SMS"))
    };
    match account.via {
        Via::Twilio => {
            let twilio = outbound::twilio::TwilioAccount {
                base: account.base(outbound::twilio::DEFAULT_BASE)?,
                account_sid: account
                    .setting(&account.settings.account_sid, "account_sid")?
                    .to_owned(),
                auth_token: account.credential("auth_token")?.to_owned(),
            };
            let from = account.setting(&account.settings.from, "from")?;
            if job.channel == Channel::Voice {
                Ok(Built {
                    request: outbound::twilio::call(
                        &twilio,
                        from,
                        job.to,
                        job.text,
                        account.settings.voice_language.as_deref(),
                    ),
                    billing: Billing {
                        unit: "call_minute",
                        parts: None,
                        encoding: None,
                        summary: "billed per minute of call (a call of under a minute)".into(),
                    },
                    note: None,
                })
            } else {
                Ok(Built {
                    request: outbound::twilio::message(&twilio, from, job.to, job.text),
                    billing: sms_billing(job.text),
                    note: None,
                })
            }
        }
        Via::Sns => {
            let region = account.setting(&account.settings.region, "region")?;
            let base = match &account.settings.base_url {
                Some(_) => Some(account.base("")?),
                None => None,
            };
            let sns = outbound::sns::SnsAccount {
                base,
                region: region.to_owned(),
                access_key_id: account.credential("access_key_id")?.to_owned(),
                secret_access_key: account.credential("secret_access_key")?.to_owned(),
            };
            let sms_type = match account.settings.sms_type.as_deref() {
                Some("Promotional") => outbound::sns::SmsType::Promotional,
                _ => outbound::sns::SmsType::Transactional,
            };
            let request = outbound::sns::publish(
                &sns,
                &outbound::sns::SnsSms {
                    to: job.to,
                    text: job.text,
                    sms_type,
                    sender_id: account.settings.sender_id.as_deref(),
                },
                job.now,
            )?;
            Ok(Built {
                request,
                billing: sms_billing(job.text),
                note: as_text_note("Amazon SNS"),
            })
        }
        Via::Vonage => {
            let vonage = outbound::vonage::VonageAccount {
                base: account.base(outbound::vonage::DEFAULT_BASE)?,
                api_key: account.credential("api_key")?.to_owned(),
                api_secret: account.credential("api_secret")?.to_owned(),
            };
            let from = account.setting(&account.settings.from, "from")?;
            Ok(Built {
                request: outbound::vonage::sms(&vonage, from, job.to, job.text),
                billing: sms_billing(job.text),
                note: as_text_note("Vonage"),
            })
        }
        Via::Webhook => {
            let url = super::settings::check_url(account.setting(&account.settings.url, "url")?)
                .map_err(|why| format!("url: {why}"))?;
            let secret = outbound::webhook::WebhookSecret::parse(account.credential("secret")?)?;
            let timestamp = job
                .now
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or_default();
            let body = serde_json::json!({
                "type": "message.forwarded",
                "timestamp": crate::unix_ms::rfc3339_ms(timestamp.saturating_mul(1000)),
                "data": {
                    "message_id": job.message_id,
                    "tenant": job.tenant,
                    "channel": job.channel,
                    "to": job.to,
                    "text": job.text,
                },
            });
            Ok(Built {
                request: outbound::webhook::signed(
                    &url,
                    &secret,
                    job.key,
                    timestamp,
                    body.to_string().into_bytes(),
                ),
                billing: Billing {
                    unit: "request",
                    parts: None,
                    encoding: None,
                    summary: "one signed POST: no per-part billing".into(),
                },
                note: None,
            })
        }
    }
}

/// The provider's answer, read its own way.
pub fn verdict(via: Via, answer: &Answer) -> Verdict {
    match via {
        Via::Twilio => outbound::twilio::verdict(answer),
        Via::Sns => outbound::sns::verdict(answer),
        Via::Vonage => outbound::vonage::verdict(answer),
        Via::Webhook => outbound::webhook::verdict(answer),
    }
}
