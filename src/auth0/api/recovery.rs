//! Recovery codes: the one made with a user's first enrollment, and the
//! `mfa-recovery-code` grant that signs the user in with it and hands out the
//! next (Auth0's "Challenge with recovery codes": the answer carries a new
//! `recovery_code` the user must keep).

use serde_json::json;

use super::{user_context, ClientId, MfaSession};
use crate::auth0::directory;
use crate::auth0::error::AuthError;
use crate::auth0::json::{RecoveryGrant, Tokens};
use crate::auth0::{Auth0, Caller};
use crate::store::recovery_codes::{self, RecoveryCodeRow};
use crate::store::StoreError;

/// 24 upper-case letters and digits, as Auth0's recovery codes, drawn without
/// bias from the OS generator.
fn recovery_code() -> String {
    crate::random::from_alphabet(b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789", 24)
}

/// A new recovery code for `user_id`, and the row that keeps only its hash.
pub fn new_code(tenant: &str, user_id: &str, now: i64) -> (String, RecoveryCodeRow) {
    let code = recovery_code();
    let row = RecoveryCodeRow {
        tenant: tenant.to_owned(),
        user_id: user_id.to_owned(),
        id: format!("dev_{}", crate::random::token(12)),
        code_hash: directory::hash_secret(&code),
        created_at: now,
    };
    (code, row)
}

const REJECTED: &str = "MFA Authorization rejected.";

impl Auth0 {
    /// `POST /oauth/token` with the `mfa-recovery-code` grant. The check and the
    /// swap to a new code happen in one transaction, with the swap guarded on the
    /// old hash: of many requests with one right code, exactly one signs in.
    pub async fn recovery_grant(
        &self,
        caller: &Caller,
        grant: &RecoveryGrant,
    ) -> Result<Tokens, AuthError> {
        let typed = grant
            .recovery_code
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                AuthError::invalid_request("Missing required parameter: recovery_code")
            })?;
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
        let now = self.now_ms(&caller.tenant.id);
        let ctx = user_context(caller, &user, &client);
        // Wrong recovery codes draw from the same bucket as wrong one-time codes.
        let (mut tx, wrong_codes) = self
            .wrong_codes(
                tx,
                caller,
                &user,
                &ctx,
                "gd_recovery_rate_limit_exceed",
                json!({}),
            )
            .await?;
        let (tenant, user_id) = (&caller.tenant.id, &user.user_id);
        let stored = recovery_codes::for_user(&mut tx, tenant, user_id).await?;
        let (code, row) = new_code(tenant, user_id, now);
        let swapped = match &stored {
            Some(old) if directory::secret_matches(&old.code_hash, typed.trim()) => {
                recovery_codes::replace(&mut tx, &old.code_hash, &row).await?
            }
            _ => false,
        };
        if !swapped {
            wrong_codes.spend(&mut tx, now).await?;
            self.log_in(&mut tx, "gd_recovery_failed", &ctx, None, json!({}))
                .await?;
            self.log_in(&mut tx, "fercft", &ctx, Some(REJECTED), json!({}))
                .await?;
            tx.commit().await.map_err(StoreError::from)?;
            return Err(AuthError::invalid_grant(REJECTED));
        }
        let details = json!({ "authenticator": format!("recovery-code|{}", row.id) });
        self.log_in(&mut tx, "gd_recovery_succeed", &ctx, None, details.clone())
            .await?;
        self.log_in(&mut tx, "sercft", &ctx, None, details).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let mut tokens = self
            .issue_tokens(
                caller,
                &user,
                &client,
                token.row.audience.as_deref(),
                token.row.scope.as_deref(),
                &["pwd", "mfa"],
            )
            .await?;
        tokens.recovery_code = Some(code);
        Ok(tokens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_24_characters_of_auth0_s_alphabet() {
        for _ in 0..100 {
            let recovery = recovery_code();
            assert_eq!(recovery.len(), 24);
            assert!(recovery
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
        }
    }
}
