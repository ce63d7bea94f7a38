//! `POST /api/v2/branding/phone/providers/{id}/try` and `.../templates/{id}/try`:
//! "Send Test Message", through the tenant's provider, answered 202 like Auth0.

use serde::{Deserialize, Serialize};

use crate::auth0::error::MgmtError;
use crate::auth0::templates::{self, Variables};
use crate::auth0::tenant::Tenant;
use crate::auth0::Auth0;
use crate::message::phone::PhoneNumber;
use crate::message::Channel;

/// The `/try` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TryMessage {
    pub to: String,
    pub delivery_method: Option<String>,
}

/// The `/try` answer: how the send went, in Auth0's words.
#[derive(Debug, Clone, Serialize)]
pub struct Tried {
    pub code: u16,
    pub message: String,
}

impl Auth0 {
    /// Sends a test message through the tenant's provider, with a template (by id)
    /// or Phonebox's test text.
    pub async fn try_send(
        &self,
        tenant: &Tenant,
        template_id: Option<&str>,
        t: TryMessage,
    ) -> Result<Tried, MgmtError> {
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
            style: if template_id.is_some() {
                templates::Style::Unified
            } else {
                templates::Style::Guardian
            },
            user: None,
            client: None,
            ip: None,
        };
        let text = templates::render(&self.templates, &[(template, &vars)], self.now(&tenant.id))
            .await
            .map_err(|e| MgmtError::bad_request(format!("the template does not render: {e}")))?
            .into_iter()
            .next()
            .unwrap_or_default();
        let send = crate::auth0::actions::TestSend::new(
            &tenant.id,
            self.now_ms(&tenant.id),
            code.to_owned(),
            ulid::Ulid::from_datetime(self.now(&tenant.id).into()).to_string(),
        );
        let outgoing = send.outgoing(
            tenant,
            &to,
            channel,
            text.clone(),
            text,
            &tenant.settings.languages.default,
        );
        let outcome = self.deliver_test(&outgoing).await?;
        match outcome.error {
            None => Ok(Tried {
                code: 202,
                message: "Test notification successfully sent for processing".into(),
            }),
            // A send that failed is no 202: the caller is told why.
            Some(why) => Err(MgmtError::new(
                400,
                format!("The test message could not be sent: {why}"),
                Some("provider_error"),
            )),
        }
    }

    /// `POST /api/v2/branding/phone/providers/{id}/try`: through that provider,
    /// in force or not (the tenant is seen as if it were the one in force).
    pub async fn try_provider(
        &self,
        tenant: &Tenant,
        provider_id: &str,
        t: TryMessage,
    ) -> Result<Tried, MgmtError> {
        let mut as_if = tenant.clone();
        let providers = &mut as_if.settings.phone_providers;
        let at = providers
            .iter()
            .position(|p| p.id == provider_id)
            .ok_or_else(|| MgmtError::not_found("Phone provider has not been configured."))?;
        let mut named = providers.remove(at);
        named.disabled = false;
        providers.insert(0, named);
        self.try_send(&as_if, None, t).await
    }
}
