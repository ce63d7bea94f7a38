//! `GET /mfa/authenticators` and `DELETE /mfa/authenticators/{id}`: what a user
//! has enrolled, listed as Auth0 lists it (`sms|…` and `voice|…` per phone, the
//! recovery code), and removed.

use serde_json::json;

use super::{masked, Bearer};
use crate::auth0::error::AuthError;
use crate::auth0::json::Authenticator;
use crate::auth0::logs;
use crate::auth0::{Auth0, Caller};
use crate::message::Channel;
use crate::store::mfa_enrollments;
use crate::store::recovery_codes;
use crate::store::users::UserRow;
use crate::store::{StoreError, Tx};

impl Auth0 {
    /// The user a `/mfa/authenticators` bearer token stands for: an `mfa_token`.
    async fn bearer_user(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        bearer: Option<&str>,
    ) -> Result<(UserRow, Bearer), AuthError> {
        let bearer = bearer.ok_or_else(|| {
            AuthError::new(
                401,
                "unauthorized",
                "Missing bearer token (an mfa_token or an access token for the /mfa/ audience)",
            )
        })?;
        let token = self.mfa_token(tx, caller, Some(bearer)).await?;
        let user = self.token_user(tx, caller, &token.row).await?;
        Ok((user, token))
    }

    /// `GET /mfa/authenticators`.
    pub async fn authenticators(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
    ) -> Result<Vec<Authenticator>, AuthError> {
        let mut tx = self.store().begin_read().await?;
        let (user, token) = self.bearer_user(&mut tx, caller, bearer).await?;
        token.require("read:authenticators")?;
        let settings = &caller.tenant.settings;
        // One phone is listed once per channel the tenant offers (Auth0 lists the
        // `voice|` twin only when voice is enabled).
        let channels: Vec<Channel> = [Channel::Sms, Channel::Voice]
            .into_iter()
            .filter(|c| settings.allows(*c))
            .collect();
        let mut list = Vec::new();
        if let Some(recovery) =
            recovery_codes::for_user(&mut tx, &user.tenant, &user.user_id).await?
        {
            list.push(Authenticator {
                id: format!("recovery-code|{}", recovery.id),
                authenticator_type: "recovery-code",
                active: true,
                oob_channel: None,
                name: None,
            });
        }
        for e in mfa_enrollments::for_user(&mut tx, &user.tenant, &user.user_id).await? {
            for channel in &channels {
                list.push(Authenticator {
                    id: format!("{channel}|{}", e.id),
                    authenticator_type: "oob",
                    active: e.active,
                    oob_channel: Some(channel.as_str()),
                    name: Some(masked(&e.phone_number)),
                });
            }
        }
        Ok(list)
    }

    /// `DELETE /mfa/authenticators/{id}`: removing `sms|dev_X` or `voice|dev_X`
    /// removes the phone (both).
    pub async fn delete_authenticator(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        id: &str,
    ) -> Result<(), AuthError> {
        let mut tx = self.store().begin().await?;
        let (user, token) = self.bearer_user(&mut tx, caller, bearer).await?;
        // Removing takes a finished MFA: an access token for the /mfa/ audience
        // (Auth0's "Manage authenticator factors").
        if token.is_mfa_token() {
            return Err(AuthError::new(
                401,
                "invalid_grant",
                "An mfa_token cannot remove authenticators: complete MFA for an access token with the /mfa/ audience and the remove:authenticators scope",
            ));
        }
        token.require("remove:authenticators")?;
        let dev = id.split_once('|').map_or(id, |(_, dev)| dev);
        if !mfa_enrollments::delete(&mut tx, &user.tenant, &user.user_id, dev).await? {
            return Err(AuthError::new(
                404,
                "not_found",
                format!("Authenticator {id} not found"),
            ));
        }
        let client =
            crate::store::clients::get(&mut tx, &caller.tenant.id, &token.row.client_id).await?;
        let ctx = logs::Context {
            user_id: Some(&user.user_id),
            user_name: Some(user.user_name()),
            client_id: Some(&token.row.client_id),
            client_name: client.as_ref().map(|c| c.name.as_str()),
            ..caller.log_context()
        };
        self.log_in(
            &mut tx,
            "gd_unenroll",
            &ctx,
            None,
            json!({ "authenticator": id }),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}
