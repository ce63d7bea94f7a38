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
pub mod client_credentials;
pub mod passwordless;
pub mod recovery;
mod send;
pub mod token;
mod wrong_codes;

use super::directory;
use super::error::AuthError;
use super::{logs, Auth0, Caller};
use crate::message::Channel;
use crate::store::clients::ClientRow;
use crate::store::mfa_tokens::{self, MfaTokenRow};
use crate::store::users::{self, UserRow};
use crate::store::Tx;

/// The masked phone number Auth0 shows as an authenticator's name: every
/// character of the E.164 number but the last four is an `X` (Auth0's "Enroll and
/// challenge SMS and voice authenticators" lists `+1…8730` as `XXXXXXXX8730`).
pub fn masked(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    let hidden = chars.len().saturating_sub(4);
    format!(
        "{}{}",
        "X".repeat(hidden),
        chars[hidden..].iter().collect::<String>()
    )
}

fn user_context<'a>(
    caller: &'a Caller,
    user: &'a UserRow,
    client: &'a ClientRow,
) -> logs::Context<'a> {
    logs::Context {
        user_id: Some(&user.user_id),
        user_name: Some(user.user_name()),
        client_id: Some(&client.client_id),
        client_name: Some(&client.name),
        connection: Some(&user.connection),
        ..caller.log_context()
    }
}

/// The token, client and user an MFA request acts for.
pub(super) struct MfaSession {
    pub token: Bearer,
    pub client: ClientRow,
    pub user: UserRow,
}

/// What a request to the MFA API carries: an `mfa_token` from `mfa_required`, or
/// an access token for the `/mfa/` audience (Auth0's "Manage authenticator
/// factors": scopes `enroll`, `read:authenticators`, `remove:authenticators`).
#[derive(Debug, Clone)]
pub(super) struct Bearer {
    /// As a token row: an access token is shaped like one (never stored), so the
    /// codes it asks for are bound to it as to an `mfa_token`.
    pub row: MfaTokenRow,
    /// The access token's scopes; `None` for an `mfa_token`.
    pub scopes: Option<Vec<String>>,
}

impl Bearer {
    pub fn is_mfa_token(&self) -> bool {
        self.scopes.is_none()
    }

    /// Refuses an access token without `scope` (an `mfa_token` is checked by
    /// each endpoint for what it may do).
    pub fn require(&self, scope: &str) -> Result<(), AuthError> {
        match &self.scopes {
            Some(scopes) if !scopes.iter().any(|s| s == scope) => Err(AuthError::new(
                403,
                "insufficient_scope",
                format!("Insufficient scope, expected any of: {scope}"),
            )),
            _ => Ok(()),
        }
    }
}

/// Whether a token is a JWT (three base64url parts) rather than an `mfa_token`.
fn looks_like_jwt(token: &str) -> bool {
    token.starts_with("eyJ") && token.split('.').count() == 3
}

/// Whether the client must name itself (Auth0's docs mark `client_id` required on
/// `/mfa/challenge` and the `mfa-oob` grant; `/mfa/associate` authenticates by
/// its bearer alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ClientId {
    Required,
    Optional,
}

impl Auth0 {
    /// What an `mfa_token` stands for, each part checked: the token, the client
    /// (the token's, authenticated as the tenant requires), the user.
    async fn mfa_session(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        token: Option<&str>,
        client: (ClientId, Option<&str>, Option<&str>),
    ) -> Result<MfaSession, AuthError> {
        let (need, client_id, client_secret) = client;
        if need == ClientId::Required && client_id.is_none_or(str::is_empty) {
            return Err(AuthError::invalid_request(
                "Missing required parameter: client_id",
            ));
        }
        let token = self.mfa_token(tx, caller, token).await?;
        let client = self
            .token_client(tx, caller, &token.row, client_id, client_secret)
            .await?;
        let user = self.token_user(tx, caller, &token.row).await?;
        Ok(MfaSession {
            token,
            client,
            user,
        })
    }

    /// The `mfa_token` (or `/mfa/` access token) a request carries, checked:
    /// known, this tenant's, not expired on the emulated clock.
    async fn mfa_token(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        token: Option<&str>,
    ) -> Result<Bearer, AuthError> {
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| AuthError::invalid_request("Missing required parameter: mfa_token"))?;
        if looks_like_jwt(token) {
            return self.mfa_access_token(caller, token).await;
        }
        let row = mfa_tokens::get(&mut *tx, token)
            .await?
            .filter(|row| row.tenant == caller.tenant.id)
            .ok_or_else(|| AuthError::invalid_grant("Malformed mfa_token"))?;
        if row.expires_at <= self.now_ms(&caller.tenant.id) {
            return Err(AuthError::new(403, "expired_token", "mfa_token is expired"));
        }
        Ok(Bearer { row, scopes: None })
    }

    /// An access token for this tenant's `/mfa/` audience, signed by its key.
    async fn mfa_access_token(&self, caller: &Caller, token: &str) -> Result<Bearer, AuthError> {
        let invalid = || {
            AuthError::new(
                401,
                "invalid_grant",
                "The mfa_token provided is invalid. Try getting a new token.",
            )
        };
        let claims = self.signer().await?.verify(token).map_err(|_| invalid())?;
        // An MFA API token is earned by passing MFA (Auth0: with this audience MFA
        // is always enforced); one without `mfa` in its `amr` is no such token.
        if claims.iss != caller.issuer()
            || !claims.aud.contains(|a| caller.is_own_api(a, "mfa/"))
            || !claims.amr.iter().any(|m| m == "mfa")
        {
            return Err(invalid());
        }
        let expires_at = claims.exp.saturating_mul(1000);
        // Auth0's MFA API answers an expired access token 401.
        if expires_at <= self.now_ms(&caller.tenant.id) {
            return Err(AuthError::new(
                401,
                "invalid_token",
                "The access token has expired",
            ));
        }
        let client_id = claims.azp.clone().ok_or_else(invalid)?;
        Ok(Bearer {
            row: MfaTokenRow {
                token: token.to_owned(),
                tenant: caller.tenant.id.clone(),
                user_id: claims.sub.clone(),
                client_id,
                audience: Some(caller.mfa_audience()),
                scope: claims.scope.clone(),
                created_at: self.now_ms(&caller.tenant.id),
                expires_at,
            },
            scopes: Some(claims.scopes().map(str::to_owned).collect()),
        })
    }

    async fn token_user(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        token: &MfaTokenRow,
    ) -> Result<UserRow, AuthError> {
        let user = users::get(&mut *tx, &caller.tenant.id, &token.user_id)
            .await?
            .ok_or_else(|| AuthError::invalid_grant("Malformed mfa_token"))?;
        // Blocking a user stops a login already past its first factor too.
        if user.blocked {
            return Err(AuthError::new(401, "unauthorized", "user is blocked"));
        }
        Ok(user)
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
            self.now_ms(&caller.tenant.id),
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
        // Auth0's "Configure Unified Phone": the factors must be among the
        // provider's delivery methods.
        if !settings.provider_delivers(channel) {
            return Err(AuthError::new(
                400,
                "unsupported_challenge_type",
                format!(
                    "The tenant's phone provider does not deliver {} messages (its configuration.delivery_methods)",
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
    fn names_mask_all_but_the_last_four_characters() {
        assert_eq!(masked("+15555558730"), "XXXXXXXX8730");
        assert_eq!(masked("+12"), "+12");
    }
}
