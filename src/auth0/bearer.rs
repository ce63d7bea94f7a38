//! Who may call the tenant's APIs: the one reader of `Authorization: Bearer …`
//! headers, and the Management API's check of the token it carries (a JWT from
//! the client-credentials grant, or a client secret). The MFA API's
//! bearer (an `mfa_token`) is checked by the MFA flows themselves.

use super::directory::secret_matches;
use super::error::MgmtError;
use super::{Auth0, Caller};
use crate::store::{clients, StoreError};

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
    /// tenant's client secrets. Says which client it was, where it checked.
    pub async fn authorize_management(
        &self,
        caller: &Caller,
        authorization: Option<&str>,
        scope: Option<&str>,
    ) -> Result<Authorized, MgmtError> {
        let tenant = &caller.tenant;
        let token = bearer(authorization)
            .ok_or_else(|| MgmtError::new(401, "Missing authentication", None))?;
        if tenant.settings.permissive {
            return Ok(Authorized::Anyone);
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
            if claims.exp.saturating_mul(1000) <= self.now_ms(&caller.tenant.id) {
                return Err(MgmtError::new(
                    401,
                    "Expired token received for JSON Web Token validation",
                    Some("invalid_token"),
                ));
            }
            // Only the client-credentials grant makes Management API tokens, for
            // a client created deliberately: a user's token for this audience, or
            // one for a client nobody holds the secret of, is refused.
            let client = claims.azp.as_deref().unwrap_or_default();
            let deliberate = clients::get(self.store(), &tenant.id, client)
                .await?
                .is_some_and(|c| !c.on_first_use);
            if claims.gty.as_deref() != Some("client-credentials")
                || claims.sub != format!("{client}@clients")
                || !deliberate
            {
                return Err(MgmtError::new(401, "Invalid token", Some("invalid_token")));
            }
            if let Some(scope) = scope.filter(|s| !claims.has_scope(s)) {
                return Err(MgmtError::new(
                    403,
                    format!("Insufficient scope, expected any of: {scope}"),
                    Some("insufficient_scope"),
                ));
            }
            return Ok(Authorized::Client(client.to_owned()));
        }
        self.secret_client(tenant, token)
            .await?
            .map(Authorized::Client)
            .ok_or_else(|| MgmtError::new(401, "Invalid token", Some("invalid_token")))
    }

    /// The client a Management API bearer stands for, as its log events name it
    /// where nothing checked it (permissive mode): a token's `azp`, or the client
    /// whose secret it is.
    pub async fn management_client(
        &self,
        caller: &Caller,
        authorization: Option<&str>,
    ) -> Option<String> {
        let token = bearer(authorization)?;
        if token.starts_with("eyJ") {
            let claims = self.signer().await.ok()?.verify(token).ok()?;
            return (claims.iss == caller.issuer())
                .then_some(claims.azp)
                .flatten();
        }
        self.secret_client(&caller.tenant, token)
            .await
            .ok()
            .flatten()
    }

    /// The deliberately created client whose secret `token` is.
    async fn secret_client(
        &self,
        tenant: &super::tenant::Tenant,
        token: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(clients::list(self.store(), &tenant.id)
            .await?
            .into_iter()
            .find(|c| !c.on_first_use && secret_matches(&c.client_secret, token))
            .map(|c| c.client_id))
    }
}

/// Who a Management API call was let through as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorized {
    /// This client (its token or its secret).
    Client(String),
    /// Permissive mode: any bearer, not checked.
    Anyone,
}

/// The scope a Management API call needs (Auth0's per-endpoint scopes), from its
/// method and path (with or without a `/t/{tenant}` prefix); `None` for a path
/// Phonebox does not scope.
pub fn management_scope(method: &str, path: &str) -> Option<String> {
    let rest = &path[path.find("/api/v2/")? + "/api/v2/".len()..];
    let parts: Vec<&str> = rest.split('/').collect();
    let verb = match method {
        "GET" | "HEAD" => "read",
        "POST" => "create",
        "PUT" | "PATCH" => "update",
        "DELETE" => "delete",
        _ => return None,
    };
    let resource = match parts.as_slice() {
        ["users", _, "authentication-methods", ..] => "authentication_methods",
        ["users", _, "logs"] => return Some("read:logs".into()),
        ["users", _, "enrollments"] => return Some("read:users".into()),
        ["users", _, "recovery-code-regeneration"] => return Some("update:users".into()),
        ["users", ..] | ["users-by-email"] => "users",
        ["logs", ..] => "logs",
        ["guardian", "factors", ..] => "guardian_factors",
        ["guardian", "policies"] => "mfa_policies",
        ["guardian", "enrollments", ..] => "guardian_enrollments",
        ["branding", "phone", "providers", ..] => "phone_providers",
        ["branding", "phone", "templates", ..] => "phone_templates",
        _ => return None,
    };
    // Sending a test message changes nothing: it is an update of the resource.
    let verb = if parts.last() == Some(&"try") {
        "update"
    } else {
        verb
    };
    Some(format!("{verb}:{resource}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_management_endpoint_needs_auth0_s_scope() {
        let cases = [
            ("GET", "/api/v2/users", "read:users"),
            ("POST", "/t/acme/api/v2/users", "create:users"),
            ("PATCH", "/api/v2/users/auth0%7C1", "update:users"),
            (
                "GET",
                "/api/v2/users/x/authentication-methods",
                "read:authentication_methods",
            ),
            (
                "DELETE",
                "/api/v2/users/x/authentication-methods/y",
                "delete:authentication_methods",
            ),
            ("GET", "/api/v2/users/x/logs", "read:logs"),
            ("GET", "/api/v2/logs", "read:logs"),
            ("HEAD", "/api/v2/users", "read:users"),
            ("PUT", "/api/v2/guardian/policies", "update:mfa_policies"),
            (
                "PUT",
                "/api/v2/guardian/factors/phone",
                "update:guardian_factors",
            ),
            (
                "POST",
                "/api/v2/branding/phone/providers/p/try",
                "update:phone_providers",
            ),
        ];
        for (method, path, scope) in cases {
            assert_eq!(
                management_scope(method, path).as_deref(),
                Some(scope),
                "{method} {path}"
            );
        }
        assert_eq!(management_scope("GET", "/emulator/v1/messages"), None);
    }

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
