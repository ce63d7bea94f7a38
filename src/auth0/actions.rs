//! The tenant's own Actions and Hooks as the user configures them (Settings and
//! `/emulator/v1/tenants/{id}/actions`): a file, its trigger and its secrets, at
//! most one per trigger. Secret values go to the secrets store and come back
//! masked; a run on demand ("Send test message") uses the same delivery as a
//! login does.

use serde::{Deserialize, Serialize};

use super::admin::{invalid, AdminError};
use super::delivery::action::{secret_key, secrets_prefix, RunView};
use super::delivery::{Outgoing, Route};
use super::templates::{self, Purpose, Variables};
use super::Auth0;
use crate::actions::config::{self, Invalid};
use crate::actions::{Trigger, DEFAULT_MAX_MEMORY_MB, DEFAULT_TIMEOUT};
use crate::message::phone::PhoneNumber;
use crate::message::Channel;
use crate::store::action_runs;
use crate::store::actions::{self as table, ActionRow};
use crate::store::clients::ClientRow;
use crate::store::users::UserRow;

/// An Action as shown: secret values masked, never in clear.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ActionView {
    pub id: String,
    pub tenant: String,
    pub name: String,
    pub trigger: Trigger,
    /// The file run, re-read on every run.
    pub path: String,
    pub secrets: Vec<MaskedSecret>,
    pub timeout_secs: f64,
    pub max_memory_mb: u32,
    /// Whether the tenant's phone provider runs it now (Guardian
    /// `phone-message-hook` with this event, or the Unified Phone custom provider).
    pub in_use: bool,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct MaskedSecret {
    pub name: String,
    /// `••••` and, for a long value, its last four characters.
    pub value: String,
}

/// `POST /emulator/v1/tenants/{id}/actions`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAction {
    /// The file's name unless given.
    #[serde(default)]
    pub name: Option<String>,
    pub trigger: Trigger,
    /// The Action file's absolute path.
    pub path: String,
    #[serde(default)]
    pub secrets: std::collections::BTreeMap<String, String>,
    /// Auth0's 20 s unless given.
    #[serde(default)]
    pub timeout_secs: Option<f64>,
    /// 128 MB unless given.
    #[serde(default)]
    pub max_memory_mb: Option<u32>,
}

/// `PATCH /emulator/v1/tenants/{id}/actions/{action}`: what is given changes.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    /// A value sets the secret, `null` removes it; secrets not named are kept.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub secrets: Option<std::collections::BTreeMap<String, Option<String>>>,
    #[serde(default)]
    pub timeout_secs: Option<f64>,
    #[serde(default)]
    pub max_memory_mb: Option<u32>,
}

/// `POST .../actions/{action}/test`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestRun {
    pub to: String,
    /// `text` (the default) or `voice`.
    #[serde(default)]
    pub delivery_method: Option<String>,
}

impl From<Invalid> for AdminError {
    fn from(e: Invalid) -> AdminError {
        AdminError::Invalid {
            field: e.field,
            message: e.message,
        }
    }
}

fn timeout_ms(secs: Option<f64>) -> Result<i64, AdminError> {
    let timeout = secs.map_or(Ok(DEFAULT_TIMEOUT), config::check_timeout)?;
    Ok(timeout.as_millis() as i64)
}

fn memory_mb(mb: Option<u32>) -> Result<i64, AdminError> {
    Ok(i64::from(config::check_memory(
        mb.unwrap_or(DEFAULT_MAX_MEMORY_MB),
    )?))
}

/// Action `id` of `tenant`, or the emulator API's 404.
async fn action_row(
    db: impl Into<crate::store::Db<'_>>,
    tenant: &str,
    id: &str,
) -> Result<ActionRow, AdminError> {
    table::get(db, tenant, id)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("tenant '{tenant}' has no Action '{id}'")))
}

fn check_name(name: &str) -> Result<String, AdminError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > config::MAX_NAME {
        return Err(invalid(
            "name",
            format!("a name is 1 to {} characters", config::MAX_NAME),
        ));
    }
    Ok(name.to_owned())
}

impl Auth0 {
    fn action_view(&self, row: ActionRow, route: &Route) -> ActionView {
        let trigger = super::delivery::action::trigger_of(&row);
        let in_use = matches!(
            (route, trigger),
            (Route::CustomPhoneProvider, Trigger::CustomPhoneProvider)
                | (
                    Route::PhoneMessageHook(super::tenant::CustomFormat::SendPhoneMessage),
                    Trigger::SendPhoneMessage
                )
                | (
                    Route::PhoneMessageHook(super::tenant::CustomFormat::Hook),
                    Trigger::Hook
                )
        );
        let secrets = row
            .secret_names()
            .into_iter()
            .map(|name| {
                let value = self
                    .secrets()
                    .get(&secret_key(&row.tenant, &row.id, &name))
                    .map(|v| crate::forward::settings::mask(&v))
                    .unwrap_or_default();
                MaskedSecret { name, value }
            })
            .collect();
        ActionView {
            id: row.id,
            tenant: row.tenant,
            name: row.name,
            trigger,
            path: row.path,
            secrets,
            timeout_secs: row.timeout_ms as f64 / 1000.0,
            max_memory_mb: u32::try_from(row.max_memory_mb).unwrap_or(DEFAULT_MAX_MEMORY_MB),
            in_use,
            created_at: crate::unix_ms::rfc3339_ms(row.created_at),
            updated_at: crate::unix_ms::rfc3339_ms(row.updated_at),
        }
    }

    /// The tenant's Actions.
    pub async fn actions(&self, tenant: &str) -> Result<Vec<ActionView>, AdminError> {
        let t = self.existing(tenant).await?;
        let route = Route::of(&t);
        Ok(table::list(self.store(), tenant)
            .await?
            .into_iter()
            .map(|row| self.action_view(row, &route))
            .collect())
    }

    pub async fn action(&self, tenant: &str, id: &str) -> Result<ActionView, AdminError> {
        let t = self.existing(tenant).await?;
        let row = action_row(self.store(), tenant, id).await?;
        Ok(self.action_view(row, &Route::of(&t)))
    }

    /// Configures an Action: the file must exist and be the user's; secrets go to
    /// the secrets store first, so a row never names a secret that is not kept.
    pub async fn create_action(
        &self,
        tenant: &str,
        new: NewAction,
    ) -> Result<ActionView, AdminError> {
        let t = self.existing(tenant).await?;
        let path = config::check_path(&new.path)?;
        let name = match new.name {
            Some(name) => check_name(&name)?,
            None => check_name(
                &path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            )?,
        };
        if new.secrets.len() > config::MAX_SECRETS {
            return Err(invalid(
                "secrets",
                format!("an Action has at most {} secrets", config::MAX_SECRETS),
            ));
        }
        for (k, v) in &new.secrets {
            config::check_secret(k, v)?;
        }
        let now = self.now_ms(tenant);
        let row = ActionRow {
            id: format!("act_{}", ulid::Ulid::new().to_string().to_lowercase()),
            tenant: tenant.to_owned(),
            name,
            trigger_id: new.trigger.as_str().to_owned(),
            path: path.to_string_lossy().into_owned(),
            secret_names: serde_json::to_string(&new.secrets.keys().collect::<Vec<_>>())
                .unwrap_or_else(|_| "[]".into()),
            timeout_ms: timeout_ms(new.timeout_secs)?,
            max_memory_mb: memory_mb(new.max_memory_mb)?,
            created_at: now,
            updated_at: now,
        };
        let set = new
            .secrets
            .iter()
            .map(|(k, v)| (secret_key(tenant, &row.id, k), v.clone()))
            .collect();
        self.change_secrets(set, Vec::new()).await?;
        if !table::insert(self.store(), &row).await? {
            let prefix = secrets_prefix(tenant, &row.id);
            let _ = self
                .on_secrets(move |secrets| secrets.remove_prefix(&prefix))
                .await;
            return Err(AdminError::Conflict(format!(
                "tenant '{tenant}' already has a {} Action: change or delete it first",
                new.trigger.as_str()
            )));
        }
        Ok(self.action_view(row, &Route::of(&t)))
    }

    pub async fn update_action(
        &self,
        tenant: &str,
        id: &str,
        patch: ActionPatch,
    ) -> Result<ActionView, AdminError> {
        let t = self.existing(tenant).await?;
        // One write transaction from the read to the update: PATCHes at once each
        // see the secrets the one before kept, and a DELETE is before or after.
        let mut tx = self.store().begin().await?;
        let mut row = action_row(&mut tx, tenant, id).await?;
        if let Some(name) = &patch.name {
            row.name = check_name(name)?;
        }
        if let Some(path) = &patch.path {
            row.path = config::check_path(path)?.to_string_lossy().into_owned();
        }
        if patch.timeout_secs.is_some() {
            row.timeout_ms = timeout_ms(patch.timeout_secs)?;
        }
        if patch.max_memory_mb.is_some() {
            row.max_memory_mb = memory_mb(patch.max_memory_mb)?;
        }
        if let Some(secrets) = &patch.secrets {
            let mut names: std::collections::BTreeSet<String> =
                row.secret_names().into_iter().collect();
            for (k, v) in secrets {
                match v {
                    Some(v) => {
                        config::check_secret(k, v)?;
                        names.insert(k.clone());
                    }
                    None => {
                        names.remove(k);
                    }
                }
            }
            if names.len() > config::MAX_SECRETS {
                return Err(invalid(
                    "secrets",
                    format!("an Action has at most {} secrets", config::MAX_SECRETS),
                ));
            }
            let (set, remove) =
                secrets
                    .iter()
                    .fold((Vec::new(), Vec::new()), |(mut set, mut remove), (k, v)| {
                        match v {
                            Some(v) => set.push((secret_key(tenant, id, k), v.clone())),
                            None => remove.push(secret_key(tenant, id, k)),
                        }
                        (set, remove)
                    });
            self.change_secrets(set, remove).await?;
            row.secret_names = serde_json::to_string(&names).unwrap_or_else(|_| "[]".into());
        }
        row.updated_at = self.now_ms(tenant);
        table::update(&mut tx, &row).await?;
        tx.commit().await.map_err(crate::store::StoreError::from)?;
        Ok(self.action_view(row, &Route::of(&t)))
    }

    /// Deletes an Action with its secrets and cache; its runs stay in the flows.
    pub async fn delete_action(&self, tenant: &str, id: &str) -> Result<(), AdminError> {
        if !table::delete(self.store(), tenant, id).await? {
            return Err(AdminError::NotFound(format!(
                "tenant '{tenant}' has no Action '{id}'"
            )));
        }
        let prefix = secrets_prefix(tenant, id);
        self.on_secrets(move |secrets| secrets.remove_prefix(&prefix))
            .await
    }

    /// Stores `set` and forgets `remove` in the secrets store, in one write.
    async fn change_secrets(
        &self,
        set: Vec<(String, String)>,
        remove: Vec<String>,
    ) -> Result<(), AdminError> {
        self.on_secrets(move |secrets| secrets.apply(&set, &remove))
            .await
    }

    /// `write` on the secrets store, on a blocking thread: it seals and syncs the
    /// whole file.
    async fn on_secrets(
        &self,
        write: impl FnOnce(&crate::secrets::Secrets) -> std::io::Result<()> + Send + 'static,
    ) -> Result<(), AdminError> {
        let secrets = self.secrets().clone();
        let kept = tokio::task::spawn_blocking(move || write(&secrets))
            .await
            .map_err(|e| e.to_string())
            .and_then(|written| written.map_err(|e| e.to_string()));
        kept.map_err(|e| {
            AdminError::Store(crate::store::StoreError::Corrupt(format!(
                "cannot keep the secrets: {e}"
            )))
        })
    }

    /// An Action's latest runs, newest first.
    pub async fn action_runs(
        &self,
        tenant: &str,
        id: &str,
        limit: u32,
    ) -> Result<Vec<RunView>, AdminError> {
        action_row(self.store(), tenant, id).await?;
        let bodies = action_runs::of_action(self.store(), tenant, id, limit).await?;
        Ok(bodies
            .iter()
            .filter_map(|b| serde_json::from_str(b).ok())
            .collect())
    }

    /// "Send test message": runs the Action once with the event a verification
    /// code would give it, for a test user, and answers the run.
    pub async fn test_action(
        &self,
        tenant: &str,
        id: &str,
        test: TestRun,
    ) -> Result<RunView, AdminError> {
        let t = self.existing(tenant).await?;
        let row = action_row(self.store(), tenant, id).await?;
        let to = PhoneNumber::parse(&test.to).map_err(|e| invalid("to", e.to_string()))?;
        let channel = match test.delivery_method.as_deref().unwrap_or("text") {
            "text" => Channel::Sms,
            "voice" => Channel::Voice,
            other => {
                return Err(invalid(
                    "delivery_method",
                    format!("text or voice, not '{other}'"),
                ))
            }
        };
        let locale = t.settings.languages.default.clone();
        let send = TestSend::new(
            tenant,
            self.now_ms(tenant),
            crate::random::digits(6),
            format!(
                "test_{}",
                ulid::Ulid::from_datetime(self.now(tenant).into())
            ),
        );
        // The tenant's own verification template for each channel, as a login gets.
        let vars = Variables {
            tenant: &t,
            code: &send.code,
            channel,
            locale: &locale,
            accept_language: None,
            style: templates::Style::Guardian,
            user: Some(&send.user),
            client: Some(&send.client),
            ip: None,
        };
        let (as_text, as_voice) = templates::render_texts(
            &self.templates,
            &t.settings,
            Purpose::Verification,
            || templates::guardian_template(&t.settings, &locale, Purpose::Verification),
            vars,
            self.now(tenant),
        )
        .await
        .map_err(|e| {
            invalid(
                "template",
                format!("the tenant's template does not render: {e}"),
            )
        })?;
        let outgoing = send.outgoing(&t, &to, channel, as_text, as_voice, &locale);
        let settle = self.after_send(tenant);
        let run = self.delivery.run_once(&outgoing, &row, 1, None).await;
        settle.done().await;
        Ok(run?)
    }
}

/// A test send's own parts: a test user and application, its code and its
/// transaction ("Send test message", the Management API's `/try`, `phonebox
/// action test`).
pub struct TestSend {
    pub user: UserRow,
    pub client: ClientRow,
    pub code: String,
    pub transaction: String,
}

impl TestSend {
    pub fn new(tenant: &str, now_ms: i64, code: String, transaction: String) -> TestSend {
        TestSend {
            user: UserRow {
                created_at: now_ms,
                updated_at: now_ms,
                user_id: "phonebox|test-message".into(),
                tenant: tenant.to_owned(),
                connection: crate::store::users::DATABASE_CONNECTION.into(),
                email: Some("test-message@phonebox.invalid".into()),
                name: Some("Send Test Message".into()),
                user_metadata: "{}".into(),
                app_metadata: "{}".into(),
                ..UserRow::default()
            },
            client: ClientRow {
                client_id: "phonebox-test-message".into(),
                tenant: tenant.to_owned(),
                name: "Send Test Message".into(),
                client_secret: String::new(),
                on_first_use: false,
                created_at: 0,
            },
            code,
            transaction,
        }
    }

    /// The verification message to `to` on `channel`, with both renderings.
    pub fn outgoing<'a>(
        &'a self,
        tenant: &'a super::tenant::Tenant,
        to: &'a PhoneNumber,
        channel: Channel,
        as_text: String,
        as_voice: String,
        locale: &'a str,
    ) -> Outgoing<'a> {
        Outgoing {
            tenant,
            user: &self.user,
            client: &self.client,
            channel,
            recipient: to,
            text: match channel {
                Channel::Sms => as_text.clone(),
                Channel::Voice => as_voice.clone(),
            },
            as_text,
            as_voice,
            code: &self.code,
            purpose: Purpose::Verification,
            locale,
            transaction_id: &self.transaction,
            ip: None,
            user_agent: None,
            from_page: false,
        }
    }
}
