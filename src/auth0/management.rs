//! The Management API's phone parts: the Guardian phone factor (legacy), the
//! Unified Phone providers and templates (branding), and the tenant's logs.
//!
//! Credentials are write-only: they go to the secrets file and no answer carries them.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::delivery::{branding_token_key, twilio_token_key, Outgoing};
use super::directory::random_token;
use super::error::MgmtError;
use super::logs;
use super::templates::{self, Purpose, Variables};
use super::tenant::{
    self, GuardianProvider, GuardianTemplates, GuardianTwilio, PhoneProvider, PhoneTemplate,
    PhoneTemplateContent, Tenant,
};
use super::Auth0;
use crate::message::phone::PhoneNumber;
use crate::message::Channel;
use crate::store::clients::ClientRow;
use crate::store::log_events;
use crate::store::users::UserRow;

const TEMPLATE_TYPES: [&str; 5] = [
    "otp_verify",
    "otp_enroll",
    "change_password",
    "blocked_account",
    "password_breach",
];

fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, MgmtError> {
    crate::receivers::decode_body(body)
        .map_err(|e| MgmtError::bad_request(format!("Payload validation error: {e}")))
}

fn secret_io(e: std::io::Error) -> MgmtError {
    MgmtError {
        cause: Some(format!("cannot write the secrets file: {e}")),
        ..MgmtError::new(
            500,
            "cannot store the credential; see the Phonebox log",
            None,
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Enabled {
    enabled: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageTypes {
    message_types: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectedProvider {
    provider: GuardianProvider,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TwilioBody {
    from: Option<String>,
    messaging_service_sid: Option<String>,
    auth_token: Option<String>,
    sid: Option<String>,
}

impl Auth0 {
    async fn save(&self, tenant: &Tenant) -> Result<(), MgmtError> {
        Ok(tenant::save(self.store(), tenant).await?)
    }

    /// `GET /api/v2/guardian/factors`: the factors Phonebox emulates.
    pub fn factors(&self, tenant: &Tenant) -> Value {
        json!([
            { "name": "sms", "enabled": tenant.settings.phone_enabled, "trial_expired": false },
            { "name": "phone", "enabled": tenant.settings.phone_enabled, "trial_expired": false },
        ])
    }

    /// `PUT /api/v2/guardian/factors/{phone|sms}`.
    pub async fn set_phone_enabled(
        &self,
        tenant: &mut Tenant,
        body: &[u8],
    ) -> Result<Value, MgmtError> {
        let Enabled { enabled } = decode(body)?;
        tenant.settings.phone_enabled = enabled;
        self.save(tenant).await?;
        Ok(json!({ "enabled": enabled }))
    }

    pub fn message_types(&self, tenant: &Tenant) -> Value {
        json!({ "message_types": tenant.settings.message_types })
    }

    pub async fn set_message_types(
        &self,
        tenant: &mut Tenant,
        body: &[u8],
    ) -> Result<Value, MgmtError> {
        let MessageTypes { mut message_types } = decode(body)?;
        message_types.sort();
        message_types.dedup();
        if message_types.is_empty() || message_types.iter().any(|t| t != "sms" && t != "voice") {
            return Err(MgmtError::bad_request(
                "Payload validation error: message_types must be [\"sms\"], [\"voice\"] or [\"sms\",\"voice\"]",
            ));
        }
        tenant.settings.message_types = message_types;
        self.save(tenant).await?;
        Ok(self.message_types(tenant))
    }

    pub fn selected_provider(&self, tenant: &Tenant) -> Value {
        json!({ "provider": tenant.settings.selected_provider })
    }

    pub async fn set_selected_provider(
        &self,
        tenant: &mut Tenant,
        body: &[u8],
    ) -> Result<Value, MgmtError> {
        let SelectedProvider { provider } = decode(body)?;
        tenant.settings.selected_provider = provider;
        self.save(tenant).await?;
        Ok(self.selected_provider(tenant))
    }

    /// `GET .../providers/twilio`: the settings, never the auth token.
    pub fn twilio(&self, tenant: &Tenant) -> Value {
        let t = &tenant.settings.twilio;
        json!({ "from": t.from, "messaging_service_sid": t.messaging_service_sid, "sid": t.sid })
    }

    pub async fn set_twilio(&self, tenant: &mut Tenant, body: &[u8]) -> Result<Value, MgmtError> {
        let b: TwilioBody = decode(body)?;
        if b.from.as_ref().is_some_and(|f| f.chars().count() > 64) {
            return Err(MgmtError::bad_request(
                "Payload validation error: from is longer than 64 characters",
            ));
        }
        for (name, value) in [
            ("messaging_service_sid", &b.messaging_service_sid),
            ("auth_token", &b.auth_token),
            ("sid", &b.sid),
        ] {
            if value
                .as_ref()
                .is_some_and(|v| v.is_empty() || v.chars().count() > 1000)
            {
                return Err(MgmtError::bad_request(format!(
                    "Payload validation error: {name} must be 1 to 1000 characters"
                )));
            }
        }
        tenant.settings.twilio = GuardianTwilio {
            from: b.from,
            messaging_service_sid: b.messaging_service_sid,
            sid: b.sid,
        };
        if let Some(token) = &b.auth_token {
            self.secrets()
                .set(&twilio_token_key(&tenant.id), token)
                .map_err(secret_io)?;
        }
        self.save(tenant).await?;
        Ok(self.twilio(tenant))
    }

    pub fn guardian_templates(&self, tenant: &Tenant) -> Value {
        let t = &tenant.settings.templates;
        json!({
            "enrollment_message": t.enrollment_message.clone().unwrap_or_else(|| templates::DEFAULT_ENROLLMENT.into()),
            "verification_message": t.verification_message.clone().unwrap_or_else(|| templates::DEFAULT_VERIFICATION.into()),
        })
    }

    pub async fn set_guardian_templates(
        &self,
        tenant: &mut Tenant,
        body: &[u8],
    ) -> Result<Value, MgmtError> {
        let t: GuardianTemplates = decode(body)?;
        for (name, value) in [
            ("enrollment_message", &t.enrollment_message),
            ("verification_message", &t.verification_message),
        ] {
            if let Some(v) = value {
                crate::liquid::validate(v).map_err(|e| {
                    MgmtError::bad_request(format!("{name} is not valid Liquid: {e}"))
                })?;
            }
        }
        tenant.settings.templates = t;
        self.save(tenant).await?;
        Ok(self.guardian_templates(tenant))
    }

    fn provider_json(tenant: &Tenant, p: &PhoneProvider) -> Value {
        json!({
            "name": p.name, "id": p.id, "tenant": tenant.id, "channel": "phone", "disabled": p.disabled,
            "configuration": p.configuration, "created_at": p.created_at, "updated_at": p.updated_at,
        })
    }

    /// `GET /api/v2/branding/phone/providers[?disabled=]`.
    pub fn phone_providers(&self, tenant: &Tenant, disabled: Option<bool>) -> Value {
        let list: Vec<Value> = tenant
            .settings
            .phone_providers
            .iter()
            .filter(|p| disabled.is_none_or(|d| p.disabled == d))
            .map(|p| Self::provider_json(tenant, p))
            .collect();
        json!({ "providers": list })
    }

    pub fn phone_provider(&self, tenant: &Tenant, id: &str) -> Result<Value, MgmtError> {
        tenant
            .settings
            .phone_providers
            .iter()
            .find(|p| p.id == id)
            .map(|p| Self::provider_json(tenant, p))
            .ok_or_else(|| MgmtError::not_found("Phone provider not found"))
    }

    /// Checks a provider's name, configuration and credentials against Auth0's schema.
    fn check_provider(
        name: &str,
        configuration: &Value,
        credentials: &Value,
    ) -> Result<(), MgmtError> {
        let bad = |m: &str| {
            Err(MgmtError::bad_request(format!(
                "Payload validation error: {m}"
            )))
        };
        let methods = configuration
            .get("delivery_methods")
            .and_then(Value::as_array);
        match methods {
            Some(m)
                if !m.is_empty()
                    && m.iter()
                        .all(|v| matches!(v.as_str(), Some("text" | "voice"))) => {}
            _ => return bad("configuration.delivery_methods must list text and/or voice"),
        }
        match name {
            "twilio" => {
                if configuration
                    .get("sid")
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
                {
                    return bad("configuration.sid is required for twilio");
                }
                let token = credentials
                    .get("auth_token")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if !(1..=255).contains(&token.chars().count()) {
                    return bad(
                        "credentials.auth_token (1 to 255 characters) is required for twilio",
                    );
                }
            }
            "custom" => {
                if credentials.as_object().is_some_and(|c| !c.is_empty()) {
                    return bad("credentials of a custom provider take no properties");
                }
            }
            other => return bad(&format!("name must be twilio or custom, not '{other}'")),
        }
        Ok(())
    }

    /// `POST /api/v2/branding/phone/providers` (201).
    pub async fn create_phone_provider(
        &self,
        tenant: &mut Tenant,
        body: &[u8],
    ) -> Result<Value, MgmtError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Create {
            name: String,
            #[serde(default)]
            disabled: bool,
            #[serde(default)]
            configuration: Value,
            credentials: Value,
        }
        let c: Create = decode(body)?;
        Self::check_provider(&c.name, &c.configuration, &c.credentials)?;
        if !tenant.settings.phone_providers.is_empty() {
            return Err(MgmtError::new(
                409,
                "Custom phone provider conflict: the tenant already has a phone provider",
                Some("conflict"),
            ));
        }
        let now = crate::clock::unix_ms::rfc3339(self.now());
        let provider = PhoneProvider {
            id: format!("pro_{}", random_token(16)),
            name: c.name,
            disabled: c.disabled,
            configuration: c.configuration,
            created_at: now.clone(),
            updated_at: now,
        };
        if let Some(token) = c.credentials.get("auth_token").and_then(Value::as_str) {
            self.secrets()
                .set(&branding_token_key(&tenant.id, &provider.id), token)
                .map_err(secret_io)?;
        }
        tenant.settings.phone_providers.push(provider.clone());
        self.save(tenant).await?;
        Ok(Self::provider_json(tenant, &provider))
    }

    /// `PATCH /api/v2/branding/phone/providers/{id}`.
    pub async fn update_phone_provider(
        &self,
        tenant: &mut Tenant,
        id: &str,
        body: &[u8],
    ) -> Result<Value, MgmtError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Patch {
            name: Option<String>,
            disabled: Option<bool>,
            configuration: Option<Value>,
            credentials: Option<Value>,
        }
        let p: Patch = decode(body)?;
        let now = crate::clock::unix_ms::rfc3339(self.now());
        let tenant_id = tenant.id.clone();
        let provider = tenant
            .settings
            .phone_providers
            .iter_mut()
            .find(|p| p.id == id)
            .ok_or_else(|| MgmtError::not_found("Phone provider not found"))?;
        let name = p.name.unwrap_or_else(|| provider.name.clone());
        let configuration = p
            .configuration
            .unwrap_or_else(|| provider.configuration.clone());
        let credentials = match &p.credentials {
            Some(c) => c.clone(),
            // Unchanged credentials are valid as they are.
            None if name == "twilio" => json!({ "auth_token": "kept" }),
            None => json!({}),
        };
        Self::check_provider(&name, &configuration, &credentials)?;
        if let Some(token) = p
            .credentials
            .as_ref()
            .and_then(|c| c.get("auth_token"))
            .and_then(Value::as_str)
        {
            self.secrets()
                .set(&branding_token_key(&tenant_id, id), token)
                .map_err(secret_io)?;
        }
        provider.name = name;
        provider.configuration = configuration;
        if let Some(d) = p.disabled {
            provider.disabled = d;
        }
        provider.updated_at = now;
        let provider = provider.clone();
        self.save(tenant).await?;
        Ok(Self::provider_json(tenant, &provider))
    }

    pub async fn delete_phone_provider(
        &self,
        tenant: &mut Tenant,
        id: &str,
    ) -> Result<(), MgmtError> {
        let before = tenant.settings.phone_providers.len();
        tenant.settings.phone_providers.retain(|p| p.id != id);
        if tenant.settings.phone_providers.len() == before {
            return Err(MgmtError::not_found("Phone provider not found"));
        }
        self.secrets()
            .remove(&branding_token_key(&tenant.id, id))
            .map_err(secret_io)?;
        self.save(tenant).await
    }

    fn template_json(tenant: &Tenant, t: &PhoneTemplate) -> Value {
        json!({
            "id": t.id, "content": t.content, "type": t.kind, "disabled": t.disabled,
            "channel": "phone", "customizable": true, "tenant": tenant.id,
        })
    }

    fn default_content(kind: &str) -> PhoneTemplateContent {
        let text = match kind {
            "otp_enroll" => templates::DEFAULT_ENROLLMENT,
            "otp_verify" => templates::DEFAULT_VERIFICATION,
            "change_password" => "Your password for {{tenant.friendly_name}} was changed.",
            "blocked_account" => "Your {{tenant.friendly_name}} account was blocked after suspicious logins.",
            _ => "Your {{tenant.friendly_name}} password appeared in a data breach: please change it.",
        };
        let mut content = PhoneTemplateContent::default();
        content.body.text = Some(text.to_owned());
        content.body.voice = Some(text.to_owned());
        content
    }

    fn check_content(content: &PhoneTemplateContent) -> Result<(), MgmtError> {
        if content
            .from
            .as_ref()
            .is_some_and(|f| f.chars().count() > 16)
        {
            return Err(MgmtError::bad_request(
                "Payload validation error: content.from is longer than 16 characters",
            ));
        }
        for (name, body) in [("text", &content.body.text), ("voice", &content.body.voice)] {
            if let Some(b) = body {
                crate::liquid::validate(b).map_err(|e| {
                    MgmtError::bad_request(format!("content.body.{name} is not valid Liquid: {e}"))
                })?;
            }
        }
        Ok(())
    }

    pub fn phone_templates(&self, tenant: &Tenant, disabled: Option<bool>) -> Value {
        let list: Vec<Value> = tenant
            .settings
            .phone_templates
            .iter()
            .filter(|t| disabled.is_none_or(|d| t.disabled == d))
            .map(|t| Self::template_json(tenant, t))
            .collect();
        json!({ "templates": list })
    }

    pub fn phone_template(&self, tenant: &Tenant, id: &str) -> Result<Value, MgmtError> {
        tenant
            .settings
            .phone_templates
            .iter()
            .find(|t| t.id == id)
            .map(|t| Self::template_json(tenant, t))
            .ok_or_else(|| MgmtError::not_found("Phone template not found"))
    }

    pub async fn create_phone_template(
        &self,
        tenant: &mut Tenant,
        body: &[u8],
    ) -> Result<Value, MgmtError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Create {
            #[serde(rename = "type")]
            kind: String,
            #[serde(default)]
            disabled: bool,
            content: Option<PhoneTemplateContent>,
        }
        let c: Create = decode(body)?;
        if !TEMPLATE_TYPES.contains(&c.kind.as_str()) {
            return Err(MgmtError::bad_request(format!(
                "Payload validation error: type must be one of {}",
                TEMPLATE_TYPES.join(", ")
            )));
        }
        if tenant
            .settings
            .phone_templates
            .iter()
            .any(|t| t.kind == c.kind)
        {
            return Err(MgmtError::new(
                409,
                format!("A {} template already exists", c.kind),
                Some("conflict"),
            ));
        }
        let content = c.content.unwrap_or_else(|| Self::default_content(&c.kind));
        Self::check_content(&content)?;
        let template = PhoneTemplate {
            id: format!("tem_{}", random_token(16)),
            kind: c.kind,
            disabled: c.disabled,
            content,
        };
        tenant.settings.phone_templates.push(template.clone());
        self.save(tenant).await?;
        Ok(Self::template_json(tenant, &template))
    }

    pub async fn update_phone_template(
        &self,
        tenant: &mut Tenant,
        id: &str,
        body: &[u8],
    ) -> Result<Value, MgmtError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Patch {
            disabled: Option<bool>,
            content: Option<PhoneTemplateContent>,
        }
        let p: Patch = decode(body)?;
        if let Some(content) = &p.content {
            Self::check_content(content)?;
        }
        let template = tenant
            .settings
            .phone_templates
            .iter_mut()
            .find(|t| t.id == id)
            .ok_or_else(|| MgmtError::not_found("Phone template not found"))?;
        if let Some(content) = p.content {
            template.content = content;
        }
        if let Some(d) = p.disabled {
            template.disabled = d;
        }
        let template = template.clone();
        self.save(tenant).await?;
        Ok(Self::template_json(tenant, &template))
    }

    /// `PATCH .../templates/{id}/reset`: back to the default content for its type.
    pub async fn reset_phone_template(
        &self,
        tenant: &mut Tenant,
        id: &str,
    ) -> Result<Value, MgmtError> {
        let template = tenant
            .settings
            .phone_templates
            .iter_mut()
            .find(|t| t.id == id)
            .ok_or_else(|| MgmtError::not_found("Phone template not found"))?;
        template.content = Self::default_content(&template.kind);
        let template = template.clone();
        self.save(tenant).await?;
        Ok(Self::template_json(tenant, &template))
    }

    pub async fn delete_phone_template(
        &self,
        tenant: &mut Tenant,
        id: &str,
    ) -> Result<(), MgmtError> {
        let before = tenant.settings.phone_templates.len();
        tenant.settings.phone_templates.retain(|t| t.id != id);
        if tenant.settings.phone_templates.len() == before {
            return Err(MgmtError::not_found("Phone template not found"));
        }
        self.save(tenant).await
    }

    /// `POST .../providers/{id}/try` and `.../templates/{id}/try`: a test message
    /// through the tenant's provider, answered 202 like Auth0.
    pub async fn try_send(
        &self,
        tenant: &Tenant,
        template_id: Option<&str>,
        body: &[u8],
    ) -> Result<Value, MgmtError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Try {
            to: String,
            delivery_method: Option<String>,
        }
        let t: Try = decode(body)?;
        if t.to.chars().count() > 16 {
            return Err(MgmtError::bad_request(
                "Payload validation error: to is longer than 16 characters",
            ));
        }
        let to =
            PhoneNumber::parse(&t.to).map_err(|e| MgmtError::bad_request(format!("to: {e}")))?;
        let channel = match t.delivery_method.as_deref().unwrap_or("text") {
            "text" => Channel::Sms,
            "voice" => Channel::Voice,
            other => {
                return Err(MgmtError::bad_request(format!(
                    "delivery_method must be text or voice, not '{other}'"
                )))
            }
        };
        let code = "123456";
        let template = match template_id {
            Some(id) => {
                let t = tenant
                    .settings
                    .phone_templates
                    .iter()
                    .find(|t| t.id == id)
                    .ok_or_else(|| MgmtError::not_found("Phone template not found"))?;
                let body = match channel {
                    Channel::Sms => t.content.body.text.clone(),
                    Channel::Voice => t.content.body.voice.clone(),
                };
                body.unwrap_or_default()
            }
            None => {
                "This is a test message from {{tenant.friendly_name}}, sent by Phonebox.".to_owned()
            }
        };
        let vars = Variables {
            tenant,
            code,
            channel,
            locale: &tenant.settings.languages.default,
            accept_language: None,
        };
        let text = templates::render(&self.templates, &[(template, &vars)], self.now())
            .await
            .map_err(|e| MgmtError::bad_request(format!("the template does not render: {e}")))?
            .into_iter()
            .next()
            .unwrap_or_default();
        let user = UserRow {
            user_id: "phonebox|test-message".into(),
            tenant: tenant.id.clone(),
            email: "test-message@phonebox.invalid".into(),
            password_hash: String::new(),
            name: Some("Send Test Message".into()),
            failed_codes: 0,
            last_failed_at: None,
            created_at: 0,
        };
        let client = ClientRow {
            client_id: "phonebox-test-message".into(),
            tenant: tenant.id.clone(),
            name: "Send Test Message".into(),
            client_secret: String::new(),
            on_first_use: false,
            created_at: 0,
        };
        let transaction = ulid::Ulid::from_datetime(self.now().into()).to_string();
        let outgoing = Outgoing {
            tenant,
            user: &user,
            client: &client,
            channel,
            recipient: &to,
            text: text.clone(),
            as_text: text.clone(),
            as_voice: text,
            code,
            purpose: Purpose::Verification,
            locale: &tenant.settings.languages.default,
            transaction_id: &transaction,
            ip: None,
            user_agent: None,
        };
        let outcome = self.deliver_test(&outgoing).await?;
        Ok(match outcome.error {
            None => json!({ "code": 202, "message": "Test message sent" }),
            Some(why) => json!({ "code": 400, "message": why }),
        })
    }

    /// `GET /api/v2/logs`: `q`, `page`, `per_page`, `sort` (`date:1|-1`), `include_totals`.
    pub async fn logs(
        &self,
        tenant: &Tenant,
        query: &Map<String, Value>,
    ) -> Result<Value, MgmtError> {
        let text = |k: &str| query.get(k).and_then(Value::as_str);
        let number = |k: &str, default: u32, max: u32| -> Result<u32, MgmtError> {
            match text(k) {
                None => Ok(default),
                Some(v) => v.parse::<u32>().ok().filter(|n| *n <= max).ok_or_else(|| {
                    MgmtError::new(
                        400,
                        format!("Query validation error: '{k}' must be a number up to {max}"),
                        Some("invalid_query_string"),
                    )
                }),
            }
        };
        let mut filter = match text("q") {
            Some(q) => logs::parse_q(q).map_err(|e| {
                MgmtError::new(
                    400,
                    format!("Query validation error: {e}"),
                    Some("invalid_query_string"),
                )
            })?,
            None => log_events::LogFilter::default(),
        };
        filter.newest_first = !matches!(text("sort"), Some("date:1"));
        let page = number("page", 0, 1000)?;
        let per_page = number("per_page", 50, 100)?;
        let (bodies, total) =
            log_events::list(self.store(), &tenant.id, &filter, page * per_page, per_page).await?;
        let list: Vec<Value> = bodies
            .iter()
            .filter_map(|b| serde_json::from_str(b).ok())
            .collect();
        if text("include_totals") == Some("true") {
            return Ok(
                json!({ "start": page * per_page, "limit": per_page, "length": list.len(), "total": total, "logs": list }),
            );
        }
        Ok(Value::Array(list))
    }

    pub async fn log(&self, tenant: &Tenant, id: &str) -> Result<Value, MgmtError> {
        let body = log_events::get(self.store(), &tenant.id, id)
            .await?
            .ok_or_else(|| MgmtError::not_found("Log event not found"))?;
        serde_json::from_str(&body)
            .map_err(|e| MgmtError::from(crate::store::StoreError::Corrupt(e.to_string())))
    }
}
