//! Sending a code, in two steps so that a cap holds under any concurrency and no
//! transaction waits on another server:
//! 1. `reserve`, inside the flow's write transaction: check the user's hourly cap
//!    and the built-in provider's lifetime cap against the sends already counted,
//!    count this one, and store its challenge;
//! 2. `deliver`, after the commit: render, deliver through the tenant's route, and
//!    record the outcome and its log event.

use serde_json::json;

use super::user_context;
use crate::auth0::delivery::{Outgoing, Route};
use crate::auth0::error::AuthError;
use crate::auth0::limits;
use crate::auth0::templates::{self, Purpose, Variables};
use crate::auth0::{Auth0, Caller};
use crate::message::phone::PhoneNumber;
use crate::message::{self, Channel, SendProvider};
use crate::store::clients::ClientRow;
use crate::store::limit_buckets::{self, BucketName};
use crate::store::mfa_challenges::{self, ChallengeRow, ChallengeStatus};
use crate::store::mfa_enrollments::EnrollmentRow;
use crate::store::mfa_tokens::MfaTokenRow;
use crate::store::phone_sends;
use crate::store::users::UserRow;
use crate::store::Tx;

const CODE_DIGITS: u32 = 6;

/// A send counted and its challenge stored, waiting for the commit to deliver.
pub(super) struct Reserved {
    pub challenge: ChallengeRow,
    send_id: i64,
    route: Route,
    /// The built-in provider has sent all it ever will: nothing is delivered.
    exhausted: Option<String>,
}

/// Which flow a code is sent for: it picks the default text and the log events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Mfa,
    Passwordless,
}

impl Flow {
    fn log_kind(self, channel: Channel, delivered: bool) -> &'static str {
        match (self, channel, delivered) {
            (Flow::Mfa, Channel::Sms, true) => "gd_send_sms",
            (Flow::Mfa, Channel::Voice, true) => "gd_send_voice",
            (Flow::Mfa, Channel::Sms, false) => "gd_send_sms_failure",
            (Flow::Mfa, Channel::Voice, false) => "gd_send_voice_failure",
            // Auth0's "Code Sent" and "Failed Sending Notification".
            (Flow::Passwordless, _, true) => "cs",
            (Flow::Passwordless, _, false) => "fn",
        }
    }
}

/// One counted code on its way to a phone.
pub(crate) struct CodeSend {
    pub code: String,
    pub channel: Channel,
    pub purpose: Purpose,
    pub transaction_id: String,
    pub send_id: i64,
    pub route: Route,
    /// The built-in provider has sent all it ever will: nothing is delivered.
    pub exhausted: Option<String>,
    pub flow: Flow,
}

/// The refusal a user's hourly cap gives, as Auth0 words it.
pub(super) struct CapRefusal {
    pub description: &'static str,
    /// When a token is back; none when the bucket never refills (a burst of 0).
    pub frees_at: Option<i64>,
}

/// Why the built-in provider sends no more, when `route` is it and it has sent
/// its lifetime's worth (read in the caller's transaction).
pub(crate) async fn builtin_exhausted(
    tx: &mut Tx,
    tenant: &crate::auth0::tenant::Tenant,
    route: &Route,
) -> Result<Option<String>, crate::store::StoreError> {
    if *route != Route::Builtin {
        return Ok(None);
    }
    let limits = &tenant.settings.limits;
    let sent = phone_sends::lifetime_count(&mut *tx, &tenant.id, SendProvider::Auth0).await?;
    Ok((!limits::builtin_allows(limits, sent)).then(|| {
        format!(
            "Auth0's built-in phone provider has sent its {} messages for this tenant; configure Twilio or a custom provider",
            limits.builtin_lifetime
        )
    }))
}

impl Auth0 {
    /// A test message (the Management API's `/try`): counted against the built-in
    /// provider's lifetime like any send, then delivered.
    pub(crate) async fn deliver_test(
        &self,
        out: &Outgoing<'_>,
    ) -> Result<crate::auth0::delivery::Outcome, crate::store::StoreError> {
        let route = Route::of(out.tenant);
        let settle = self.after_send(&out.tenant.id);
        let mut tx = self.store().begin().await?;
        let exhausted = builtin_exhausted(&mut tx, out.tenant, &route).await?;
        let send_id = phone_sends::insert(
            &mut tx,
            &out.tenant.id,
            &out.user.user_id,
            out.channel,
            route.provider(),
            self.now_ms(&out.tenant.id),
            route == Route::Builtin && exhausted.is_none(),
        )
        .await?;
        tx.commit().await?;
        if let Some(why) = exhausted {
            settle.done().await;
            self.delivery.refused(&route);
            return Ok(crate::auth0::delivery::Outcome::failed(
                route.provider(),
                why,
            ));
        }
        let outcome = self.delivery.deliver(out, &route).await;
        let recorded = phone_sends::set_delivered(self.store(), send_id, outcome.delivered).await;
        settle.done().await;
        recorded?;
        Ok(outcome)
    }

    /// Checks the caps and counts the send, in the caller's transaction; a refusal
    /// leaves nothing counted once the transaction rolls back.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn reserve(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        user: &UserRow,
        client: &ClientRow,
        token: &MfaTokenRow,
        enrollment: &EnrollmentRow,
        channel: Channel,
        purpose: Purpose,
    ) -> Result<Result<Reserved, CapRefusal>, AuthError> {
        let settings = &caller.tenant.settings;
        let now = self.now_ms(&caller.tenant.id);
        // SMS and voice draw from one bucket (Auth0: "SMS codes can be sent 10 times
        // and refill once per hour").
        let (tenant, user_id) = (&caller.tenant.id, &user.user_id);
        let tat = limit_buckets::get(&mut *tx, tenant, user_id, BucketName::Sends).await?;
        match settings.limits.sends().take(tat, now) {
            Ok(tat) => {
                limit_buckets::set(&mut *tx, tenant, user_id, BucketName::Sends, tat).await?
            }
            Err(empty) => {
                return Ok(Err(CapRefusal {
                    description:
                        "Too many SMS sent by the user. Wait for some minutes before retrying.",
                    frees_at: empty.frees_at,
                }))
            }
        }
        let route = Route::of(&caller.tenant);
        let exhausted = builtin_exhausted(tx, &caller.tenant, &route).await?;
        // A built-in send counts against the lifetime cap from now, so concurrent
        // sends see it; it is uncounted again if the delivery fails.
        let counted = route == Route::Builtin && exhausted.is_none();
        let send_id = phone_sends::insert(
            &mut *tx,
            &caller.tenant.id,
            &user.user_id,
            channel,
            route.provider(),
            now,
            counted,
        )
        .await?;
        let challenge = ChallengeRow {
            id: ulid::Ulid::from_datetime(self.now(&caller.tenant.id).into()).to_string(),
            oob_code: format!("Fe26.2**{}", crate::random::token(32)),
            tenant: caller.tenant.id.clone(),
            user_id: user.user_id.clone(),
            client_id: client.client_id.clone(),
            mfa_token: token.token.clone(),
            enrollment_id: enrollment.id.clone(),
            channel,
            purpose: match purpose {
                Purpose::Enrollment => message::Purpose::OtpEnroll,
                Purpose::Verification => message::Purpose::OtpVerify,
            },
            code: crate::random::digits(CODE_DIGITS),
            attempts: 0,
            status: ChallengeStatus::Pending,
            created_at: now,
            expires_at: crate::unix_ms::add_secs(now, settings.code_lifetime_secs.get()),
        };
        mfa_challenges::insert(&mut *tx, &challenge).await?;
        Ok(Ok(Reserved {
            challenge,
            send_id,
            route,
            exhausted,
        }))
    }

    /// Logs a refusal by the hourly cap (after its transaction rolled back) and
    /// answers it as Auth0 does.
    pub(super) async fn refuse_send(
        &self,
        caller: &Caller,
        user: &UserRow,
        client: &ClientRow,
        channel: Channel,
        refusal: CapRefusal,
    ) -> AuthError {
        self.delivery.refused(&Route::of(&caller.tenant));
        let ctx = user_context(caller, user, client);
        let frees = refusal.frees_at.map(crate::unix_ms::rfc3339_ms);
        let logged = self
            .write_log(
                "gd_otp_rate_limit_exceed",
                &ctx,
                Some(refusal.description),
                json!({ "channel": channel.as_str(), "frees_at": frees }),
            )
            .await;
        match logged {
            Ok(()) => AuthError::new(429, "invalid_request", refusal.description),
            Err(e) => e.into(),
        }
    }

    /// Renders and delivers a reserved send, then records how it went; the
    /// `oob_code`. Auth0 tells the app nothing of a failed delivery: the code is
    /// just never seen, and the failure is in the log.
    ///
    /// Runs as its own task: once a send is counted it is delivered and recorded
    /// even if the app hangs up (which drops the request's future) meanwhile.
    pub(super) async fn deliver(
        &self,
        caller: &Caller,
        user: &UserRow,
        client: &ClientRow,
        reserved: Reserved,
        recipient: &str,
        ui_locales: Option<&str>,
    ) -> Result<String, AuthError> {
        let Reserved {
            challenge,
            send_id,
            route,
            exhausted,
        } = reserved;
        let send = CodeSend {
            code: challenge.code,
            channel: challenge.channel,
            purpose: match challenge.purpose {
                message::Purpose::OtpEnroll => Purpose::Enrollment,
                _ => Purpose::Verification,
            },
            transaction_id: challenge.id,
            send_id,
            route,
            exhausted,
            flow: Flow::Mfa,
        };
        self.send_detached(caller, user, client, send, recipient, ui_locales)
            .await?;
        Ok(challenge.oob_code)
    }

    /// `send_code` in its own task: once a send is counted it is delivered and
    /// recorded even if the app hangs up (which drops the request's future).
    pub(crate) async fn send_detached(
        &self,
        caller: &Caller,
        user: &UserRow,
        client: &ClientRow,
        send: CodeSend,
        recipient: &str,
        ui_locales: Option<&str>,
    ) -> Result<(), AuthError> {
        let this = self.clone();
        let (caller, user, client) = (caller.clone(), user.clone(), client.clone());
        let (recipient, ui_locales) = (recipient.to_owned(), ui_locales.map(str::to_owned));
        tokio::spawn(async move {
            let sent = this
                .send_code(
                    &caller,
                    &user,
                    &client,
                    send,
                    &recipient,
                    ui_locales.as_deref(),
                )
                .await;
            this.forget_if_deleted(&caller.tenant.id).await;
            sent
        })
        .await
        .map_err(|e| AuthError::server_error(format!("the send did not finish: {e}")))?
    }

    /// Renders a counted send's text, delivers it through its route, and records
    /// how it went (the send's outcome and its log event). A failure is only
    /// logged: Auth0 tells the app nothing of it.
    pub(crate) async fn send_code(
        &self,
        caller: &Caller,
        user: &UserRow,
        client: &ClientRow,
        send: CodeSend,
        recipient: &str,
        ui_locales: Option<&str>,
    ) -> Result<(), AuthError> {
        let settings = &caller.tenant.settings;
        let ctx = user_context(caller, user, client);
        let CodeSend {
            code,
            channel,
            purpose,
            transaction_id,
            send_id,
            route,
            exhausted,
            flow,
        } = send;
        let (code, transaction_id) = (code.as_str(), transaction_id.as_str());
        let failure_kind = flow.log_kind(channel, false);
        let recipient = PhoneNumber::parse(recipient)
            .map_err(|e| AuthError::server_error(format!("stored phone number: {e}")))?;
        let masked = super::masked(recipient.as_str());
        if let Some(why) = exhausted {
            self.delivery.refused(&route);
            phone_sends::record_failure(
                self.store(),
                send_id,
                recipient.as_str(),
                failure_kind,
                &why,
            )
            .await?;
            let details = json!({ "transaction_id": transaction_id, "provider": route.provider(), "to": masked, "error": why });
            self.write_log(failure_kind, &ctx, Some(&why), details)
                .await?;
            return Ok(());
        }
        let locale = templates::pick_locale(
            &settings.languages,
            ui_locales,
            caller.accept_language.as_deref(),
        );
        let legacy = || match flow {
            Flow::Mfa => templates::guardian_template(settings, &locale, purpose),
            Flow::Passwordless => templates::PASSWORDLESS_SMS.to_owned(),
        };
        let vars = Variables {
            tenant: &caller.tenant,
            code,
            channel,
            locale: &locale,
            accept_language: caller.accept_language.as_deref(),
            style: templates::Style::Guardian,
            user: Some(user),
            client: Some(client),
            ip: caller.ip.as_deref(),
        };
        let (as_text, as_voice) = match templates::render_texts(
            &self.templates,
            settings,
            purpose,
            legacy,
            vars,
            self.now(&caller.tenant.id),
        )
        .await
        {
            Ok(texts) => texts,
            Err(why) => {
                // A template that cannot render is a send that failed, as in Auth0.
                let description =
                    format!("The tenant's message template could not be rendered: {why}");
                phone_sends::record_failure(
                    self.store(),
                    send_id,
                    recipient.as_str(),
                    failure_kind,
                    &description,
                )
                .await?;
                let details =
                    json!({ "transaction_id": transaction_id, "to": masked, "error": description });
                self.write_log(failure_kind, &ctx, Some(&description), details)
                    .await?;
                return Ok(());
            }
        };
        let parts = SendParts {
            recipient,
            text: match channel {
                Channel::Sms => as_text.clone(),
                Channel::Voice => as_voice.clone(),
            },
            as_text,
            as_voice,
            code: code.to_owned(),
            purpose,
            locale,
            transaction_id: transaction_id.to_owned(),
            channel,
        };
        let outgoing = parts.outgoing(caller, user, client);
        let outcome = self.delivery.deliver(&outgoing, &route).await;
        self.record_send(caller, user, client, &parts, send_id, flow, &outcome)
            .await?;
        if let Some(retry) = outcome.retry {
            // Auth0 retries "in the next minutes": on the emulated clock, after the
            // request has its answer.
            let this = self.clone();
            let (caller, user, client) = (caller.clone(), user.clone(), client.clone());
            tokio::spawn(async move {
                this.retry_sends(&caller, &user, &client, parts, send_id, flow, retry)
                    .await
            });
        }
        Ok(())
    }

    /// Records how a delivery went: the send's outcome and its log event.
    #[allow(clippy::too_many_arguments)]
    async fn record_send(
        &self,
        caller: &Caller,
        user: &UserRow,
        client: &ClientRow,
        parts: &SendParts,
        send_id: i64,
        flow: Flow,
        outcome: &crate::auth0::delivery::Outcome,
    ) -> Result<(), AuthError> {
        let ctx = user_context(caller, user, client);
        let recipient = parts.recipient.as_str();
        let failure_kind = flow.log_kind(parts.channel, false);
        match (&outcome.error, outcome.delivered) {
            (Some(why), false) => {
                phone_sends::record_failure(self.store(), send_id, recipient, failure_kind, why)
                    .await?
            }
            _ => phone_sends::set_delivered(self.store(), send_id, outcome.delivered).await?,
        }
        let details = json!({
            "transaction_id": parts.transaction_id,
            "provider": outcome.provider,
            "to": super::masked(recipient),
            "message_id": outcome.message_id,
            "action_run_id": outcome.action_run,
            "error": outcome.error,
        });
        self.write_log(
            flow.log_kind(parts.channel, outcome.delivered),
            &ctx,
            outcome.error.as_deref(),
            details,
        )
        .await?;
        Ok(())
    }

    /// Runs the Action again when each retry falls due, up to Auth0's five, until
    /// one delivers or gives up; each attempt is logged as the first was.
    #[allow(clippy::too_many_arguments)]
    async fn retry_sends(
        &self,
        caller: &Caller,
        user: &UserRow,
        client: &ClientRow,
        parts: SendParts,
        send_id: i64,
        flow: Flow,
        mut retry: crate::auth0::delivery::action::Retry,
    ) {
        loop {
            self.pipeline
                .clock()
                .sleep_until_in(&caller.tenant.id, retry.due_ms)
                .await;
            // The tenant as it is now: its provider may have changed meanwhile.
            let tenant = match self.tenant(&caller.tenant.id).await {
                Ok(Some(tenant)) => tenant,
                _ => return,
            };
            let caller = Caller {
                tenant,
                ..caller.clone()
            };
            let outgoing = parts.outgoing(&caller, user, client);
            let outcome = self
                .delivery
                .deliver_retry(&outgoing, &Route::of(&caller.tenant), &retry)
                .await;
            let recorded = self
                .record_send(&caller, user, client, &parts, send_id, flow, &outcome)
                .await;
            self.forget_if_deleted(&caller.tenant.id).await;
            if let Err(e) = recorded {
                tracing::warn!(error = %e, "could not record a retried send");
                return;
            }
            match outcome.retry {
                Some(next) => retry = next,
                None => return,
            }
        }
    }
}

/// What one send carries, owned, so a retry can send it again later.
pub(crate) struct SendParts {
    recipient: PhoneNumber,
    text: String,
    as_text: String,
    as_voice: String,
    code: String,
    purpose: Purpose,
    locale: String,
    transaction_id: String,
    channel: Channel,
}

impl SendParts {
    fn outgoing<'a>(
        &'a self,
        caller: &'a Caller,
        user: &'a UserRow,
        client: &'a ClientRow,
    ) -> Outgoing<'a> {
        Outgoing {
            tenant: &caller.tenant,
            user,
            client,
            channel: self.channel,
            recipient: &self.recipient,
            text: self.text.clone(),
            as_text: self.as_text.clone(),
            as_voice: self.as_voice.clone(),
            code: &self.code,
            purpose: self.purpose,
            locale: &self.locale,
            transaction_id: &self.transaction_id,
            ip: caller.ip.as_deref(),
            user_agent: caller.user_agent.as_deref(),
            from_page: caller.from_page,
        }
    }
}
