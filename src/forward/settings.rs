//! What forwarding is set up with: each provider's account (its non-secret parts in
//! SQLite, its credentials in the secrets store), the allowlist and the user's
//! saved phones. Views of them carry credentials masked, never in clear.

use serde::{Deserialize, Serialize};

crate::message::text_enum! {
    /// A provider Phonebox can forward through.
    pub enum Via {
        Twilio = "twilio",
        Sns = "sns",
        Vonage = "vonage",
        Webhook = "webhook",
    }
}

impl Via {
    /// How the provider is named to people.
    pub fn label(self) -> &'static str {
        match self {
            Via::Twilio => "Twilio",
            Via::Sns => "Amazon SNS",
            Via::Vonage => "Vonage",
            Via::Webhook => "the webhook",
        }
    }

    /// The `settings` key of its non-secret part.
    pub(crate) fn settings_key(self) -> String {
        format!("forward.provider.{}", self.as_str())
    }

    /// The secrets-store key of one of its credentials.
    pub(crate) fn secret_key(self, name: &str) -> String {
        format!("forward/{}/{name}", self.as_str())
    }

    /// The credentials it keeps, by name.
    pub(crate) fn secret_names(self) -> &'static [&'static str] {
        match self {
            Via::Twilio => &["auth_token"],
            Via::Sns => &["access_key_id", "secret_access_key"],
            Via::Vonage => &["api_key", "api_secret"],
            Via::Webhook => &["secret"],
        }
    }
}

/// A provider's non-secret settings, as stored and as sent in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ProviderSettings {
    /// Twilio: the account SID (`AC…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_sid: Option<String>,
    /// Twilio, Vonage: the sender (a number, a Messaging Service `MG…`, a name);
    /// SNS: none (see `sender_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Twilio: the language `<Say>` speaks a voice message in (`en-US`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice_language: Option<String>,
    /// SNS: the AWS region (`us-east-1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// SNS: `Transactional` (the default) or `Promotional`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_type: Option<String>,
    /// SNS: the `AWS.SNS.SMS.SenderID` attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_id: Option<String>,
    /// The webhook's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The provider's API base, for a proxy or a local fake; none = the real host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

/// A provider's settings and credentials, as `PUT
/// /emulator/v1/forwarding/providers/{via}` takes them. A credential left out
/// keeps the stored one. `Debug` shows only which credentials were sent.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderInput {
    #[serde(flatten)]
    pub settings: ProviderSettings,
    pub auth_token: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub api_key: Option<String>,
    pub api_secret: Option<String>,
    pub secret: Option<String>,
}

impl std::fmt::Debug for ProviderInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sent: Vec<&str> = CREDENTIALS
            .into_iter()
            .filter(|name| self.credential(name).is_some())
            .collect();
        f.debug_struct("ProviderInput")
            .field("settings", &self.settings)
            .field("credentials_sent", &sent)
            .finish()
    }
}

/// Every credential a `ProviderInput` can carry, by name.
const CREDENTIALS: [&str; 6] = [
    "auth_token",
    "access_key_id",
    "secret_access_key",
    "api_key",
    "api_secret",
    "secret",
];

/// One flat object, as serde reads it: `ProviderSettings`' fields and the
/// credentials. (A derived schema would be an `allOf` of `ProviderSettings`,
/// whose `additionalProperties: false` would refuse the credentials.)
impl utoipa::PartialSchema for ProviderInput {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
        use utoipa::openapi::RefOr;
        let mut schema = <ProviderSettings as utoipa::PartialSchema>::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            object.description = Some(
                "A provider's settings and its credentials; a credential left out keeps the \
                 stored one."
                    .into(),
            );
            for name in CREDENTIALS {
                let credential = ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                    .into();
                object.properties.insert(name.to_owned(), credential);
            }
        }
        schema
    }
}

impl utoipa::ToSchema for ProviderInput {}

impl ProviderInput {
    /// The credential named `name`, if sent.
    pub fn credential(&self, name: &str) -> Option<&str> {
        match name {
            "auth_token" => self.auth_token.as_deref(),
            "access_key_id" => self.access_key_id.as_deref(),
            "secret_access_key" => self.secret_access_key.as_deref(),
            "api_key" => self.api_key.as_deref(),
            "api_secret" => self.api_secret.as_deref(),
            "secret" => self.secret.as_deref(),
            _ => None,
        }
    }
}

/// One configured provider as the API and UI show it: credentials masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ProviderView {
    pub via: Via,
    pub label: &'static str,
    pub settings: ProviderSettings,
    /// The base URL requests go to (the real host unless set).
    pub effective_base: String,
    /// Each credential's name and its mask (`••••3f9a`), or none if not set.
    pub credentials: Vec<MaskedCredential>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct MaskedCredential {
    pub name: &'static str,
    #[schema(required = true)]
    pub masked: Option<String>,
}

/// A number the user keeps to forward to ("my phone").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SavedPhone {
    pub label: String,
    pub number: String,
}

/// The most saved phones, and the longest label.
pub const MAX_SAVED_PHONES: usize = 20;
pub const MAX_LABEL: usize = 64;
/// The longest value of any one setting or credential.
pub const MAX_VALUE: usize = 2048;

/// A credential as shown: its last four characters only when it is long enough
/// that four give nothing useful away.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() >= 16 {
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{}{tail}", crate::outbound::request::MASK)
    } else {
        crate::outbound::request::MASK.to_owned()
    }
}

/// `url` with its query, if any, masked.
pub fn mask_query(url: &str) -> String {
    match url.split_once('?') {
        Some((base, query)) if !query.is_empty() => {
            format!("{base}?{}", crate::outbound::request::MASK)
        }
        _ => url.to_owned(),
    }
}

/// Checks a provider's settings for its kind; the error names the field.
pub fn check(via: Via, s: &ProviderSettings) -> Result<(), (&'static str, String)> {
    let fields: [(&'static str, &Option<String>); 8] = [
        ("account_sid", &s.account_sid),
        ("from", &s.from),
        ("voice_language", &s.voice_language),
        ("region", &s.region),
        ("sms_type", &s.sms_type),
        ("sender_id", &s.sender_id),
        ("url", &s.url),
        ("base_url", &s.base_url),
    ];
    let allowed: &[&str] = match via {
        Via::Twilio => &["account_sid", "from", "voice_language", "base_url"],
        Via::Sns => &["region", "sms_type", "sender_id", "base_url"],
        Via::Vonage => &["from", "base_url"],
        Via::Webhook => &["url"],
    };
    for (name, value) in fields {
        let Some(value) = value else { continue };
        if !allowed.contains(&name) {
            return Err((name, format!("{} has no `{name}` setting", via.label())));
        }
        if value.len() > MAX_VALUE || value.chars().any(char::is_control) {
            return Err((
                name,
                format!("must be at most {MAX_VALUE} printable characters"),
            ));
        }
    }
    let required: &[(&'static str, &Option<String>)] = match via {
        Via::Twilio => &[("account_sid", &s.account_sid), ("from", &s.from)],
        Via::Sns => &[("region", &s.region)],
        Via::Vonage => &[("from", &s.from)],
        Via::Webhook => &[("url", &s.url)],
    };
    for (name, value) in required {
        if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
            return Err((name, format!("{} needs `{name}`", via.label())));
        }
    }
    if let Some(sid) = &s.account_sid {
        if !sid.starts_with("AC") || !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(("account_sid", "a Twilio account SID starts with AC".into()));
        }
    }
    if let Some(region) = &s.region {
        let ok = !region.is_empty()
            && region.len() <= 32
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return Err(("region", "an AWS region such as us-east-1".into()));
        }
    }
    if let Some(kind) = &s.sms_type {
        if kind != "Transactional" && kind != "Promotional" {
            return Err(("sms_type", "Transactional or Promotional".into()));
        }
    }
    if let Some(language) = &s.voice_language {
        let ok = (2..=20).contains(&language.len())
            && language
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            return Err(("voice_language", "a language tag such as en-US".into()));
        }
    }
    for (name, value) in [("url", &s.url), ("base_url", &s.base_url)] {
        if let Some(value) = value {
            check_url(value).map_err(|why| (name, why))?;
        }
    }
    Ok(())
}

/// A provider URL: `https://`, or `http://` to this machine only (a local fake, a
/// second Phonebox), so credentials never cross a network in clear; and no
/// credentials in it (they belong in the secrets store).
pub fn check_url(value: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(value).map_err(|e| format!("not a URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if crate::outbound::is_loopback(value) => {}
        "http" => {
            return Err("must be https:// (plain http:// only to this machine)".into());
        }
        _ => return Err("must be an https:// URL".into()),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user or password: set the credentials instead".into());
    }
    if url.host().is_none() {
        return Err("must name a host".into());
    }
    Ok(url)
}

/// Checks the saved phones; each number is stored in E.164.
pub fn check_phones(phones: &[SavedPhone]) -> Result<Vec<SavedPhone>, String> {
    if phones.len() > MAX_SAVED_PHONES {
        return Err(format!("at most {MAX_SAVED_PHONES} phones"));
    }
    phones
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let label = p.label.trim();
            if label.is_empty() || label.chars().count() > MAX_LABEL {
                return Err(format!("phone {i}: a label of 1 to {MAX_LABEL} characters"));
            }
            let number = crate::message::phone::PhoneNumber::parse(&p.number)
                .map_err(|e| format!("phone {i}: {e}"))?;
            Ok(SavedPhone {
                label: label.to_owned(),
                number: number.as_str().to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_show_at_most_four_characters_of_a_long_secret() {
        assert_eq!(mask("short"), "••••");
        assert_eq!(mask("0123456789abcdef3f9a"), "••••3f9a");
    }

    #[test]
    fn settings_are_checked_per_provider() {
        let twilio = ProviderSettings {
            account_sid: Some("AC123".into()),
            from: Some("+15005550006".into()),
            ..Default::default()
        };
        assert!(check(Via::Twilio, &twilio).is_ok());
        assert_eq!(
            check(Via::Vonage, &twilio).map_err(|e| e.0),
            Err("account_sid")
        );
        for url in [
            "https://user:pw@hooks.example/x",
            "http://hooks.example/x",
            "ftp://hooks.example/x",
        ] {
            let bad = ProviderSettings {
                url: Some(url.into()),
                ..Default::default()
            };
            assert_eq!(
                check(Via::Webhook, &bad).map_err(|e| e.0),
                Err("url"),
                "{url}"
            );
        }
        let local = ProviderSettings {
            url: Some("http://127.0.0.1:9000/hook".into()),
            ..Default::default()
        };
        assert!(check(Via::Webhook, &local).is_ok());
        let sns = ProviderSettings {
            region: Some("us-east-1; rm -rf".into()),
            ..Default::default()
        };
        assert_eq!(check(Via::Sns, &sns).map_err(|e| e.0), Err("region"));
    }
}
