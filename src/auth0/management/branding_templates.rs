//! `/api/v2/branding/phone/templates`: the Unified Phone templates, one per type
//! (`otp_verify`, `otp_enroll`, `change_password`, `blocked_account`,
//! `password_breach`), each checked with the parser rendering uses.

use serde::{Deserialize, Serialize};

use super::invalid;
use crate::auth0::error::MgmtError;
use crate::auth0::templates::unified_default;
use crate::auth0::tenant::{PhoneTemplate, PhoneTemplateContent, Tenant};
use crate::auth0::Auth0;
use crate::message::Channel;

const TEMPLATE_TYPES: [&str; 5] = [
    "otp_verify",
    "otp_enroll",
    "change_password",
    "blocked_account",
    "password_breach",
];

/// `POST /api/v2/branding/phone/templates`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTemplate {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub disabled: bool,
    pub content: Option<PhoneTemplateContent>,
}

/// `PATCH /api/v2/branding/phone/templates/{id}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplatePatch {
    pub disabled: Option<bool>,
    pub content: Option<PhoneTemplateContent>,
}

/// A template as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct TemplateView {
    pub id: String,
    pub content: PhoneTemplateContent,
    #[serde(rename = "type")]
    pub kind: String,
    pub disabled: bool,
    pub channel: &'static str,
    pub customizable: bool,
    pub tenant: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Templates {
    pub templates: Vec<TemplateView>,
}

fn view(tenant: &str, t: &PhoneTemplate) -> TemplateView {
    TemplateView {
        id: t.id.clone(),
        content: t.content.clone(),
        kind: t.kind.clone(),
        disabled: t.disabled,
        channel: "phone",
        customizable: true,
        tenant: tenant.to_owned(),
    }
}

fn not_found() -> MgmtError {
    MgmtError::not_found("Phone template not found")
}

/// Auth0's default content for a template type.
fn default_content(kind: &str) -> PhoneTemplateContent {
    let mut content = PhoneTemplateContent::default();
    content.body.text = Some(unified_default(kind, Channel::Sms).to_owned());
    content.body.voice = Some(unified_default(kind, Channel::Voice).to_owned());
    content
}

fn check_content(content: &PhoneTemplateContent) -> Result<(), MgmtError> {
    if content
        .from
        .as_ref()
        .is_some_and(|f| f.chars().count() > 16)
    {
        return Err(invalid("content.from is longer than 16 characters"));
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

impl Auth0 {
    pub fn phone_templates(&self, tenant: &Tenant, disabled: Option<bool>) -> Templates {
        Templates {
            templates: tenant
                .settings
                .phone_templates
                .iter()
                .filter(|t| disabled.is_none_or(|d| t.disabled == d))
                .map(|t| view(&tenant.id, t))
                .collect(),
        }
    }

    pub fn phone_template(&self, tenant: &Tenant, id: &str) -> Result<TemplateView, MgmtError> {
        tenant
            .settings
            .phone_templates
            .iter()
            .find(|t| t.id == id)
            .map(|t| view(&tenant.id, t))
            .ok_or_else(not_found)
    }

    /// `POST` (201): one template per type.
    pub async fn create_phone_template(
        &self,
        tenant: &str,
        c: NewTemplate,
    ) -> Result<TemplateView, MgmtError> {
        if !TEMPLATE_TYPES.contains(&c.kind.as_str()) {
            return Err(invalid(format!(
                "type must be one of {}",
                TEMPLATE_TYPES.join(", ")
            )));
        }
        let content = c.content.unwrap_or_else(|| default_content(&c.kind));
        check_content(&content)?;
        let template = PhoneTemplate {
            id: format!("tem_{}", crate::random::token(16)),
            kind: c.kind,
            disabled: c.disabled,
            content,
        };
        self.change(tenant, |t| {
            if t.settings
                .phone_templates
                .iter()
                .any(|x| x.kind == template.kind)
            {
                return Err(MgmtError::new(
                    409,
                    format!("A {} template already exists", template.kind),
                    Some("conflict"),
                ));
            }
            t.settings.phone_templates.push(template.clone());
            Ok(())
        })
        .await?;
        Ok(view(tenant, &template))
    }

    pub async fn update_phone_template(
        &self,
        tenant: &str,
        id: &str,
        p: TemplatePatch,
    ) -> Result<TemplateView, MgmtError> {
        if let Some(content) = &p.content {
            check_content(content)?;
        }
        let (template, _) = self
            .change(tenant, |t| {
                let template = t
                    .settings
                    .phone_templates
                    .iter_mut()
                    .find(|t| t.id == id)
                    .ok_or_else(not_found)?;
                if let Some(content) = p.content {
                    template.content = content;
                }
                if let Some(d) = p.disabled {
                    template.disabled = d;
                }
                Ok(template.clone())
            })
            .await?;
        Ok(view(tenant, &template))
    }

    /// `PATCH .../templates/{id}/reset`: back to the default content for its type.
    pub async fn reset_phone_template(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<TemplateView, MgmtError> {
        let (template, _) = self
            .change(tenant, |t| {
                let template = t
                    .settings
                    .phone_templates
                    .iter_mut()
                    .find(|t| t.id == id)
                    .ok_or_else(not_found)?;
                template.content = default_content(&template.kind);
                Ok(template.clone())
            })
            .await?;
        Ok(view(tenant, &template))
    }

    pub async fn delete_phone_template(&self, tenant: &str, id: &str) -> Result<(), MgmtError> {
        self.change(tenant, |t| {
            let before = t.settings.phone_templates.len();
            t.settings.phone_templates.retain(|t| t.id != id);
            if t.settings.phone_templates.len() == before {
                return Err(not_found());
            }
            Ok(())
        })
        .await?;
        Ok(())
    }
}
