//! Who may call the tenant's APIs: the one reader of `Authorization: Bearer …`
//! headers, and the Management API's check of the token it carries (a JWT from
//! the client-credentials grant, or a client secret). The MFA API's
//! bearer (an `mfa_token`) is checked by the MFA flows themselves.

use super::directory::secret_matches;
use super::error::MgmtError;
use super::{Auth0, Caller};
use crate::store::clients;

/// The token of an `Authorization` header's `Bearer` credentials; the scheme is
/// matched without regard to case, as HTTP says auth schemes are.
pub fn bearer(authorization: Option<&str>) -> Option<&str> {
    let (scheme, token) = authorization?.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl Auth0 {
    /// Lets a Management API call through: any token in permissive mode (the
    /// default); otherwise a Management API token this tenant issued (the
    /// client-credentials grant), unexpired on the emulated clock, or one of the
    /// tenant's client secrets.
    pub async fn authorize_management(
        &self,
        caller: &Caller,
        authorization: Option<&str>,
    ) -> Result<(), MgmtError> {
        let tenant = &caller.tenant;
        let token = bearer(authorization)
            .ok_or_else(|| MgmtError::new(401, "Missing authentication", None))?;
        if tenant.settings.permissive {
            return Ok(());
        }
        if token.starts_with("eyJ") {
            let claims = self
                .signer()
                .await?
                .verify(token)
                .ok()
                .filter(|c| {
                    c.iss == caller.issuer() && c.aud.contains(|a| caller.is_own_api(a, "api/v2/"))
                })
                .ok_or_else(|| MgmtError::new(401, "Invalid token", Some("invalid_token")))?;
            if claims.exp.saturating_mul(1000) <= self.now_ms() {
                return Err(MgmtError::new(
                    401,
                    "Expired token received for JSON Web Token validation",
                    Some("invalid_token"),
                ));
            }
            return Ok(());
        }
        let known = clients::list(self.store(), &tenant.id)
            .await?
            .iter()
            .any(|c| !c.on_first_use && secret_matches(&c.client_secret, token));
        if !known {
            return Err(MgmtError::new(401, "Invalid token", Some("invalid_token")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_read_in_any_case() {
        for header in ["Bearer abc", "bearer abc", "BEARER  abc ", " Bearer abc"] {
            assert_eq!(bearer(Some(header)), Some("abc"), "{header:?}");
        }
        for header in ["Basic abc", "Bearer", "Bearer   ", "abc", ""] {
            assert_eq!(bearer(Some(header)), None, "{header:?}");
        }
        assert_eq!(bearer(None), None);
    }
}
