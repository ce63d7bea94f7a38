//! The MFA API flows: password login answering `mfa_required`, phone association,
//! challenges, the `mfa-oob` grant, and the authenticators a user has.
//!
//! Errors are Auth0's (`payloads.md` §4) and each step writes Auth0's log events.

use serde::Deserialize;
use serde_json::{json, Value};

use super::delivery::{Outgoing, Route};
use super::directory::{self, random_token};
use super::error::AuthError;
use super::logs;
use super::templates::{self, Purpose, Variables};
use super::tenant::MfaPolicy;
use super::{Auth0, Caller};
use crate::limits::{self, Refusal};
use crate::message::phone::PhoneNumber;
use crate::message::Channel;
use crate::store::clients::ClientRow;
use crate::store::mfa_challenges::{self, ChallengeRow};
use crate::store::mfa_enrollments::{self, EnrollmentRow, RecoveryCodeRow};
use crate::store::mfa_tokens::{self, MfaTokenRow};
use crate::store::phone_sends;
use crate::store::users::{self, UserRow};

pub const MFA_OOB_GRANT: &str = "http://auth0.com/oauth/grant-type/mfa-oob";
const CODE_DIGITS: u32 = 6;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PasswordGrant {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub audience: Option<String>,
    pub scope: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct OobGrant {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub mfa_token: Option<String>,
    pub oob_code: Option<String>,
    pub binding_code: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Associate {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    #[serde(default)]
    pub authenticator_types: Vec<String>,
    #[serde(default)]
    pub oob_channels: Vec<String>,
    pub phone_number: Option<String>,
    /// New Universal Login's language choice.
    pub ui_locales: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Challenge {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub mfa_token: Option<String>,
    pub challenge_type: Option<String>,
    pub authenticator_id: Option<String>,
    pub ui_locales: Option<String>,
}

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

/// 24 upper-case letters and digits, as Auth0's recovery codes.
fn recovery_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes = uuid::Uuid::new_v4().as_u128().to_be_bytes();
    let more = uuid::Uuid::new_v4().as_u128().to_be_bytes();
    bytes
        .iter()
        .chain(more.iter())
        .take(24)
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

fn channel_named(name: &str) -> Option<Channel> {
    match name {
        "sms" => Some(Channel::Sms),
        "voice" => Some(Channel::Voice),
        _ => None,
    }
}

impl Auth0 {
    /// `POST /oauth/token` with `grant_type=password`.
    pub async fn password_grant(
        &self,
        caller: &Caller,
        grant: &PasswordGrant,
    ) -> Result<Value, AuthError> {
        let now = self.now_ms();
        let client = directory::client(
            self.store(),
            &caller.tenant,
            grant.client_id.as_deref(),
            grant.client_secret.as_deref(),
            now,
        )
        .await?;
        let username = grant.username.as_deref().unwrap_or_default();
        let password = grant.password.as_deref().unwrap_or_default();
        let user =
            match directory::login(self.store(), &caller.tenant, username, password, now).await {
                Ok(user) => user,
                Err(e) => {
                    let ctx = logs::Context {
                        client_id: Some(&client.client_id),
                        client_name: Some(&client.name),
                        user_name: Some(username),
                        ..caller.log_context()
                    };
                    self.write_log("fp", &ctx, None, json!({})).await?;
                    return Err(e);
                }
            };
        let ctx = user_context(caller, &user, &client);
        let settings = &caller.tenant.settings;
        if settings.phone_enabled && settings.mfa_policy == MfaPolicy::Always {
            let token = MfaTokenRow {
                token: format!("Fe26.2**{}", random_token(48)),
                tenant: caller.tenant.id.clone(),
                user_id: user.user_id.clone(),
                client_id: client.client_id.clone(),
                audience: grant.audience.clone(),
                scope: grant.scope.clone(),
                created_at: now,
                expires_at: crate::clock::unix_ms::add_secs(
                    now,
                    settings.mfa_token_lifetime_secs.get(),
                ),
            };
            mfa_tokens::insert(self.store(), &token).await?;
            let enrolled = mfa_enrollments::for_user(self.store(), &user.user_id)
                .await?
                .iter()
                .any(|e| e.active);
            let requirements = if enrolled {
                json!({ "challenge": [{ "type": "phone" }] })
            } else {
                json!({ "enroll": [{ "type": "phone" }] })
            };
            self.write_log(
                "mfar",
                &ctx,
                None,
                json!({ "mfa_requirements": requirements }),
            )
            .await?;
            return Err(
                AuthError::new(403, "mfa_required", "Multifactor authentication required")
                    .with(json!({ "mfa_token": token.token, "mfa_requirements": requirements })),
            );
        }
        self.write_log("s", &ctx, None, json!({})).await?;
        self.issue_tokens(
            caller,
            &user,
            &client,
            grant.audience.as_deref(),
            grant.scope.as_deref(),
            false,
        )
        .await
    }

    /// The `mfa_token` a request carries, checked: known, this tenant's, not expired.
    async fn mfa_token(
        &self,
        caller: &Caller,
        token: Option<&str>,
    ) -> Result<MfaTokenRow, AuthError> {
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| AuthError::invalid_request("Missing required parameter: mfa_token"))?;
        let row = mfa_tokens::get(self.store(), token)
            .await?
            .filter(|row| row.tenant == caller.tenant.id)
            .ok_or_else(|| AuthError::invalid_grant("Malformed mfa_token"))?;
        if row.expires_at <= self.now_ms() {
            return Err(AuthError::new(403, "expired_token", "mfa_token is expired"));
        }
        Ok(row)
    }

    async fn token_user(&self, caller: &Caller, token: &MfaTokenRow) -> Result<UserRow, AuthError> {
        users::get(self.store(), &caller.tenant.id, &token.user_id)
            .await?
            .ok_or_else(|| AuthError::invalid_grant("Malformed mfa_token"))
    }

    /// Checks that the request's client is the token's.
    async fn token_client(
        &self,
        caller: &Caller,
        token: &MfaTokenRow,
        client_id: Option<&str>,
        client_secret: Option<&str>,
    ) -> Result<ClientRow, AuthError> {
        let client_id = client_id.unwrap_or(&token.client_id);
        let client = directory::client(
            self.store(),
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

    /// `POST /mfa/associate`: enrolls a phone and sends its first code.
    pub async fn associate(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        body: &Associate,
    ) -> Result<Value, AuthError> {
        let token = self.mfa_token(caller, bearer).await?;
        let client = self
            .token_client(
                caller,
                &token,
                body.client_id.as_deref(),
                body.client_secret.as_deref(),
            )
            .await?;
        let user = self.token_user(caller, &token).await?;
        if !body.authenticator_types.iter().any(|t| t == "oob") {
            return Err(AuthError::invalid_request(
                "authenticator_types must contain \"oob\": Phonebox emulates phone (SMS and voice) authenticators",
            ));
        }
        let channel = match body.oob_channels.as_slice() {
            [one] => channel_named(one).ok_or_else(|| {
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
        let existing = mfa_enrollments::for_user(self.store(), &user.user_id).await?;
        if existing.iter().any(|e| e.active) {
            return Err(AuthError::new(
                403,
                "access_denied",
                "User is already enrolled.",
            ));
        }
        let now = self.now_ms();
        let enrollment = EnrollmentRow {
            id: format!("dev_{}", random_token(12)),
            tenant: caller.tenant.id.clone(),
            user_id: user.user_id.clone(),
            phone_number: phone.as_str().to_owned(),
            active: false,
            created_at: now,
            confirmed_at: None,
        };
        mfa_enrollments::insert(self.store(), &enrollment).await?;
        let ctx = user_context(caller, &user, &client);
        self.write_log(
            "gd_start_enroll",
            &ctx,
            None,
            json!({ "authenticator": format!("{}|{}", channel.as_str(), enrollment.id) }),
        )
        .await?;
        let recovery = match mfa_enrollments::recovery_code(self.store(), &user.user_id).await? {
            Some(_) => None,
            None => {
                let code = recovery_code();
                let row = RecoveryCodeRow {
                    user_id: user.user_id.clone(),
                    id: format!("dev_{}", random_token(12)),
                    code_hash: directory::hash_secret(&code),
                    created_at: now,
                };
                mfa_enrollments::insert_recovery_code(self.store(), &row)
                    .await?
                    .then_some(code)
            }
        };
        let oob_code = self
            .send_code(
                caller,
                &user,
                &client,
                &token,
                &enrollment,
                channel,
                Purpose::Enrollment,
                body.ui_locales.as_deref(),
            )
            .await?;
        let mut answer = json!({
            "authenticator_type": "oob",
            "binding_method": "prompt",
            "oob_channel": channel.as_str(),
            "oob_code": oob_code,
        });
        if let Some(code) = recovery {
            answer["recovery_codes"] = json!([code]);
        }
        Ok(answer)
    }

    /// `POST /mfa/challenge`: sends a code to an enrolled phone.
    pub async fn challenge(&self, caller: &Caller, body: &Challenge) -> Result<Value, AuthError> {
        let token = self.mfa_token(caller, body.mfa_token.as_deref()).await?;
        let client = self
            .token_client(
                caller,
                &token,
                body.client_id.as_deref(),
                body.client_secret.as_deref(),
            )
            .await?;
        let user = self.token_user(caller, &token).await?;
        let types = body.challenge_type.as_deref().unwrap_or("oob");
        if !types.split_whitespace().any(|t| t == "oob") {
            return Err(AuthError::new(
                400,
                "unsupported_challenge_type",
                format!("No matching challenge_type: the user's phone supports oob, not '{types}'"),
            ));
        }
        let active: Vec<EnrollmentRow> = mfa_enrollments::for_user(self.store(), &user.user_id)
            .await?
            .into_iter()
            .filter(|e| e.active)
            .collect();
        if active.is_empty() {
            return Err(AuthError::new(
                400,
                "association_required",
                "User is not enrolled. You can use /mfa/associate endpoint to enroll the first authenticator.",
            ));
        }
        let (enrollment, channel) = match body.authenticator_id.as_deref() {
            Some(id) => {
                let (kind, dev) = id.split_once('|').unwrap_or(("", id));
                let channel = channel_named(kind).ok_or_else(|| {
                    AuthError::new(
                        400,
                        "unsupported_challenge_type",
                        format!("The user does not support '{id}' as an oob authenticator"),
                    )
                })?;
                let enrollment = active
                    .iter()
                    .find(|e| e.id == dev)
                    .cloned()
                    .ok_or_else(|| {
                        AuthError::invalid_request(format!(
                            "authenticator_id '{id}' is not one of the user's"
                        ))
                    })?;
                (enrollment, channel)
            }
            None => {
                let channel = if caller.tenant.settings.allows(Channel::Sms) {
                    Channel::Sms
                } else {
                    Channel::Voice
                };
                (active[0].clone(), channel)
            }
        };
        self.check_channel(caller, channel)?;
        let ctx = user_context(caller, &user, &client);
        self.write_log(
            "gd_start_auth",
            &ctx,
            None,
            json!({ "authenticator": format!("{}|{}", channel.as_str(), enrollment.id) }),
        )
        .await?;
        let oob_code = self
            .send_code(
                caller,
                &user,
                &client,
                &token,
                &enrollment,
                channel,
                Purpose::Verification,
                body.ui_locales.as_deref(),
            )
            .await?;
        Ok(json!({ "challenge_type": "oob", "oob_code": oob_code, "binding_method": "prompt" }))
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
        if channel == Channel::Voice && Route::of(&caller.tenant) == Route::Builtin {
            return Err(AuthError::invalid_request(
                "Auth0's built-in phone provider sends SMS only: configure Twilio or a custom provider for voice",
            ));
        }
        Ok(())
    }

    /// Makes a code, checks the limits, renders, delivers and logs; the `oob_code`.
    #[allow(clippy::too_many_arguments)]
    async fn send_code(
        &self,
        caller: &Caller,
        user: &UserRow,
        client: &ClientRow,
        token: &MfaTokenRow,
        enrollment: &EnrollmentRow,
        channel: Channel,
        purpose: Purpose,
        ui_locales: Option<&str>,
    ) -> Result<String, AuthError> {
        let settings = &caller.tenant.settings;
        let now = self.now_ms();
        let ctx = user_context(caller, user, client);
        let sends: Vec<(Channel, i64)> = phone_sends::user_sends_since(
            self.store(),
            &caller.tenant.id,
            &user.user_id,
            now - limits::HOUR_MS,
        )
        .await?
        .into_iter()
        .filter_map(|(c, at)| channel_named(&c).map(|c| (c, at)))
        .collect();
        if let Err(refusal) = limits::check_send(&settings.limits, &sends, channel, now) {
            let (description, frees_at) = match refusal {
                Refusal::UserHourly { frees_at } => (
                    "Too many SMS sent by the user. Wait for some minutes before retrying.",
                    frees_at,
                ),
                Refusal::VoiceHourly { frees_at } => (
                    "Too many voice calls made to the user. Wait for some minutes before retrying.",
                    frees_at,
                ),
            };
            let frees = crate::clock::unix_ms::rfc3339_ms(frees_at);
            self.write_log(
                "gd_otp_rate_limit_exceed",
                &ctx,
                Some(description),
                json!({ "channel": channel.as_str(), "frees_at": frees }),
            )
            .await?;
            return Err(AuthError::new(429, "invalid_request", description));
        }
        let code = crate::message::code::random(CODE_DIGITS);
        let locale = templates::pick_locale(
            &settings.languages,
            ui_locales,
            caller.accept_language.as_deref(),
        );
        let template = |channel: Channel| {
            templates::branding_template(settings, purpose, channel)
                .filter(|_| settings.branding_provider().is_some())
                .unwrap_or_else(|| templates::guardian_template(settings, &locale, purpose))
        };
        let vars = Variables {
            tenant: &caller.tenant,
            code: &code,
            channel,
            locale: &locale,
            accept_language: caller.accept_language.as_deref(),
        };
        let sms = Variables {
            channel: Channel::Sms,
            ..vars
        };
        let voice = Variables {
            channel: Channel::Voice,
            ..vars
        };
        let jobs = [
            (template(Channel::Sms), &sms),
            (template(Channel::Voice), &voice),
        ];
        let rendered = templates::render(&self.templates, &jobs, self.now()).await;
        let challenge = ChallengeRow {
            id: ulid::Ulid::from_datetime(self.now().into()).to_string(),
            oob_code: format!("Fe26.2**{}", random_token(32)),
            tenant: caller.tenant.id.clone(),
            user_id: user.user_id.clone(),
            client_id: client.client_id.clone(),
            mfa_token: token.token.clone(),
            enrollment_id: enrollment.id.clone(),
            channel: channel.as_str().to_owned(),
            purpose: match purpose {
                Purpose::Enrollment => "otp_enroll",
                Purpose::Verification => "otp_verify",
            }
            .to_owned(),
            code: code.clone(),
            attempts: 0,
            status: "pending".to_owned(),
            created_at: now,
            expires_at: crate::clock::unix_ms::add_secs(now, settings.code_lifetime_secs.get()),
        };
        mfa_challenges::insert(self.store(), &challenge).await?;
        let recipient = PhoneNumber::parse(&enrollment.phone_number)
            .map_err(|e| AuthError::server_error(format!("stored phone number: {e}")))?;
        let (as_text, as_voice) = match rendered {
            Ok(texts) => {
                let mut texts = texts.into_iter();
                (
                    texts.next().unwrap_or_default(),
                    texts.next().unwrap_or_default(),
                )
            }
            Err(why) => {
                // A template that cannot render is a send that failed, as in Auth0:
                // logged, and the app is told nothing.
                let description =
                    format!("The tenant's message template could not be rendered: {why}");
                let kind = match channel {
                    Channel::Sms => "gd_send_sms_failure",
                    Channel::Voice => "gd_send_voice_failure",
                };
                let details = json!({
                    "transaction_id": challenge.id,
                    "to": masked(recipient.as_str()),
                    "error": description,
                });
                self.write_log(kind, &ctx, Some(&description), details)
                    .await?;
                return Ok(challenge.oob_code);
            }
        };
        let outgoing = Outgoing {
            tenant: &caller.tenant,
            user,
            client,
            channel,
            recipient: &recipient,
            text: match channel {
                Channel::Sms => as_text.clone(),
                Channel::Voice => as_voice.clone(),
            },
            as_text,
            as_voice,
            code: &code,
            purpose,
            locale: &locale,
            transaction_id: &challenge.id,
            ip: caller.ip.as_deref(),
            user_agent: caller.user_agent.as_deref(),
        };
        let outcome = self.delivery.deliver(&outgoing).await?;
        let kind = match (channel, outcome.delivered) {
            (Channel::Sms, true) => "gd_send_sms",
            (Channel::Sms, false) => "gd_send_sms_failure",
            (Channel::Voice, true) => "gd_send_voice",
            (Channel::Voice, false) => "gd_send_voice_failure",
        };
        let details = json!({
            "transaction_id": challenge.id,
            "provider": outcome.provider,
            "to": masked(recipient.as_str()),
            "message_id": outcome.message_id,
            "error": outcome.error,
        });
        self.write_log(kind, &ctx, outcome.error.as_deref(), details)
            .await?;
        // Auth0 tells the app nothing of a failed delivery: the code is just never seen.
        Ok(challenge.oob_code)
    }

    /// `POST /oauth/token` with the `mfa-oob` grant: checks the code the user typed.
    pub async fn oob_grant(&self, caller: &Caller, grant: &OobGrant) -> Result<Value, AuthError> {
        let binding_code = grant.binding_code.as_deref().ok_or_else(|| {
            AuthError::invalid_request("Missing required parameter: binding_code")
        })?;
        let oob_code = grant
            .oob_code
            .as_deref()
            .ok_or_else(|| AuthError::invalid_request("Missing required parameter: oob_code"))?;
        let token = self.mfa_token(caller, grant.mfa_token.as_deref()).await?;
        let client = self
            .token_client(
                caller,
                &token,
                grant.client_id.as_deref(),
                grant.client_secret.as_deref(),
            )
            .await?;
        let user = self.token_user(caller, &token).await?;
        let challenge = mfa_challenges::by_oob_code(self.store(), oob_code)
            .await?
            .filter(|c| c.mfa_token == token.token)
            .ok_or_else(|| {
                AuthError::invalid_request("The oob_code doesn't match the mfa_token")
            })?;
        let now = self.now_ms();
        let ctx = user_context(caller, &user, &client);
        let settings = &caller.tenant.settings;
        if limits::locked_out(
            &settings.limits,
            user.failed_codes,
            user.last_failed_at,
            now,
        ) {
            let description = "Too many failed codes. Wait for some minutes before retrying.";
            self.write_log(
                "gd_otp_rate_limit_exceed",
                &ctx,
                Some(description),
                json!({ "transaction_id": challenge.id }),
            )
            .await?;
            return Err(AuthError::new(429, "invalid_request", description));
        }
        if challenge.status != "pending" || challenge.expires_at <= now {
            return Err(AuthError::new(403, "expired_token", "oob_code is expired"));
        }
        let details = json!({ "transaction_id": challenge.id, "authenticator": format!("{}|{}", challenge.channel, challenge.enrollment_id) });
        if binding_code.trim() != challenge.code {
            let attempts = challenge.attempts + 1;
            let status = if attempts >= settings.code_attempts.get_i64() {
                "failed"
            } else {
                "pending"
            };
            mfa_challenges::record_attempt(self.store(), &challenge.id, attempts, status).await?;
            users::record_failed_code(self.store(), &user.user_id, now).await?;
            self.write_log(
                "gd_auth_failed",
                &ctx,
                Some("Invalid binding_code."),
                details.clone(),
            )
            .await?;
            self.write_log("feoobft", &ctx, Some("Invalid binding_code."), details)
                .await?;
            return Err(AuthError::invalid_grant("Invalid binding_code."));
        }
        mfa_challenges::record_attempt(
            self.store(),
            &challenge.id,
            challenge.attempts + 1,
            "verified",
        )
        .await?;
        users::reset_failed_codes(self.store(), &user.user_id).await?;
        let enrollment =
            mfa_enrollments::get(self.store(), &user.user_id, &challenge.enrollment_id).await?;
        if enrollment.is_some_and(|e| !e.active) {
            mfa_enrollments::activate(self.store(), &user.user_id, &challenge.enrollment_id, now)
                .await?;
            self.write_log("gd_enrollment_complete", &ctx, None, details.clone())
                .await?;
        }
        self.write_log("gd_auth_succeed", &ctx, None, details.clone())
            .await?;
        self.write_log("seoobft", &ctx, None, details).await?;
        self.issue_tokens(
            caller,
            &user,
            &client,
            token.audience.as_deref(),
            token.scope.as_deref(),
            true,
        )
        .await
    }

    /// Access and ID tokens for a user, signed RS256.
    async fn issue_tokens(
        &self,
        caller: &Caller,
        user: &UserRow,
        client: &ClientRow,
        audience: Option<&str>,
        scope: Option<&str>,
        mfa: bool,
    ) -> Result<Value, AuthError> {
        let signer = self.signer().await?;
        let issuer = caller.issuer();
        let now = self.now().unix_timestamp();
        let lifetime = i64::try_from(caller.tenant.settings.access_token_lifetime_secs.get())
            .unwrap_or(i64::MAX);
        let scope = scope.unwrap_or("openid profile email");
        let amr: Vec<&str> = if mfa { vec!["pwd", "mfa"] } else { vec!["pwd"] };
        let userinfo = format!("{issuer}userinfo");
        let access_audience = match audience {
            Some(a) => json!([a, userinfo]),
            None => json!(userinfo),
        };
        let access = json!({
            "iss": issuer, "sub": user.user_id, "aud": access_audience, "azp": client.client_id,
            "iat": now, "exp": now.saturating_add(lifetime), "scope": scope, "amr": amr,
        });
        let id = json!({
            "iss": issuer, "sub": user.user_id, "aud": client.client_id, "iat": now, "exp": now.saturating_add(lifetime),
            "email": user.email, "name": user.name.clone().unwrap_or_else(|| user.email.clone()), "amr": amr,
        });
        let sign = |claims: &Value| signer.sign(claims).map_err(AuthError::server_error);
        let mut answer = json!({
            "access_token": sign(&access)?,
            "scope": scope,
            "expires_in": lifetime,
            "token_type": "Bearer",
        });
        if scope.split_whitespace().any(|s| s == "openid") {
            answer["id_token"] = json!(sign(&id)?);
        }
        Ok(answer)
    }

    /// The user a `/mfa/authenticators` bearer token stands for: an `mfa_token`.
    async fn bearer_user(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
    ) -> Result<(UserRow, MfaTokenRow), AuthError> {
        let bearer = bearer.ok_or_else(|| {
            AuthError::new(401, "unauthorized", "Missing bearer token (an mfa_token)")
        })?;
        let token = self.mfa_token(caller, Some(bearer)).await?;
        let user = self.token_user(caller, &token).await?;
        Ok((user, token))
    }

    /// `GET /mfa/authenticators`.
    pub async fn authenticators(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
    ) -> Result<Value, AuthError> {
        let (user, _) = self.bearer_user(caller, bearer).await?;
        let mut list = Vec::new();
        if let Some(recovery) = mfa_enrollments::recovery_code(self.store(), &user.user_id).await? {
            list.push(json!({ "id": format!("recovery-code|{}", recovery.id), "authenticator_type": "recovery-code", "active": true }));
        }
        for e in mfa_enrollments::for_user(self.store(), &user.user_id).await? {
            for channel in ["sms", "voice"] {
                list.push(json!({
                    "id": format!("{channel}|{}", e.id),
                    "authenticator_type": "oob",
                    "active": e.active,
                    "oob_channel": channel,
                    "name": masked(&e.phone_number),
                }));
            }
        }
        Ok(Value::Array(list))
    }

    /// `DELETE /mfa/authenticators/{id}`: removing `sms|dev_X` or `voice|dev_X`
    /// removes the phone (both).
    pub async fn delete_authenticator(
        &self,
        caller: &Caller,
        bearer: Option<&str>,
        id: &str,
    ) -> Result<(), AuthError> {
        let (user, token) = self.bearer_user(caller, bearer).await?;
        let dev = id.split_once('|').map_or(id, |(_, dev)| dev);
        if !mfa_enrollments::delete(self.store(), &user.user_id, dev).await? {
            return Err(AuthError::new(
                404,
                "not_found",
                format!("Authenticator {id} not found"),
            ));
        }
        let client =
            crate::store::clients::get(self.store(), &caller.tenant.id, &token.client_id).await?;
        let ctx = logs::Context {
            user_id: Some(&user.user_id),
            user_name: Some(&user.email),
            client_id: Some(&token.client_id),
            client_name: client.as_ref().map(|c| c.name.as_str()),
            ..caller.log_context()
        };
        self.write_log("gd_unenroll", &ctx, None, json!({ "authenticator": id }))
            .await?;
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_mask_all_but_the_last_four_digits() {
        assert_eq!(masked("+15555558730"), "XXXXXXX8730");
        assert_eq!(masked("+12"), "12");
    }

    #[test]
    fn recovery_codes_are_24_characters() {
        for _ in 0..100 {
            let recovery = recovery_code();
            assert_eq!(recovery.len(), 24);
            assert!(recovery
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
        }
    }
}
