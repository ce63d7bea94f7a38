//! SMS passwordless, the other phone login Auth0 customers test (Auth0's
//! "Passwordless: get code or link" and "Authenticate user"): `POST
//! /passwordless/start` sends a code through the tenant's phone provider, and the
//! `passwordless/otp` grant signs the phone's user in with it, creating the user
//! on first login.
//!
//! As Auth0's "Passwordless best practices" say: only the latest code is valid,
//! it lives three minutes, three wrong tries spend it, and a caller IP may start
//! 50 logins an hour.

use serde_json::json;

use super::send::{builtin_exhausted, CodeSend, Flow};
use super::user_context;
use crate::auth0::delivery::Route;
use crate::auth0::directory;
use crate::auth0::error::AuthError;
use crate::auth0::json::{OtpGrant, PasswordlessStart, PasswordlessStarted, Tokens};
use crate::auth0::limits::Bucket;
use crate::auth0::templates::Purpose;
use crate::auth0::{logs, Auth0, Caller};
use crate::message::Channel;
use crate::store::limit_buckets::{self, BucketName};
use crate::store::passwordless_codes::{self, PasswordlessCodeRow};
use crate::store::users::{self, UserRow, SMS_CONNECTION};
use crate::store::{phone_sends, StoreError};

pub const PASSWORDLESS_OTP_GRANT: &str = "http://auth0.com/oauth/grant-type/passwordless/otp";

const CODE_DIGITS: u32 = 6;
const CODE_LIFETIME_SECS: u64 = 180;
const ATTEMPTS_PER_CODE: i64 = 3;
/// Auth0's rate limit on `/passwordless/start`: 50 an hour per IP (one back
/// every 72 s).
fn starts_per_ip() -> Bucket {
    Bucket::new(50, 72)
}
const WRONG: &str = "Wrong phone number or verification code.";
/// The members `/passwordless/start` takes; any other is refused, as Auth0 does.
const KNOWN: &[&str] = &["client_assertion", "client_assertion_type"];

fn bad(error: &str, description: impl Into<String>) -> AuthError {
    AuthError::new(400, error, description)
}

/// Auth0's pattern for a passwordless phone number.
fn valid_phone(number: &str) -> bool {
    number
        .strip_prefix('+')
        .is_some_and(|d| (1..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

impl Auth0 {
    /// `POST /passwordless/start` with `connection: "sms"`.
    pub async fn passwordless_start(
        &self,
        caller: &Caller,
        body: &PasswordlessStart,
    ) -> Result<PasswordlessStarted, AuthError> {
        if let Some(extra) = body.other.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(bad(
                "bad.request",
                format!("the following properties are not allowed: {extra}"),
            ));
        }
        let client_id = body
            .client_id
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| bad("bad.client_id", "Missing required property: client_id"))?;
        match body.connection.as_deref() {
            None | Some("") => {
                return Err(bad(
                    "bad.connection",
                    "Missing required property: connection",
                ))
            }
            Some(SMS_CONNECTION) => {}
            // Email passwordless is not emulated: Phonebox is about phones.
            Some(_) => return Err(bad("bad.connection", "Connection does not exist")),
        }
        if body
            .auth_params
            .as_ref()
            .is_some_and(|p| !p.is_object() && !p.is_null())
        {
            return Err(bad(
                "bad.authParams",
                "error in authParams - invalid type: string (expected object)",
            ));
        }
        if let Some(send) = body
            .send
            .as_deref()
            .filter(|s| !["code", "link"].contains(s))
        {
            return Err(bad(
                "bad.request",
                format!("send must be code or link, not '{send}'"),
            ));
        }
        let phone = body.phone_number.as_deref().ok_or_else(|| {
            bad(
                "bad.phone_number",
                "Missing required property: phone_number",
            )
        })?;
        if !valid_phone(phone) {
            return Err(bad(
                "bad.phone_number",
                "String does not match pattern: ^\\+[0-9]{1,15}$",
            ));
        }

        if !caller.tenant.settings.provider_delivers(Channel::Sms) {
            return Err(bad(
                "sms_provider_error",
                "The tenant's phone provider does not deliver text messages (its configuration.delivery_methods)",
            ));
        }
        let now = self.now_ms(&caller.tenant.id);
        let mut tx = self.store().begin().await?;
        let client = directory::client(
            &mut tx,
            &caller.tenant,
            Some(client_id),
            body.client_secret.as_deref(),
            now,
        )
        .await?;
        let ip_key = format!("ip:{}", caller.ip.as_deref().unwrap_or("unknown"));
        let tenant = &caller.tenant.id;
        let tat =
            limit_buckets::get(&mut tx, tenant, &ip_key, BucketName::PasswordlessStart).await?;
        match starts_per_ip().take(tat, now) {
            Ok(tat) => {
                limit_buckets::set(&mut tx, tenant, &ip_key, BucketName::PasswordlessStart, tat)
                    .await?
            }
            Err(_) => {
                self.delivery.refused(&Route::of(&caller.tenant));
                return Err(AuthError::new(
                    429,
                    "too_many_requests",
                    "Too many requests to /passwordless/start from this IP address (50 an hour). Wait for some minutes before retrying.",
                ));
            }
        }
        let existing = users::sms_by_phone(&mut tx, tenant, phone).await?;
        if existing.as_ref().is_some_and(|u| u.blocked) {
            return Err(AuthError::new(401, "unauthorized", "user is blocked"));
        }
        // Auth0 creates the user on first login; until then the events carry the
        // id it will get, the same for every code resent before that login.
        let user = match existing {
            Some(user) => user,
            None => {
                let mut user = new_sms_user(tenant, phone, now);
                if let Some(pending) = passwordless_codes::get(&mut tx, tenant, phone).await? {
                    // Only while that id is still nobody's (its user may have
                    // been created with another number meanwhile).
                    if users::get(&mut tx, tenant, &pending.user_id)
                        .await?
                        .is_none()
                    {
                        user.user_id = pending.user_id;
                    }
                }
                user
            }
        };
        let transaction_id =
            ulid::Ulid::from_datetime(self.now(&caller.tenant.id).into()).to_string();
        let code = PasswordlessCodeRow {
            transaction_id: Some(transaction_id.clone()),
            tenant: tenant.clone(),
            phone_number: phone.to_owned(),
            client_id: client.client_id.clone(),
            user_id: user.user_id.clone(),
            code: crate::random::digits(CODE_DIGITS),
            attempts: 0,
            created_at: now,
            expires_at: crate::unix_ms::add_secs(now, CODE_LIFETIME_SECS),
        };
        passwordless_codes::put(&mut tx, &code).await?;
        let route = Route::of(&caller.tenant);
        let exhausted = builtin_exhausted(&mut tx, &caller.tenant, &route).await?;
        let send_id = phone_sends::insert(
            &mut tx,
            tenant,
            &user.user_id,
            Channel::Sms,
            route.provider(),
            now,
            route == Route::Builtin && exhausted.is_none(),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;

        let language = caller.accept_language.clone();
        let send = CodeSend {
            code: code.code,
            channel: Channel::Sms,
            purpose: Purpose::Verification,
            transaction_id: transaction_id.clone(),
            send_id,
            route,
            exhausted,
            flow: Flow::Passwordless,
        };
        self.send_detached(caller, &user, &client, send, phone, None)
            .await?;
        Ok(PasswordlessStarted {
            id: transaction_id,
            phone_number: phone.to_owned(),
            phone_verified: false,
            request_language: language,
        })
    }

    /// `POST /oauth/token` with the `passwordless/otp` grant. One transaction
    /// checks and spends the code (a guarded delete), so of many requests with one
    /// right code exactly one signs in.
    pub async fn otp_grant(&self, caller: &Caller, grant: &OtpGrant) -> Result<Tokens, AuthError> {
        let missing =
            |name: &str| AuthError::invalid_request(format!("Missing required parameter: {name}"));
        let phone = grant
            .username
            .as_deref()
            .filter(|u| !u.is_empty())
            .ok_or_else(|| missing("username"))?;
        let otp = grant
            .otp
            .as_deref()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| missing("otp"))?;
        match grant.realm.as_deref() {
            Some(SMS_CONNECTION) => {}
            None | Some("") => return Err(missing("realm")),
            Some(other) => {
                return Err(AuthError::invalid_request(format!(
                    "Connection '{other}' is not an SMS passwordless connection (realm must be sms)"
                )))
            }
        }
        // The MFA API's tokens are earned by passing MFA, which this login does not.
        if grant
            .audience
            .as_deref()
            .is_some_and(|a| caller.is_own_api(a, "mfa/"))
        {
            return Err(AuthError::new(
                403,
                "access_denied",
                "A passwordless login cannot get tokens for the MFA API: use the password grant, which asks for MFA",
            ));
        }
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
        let tenant = &caller.tenant.id;
        let ctx = logs::Context {
            client_id: Some(&client.client_id),
            client_name: Some(&client.name),
            user_name: Some(phone),
            connection: Some(SMS_CONNECTION),
            ..caller.log_context()
        };
        let stored = passwordless_codes::get(&mut tx, tenant, phone)
            .await?
            .filter(|c| c.expires_at > now);
        let spent = match &stored {
            // The code is the login of the app that asked for it.
            Some(row) if row.client_id != client.client_id => false,
            Some(row) if row.code == otp.trim() => {
                passwordless_codes::spend(&mut tx, tenant, phone, &row.code).await?
            }
            Some(_) => {
                passwordless_codes::count_wrong(&mut tx, tenant, phone, ATTEMPTS_PER_CODE).await?;
                false
            }
            None => false,
        };
        // The flow the code belongs to, for its timeline.
        let transaction_id = stored.as_ref().and_then(|c| c.transaction_id.clone());
        let Some(row) = stored.filter(|_| spent) else {
            let details = match &transaction_id {
                Some(id) => json!({ "transaction_id": id }),
                None => json!({}),
            };
            self.log_in(&mut tx, "fepotpft", &ctx, Some(WRONG), details)
                .await?;
            tx.commit().await.map_err(StoreError::from)?;
            return Err(AuthError::invalid_grant(WRONG));
        };
        let user = match users::sms_by_phone(&mut tx, tenant, phone).await? {
            Some(user) => user,
            None => {
                let mut user = new_sms_user(tenant, phone, now);
                user.user_id = row.user_id.clone();
                user.phone_verified = true;
                if !users::insert(&mut tx, &user).await? {
                    return Err(AuthError::server_error("the new passwordless user clashed"));
                }
                user
            }
        };
        if user.blocked {
            return Err(AuthError::new(401, "unauthorized", "user is blocked"));
        }
        users::record_login(&mut tx, tenant, &user.user_id, now, caller.ip.as_deref()).await?;
        let ctx = user_context(caller, &user, &client);
        self.log_in(
            &mut tx,
            "s",
            &ctx,
            None,
            json!({ "prompts": [], "connection": SMS_CONNECTION, "transaction_id": transaction_id }),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.issue_tokens(
            caller,
            &user,
            &client,
            grant.audience.as_deref(),
            grant.scope.as_deref(),
            &["otp"],
        )
        .await
    }
}

/// An SMS passwordless user as Auth0 makes one: `sms|<id>`, the phone number only.
fn new_sms_user(tenant: &str, phone: &str, now: i64) -> UserRow {
    UserRow {
        user_id: format!("sms|{}", crate::random::hex(12)),
        tenant: tenant.to_owned(),
        connection: SMS_CONNECTION.to_owned(),
        phone_number: Some(phone.to_owned()),
        user_metadata: "{}".into(),
        app_metadata: "{}".into(),
        created_at: now,
        updated_at: now,
        ..UserRow::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_follow_auth0_s_pattern() {
        assert!(valid_phone("+15555550100"));
        assert!(valid_phone("+1"));
        for bad in ["15555550100", "+", "+1234567890123456", "+1 555", "+1555a"] {
            assert!(!valid_phone(bad), "{bad}");
        }
    }
}
