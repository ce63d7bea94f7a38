//! `POST /mfa/challenge`: sends a code to an enrolled phone, the send counted
//! against the user's cap in the same transaction that checks it.

use serde_json::json;

use super::{user_context, ClientId, MfaSession};
use crate::auth0::error::AuthError;
use crate::auth0::json::{Challenge, Challenged};
use crate::auth0::templates::Purpose;
use crate::auth0::{Auth0, Caller};
use crate::message::Channel;
use crate::store::mfa_enrollments::{self, EnrollmentRow};
use crate::store::StoreError;

impl Auth0 {
    /// `POST /mfa/challenge`: sends a code to an enrolled phone.
    pub async fn challenge(
        &self,
        caller: &Caller,
        body: &Challenge,
    ) -> Result<Challenged, AuthError> {
        let mut tx = self.store().begin().await?;
        let MfaSession {
            token,
            client,
            user,
        } = self
            .mfa_session(
                &mut tx,
                caller,
                body.mfa_token.as_deref(),
                (
                    ClientId::Required,
                    body.client_id.as_deref(),
                    body.client_secret.as_deref(),
                ),
            )
            .await?;
        let types = body.challenge_type.as_deref().unwrap_or("oob");
        if !types.split_whitespace().any(|t| t == "oob") {
            return Err(AuthError::new(
                400,
                "unsupported_challenge_type",
                // The wording of Auth0's MFA error notes.
                format!("The user does not support the requested challenge type ({types}). Supported type: oob."),
            ));
        }
        let active: Vec<EnrollmentRow> =
            mfa_enrollments::for_user(&mut tx, &user.tenant, &user.user_id)
                .await?
                .into_iter()
                .filter(|e| e.active)
                .collect();
        if active.is_empty() {
            return Err(AuthError::new(
                400,
                "association_required",
                "User is not enrolled. You can use /mfa/associate endpoint to enroll the first authenticator.",
            ));
        }
        let (enrollment, channel) = match body.authenticator_id.as_deref() {
            Some(id) => {
                let (kind, dev) = id.split_once('|').unwrap_or(("", id));
                let channel = Channel::parse(kind).ok_or_else(|| {
                    AuthError::new(
                        400,
                        "unsupported_challenge_type",
                        format!("The user does not support '{id}' as an oob authenticator"),
                    )
                })?;
                let enrollment = active
                    .iter()
                    .find(|e| e.id == dev)
                    .cloned()
                    .ok_or_else(|| {
                        AuthError::invalid_request(format!(
                            "authenticator_id '{id}' is not one of the user's"
                        ))
                    })?;
                (enrollment, channel)
            }
            None => {
                let channel = if caller.tenant.settings.allows(Channel::Sms) {
                    Channel::Sms
                } else {
                    Channel::Voice
                };
                (active[0].clone(), channel)
            }
        };
        self.check_channel(caller, channel)?;
        let ctx = user_context(caller, &user, &client);
        let started = json!({ "authenticator": format!("{channel}|{}", enrollment.id) });
        let reserved = self
            .reserve(
                &mut tx,
                caller,
                &user,
                &client,
                &token.row,
                &enrollment,
                channel,
                Purpose::Verification,
            )
            .await?;
        let reserved = match reserved {
            Ok(reserved) => reserved,
            Err(refusal) => {
                drop(tx);
                self.write_log("gd_start_auth", &ctx, None, started).await?;
                return Err(self
                    .refuse_send(caller, &user, &client, channel, refusal)
                    .await);
            }
        };
        self.log_in(&mut tx, "gd_start_auth", &ctx, None, started)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        let oob_code = self
            .deliver(
                caller,
                &user,
                &client,
                reserved,
                &enrollment.phone_number,
                body.ui_locales.as_deref(),
            )
            .await?;
        Ok(Challenged {
            challenge_type: "oob",
            oob_code,
            binding_method: "prompt",
        })
    }
}
