//! Phonebox's own handles on the emulated tenants (`/emulator/v1/tenants`,
//! `/emulator/v1/limits`): what Auth0's dashboard would do, for tests and demos.

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use super::directory;
use super::tenant::{self, Settings, Tenant};
use super::Auth0;
use crate::auth0::limits;
use crate::store::limit_buckets::{self, BucketName};
use crate::store::{clients, phone_sends, users, StoreError};

/// Why an admin request is refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("`{field}`: {message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub(super) fn invalid(field: &str, message: impl Into<String>) -> AdminError {
    AdminError::Invalid {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// A tenant as the emulator API shows it: settings, never credentials.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TenantView {
    pub id: String,
    pub friendly_name: String,
    /// The base URL an SDK is given for this tenant.
    pub domain: String,
    #[cfg_attr(test, ts(type = "Record<string, unknown>"))]
    #[schema(value_type = Object)]
    pub settings: Settings,
}

impl TenantView {
    pub fn of(tenant: Tenant, own_base: &str) -> TenantView {
        let domain = if tenant.id == tenant::DEFAULT_TENANT {
            own_base.to_owned()
        } else {
            format!("{own_base}/t/{}", tenant.id)
        };
        TenantView {
            id: tenant.id,
            friendly_name: tenant.friendly_name,
            domain,
            settings: tenant.settings,
        }
    }
}

/// An application as listed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClientView {
    pub client_id: String,
    pub name: String,
    /// Registered by permissive mode when an app first used it.
    pub registered_on_first_use: bool,
}

/// An application just created: its secret is in this answer only.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = CreatedClient)]
pub struct NewClient {
    pub client_id: String,
    pub client_secret: String,
    pub name: String,
    pub tenant: String,
}

/// A user as listed, or just created.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub user_id: String,
    #[schema(required = true)]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[schema(required = true)]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
}

/// Every counter of a tenant.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct LimitsView {
    pub tenant: String,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(test, ts(type = "string"))]
    pub now: OffsetDateTime,
    pub builtin_provider: limits::Gauge,
    pub users: Vec<UserLimits>,
}

/// One user's buckets.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct UserLimits {
    pub user_id: String,
    /// The email, or the phone number of a passwordless user.
    pub email: String,
    /// Messages (SMS and voice) the user can be sent now.
    pub sends: limits::Level,
    /// Wrong codes the user can enter now; at 0 every code check is refused.
    pub failed_codes: limits::Level,
}

/// RFC 7396 merge patch: objects merge, `null` removes, anything else replaces.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

impl Auth0 {
    pub async fn tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        tenant::list(self.store()).await
    }

    /// Drops a tenant with everything it owns: users, clients, messages, logs,
    /// counters, forwards. The default tenant stays (reset it instead).
    pub async fn delete_tenant(&self, id: &str) -> Result<(), AdminError> {
        if id == tenant::DEFAULT_TENANT {
            return Err(AdminError::Conflict(
                "the default tenant cannot be deleted; reset its counters with POST \
                 /emulator/v1/tenants/default/reset"
                    .into(),
            ));
        }
        if !crate::store::tenants::delete_with_everything(self.store(), id).await? {
            return Err(AdminError::NotFound(format!("no tenant '{id}'")));
        }
        // Its provider credentials go too: a tenant made again with this id starts
        // with none.
        let secrets = self.secrets().clone();
        let prefix = format!("{id}/");
        tokio::task::spawn_blocking(move || secrets.remove_prefix(&prefix))
            .await
            .map_err(|e| AdminError::Store(StoreError::Corrupt(format!("secrets store: {e}"))))?
            .map_err(|e| {
                AdminError::Store(StoreError::Corrupt(format!("secrets store: {}", e.kind())))
            })?;
        Ok(())
    }

    /// Clears a tenant's counters: its users' send and wrong-code buckets and the
    /// built-in provider's lifetime count.
    pub async fn reset_tenant(&self, id: &str) -> Result<(), AdminError> {
        self.existing(id).await?;
        crate::store::tenants::reset_counters(self.store(), id).await?;
        Ok(())
    }

    /// A tenant with a fresh id (`t-` and ten letters or digits), for a test run
    /// that wants one of its own in one call.
    pub async fn create_fresh_tenant(
        &self,
        friendly_name: Option<&str>,
    ) -> Result<Tenant, AdminError> {
        // 36^10 ids: a clash is all but impossible, so a few tries always end it.
        for _ in 0..8 {
            let id = format!(
                "t-{}",
                crate::random::from_alphabet(b"abcdefghijklmnopqrstuvwxyz0123456789", 10)
            );
            let name = friendly_name.unwrap_or(&id).to_owned();
            match self.create_tenant(&id, &name).await {
                Err(AdminError::Conflict(_)) => continue,
                other => return other,
            }
        }
        Err(AdminError::Conflict(
            "no free tenant id was found; try again".into(),
        ))
    }

    pub async fn create_tenant(&self, id: &str, friendly_name: &str) -> Result<Tenant, AdminError> {
        if !tenant::valid_id(id) {
            return Err(invalid(
                "id",
                "1 to 63 lower-case letters, digits or hyphens, not starting or ending with one",
            ));
        }
        if friendly_name.trim().is_empty() {
            return Err(invalid("friendly_name", "must not be empty"));
        }
        tenant::create(self.store(), id, friendly_name, self.now_ms(id))
            .await?
            .ok_or_else(|| AdminError::Conflict(format!("tenant '{id}' exists")))
    }

    /// The tenant `id`, or the emulator API's 404.
    pub(super) async fn existing(&self, id: &str) -> Result<Tenant, AdminError> {
        self.tenant(id)
            .await?
            .ok_or_else(|| AdminError::NotFound(format!("no tenant '{id}'")))
    }

    pub async fn get_tenant(&self, id: &str) -> Result<Tenant, AdminError> {
        self.existing(id).await
    }

    /// Applies `{"friendly_name"?, "settings"?}`, the settings as a merge patch
    /// of what is stored when the change commits.
    pub async fn patch_tenant(&self, id: &str, patch: &Value) -> Result<Tenant, AdminError> {
        let Value::Object(fields) = patch else {
            return Err(invalid("(body)", "must be a JSON object"));
        };
        let updated = tenant::update(self.store(), id, |tenant| -> Result<(), AdminError> {
            for (k, v) in fields {
                match k.as_str() {
                    "friendly_name" => {
                        tenant.friendly_name = v
                            .as_str()
                            .filter(|s| !s.trim().is_empty())
                            .ok_or_else(|| invalid("friendly_name", "must be a non-empty string"))?
                            .to_owned();
                    }
                    "settings" => {
                        let mut current = serde_json::to_value(&tenant.settings)
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                        merge(&mut current, v);
                        tenant.settings = Settings::from_json(current)
                            .map_err(|e| invalid(&e.field(), e.message))?;
                    }
                    other => return Err(invalid(other, "unknown field (friendly_name, settings)")),
                }
            }
            Ok(())
        })
        .await?;
        updated
            .map(|((), tenant)| tenant)
            .ok_or_else(|| AdminError::NotFound(format!("no tenant '{id}'")))
    }

    /// A new application; its secret is shown this once.
    pub async fn add_client(
        &self,
        tenant: &str,
        name: &str,
        client_id: Option<String>,
    ) -> Result<NewClient, AdminError> {
        self.existing(tenant).await?;
        if name.trim().is_empty() {
            return Err(invalid("name", "must not be empty"));
        }
        let (row, secret) = directory::create_client(
            self.store(),
            tenant,
            client_id,
            name,
            false,
            self.now_ms(tenant),
        )
        .await?
        .ok_or_else(|| {
            AdminError::Conflict(format!("tenant '{tenant}' already has that client_id"))
        })?;
        Ok(NewClient {
            client_id: row.client_id,
            client_secret: secret,
            name: row.name,
            tenant: tenant.to_owned(),
        })
    }

    pub async fn clients(&self, tenant: &str) -> Result<Vec<ClientView>, AdminError> {
        self.existing(tenant).await?;
        Ok(clients::list(self.store(), tenant)
            .await?
            .into_iter()
            .map(|c| ClientView {
                client_id: c.client_id,
                name: c.name,
                registered_on_first_use: c.on_first_use,
            })
            .collect())
    }

    pub async fn add_user(
        &self,
        tenant: &str,
        email: &str,
        password: &str,
        name: Option<&str>,
    ) -> Result<UserView, AdminError> {
        self.existing(tenant).await?;
        if email.trim().is_empty() {
            return Err(invalid("email", "must not be empty"));
        }
        if password.is_empty() {
            return Err(invalid("password", "must not be empty"));
        }
        let row = directory::create_user(
            self.store(),
            tenant,
            email,
            password,
            name,
            self.now_ms(tenant),
        )
        .await?
        .ok_or_else(|| AdminError::Conflict(format!("a user with email '{email}' exists")))?;
        Ok(UserView {
            user_id: row.user_id,
            email: row.email,
            phone_number: row.phone_number,
            name: row.name,
            tenant: Some(tenant.to_owned()),
        })
    }

    pub async fn users(
        &self,
        tenant: &str,
        email: Option<&str>,
    ) -> Result<Vec<UserView>, AdminError> {
        self.existing(tenant).await?;
        let rows = match email {
            Some(email) => users::all_by_email_any_case(self.store(), tenant, email).await?,
            None => users::list(self.store(), tenant).await?,
        };
        Ok(rows
            .into_iter()
            .map(|u| UserView {
                user_id: u.user_id,
                email: u.email,
                phone_number: u.phone_number,
                name: u.name,
                tenant: None,
            })
            .collect())
    }

    /// Every counter of a tenant: the built-in provider's lifetime, and per user
    /// (one, or each who was sent something this hour) the hourly and voice gauges
    /// and the run of wrong codes.
    pub async fn limits_view(
        &self,
        tenant: &str,
        user_id: Option<&str>,
    ) -> Result<LimitsView, AdminError> {
        let tenant = self.existing(tenant).await?;
        let now = self.now_ms(&tenant.id);
        let caps = &tenant.settings.limits;
        let builtin = phone_sends::lifetime_count(
            self.store(),
            &tenant.id,
            crate::message::SendProvider::Auth0,
        )
        .await?;
        let ids = match user_id {
            Some(id) => vec![id.to_owned()],
            None => limit_buckets::users_draining(self.store(), &tenant.id, now).await?,
        };
        let mut per_user = Vec::new();
        for id in ids {
            let user = users::get(self.store(), &tenant.id, &id)
                .await?
                .ok_or_else(|| {
                    AdminError::NotFound(format!("no user '{id}' in tenant '{}'", tenant.id))
                })?;
            let store = self.store();
            let sends = limit_buckets::get(store, &tenant.id, &id, BucketName::Sends).await?;
            let wrong = limit_buckets::get(store, &tenant.id, &id, BucketName::FailedCodes).await?;
            per_user.push(UserLimits {
                email: user.user_name().to_owned(),
                user_id: user.user_id,
                sends: caps.sends().level(sends, now),
                failed_codes: caps.failed_codes().level(wrong, now),
            });
        }
        Ok(LimitsView {
            now: self.now(&tenant.id),
            tenant: tenant.id,
            builtin_provider: limits::Gauge {
                used: u32::try_from(builtin).unwrap_or(u32::MAX),
                cap: caps.builtin_lifetime.get_u32(),
            },
            users: per_user,
        })
    }
}
