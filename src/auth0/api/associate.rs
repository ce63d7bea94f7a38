//! `POST /mfa/associate`: enrolls a phone and sends its first code. The
//! enrollment, the user's recovery code and the counted send commit together, so
//! a send the cap refuses leaves no recovery code behind unseen.

use serde_json::json;

use super::{user_context, ClientId, MfaSession};
use crate::auth0::error::AuthError;
use crate::auth0::json::{Associate, Associated};
use crate::auth0::templates::Purpose;
use crate::auth0::{Auth0, Caller};
use crate::message::phone::PhoneNumber;
use crate::message::Channel;
use crate::store::mfa_enrollments::{self, EnrollmentRow};
use crate::store::recovery_codes;
use crate::store::StoreError;

impl Auth0 {
    /// `POST /mfa/associate`: enrolls a phone and sends its first code.
    pub async fn associate(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        body: &Associate,
    ) -> Result<Associated, AuthError> {
        let mut tx = self.store().begin().await?;
        let MfaSession {
            token,
            client,
            user,
        } = self
            .mfa_session(
                &mut tx,
                caller,
                bearer,
                (
                    ClientId::Optional,
                    body.client_id.as_deref(),
                    body.client_secret.as_deref(),
                ),
            )
            .await?;
        if !body.authenticator_types.iter().any(|t| t == "oob") {
            return Err(AuthError::invalid_request(
                "authenticator_types must contain \"oob\": Phonebox emulates phone (SMS and voice) authenticators",
            ));
        }
        let channel = match body.oob_channels.as_slice() {
            [one] => Channel::parse(one).ok_or_else(|| {
                AuthError::invalid_request(format!("oob_channels: '{one}' is not sms or voice"))
            })?,
            _ => {
                return Err(AuthError::invalid_request(
                    "oob_channels must hold exactly one of sms or voice",
                ))
            }
        };
        self.check_channel(caller, channel)?;
        let number = body.phone_number.as_deref().ok_or_else(|| {
            AuthError::invalid_request("Missing required parameter: phone_number")
        })?;
        let phone = PhoneNumber::parse(number)
            .map_err(|e| AuthError::invalid_request(format!("phone_number: {e}")))?;
        // An mfa_token may enroll the first authenticator only; a second phone
        // takes an access token with the `enroll` scope (Auth0's "Add an
        // authenticator").
        token.require("enroll")?;
        let existing = mfa_enrollments::for_user(&mut tx, &user.tenant, &user.user_id).await?;
        if token.is_mfa_token() && existing.iter().any(|e| e.active) {
            return Err(AuthError::new(
                403,
                "access_denied",
                "User is already enrolled.",
            ));
        }
        let now = self.now_ms(&caller.tenant.id);
        let enrollment = EnrollmentRow {
            id: format!("dev_{}", crate::random::token(12)),
            tenant: caller.tenant.id.clone(),
            user_id: user.user_id.clone(),
            phone_number: phone.as_str().to_owned(),
            active: false,
            created_at: now,
            confirmed_at: None,
        };
        mfa_enrollments::insert(&mut tx, &enrollment).await?;
        let recovery = match recovery_codes::for_user(&mut tx, &user.tenant, &user.user_id).await? {
            Some(_) => None,
            None => {
                let (code, row) = super::recovery::new_code(&user.tenant, &user.user_id, now);
                recovery_codes::insert(&mut tx, &row).await?.then_some(code)
            }
        };
        let reserved = self
            .reserve(
                &mut tx,
                caller,
                &user,
                &client,
                &token.row,
                &enrollment,
                channel,
                Purpose::Enrollment,
            )
            .await?;
        let reserved = match reserved {
            Ok(reserved) => reserved,
            Err(refusal) => {
                // Nothing of this association is kept: no enrollment, no recovery code.
                drop(tx);
                return Err(self
                    .refuse_send(caller, &user, &client, channel, refusal)
                    .await);
            }
        };
        let ctx = user_context(caller, &user, &client);
        self.log_in(
            &mut tx,
            "gd_start_enroll",
            &ctx,
            None,
            json!({ "authenticator": format!("{channel}|{}", enrollment.id) }),
        )
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
        Ok(Associated {
            authenticator_type: "oob",
            binding_method: "prompt",
            oob_channel: channel.as_str(),
            oob_code,
            recovery_codes: recovery.map(|code| vec![code]),
        })
    }
}
