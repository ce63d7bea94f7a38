//! `POST /oauth/token` with `grant_type=client_credentials`: a Management API
//! access token for one of the tenant's applications, which is how every official
//! SDK's management client and most scripts get their token (Auth0's "Get Access
//! Tokens for the Management API").

use serde_json::json;

use crate::auth0::directory;
use crate::auth0::error::AuthError;
use crate::auth0::json::{ClientCredentialsGrant, Tokens};
use crate::auth0::logs;
use crate::auth0::tokens::{AccessClaims, Audience};
use crate::auth0::{Auth0, Caller};
use crate::store::StoreError;

/// The Management API scopes a token carries when none are asked for: those of
/// the endpoints Phonebox emulates.
pub const MANAGEMENT_SCOPES: &str = "read:users create:users update:users delete:users \
read:users_app_metadata read:authentication_methods create:authentication_methods \
update:authentication_methods delete:authentication_methods read:guardian_factors \
update:guardian_factors read:guardian_enrollments delete:guardian_enrollments read:mfa_policies \
update:mfa_policies read:logs read:logs_users read:phone_providers create:phone_providers \
update:phone_providers delete:phone_providers read:phone_templates create:phone_templates \
update:phone_templates delete:phone_templates";

/// Auth0's default lifetime of a Management API token.
const MANAGEMENT_TOKEN_SECS: i64 = 86_400;

impl Auth0 {
    pub async fn client_credentials_grant(
        &self,
        caller: &Caller,
        grant: &ClientCredentialsGrant,
    ) -> Result<Tokens, AuthError> {
        let now = self.now_ms(&caller.tenant.id);
        let mut tx = self.store().begin().await?;
        let found = match grant.client_secret.as_deref().filter(|s| !s.is_empty()) {
            None => Err(AuthError::invalid_request(
                "Missing required parameter: client_secret",
            )),
            Some(secret) => {
                directory::client(
                    &mut tx,
                    &caller.tenant,
                    grant.client_id.as_deref(),
                    Some(secret),
                    now,
                )
                .await
            }
        };
        let ctx = logs::Context {
            client_id: grant.client_id.as_deref(),
            ..caller.log_context()
        };
        // A client registered on first use has a secret nobody was told: outside
        // permissive mode it cannot prove itself.
        let found = found.and_then(|client| {
            if client.on_first_use && !caller.tenant.settings.permissive {
                Err(AuthError::unauthorized_client("Unauthorized"))
            } else {
                Ok(client)
            }
        });
        let client = match found {
            Ok(client) => client,
            Err(e) => {
                let details = json!({ "client_authentication_error": e.description });
                self.log_in(&mut tx, "feccft", &ctx, Some(&e.description), details)
                    .await?;
                tx.commit().await.map_err(StoreError::from)?;
                // The Authentication API's reference answers a client that fails
                // to authenticate 401 `invalid_client`.
                return Err(match e.status {
                    401 => AuthError::new(401, "invalid_client", "Client authentication failed"),
                    _ => e,
                });
            }
        };
        let ctx = logs::Context {
            client_name: Some(&client.name),
            ..ctx
        };
        let audience = grant.audience.as_deref().unwrap_or_default();
        if !caller.is_own_api(audience, "api/v2/") {
            let description = if audience.is_empty() {
                "Missing required parameter: audience".to_owned()
            } else {
                format!(
                    "Client is not authorized to access \"{audience}\". You need to create a \"client-grant\" associated to this API."
                )
            };
            self.log_in(&mut tx, "feccft", &ctx, Some(&description), json!({}))
                .await?;
            tx.commit().await.map_err(StoreError::from)?;
            return Err(AuthError::new(403, "access_denied", description));
        }
        self.log_in(
            &mut tx,
            "seccft",
            &ctx,
            None,
            json!({ "audience": caller.management_audience() }),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;

        let scope = grant
            .scope
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or(MANAGEMENT_SCOPES);
        let issuer = caller.issuer();
        let subject = format!("{}@clients", client.client_id);
        let iat = self.now(&caller.tenant.id).unix_timestamp();
        let claims = AccessClaims {
            iss: &issuer,
            sub: &subject,
            aud: Audience::One(audience.to_owned()),
            azp: &client.client_id,
            iat,
            exp: iat.saturating_add(MANAGEMENT_TOKEN_SECS),
            scope,
            amr: &[],
            gty: Some("client-credentials"),
        };
        let signer = self.signer().await?;
        Ok(Tokens {
            access_token: signer.sign(&claims).map_err(AuthError::server_error)?,
            id_token: None,
            scope: scope.to_owned(),
            expires_in: MANAGEMENT_TOKEN_SECS,
            token_type: "Bearer",
            recovery_code: None,
        })
    }
}
