//! `POST /oauth/token`: the password grant (answering `mfa_required` when the
//! tenant asks for MFA) and the `mfa-oob` grant that checks the code the user
//! typed, then the RS256 tokens they earn.

use serde_json::json;

use super::{user_context, ClientId, MfaSession};
use crate::auth0::directory;
use crate::auth0::error::AuthError;
use crate::auth0::json::{
    FactorType, MfaRequired, MfaRequirements, OobGrant, PasswordGrant, Tokens,
};
use crate::auth0::logs;
use crate::auth0::tenant::MfaPolicy;
use crate::auth0::tokens::{AccessClaims, Audience, IdClaims};
use crate::auth0::{Auth0, Caller};
use crate::store::clients::ClientRow;
use crate::store::mfa_challenges::{self, ChallengeStatus};
use crate::store::mfa_enrollments;
use crate::store::mfa_tokens::{self, MfaTokenRow};
use crate::store::users::UserRow;

pub const MFA_OOB_GRANT: &str = "http://auth0.com/oauth/grant-type/mfa-oob";
pub const MFA_RECOVERY_GRANT: &str = "http://auth0.com/oauth/grant-type/mfa-recovery-code";
const MFA_API_TOKEN_SECS: i64 = 600;

impl Auth0 {
    /// `POST /oauth/token` with `grant_type=password`.
    pub async fn password_grant(
        &self,
        caller: &Caller,
        grant: &PasswordGrant,
    ) -> Result<Tokens, AuthError> {
        let now = self.now_ms(&caller.tenant.id);
        let mut tx = self.store().begin().await?;
        let client = directory::client(
            &mut tx,
            &caller.tenant,
            grant.client_id.as_deref(),
            grant.client_secret.as_deref(),
            now,
        )
        .await?;
        let username = grant.username.as_deref().unwrap_or_default();
        let password = grant.password.as_deref().unwrap_or_default();
        let user = match directory::login(&mut tx, &caller.tenant, username, password, now).await {
            Ok(user) => user,
            Err(e) => {
                let ctx = logs::Context {
                    client_id: Some(&client.client_id),
                    client_name: Some(&client.name),
                    user_name: Some(username),
                    ..caller.log_context()
                };
                self.log_in(&mut tx, "fp", &ctx, None, json!({})).await?;
                tx.commit().await.map_err(crate::store::StoreError::from)?;
                return Err(e);
            }
        };
        let ctx = user_context(caller, &user, &client);
        let settings = &caller.tenant.settings;
        // A token for the MFA API always takes MFA (Auth0's "Manage authenticator
        // factors"); kept as this tenant's own spelling of the audience.
        let mfa_api = grant
            .audience
            .as_deref()
            .is_some_and(|a| caller.is_own_api(a, "mfa/"));
        // Kept as the app spelled it (`https://` as written for Auth0): it is
        // the token's `aud`, and either scheme is this tenant's.
        let audience = grant.audience.clone();
        if settings.phone_enabled && (settings.mfa_policy == MfaPolicy::Always || mfa_api) {
            let token = MfaTokenRow {
                token: format!("Fe26.2**{}", crate::random::token(48)),
                tenant: caller.tenant.id.clone(),
                user_id: user.user_id.clone(),
                client_id: client.client_id.clone(),
                audience: audience.clone(),
                scope: grant.scope.clone(),
                created_at: now,
                expires_at: crate::unix_ms::add_secs(now, settings.mfa_token_lifetime_secs.get()),
            };
            mfa_tokens::insert(&mut tx, &token).await?;
            let enrolled = mfa_enrollments::for_user(&mut tx, &user.tenant, &user.user_id)
                .await?
                .iter()
                .any(|e| e.active);
            let phone = || Some(vec![FactorType { kind: "phone" }]);
            let requirements = MfaRequirements {
                enroll: (!enrolled).then(phone).flatten(),
                challenge: enrolled.then(phone).flatten(),
            };
            self.log_in(
                &mut tx,
                "mfar",
                &ctx,
                None,
                json!({ "mfa_requirements": requirements }),
            )
            .await?;
            tx.commit().await.map_err(crate::store::StoreError::from)?;
            let required = MfaRequired {
                mfa_token: token.token,
                mfa_requirements: requirements,
            };
            return Err(
                AuthError::new(403, "mfa_required", "Multifactor authentication required")
                    .with(serde_json::to_value(required).map_err(AuthError::server_error)?),
            );
        }
        // Auth0 logs a password grant as an exchange, not an interactive login.
        self.log_in(&mut tx, "sepft", &ctx, None, json!({})).await?;
        tx.commit().await.map_err(crate::store::StoreError::from)?;
        self.issue_tokens(
            caller,
            &user,
            &client,
            audience.as_deref(),
            grant.scope.as_deref(),
            &["pwd"],
        )
        .await
    }

    /// `POST /oauth/token` with the `mfa-oob` grant: checks the code the user typed.
    /// One transaction decides, so of many requests with one right code exactly one
    /// signs in, and wrong codes are counted no more often than the limits allow.
    pub async fn oob_grant(&self, caller: &Caller, grant: &OobGrant) -> Result<Tokens, AuthError> {
        let binding_code = grant.binding_code.as_deref().ok_or_else(|| {
            AuthError::invalid_request("Missing required parameter: binding_code")
        })?;
        let oob_code = grant
            .oob_code
            .as_deref()
            .ok_or_else(|| AuthError::invalid_request("Missing required parameter: oob_code"))?;
        let mut tx = self.store().begin().await?;
        let MfaSession {
            token,
            client,
            user,
        } = self
            .mfa_session(
                &mut tx,
                caller,
                grant.mfa_token.as_deref(),
                (
                    ClientId::Required,
                    grant.client_id.as_deref(),
                    grant.client_secret.as_deref(),
                ),
            )
            .await?;
        let challenge = mfa_challenges::by_oob_code(&mut tx, oob_code)
            .await?
            .filter(|c| c.mfa_token == token.row.token)
            .ok_or_else(|| {
                AuthError::invalid_request("The oob_code doesn't match the mfa_token")
            })?;
        let now = self.now_ms(&caller.tenant.id);
        let ctx = user_context(caller, &user, &client);
        let settings = &caller.tenant.settings;
        let details = json!({ "transaction_id": challenge.id, "authenticator": format!("{}|{}", challenge.channel, challenge.enrollment_id) });
        let limited = json!({ "transaction_id": challenge.id });
        let (mut tx, wrong_codes) = self
            .wrong_codes(tx, caller, &user, &ctx, "gd_otp_rate_limit_exceed", limited)
            .await?;
        match challenge.status {
            ChallengeStatus::Verified => {
                return Err(AuthError::invalid_grant(
                    "Invalid oob_code: it has already been used to sign in",
                ))
            }
            ChallengeStatus::Failed | ChallengeStatus::Expired => {
                return Err(AuthError::new(403, "expired_token", "oob_code is expired"))
            }
            ChallengeStatus::Pending if challenge.expires_at <= now => {
                return Err(AuthError::new(403, "expired_token", "oob_code is expired"))
            }
            ChallengeStatus::Pending => {}
        }
        if binding_code.trim() != challenge.code {
            let per_code = settings.attempts_per_code.map(|cap| cap.get_i64());
            if mfa_challenges::count_wrong(&mut tx, &challenge.id, per_code)
                .await?
                .is_none()
            {
                return Err(AuthError::new(403, "expired_token", "oob_code is expired"));
            }
            wrong_codes.spend(&mut tx, now).await?;
            self.log_in(
                &mut tx,
                "gd_auth_failed",
                &ctx,
                Some("Invalid binding_code."),
                details.clone(),
            )
            .await?;
            self.log_in(
                &mut tx,
                "feoobft",
                &ctx,
                Some("Invalid binding_code."),
                details,
            )
            .await?;
            tx.commit().await.map_err(crate::store::StoreError::from)?;
            return Err(AuthError::invalid_grant("Invalid binding_code."));
        }
        if !mfa_challenges::verify(&mut tx, &challenge.id, now).await? {
            return Err(AuthError::invalid_grant(
                "Invalid oob_code: it has already been used to sign in",
            ));
        }
        let enrollment = mfa_enrollments::get(
            &mut tx,
            &user.tenant,
            &user.user_id,
            &challenge.enrollment_id,
        )
        .await?;
        if enrollment.is_some_and(|e| !e.active) {
            mfa_enrollments::activate(
                &mut tx,
                &user.tenant,
                &user.user_id,
                &challenge.enrollment_id,
                now,
            )
            .await?;
            self.log_in(
                &mut tx,
                "gd_enrollment_complete",
                &ctx,
                None,
                details.clone(),
            )
            .await?;
        }
        self.log_in(&mut tx, "gd_auth_succeed", &ctx, None, details.clone())
            .await?;
        self.log_in(&mut tx, "seoobft", &ctx, None, details).await?;
        tx.commit().await.map_err(crate::store::StoreError::from)?;
        self.issue_tokens(
            caller,
            &user,
            &client,
            token.row.audience.as_deref(),
            token.row.scope.as_deref(),
            &["pwd", "mfa"],
        )
        .await
    }

    /// Access and ID tokens for a user, signed RS256.
    pub(super) async fn issue_tokens(
        &self,
        caller: &Caller,
        user: &UserRow,
        client: &ClientRow,
        audience: Option<&str>,
        scope: Option<&str>,
        amr: &[&str],
    ) -> Result<Tokens, AuthError> {
        let signer = self.signer().await?;
        let issuer = caller.issuer();
        let now = self.now(&caller.tenant.id).unix_timestamp();
        // Tokens for the MFA API live 600 s, fixed (Auth0's "Manage authenticator
        // factors").
        let lifetime = if audience.is_some_and(|a| caller.is_own_api(a, "mfa/")) {
            MFA_API_TOKEN_SECS
        } else {
            caller.tenant.settings.access_token_lifetime_secs.get_i64()
        };
        let scope = scope.unwrap_or("openid profile email");
        let userinfo = format!("{issuer}userinfo");
        let access = AccessClaims {
            iss: &issuer,
            sub: &user.user_id,
            aud: match audience {
                Some(a) => Audience::Many(vec![a.to_owned(), userinfo]),
                None => Audience::One(userinfo),
            },
            azp: &client.client_id,
            iat: now,
            exp: now.saturating_add(lifetime),
            scope,
            amr,
            gty: None,
        };
        let id = IdClaims {
            iss: &issuer,
            sub: &user.user_id,
            aud: &client.client_id,
            iat: now,
            exp: now.saturating_add(lifetime),
            email: user.email.as_deref(),
            phone_number: user.phone_number.as_deref(),
            name: user.name.as_deref().unwrap_or(user.user_name()),
            amr,
        };
        Ok(Tokens {
            access_token: signer.sign(&access).map_err(AuthError::server_error)?,
            id_token: if scope.split_whitespace().any(|s| s == "openid") {
                Some(signer.sign(&id).map_err(AuthError::server_error)?)
            } else {
                None
            },
            scope: scope.to_owned(),
            expires_in: lifetime,
            token_type: "Bearer",
            recovery_code: None,
        })
    }
}
