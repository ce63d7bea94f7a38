//! `/api/v2/guardian/factors/phone` (and its `sms` twin): whether the phone factor
//! is on, its message types, the selected provider, Twilio's settings and the
//! enrollment and verification templates.

use serde::{Deserialize, Serialize};

use super::{invalid, secret_io};
use crate::auth0::delivery::twilio_token_key;
use crate::auth0::error::MgmtError;
use crate::auth0::templates::{DEFAULT_ENROLLMENT, DEFAULT_VERIFICATION};
use crate::auth0::tenant::{GuardianProvider, GuardianTemplates, GuardianTwilio, Tenant};
use crate::auth0::Auth0;

/// The factors Auth0 has besides the phone (`GuardianFactorNameEnum`).
const OTHER_FACTORS: &[&str] = &[
    "push-notification",
    "email",
    "duo",
    "otp",
    "webauthn-roaming",
    "webauthn-platform",
    "recovery-code",
];

/// One entry of `GET /api/v2/guardian/factors`.
#[derive(Debug, Clone, Serialize)]
pub struct Factor {
    pub name: &'static str,
    pub enabled: bool,
    pub trial_expired: bool,
}

/// `PUT /api/v2/guardian/factors/phone` and its answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enabled {
    pub enabled: bool,
}

/// `.../message-types`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct MessageTypes {
    pub message_types: Vec<String>,
}

/// `.../selected-provider`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SelectedProvider {
    pub provider: GuardianProvider,
}

/// `PUT .../providers/twilio`: the auth token is written, never read back.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioSettings {
    pub from: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub auth_token: Option<String>,
    pub sid: Option<String>,
}

/// `GET .../providers/twilio`.
#[derive(Debug, Clone, Serialize)]
pub struct TwilioView {
    pub from: Option<String>,
    pub messaging_service_sid: Option<String>,
    /// Auth0 answers the token itself; Phonebox never does: its mask
    /// (`••••3f9a`), or none when no token is stored.
    pub auth_token: Option<String>,
    pub sid: Option<String>,
}

/// `GET .../templates`: the tenant's, or Auth0's defaults.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TemplatesView {
    pub enrollment_message: String,
    pub verification_message: String,
}

impl Auth0 {
    /// Every factor Auth0 names: the phone factor (and its `sms` twin), which
    /// Phonebox emulates, and the others, kept only as switches so scripts that
    /// turn them on and off run.
    pub fn factors(&self, tenant: &Tenant) -> Vec<Factor> {
        let phone = tenant.settings.phone_enabled;
        ["sms", "phone"]
            .into_iter()
            .map(|name| (name, phone))
            .chain(OTHER_FACTORS.iter().map(|name| {
                (
                    *name,
                    tenant.settings.factors.get(*name).copied().unwrap_or(false),
                )
            }))
            .map(|(name, enabled)| Factor {
                name,
                enabled,
                trial_expired: false,
            })
            .collect()
    }

    /// `PUT /api/v2/guardian/factors/{name}` for a factor other than the phone.
    pub async fn set_other_factor(
        &self,
        tenant: &str,
        name: &str,
        body: Enabled,
    ) -> Result<Enabled, MgmtError> {
        let Some(known) = OTHER_FACTORS.iter().find(|f| **f == name) else {
            return Err(MgmtError::not_found(format!(
                "'{name}' is not a Guardian factor (sms, phone, {})",
                OTHER_FACTORS.join(", ")
            )));
        };
        self.change(tenant, |t| {
            t.settings.factors.insert((*known).to_owned(), body.enabled);
            Ok(())
        })
        .await?;
        Ok(body)
    }

    /// `PUT /api/v2/guardian/factors/{phone|sms}`.
    pub async fn set_phone_enabled(
        &self,
        tenant: &str,
        body: Enabled,
    ) -> Result<Enabled, MgmtError> {
        self.change(tenant, |t| {
            t.settings.phone_enabled = body.enabled;
            Ok(())
        })
        .await?;
        Ok(body)
    }

    pub fn message_types(&self, tenant: &Tenant) -> MessageTypes {
        MessageTypes {
            message_types: tenant.settings.message_types.clone(),
        }
    }

    pub async fn set_message_types(
        &self,
        tenant: &str,
        body: MessageTypes,
    ) -> Result<MessageTypes, MgmtError> {
        let mut types = body.message_types;
        types.sort();
        types.dedup();
        if types.is_empty() || types.iter().any(|t| t != "sms" && t != "voice") {
            return Err(invalid(
                "message_types must be [\"sms\"], [\"voice\"] or [\"sms\",\"voice\"]",
            ));
        }
        let (_, tenant) = self
            .change(tenant, |t| {
                let undelivered = types.iter().find(|ty| {
                    let channel = crate::message::Channel::parse(ty).unwrap_or(crate::message::Channel::Sms);
                    !t.settings.provider_delivers(channel)
                });
                if let Some(ty) = undelivered {
                    return Err(invalid(format!(
                        "the phone provider does not deliver {ty} messages: add it to the provider's configuration.delivery_methods first"
                    )));
                }
                t.settings.message_types = types;
                Ok(())
            })
            .await?;
        Ok(self.message_types(&tenant))
    }

    pub fn selected_provider(&self, tenant: &Tenant) -> SelectedProvider {
        SelectedProvider {
            provider: tenant.settings.selected_provider,
        }
    }

    pub async fn set_selected_provider(
        &self,
        tenant: &str,
        body: SelectedProvider,
    ) -> Result<SelectedProvider, MgmtError> {
        self.change(tenant, |t| {
            t.settings.selected_provider = body.provider;
            Ok(())
        })
        .await?;
        Ok(body)
    }

    /// `GET .../providers/twilio`: the settings, never the auth token.
    pub fn twilio(&self, tenant: &Tenant) -> TwilioView {
        let t = &tenant.settings.twilio;
        TwilioView {
            from: t.from.clone(),
            messaging_service_sid: t.messaging_service_sid.clone(),
            auth_token: self
                .secrets()
                .get(&twilio_token_key(&tenant.id))
                .map(|token| crate::forward::settings::mask(&token)),
            sid: t.sid.clone(),
        }
    }

    pub async fn set_twilio(
        &self,
        tenant: &str,
        b: TwilioSettings,
    ) -> Result<TwilioView, MgmtError> {
        if b.from.as_ref().is_some_and(|f| f.chars().count() > 64) {
            return Err(invalid("from is longer than 64 characters"));
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
                return Err(invalid(format!("{name} must be 1 to 1000 characters")));
            }
        }
        let secrets = self.secrets();
        let (_, tenant) = self
            .change(tenant, |t| {
                // Inside the change: a tenant that does not exist gets no secret.
                if let Some(token) = &b.auth_token {
                    secrets
                        .set(&twilio_token_key(&t.id), token)
                        .map_err(secret_io)?;
                }
                t.settings.twilio = GuardianTwilio {
                    from: b.from,
                    messaging_service_sid: b.messaging_service_sid,
                    sid: b.sid,
                };
                Ok(())
            })
            .await?;
        Ok(self.twilio(&tenant))
    }

    pub fn guardian_templates(&self, tenant: &Tenant) -> TemplatesView {
        let t = &tenant.settings.templates;
        TemplatesView {
            enrollment_message: t
                .enrollment_message
                .clone()
                .unwrap_or_else(|| DEFAULT_ENROLLMENT.into()),
            verification_message: t
                .verification_message
                .clone()
                .unwrap_or_else(|| DEFAULT_VERIFICATION.into()),
        }
    }

    pub async fn set_guardian_templates(
        &self,
        tenant: &str,
        t: GuardianTemplates,
    ) -> Result<TemplatesView, MgmtError> {
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
        let (_, tenant) = self
            .change(tenant, |tenant| {
                tenant.settings.templates = t;
                Ok(())
            })
            .await?;
        Ok(self.guardian_templates(&tenant))
    }
}

/// `GET/PUT /api/v2/guardian/policies`: when the tenant asks for MFA, as Auth0's
/// bare array (`["all-applications"]`, or `[]` for never). `confidence-score`
/// (adaptive MFA) is taken as `all-applications`: there is no risk to assess
/// locally.
pub fn policies(tenant: &Tenant) -> Vec<&'static str> {
    match tenant.settings.mfa_policy {
        crate::auth0::tenant::MfaPolicy::Always => vec!["all-applications"],
        crate::auth0::tenant::MfaPolicy::Never => vec![],
    }
}

impl Auth0 {
    pub async fn set_policies(
        &self,
        tenant: &str,
        body: Vec<String>,
    ) -> Result<Vec<&'static str>, MgmtError> {
        if let Some(bad) = body
            .iter()
            .find(|p| !["all-applications", "confidence-score"].contains(&p.as_str()))
        {
            return Err(invalid(format!(
                "'{bad}' is not a policy (all-applications, confidence-score)"
            )));
        }
        let policy = if body.is_empty() {
            crate::auth0::tenant::MfaPolicy::Never
        } else {
            crate::auth0::tenant::MfaPolicy::Always
        };
        let (_, tenant) = self
            .change(tenant, |t| {
                t.settings.mfa_policy = policy;
                Ok(())
            })
            .await?;
        Ok(policies(&tenant))
    }
}
