//! `/api/v2/branding/phone/providers`: the Unified Phone provider (one per
//! tenant, `twilio` or `custom`), its configuration and write-only credentials.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{invalid, secret_io};
use crate::auth0::delivery::branding_token_key;
use crate::auth0::error::MgmtError;
use crate::auth0::tenant::{PhoneProvider, Tenant};
use crate::auth0::Auth0;

/// `POST /api/v2/branding/phone/providers`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProvider {
    pub name: String,
    #[serde(default)]
    pub disabled: bool,
    /// Provider-specific (`sid`, `delivery_methods`, `default_from`...), kept as sent.
    #[serde(default)]
    pub configuration: Value,
    pub credentials: Value,
}

/// `PATCH /api/v2/branding/phone/providers/{id}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderPatch {
    pub name: Option<String>,
    pub disabled: Option<bool>,
    pub configuration: Option<Value>,
    pub credentials: Option<Value>,
}

/// A provider as the API shows it: never its credentials.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderView {
    pub name: String,
    pub id: String,
    pub tenant: String,
    pub channel: &'static str,
    pub disabled: bool,
    pub configuration: Value,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Providers {
    pub providers: Vec<ProviderView>,
}

fn view(tenant: &str, p: &PhoneProvider) -> ProviderView {
    ProviderView {
        name: p.name.clone(),
        id: p.id.clone(),
        tenant: tenant.to_owned(),
        channel: "phone",
        disabled: p.disabled,
        configuration: p.configuration.clone(),
        created_at: p.created_at.clone(),
        updated_at: p.updated_at.clone(),
    }
}

fn not_found() -> MgmtError {
    MgmtError::not_found("Phone provider not found")
}

/// Checks a provider's name, configuration and credentials against Auth0's schema.
fn check(name: &str, configuration: &Value, credentials: &Value) -> Result<(), MgmtError> {
    let methods = configuration
        .get("delivery_methods")
        .and_then(Value::as_array);
    match methods {
        Some(m)
            if !m.is_empty()
                && m.iter()
                    .all(|v| matches!(v.as_str(), Some("text" | "voice"))) => {}
        _ => {
            return Err(invalid(
                "configuration.delivery_methods must list text and/or voice",
            ))
        }
    }
    match name {
        "twilio" => {
            if configuration
                .get("sid")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                return Err(invalid("configuration.sid is required for twilio"));
            }
            let token = credentials
                .get("auth_token")
                .and_then(Value::as_str)
                .unwrap_or("");
            if !(1..=255).contains(&token.chars().count()) {
                return Err(invalid(
                    "credentials.auth_token (1 to 255 characters) is required for twilio",
                ));
            }
        }
        "custom" => {
            if credentials.as_object().is_some_and(|c| !c.is_empty()) {
                return Err(invalid(
                    "credentials of a custom provider take no properties",
                ));
            }
        }
        other => {
            return Err(invalid(format!(
                "name must be twilio or custom, not '{other}'"
            )))
        }
    }
    Ok(())
}

impl Auth0 {
    /// `GET /api/v2/branding/phone/providers[?disabled=]`.
    pub fn phone_providers(&self, tenant: &Tenant, disabled: Option<bool>) -> Providers {
        Providers {
            providers: tenant
                .settings
                .phone_providers
                .iter()
                .filter(|p| disabled.is_none_or(|d| p.disabled == d))
                .map(|p| view(&tenant.id, p))
                .collect(),
        }
    }

    pub fn phone_provider(&self, tenant: &Tenant, id: &str) -> Result<ProviderView, MgmtError> {
        tenant
            .settings
            .phone_providers
            .iter()
            .find(|p| p.id == id)
            .map(|p| view(&tenant.id, p))
            .ok_or_else(not_found)
    }

    /// `POST /api/v2/branding/phone/providers` (201): a tenant has one provider.
    pub async fn create_phone_provider(
        &self,
        tenant: &str,
        c: NewProvider,
    ) -> Result<ProviderView, MgmtError> {
        check(&c.name, &c.configuration, &c.credentials)?;
        let now = crate::unix_ms::rfc3339(self.now(tenant));
        let provider = PhoneProvider {
            id: format!("pro_{}", crate::random::token(16)),
            name: c.name,
            disabled: c.disabled,
            configuration: c.configuration,
            created_at: now.clone(),
            updated_at: now,
        };
        let secrets = self.secrets();
        let (_, _) = self
            .change(tenant, |t| {
                if !t.settings.phone_providers.is_empty() {
                    return Err(MgmtError::new(
                        409,
                        "Custom phone provider conflict: the tenant already has a phone provider",
                        Some("conflict"),
                    ));
                }
                // Inside the change: a provider that is not stored gets no
                // secret, and one whose secret cannot be kept is not stored.
                if let Some(token) = c.credentials.get("auth_token").and_then(Value::as_str) {
                    secrets
                        .set(&branding_token_key(tenant, &provider.id), token)
                        .map_err(secret_io)?;
                }
                t.settings.phone_providers.push(provider.clone());
                Ok(())
            })
            .await?;
        Ok(view(tenant, &provider))
    }

    /// `PATCH /api/v2/branding/phone/providers/{id}`.
    pub async fn update_phone_provider(
        &self,
        tenant: &str,
        id: &str,
        p: ProviderPatch,
    ) -> Result<ProviderView, MgmtError> {
        let now = crate::unix_ms::rfc3339(self.now(tenant));
        let token = p
            .credentials
            .as_ref()
            .and_then(|c| c.get("auth_token"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let secrets = self.secrets();
        let (provider, _) = self
            .change(tenant, |t| {
                let provider = t
                    .settings
                    .phone_providers
                    .iter_mut()
                    .find(|p| p.id == id)
                    .ok_or_else(not_found)?;
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
                check(&name, &configuration, &credentials)?;
                provider.name = name;
                provider.configuration = configuration;
                if let Some(d) = p.disabled {
                    provider.disabled = d;
                }
                provider.updated_at = now;
                // Inside the change, so a concurrent delete cannot have its
                // token written back.
                if let Some(token) = &token {
                    secrets
                        .set(&branding_token_key(tenant, id), token)
                        .map_err(secret_io)?;
                }
                Ok(provider.clone())
            })
            .await?;
        Ok(view(tenant, &provider))
    }

    pub async fn delete_phone_provider(&self, tenant: &str, id: &str) -> Result<(), MgmtError> {
        self.change(tenant, |t| {
            let before = t.settings.phone_providers.len();
            t.settings.phone_providers.retain(|p| p.id != id);
            if t.settings.phone_providers.len() == before {
                return Err(not_found());
            }
            Ok(())
        })
        .await?;
        self.secrets()
            .remove(&branding_token_key(tenant, id))
            .map_err(secret_io)
    }
}
