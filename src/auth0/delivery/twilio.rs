//! The tenant's Twilio route: Messages.json for SMS, Calls.json for voice.

use serde_json::Value;

use super::{branding_token_key, twilio_token_key, Delivery, Outcome, Outgoing};
use crate::auth0::tenant::Tenant;
use crate::capture::chaos;
use crate::message::SendProvider;
use crate::message::{Channel, RawRequest};
use crate::outbound::twilio::Send;
use crate::receivers::twilio::{self as receiver, TwilioError};

/// What a Twilio send needs: where, as whom, from what.
struct TwilioRoute {
    /// `None`: this Phonebox's own Twilio API.
    base: Option<String>,
    sid: String,
    token: String,
    from: Option<String>,
    service: Option<String>,
}

impl Delivery {
    /// Account SID, auth token, sender and base URL for the tenant's Twilio route.
    fn twilio_config(&self, tenant: &Tenant) -> Result<TwilioRoute, String> {
        let base = tenant
            .settings
            .twilio_base_url
            .clone()
            .filter(|base| self.own_path(base).as_deref() != Some("/"));
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

    pub(super) async fn twilio(&self, out: &Outgoing<'_>) -> Outcome {
        let route = match self.twilio_config(out.tenant) {
            Ok(route) => route,
            Err(why) => return Outcome::failed(SendProvider::Twilio, why),
        };
        let mut form: Vec<(&str, String)> = vec![("To", out.recipient.as_str().to_owned())];
        match (&route.from, &route.service) {
            (Some(from), _) => form.push(("From", from.clone())),
            (None, Some(service)) => form.push(("MessagingServiceSid", service.clone())),
            (None, None) => {
                return Outcome::failed(
                    SendProvider::Twilio,
                    "Twilio has neither `from` nor `messaging_service_sid`",
                )
            }
        }
        let resource = match out.channel {
            Channel::Sms => {
                form.push(("Body", out.text.clone()));
                "Messages.json"
            }
            Channel::Voice => {
                let say = quick_xml::escape::escape(out.text.as_str()).into_owned();
                form.push(("Twiml", format!("<Response><Say>{say}</Say></Response>")));
                "Calls.json"
            }
        };
        let link = out.link(SendProvider::Twilio);
        let Some(base) = route.base.as_deref() else {
            return self.twilio_here(out.channel, &route, &form, link).await;
        };
        let send = Send {
            base,
            sid: &route.sid,
            token: &route.token,
            resource,
            form: &form,
            link: &link,
        };
        match self.outbound.twilio(&send).await {
            Ok(_) => Outcome::delivered(SendProvider::Twilio, None),
            Err(why) => Outcome::failed(SendProvider::Twilio, why),
        }
    }

    /// What this Phonebox's Twilio API does with the same request, without the
    /// request: parsed by its receiver, chaos applied, captured already linked.
    async fn twilio_here(
        &self,
        channel: Channel,
        route: &TwilioRoute,
        form: &[(&str, String)],
        link: crate::message::Link,
    ) -> Outcome {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let basic = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{}:{}", route.sid, route.token),
        );
        let content_type = "application/x-www-form-urlencoded";
        let authorization = format!("Basic {basic}");
        let raw = RawRequest {
            content_type: Some(content_type.to_owned()),
            headers: crate::message::redact::headers([
                ("content-type", content_type.as_bytes()),
                ("authorization", authorization.as_bytes()),
            ]),
            body: body.into_bytes(),
        };
        let parsed = match channel {
            Channel::Sms => receiver::parse_message(&route.sid, raw),
            Channel::Voice => receiver::parse_call(&route.sid, raw),
        };
        let request = match parsed {
            Ok(request) => request,
            Err(e) => return refused(&e),
        };
        let message = request.message.linked(link);
        match chaos::capture::<TwilioError>(&self.pipeline, &self.chaos, message).await {
            Ok(stored) => Outcome::delivered(SendProvider::Twilio, Some(stored.id.clone())),
            Err(e) => refused(&e),
        }
    }
}

/// A Twilio refusal, worded as when it comes back over HTTP.
fn refused(e: &TwilioError) -> Outcome {
    let status = axum::http::StatusCode::from_u16(e.status)
        .map(|s| s.to_string())
        .unwrap_or_else(|_| e.status.to_string());
    Outcome::failed(
        SendProvider::Twilio,
        format!(
            "Twilio refused the message ({status}, code {}): {}",
            e.code, e.message
        ),
    )
}
