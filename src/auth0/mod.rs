//! The emulated Auth0 tenant: Phonebox plays Auth0's own part, so an app's phone MFA
//! runs offline. It generates codes, renders templates, applies Auth0's limits,
//! delivers through the selected provider, logs in Auth0's format, and verifies the
//! code the user types.
//!
//! Nothing here knows HTTP: the routers in `crate::http` parse requests into the
//! types below and write the errors in Auth0's shapes.

pub mod actions;
pub mod admin;
pub mod api;
pub mod bearer;
pub mod bounded;
pub mod delivery;
pub mod directory;
pub mod error;
pub mod flows;
pub mod json;
pub mod limits;
pub mod logs;
pub mod management;
pub mod templates;
pub mod tenant;
pub mod tokens;

use tokio::sync::OnceCell;

use crate::capture::pipeline::Pipeline;
use crate::secrets::Secrets;
use crate::store::{Store, StoreError};
use delivery::Delivery;
use tenant::{Tenant, DEFAULT_TENANT};
use tokens::Signer;

/// The emulation's shared state; cheap to clone.
#[derive(Clone)]
pub struct Auth0 {
    pipeline: Pipeline,
    delivery: Delivery,
    secrets: Secrets,
    signer: std::sync::Arc<OnceCell<Signer>>,
    /// Renders the tenant's templates off the async workers, within Liquid's caps.
    templates: crate::liquid::Sandbox,
}

/// Who is asking, as far as Auth0's logs and templates care.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: Tenant,
    /// The base URL the tenant was reached at: the tokens' issuer (with a `/`).
    pub base_url: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub accept_language: Option<String>,
    /// Whether a web page sent the request (it carried an `Origin`, or a
    /// `Sec-Fetch-Site` other than `none`): what it makes the tenant send is never
    /// auto-forwarded to a real phone.
    pub from_page: bool,
}

impl Caller {
    pub fn issuer(&self) -> String {
        format!("{}/", self.base_url.trim_end_matches('/'))
    }

    /// The MFA API's audience, `https://{domain}/mfa/` on Auth0.
    pub fn mfa_audience(&self) -> String {
        format!("{}mfa/", self.issuer())
    }

    /// The Management API's audience, `https://{domain}/api/v2/` on Auth0.
    pub fn management_audience(&self) -> String {
        format!("{}api/v2/", self.issuer())
    }

    /// Whether `audience` names this tenant's API at `path` (`mfa/`, `api/v2/`).
    /// Scripts written for Auth0 say `https://`, so either scheme is this tenant's,
    /// and the trailing slash is optional.
    pub fn is_own_api(&self, audience: &str, path: &str) -> bool {
        fn bare(url: &str) -> &str {
            let url = url.trim_end_matches('/');
            url.strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"))
                .unwrap_or(url)
        }
        bare(audience) == bare(&format!("{}{path}", self.issuer()))
    }

    fn log_context<'a>(&'a self) -> logs::Context<'a> {
        logs::Context {
            tenant: &self.tenant.id,
            ip: self.ip.as_deref(),
            user_agent: self.user_agent.as_deref(),
            hostname: Some(self.base_url.trim_start_matches("http://")),
            connection: Some(crate::store::users::DATABASE_CONNECTION),
            ..logs::Context::default()
        }
    }
}

impl Auth0 {
    /// Sets up the emulation, creating the default tenant on first start.
    pub async fn start(
        pipeline: Pipeline,
        secrets: Secrets,
        own_base: String,
        chaos: crate::capture::chaos::Chaos,
        outbound: crate::outbound::Outbound,
        runner: crate::actions::runner::Runner,
    ) -> Result<Auth0, StoreError> {
        let now = crate::unix_ms::from_time(pipeline.clock().now());
        let store = pipeline.store();
        // A database opened read-only is shown as it is.
        if !store.is_read_only() {
            // Repairs first: reading a tenant a bad row belongs to would fail.
            tenant::repair_all(store).await?;
            if tenant::get(store, DEFAULT_TENANT).await?.is_none() {
                tenant::create(store, DEFAULT_TENANT, "Phonebox", now).await?;
            }
            tokens::move_legacy_key(store, &secrets).await?;
            directory::hash_legacy_client_secrets(store).await?;
        }
        Ok(Auth0 {
            delivery: Delivery::new(
                own_base,
                pipeline.clone(),
                secrets.clone(),
                chaos,
                outbound,
                runner,
            ),
            pipeline,
            secrets,
            signer: std::sync::Arc::new(OnceCell::new()),
            templates: crate::liquid::Sandbox::default(),
        })
    }

    pub fn store(&self) -> &Store {
        self.pipeline.store()
    }

    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// `tenant`'s emulated now, in Unix ms: each tenant's clock is its own.
    pub fn now_ms(&self, tenant: &str) -> i64 {
        crate::unix_ms::from_time(self.pipeline.clock().now_in(tenant))
    }

    /// `tenant`'s emulated now.
    pub fn now(&self, tenant: &str) -> time::OffsetDateTime {
        self.pipeline.clock().now_in(tenant)
    }

    pub fn own_base(&self) -> &str {
        self.delivery.own_base()
    }

    /// The token signer, its key made on first use.
    pub async fn signer(&self) -> Result<&Signer, StoreError> {
        self.signer
            .get_or_try_init(|| Signer::load_or_create(&self.secrets))
            .await
    }

    /// Writes one Auth0 log event at the emulated now.
    async fn write_log(
        &self,
        kind: &str,
        ctx: &logs::Context<'_>,
        description: Option<&str>,
        details: serde_json::Value,
    ) -> Result<(), StoreError> {
        self.log_in(self.store(), kind, ctx, description, details)
            .await
    }

    /// `write_log` inside a flow's transaction (a write through the pool would
    /// wait for the very lock the flow holds).
    async fn log_in(
        &self,
        db: impl Into<crate::store::Db<'_>>,
        kind: &str,
        ctx: &logs::Context<'_>,
        description: Option<&str>,
        details: serde_json::Value,
    ) -> Result<(), StoreError> {
        logs::write(db, self.now(ctx.tenant), kind, ctx, description, details).await
    }

    /// Logs a Management API write: `sapi` (Auth0's "Successful management API
    /// write event") for a 2xx, `fapi` ("Failed API Operation") otherwise.
    pub async fn log_api_write(
        &self,
        caller: &Caller,
        client_id: Option<String>,
        method: &str,
        path: &str,
        status: u16,
    ) -> Result<(), StoreError> {
        let client = match &client_id {
            Some(id) => crate::store::clients::get(self.store(), &caller.tenant.id, id).await?,
            None => None,
        };
        let ctx = logs::Context {
            client_id: client_id.as_deref(),
            client_name: client.as_ref().map(|c| c.name.as_str()),
            // A Management API operation is about no connection.
            connection: None,
            ..caller.log_context()
        };
        let details = serde_json::json!({
            "request": { "method": method.to_ascii_lowercase(), "path": path },
            "response": { "statusCode": status },
        });
        let kind = if (200..300).contains(&status) {
            "sapi"
        } else {
            "fapi"
        };
        self.write_log(kind, &ctx, None, details).await
    }

    pub async fn tenant(&self, id: &str) -> Result<Option<Tenant>, StoreError> {
        tenant::get(self.store(), id).await
    }

    /// For a send that runs inside its request's future (a test run, `/try`): its
    /// `forget_if_deleted`, also when the future is dropped (its caller hung up).
    pub(crate) fn after_send(&self, tenant: &str) -> AfterSend {
        AfterSend {
            auth0: Some(self.clone()),
            tenant: tenant.to_owned(),
        }
    }

    /// After a send's last write: what it recorded for a tenant deleted while it
    /// ran goes too (see `tenants::purge_if_gone`), from the views as well. Only
    /// logged when it fails, as the send's own answer is already given.
    pub(crate) async fn forget_if_deleted(&self, tenant: &str) {
        match crate::store::tenants::purge_if_gone(self.store(), tenant).await {
            Ok(0) => {}
            // The views showed them as they came: they drop them as after the delete.
            Ok(_) => self
                .pipeline
                .publish(crate::capture::pipeline::Event::MessagesCleared {
                    to: None,
                    tenant: Some(tenant.to_owned()),
                }),
            Err(e) => tracing::warn!(tenant, error = %e, "could not check the tenant after a send"),
        }
    }
}

/// `Auth0::forget_if_deleted` for one tenant once a send ends: awaited by `done`,
/// or in a task of its own if the send's future is dropped first.
pub(crate) struct AfterSend {
    auth0: Option<Auth0>,
    tenant: String,
}

impl AfterSend {
    pub(crate) async fn done(mut self) {
        if let Some(auth0) = self.auth0.take() {
            auth0.forget_if_deleted(&self.tenant).await;
        }
    }
}

impl Drop for AfterSend {
    fn drop(&mut self) {
        let runtime = tokio::runtime::Handle::try_current();
        if let (Some(auth0), Ok(runtime)) = (self.auth0.take(), runtime) {
            let tenant = std::mem::take(&mut self.tenant);
            runtime.spawn(async move { auth0.forget_if_deleted(&tenant).await });
        }
    }
}
