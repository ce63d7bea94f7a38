//! A tenant's settings: one JSON document per tenant, typed and bounded here
//! (the phone factor, the provider that sends, templates, languages, limits),
//! checked whenever it is set and repaired when an older version stored a field
//! this one cannot read. Provider credentials are never part of it (see
//! `crate::secrets`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::auth0::bounded::Bounded;
use crate::auth0::limits::Limits;

/// Whether users are asked for a second factor (Auth0's "Require Multi-factor Auth").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MfaPolicy {
    Always,
    Never,
}

/// The legacy Guardian provider choice (`selected-provider`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum GuardianProvider {
    #[serde(rename = "auth0")]
    Auth0,
    #[serde(rename = "twilio")]
    Twilio,
    #[serde(rename = "phone-message-hook")]
    PhoneMessageHook,
}

/// Twilio settings of the Guardian phone factor; the auth token is kept apart.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GuardianTwilio {
    pub from: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub sid: Option<String>,
}

/// The Guardian phone templates (Liquid).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GuardianTemplates {
    pub enrollment_message: Option<String>,
    pub verification_message: Option<String>,
}

/// Which event a custom delivery posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CustomFormat {
    /// The `send-phone-message` Action event.
    SendPhoneMessage,
    /// The legacy Hook's `{recipient, text, context}`.
    Hook,
}

/// Where a custom provider's event goes: the user's code behind a webhook. With no
/// URL, Phonebox posts to its own capture endpoint for that shape, so the message
/// lands in the inbox exactly as the user's code would receive it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CustomDelivery {
    pub url: Option<String>,
    /// For `phone-message-hook`; the Unified Phone `custom` provider always posts the
    /// `custom-phone-provider` event.
    pub format: CustomFormat,
}

impl Default for CustomDelivery {
    fn default() -> CustomDelivery {
        CustomDelivery {
            url: None,
            format: CustomFormat::SendPhoneMessage,
        }
    }
}

/// The languages the tenant speaks: the MFA API maps `Accept-Language` onto these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Languages {
    pub enabled: Vec<String>,
    pub default: String,
}

impl Default for Languages {
    fn default() -> Languages {
        Languages {
            enabled: vec!["en".into()],
            default: "en".into(),
        }
    }
}

/// A Unified Phone provider (`/api/v2/branding/phone/providers`), without credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneProvider {
    pub id: String,
    /// `twilio` or `custom`.
    pub name: String,
    pub disabled: bool,
    pub configuration: serde_json::Value,
    pub created_at: String,
    pub updated_at: String,
}

/// A Unified Phone template (`/api/v2/branding/phone/templates`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneTemplate {
    pub id: String,
    /// `otp_verify`, `otp_enroll`, `change_password`, `blocked_account`, `password_breach`.
    #[serde(rename = "type")]
    pub kind: String,
    pub disabled: bool,
    pub content: PhoneTemplateContent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PhoneTemplateContent {
    pub syntax: String,
    pub from: Option<String>,
    pub body: PhoneTemplateBody,
}

impl Default for PhoneTemplateContent {
    fn default() -> PhoneTemplateContent {
        PhoneTemplateContent {
            syntax: "liquid".into(),
            from: None,
            body: PhoneTemplateBody::default(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PhoneTemplateBody {
    pub text: Option<String>,
    pub voice: Option<String>,
}

/// Everything configurable about a tenant. Defaults are Auth0's where Auth0 has one;
/// the rest are Phonebox's, documented in the README.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Unknown clients and users are created on first use, any password accepted.
    pub permissive: bool,
    pub mfa_policy: MfaPolicy,
    /// `guardian/factors/phone` enabled.
    pub phone_enabled: bool,
    /// `sms`, `voice`.
    pub message_types: Vec<String>,
    pub selected_provider: GuardianProvider,
    pub twilio: GuardianTwilio,
    /// Where the tenant's Twilio requests go; Phonebox's own Twilio API by default.
    pub twilio_base_url: Option<String>,
    pub custom: CustomDelivery,
    pub templates: GuardianTemplates,
    /// Per-locale overrides of `templates` (`fr`, `pt-BR`...).
    pub locale_templates: BTreeMap<String, GuardianTemplates>,
    pub languages: Languages,
    pub phone_providers: Vec<PhoneProvider>,
    pub phone_templates: Vec<PhoneTemplate>,
    pub limits: Limits,
    /// How long a sent code can be checked: 1 s to a day.
    pub code_lifetime_secs: Bounded<1, 86_400>,
    /// Checks allowed per sent code before it stops working, 1 to 1,000; none by
    /// default: Auth0 documents no such cap, only the wrong-code bucket.
    pub attempts_per_code: Option<Bounded<1, 1_000>>,
    /// How long an `mfa_token` lives (Auth0: 10 minutes): 1 s to a day.
    pub mfa_token_lifetime_secs: Bounded<1, 86_400>,
    /// How long access and ID tokens live: 1 s to 30 days (Auth0's longest).
    pub access_token_lifetime_secs: Bounded<1, 2_592_000>,
    /// The tenant's support and branding addresses, as Unified Phone templates
    /// see them (`support_email`, `support_url`, `logo_url`, `home_url`).
    pub support_email: Option<String>,
    /// The Guardian factors other than the phone, as switches (`otp`, `email`...).
    pub factors: BTreeMap<String, bool>,
    pub support_url: Option<String>,
    pub logo_url: Option<String>,
    pub home_url: Option<String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            permissive: true,
            mfa_policy: MfaPolicy::Always,
            phone_enabled: true,
            message_types: vec!["sms".into()],
            selected_provider: GuardianProvider::Auth0,
            twilio: GuardianTwilio::default(),
            twilio_base_url: None,
            custom: CustomDelivery::default(),
            templates: GuardianTemplates::default(),
            locale_templates: BTreeMap::new(),
            languages: Languages::default(),
            phone_providers: Vec::new(),
            phone_templates: Vec::new(),
            limits: Limits::default(),
            code_lifetime_secs: Bounded::new(300),
            attempts_per_code: None,
            support_email: None,
            factors: BTreeMap::new(),
            support_url: None,
            logo_url: None,
            home_url: None,
            mfa_token_lifetime_secs: Bounded::new(600),
            access_token_lifetime_secs: Bounded::new(86_400),
        }
    }
}

impl Settings {
    pub fn allows(&self, channel: crate::message::Channel) -> bool {
        self.message_types.iter().any(|t| t == channel.as_str())
    }

    /// Whether the Unified Phone provider in force (if any) delivers `channel`:
    /// its `configuration.delivery_methods` holds `text` and/or `voice`.
    pub fn provider_delivers(&self, channel: crate::message::Channel) -> bool {
        let Some(provider) = self.branding_provider() else {
            return true;
        };
        let wanted = match channel {
            crate::message::Channel::Sms => "text",
            crate::message::Channel::Voice => "voice",
        };
        provider
            .configuration
            .get("delivery_methods")
            .and_then(serde_json::Value::as_array)
            .is_some_and(|methods| methods.iter().any(|m| m.as_str() == Some(wanted)))
    }

    /// The Unified Phone provider in force, if one is configured and enabled: it
    /// takes precedence over the legacy `selected_provider`.
    pub fn branding_provider(&self) -> Option<&PhoneProvider> {
        self.phone_providers.iter().find(|p| !p.disabled)
    }

    /// Reads settings from JSON, checking every field: types and number ranges
    /// (by deserialising), then what types cannot say ([`Settings::check`]).
    pub fn from_json(value: serde_json::Value) -> Result<Settings, FieldError> {
        let settings: Settings = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e
                .path()
                .iter()
                .filter_map(|segment| match segment {
                    serde_path_to_error::Segment::Map { key } => Some(Key::Name(key.clone())),
                    serde_path_to_error::Segment::Seq { index } => Some(Key::Index(*index)),
                    _ => None,
                })
                .collect();
            FieldError {
                path,
                message: e.inner().to_string(),
            }
        })?;
        settings.check()?;
        Ok(settings)
    }

    /// What a settings document can get wrong beyond its types: languages, URLs,
    /// and every template (checked with the parser and caps rendering uses).
    pub fn check(&self) -> Result<(), FieldError> {
        let langs = &self.languages;
        if langs.enabled.is_empty() || !langs.enabled.contains(&langs.default) {
            return Err(FieldError::at(
                &["languages"],
                "`default` must be one of the non-empty `enabled`",
            ));
        }
        let template = |path: Vec<Key>, body: &Option<String>| -> Result<(), FieldError> {
            match body {
                Some(b) => crate::liquid::validate(b).map_err(|message| FieldError {
                    path,
                    message: format!("not a template Phonebox can render: {message}"),
                }),
                None => Ok(()),
            }
        };
        let guardian = |mut path: Vec<Key>, t: &GuardianTemplates| -> Result<(), FieldError> {
            path.push(Key::Name("enrollment_message".into()));
            template(path.clone(), &t.enrollment_message)?;
            path.pop();
            path.push(Key::Name("verification_message".into()));
            template(path, &t.verification_message)
        };
        guardian(vec![Key::Name("templates".into())], &self.templates)?;
        for (locale, t) in &self.locale_templates {
            guardian(
                vec![
                    Key::Name("locale_templates".into()),
                    Key::Name(locale.clone()),
                ],
                t,
            )?;
        }
        for (i, t) in self.phone_templates.iter().enumerate() {
            let path = |channel: &str| {
                vec![
                    Key::Name("phone_templates".into()),
                    Key::Index(i),
                    Key::Name("content".into()),
                    Key::Name("body".into()),
                    Key::Name(channel.into()),
                ]
            };
            template(path("text"), &t.content.body.text)?;
            template(path("voice"), &t.content.body.voice)?;
        }
        for (name, url) in [
            ("twilio_base_url", &self.twilio_base_url),
            ("custom", &self.custom.url),
        ] {
            let Some(url) = url else { continue };
            let path: &[&str] = if name == "custom" {
                &["custom", "url"]
            } else {
                &[name]
            };
            let parsed = url::Url::parse(url)
                .map_err(|e| FieldError::at(path, format!("'{url}' is not a URL: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(FieldError::at(
                    path,
                    format!("'{url}' must be http or https"),
                ));
            }
        }
        Ok(())
    }
}

/// One step of a field's path in the settings document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Name(String),
    Index(usize),
}

/// A settings field that is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub path: Vec<Key>,
    pub message: String,
}

impl FieldError {
    fn at(path: &[&str], message: impl Into<String>) -> FieldError {
        FieldError {
            path: path.iter().map(|p| Key::Name((*p).to_owned())).collect(),
            message: message.into(),
        }
    }

    /// The field as a user names it: `settings.limits.per_user_per_hour`.
    pub fn field(&self) -> String {
        let mut out = String::from("settings");
        for key in &self.path {
            match key {
                Key::Name(n) => {
                    out.push('.');
                    out.push_str(n);
                }
                Key::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }
}

/// Settings read from a stored document, with each unreadable field put back to
/// its default: what a row written by an older Phonebox (which checked less)
/// needs before this one can use it. Returns what was reset, to be reported.
pub fn repair(mut value: serde_json::Value) -> (Settings, Vec<FieldError>) {
    let mut reset = Vec::new();
    // Each round removes one bad field; a document has only so many fields.
    for _ in 0..64 {
        match Settings::from_json(value.clone()) {
            Ok(settings) => return (settings, reset),
            Err(e) => {
                if !remove_field(&mut value, &e.path) {
                    // Nothing left to remove at that path: the whole document goes.
                    reset.push(FieldError {
                        path: Vec::new(),
                        message: e.message,
                    });
                    return (Settings::default(), reset);
                }
                reset.push(e);
            }
        }
    }
    reset.push(FieldError {
        path: Vec::new(),
        message: "too many unreadable fields".into(),
    });
    (Settings::default(), reset)
}

/// Removes the field at `path`; `false` if there is none (or the path is empty).
fn remove_field(value: &mut serde_json::Value, path: &[Key]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut at = value;
    for key in parents {
        let next = match key {
            Key::Name(n) => at.get_mut(n.as_str()),
            Key::Index(i) => at.get_mut(*i),
        };
        match next {
            Some(v) => at = v,
            None => return false,
        }
    }
    match (last, at) {
        (Key::Name(n), serde_json::Value::Object(map)) => map.remove(n).is_some(),
        (Key::Index(i), serde_json::Value::Array(items)) if *i < items.len() => {
            items.remove(*i);
            true
        }
        _ => false,
    }
}
