//! The Authentication API's MFA flows: the token endpoint's password and `mfa-oob`
//! grants, association, challenges, and the authenticators a user has.
//!
//! Each flow that reads, decides and writes does so in one `BEGIN IMMEDIATE`
//! transaction (or a guarded statement), so concurrent requests cannot both spend
//! the same code, pass the same cap or lose each other's writes; and none holds
//! its transaction across a call to another server. Errors are Auth0's
//! (`payloads.md` §4), and each step writes Auth0's log events.

pub mod associate;
pub mod authenticators;
pub mod challenge;
mod send;
pub mod token;

use super::directory;
use super::error::AuthError;
use super::{logs, Auth0, Caller};
use crate::message::Channel;
use crate::store::clients::ClientRow;
use crate::store::mfa_tokens::{self, MfaTokenRow};
use crate::store::users::{self, UserRow};
use crate::store::Tx;

/// The masked phone number Auth0 shows as an authenticator's name.
pub fn masked(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    let keep = digits.len().min(4);
    let hidden = digits.len() - keep;
    format!(
        "{}{}",
        "X".repeat(hidden),
        digits[hidden..].iter().collect::<String>()
    )
}

fn user_context<'a>(
    caller: &'a Caller,
    user: &'a UserRow,
    client: &'a ClientRow,
) -> logs::Context<'a> {
    logs::Context {
        user_id: Some(&user.user_id),
        user_name: Some(&user.email),
        client_id: Some(&client.client_id),
        client_name: Some(&client.name),
        ..caller.log_context()
    }
}

/// The token, client and user an MFA request acts for.
pub(super) struct MfaSession {
    pub token: MfaTokenRow,
    pub client: ClientRow,
    pub user: UserRow,
}

impl Auth0 {
    /// What an `mfa_token` stands for, each part checked: the token, the client
    /// (the token's, authenticated as the tenant requires), the user.
    async fn mfa_session(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        token: Option<&str>,
        client_id: Option<&str>,
        client_secret: Option<&str>,
    ) -> Result<MfaSession, AuthError> {
        let token = self.mfa_token(tx, caller, token).await?;
        let client = self
            .token_client(tx, caller, &token, client_id, client_secret)
            .await?;
        let user = self.token_user(tx, caller, &token).await?;
        Ok(MfaSession {
            token,
            client,
            user,
        })
    }

    /// The `mfa_token` a request carries, checked: known, this tenant's, not expired.
    async fn mfa_token(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        token: Option<&str>,
    ) -> Result<MfaTokenRow, AuthError> {
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| AuthError::invalid_request("Missing required parameter: mfa_token"))?;
        let row = mfa_tokens::get(&mut *tx, token)
            .await?
            .filter(|row| row.tenant == caller.tenant.id)
            .ok_or_else(|| AuthError::invalid_grant("Malformed mfa_token"))?;
        if row.expires_at <= self.now_ms() {
            return Err(AuthError::new(403, "expired_token", "mfa_token is expired"));
        }
        Ok(row)
    }

    async fn token_user(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        token: &MfaTokenRow,
    ) -> Result<UserRow, AuthError> {
        users::get(&mut *tx, &caller.tenant.id, &token.user_id)
            .await?
            .ok_or_else(|| AuthError::invalid_grant("Malformed mfa_token"))
    }

    /// Checks that the request's client is the token's.
    async fn token_client(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        token: &MfaTokenRow,
        client_id: Option<&str>,
        client_secret: Option<&str>,
    ) -> Result<ClientRow, AuthError> {
        let client_id = client_id.unwrap_or(&token.client_id);
        let client = directory::client(
            tx,
            &caller.tenant,
            Some(client_id),
            client_secret,
            self.now_ms(),
        )
        .await?;
        if client.client_id != token.client_id {
            return Err(AuthError::invalid_request(
                "mfa_token not issued to this client",
            ));
        }
        Ok(client)
    }

    /// Refuses a channel the tenant does not offer, and voice on the built-in provider.
    fn check_channel(&self, caller: &Caller, channel: Channel) -> Result<(), AuthError> {
        let settings = &caller.tenant.settings;
        if !settings.phone_enabled {
            return Err(AuthError::new(
                403,
                "access_denied",
                "The phone factor is not enabled for this tenant",
            ));
        }
        if !settings.allows(channel) {
            return Err(AuthError::new(
                400,
                "unsupported_challenge_type",
                format!(
                    "The tenant does not allow {} messages (guardian/factors/phone/message-types)",
                    channel.as_str()
                ),
            ));
        }
        let route = super::delivery::Route::of(&caller.tenant);
        if channel == Channel::Voice && route == super::delivery::Route::Builtin {
            return Err(AuthError::invalid_request(
                "Auth0's built-in phone provider sends SMS only: configure Twilio or a custom provider for voice",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_mask_all_but_the_last_four_digits() {
        assert_eq!(masked("+15555558730"), "XXXXXXX8730");
        assert_eq!(masked("+12"), "12");
    }
}
