//! An emulated tenant and its settings: the phone factor, the provider that sends,
//! templates, languages and limits. Settings are one JSON document per tenant;
//! provider credentials are never part of it (see `crate::secrets`).

mod settings;

pub use settings::*;

use crate::store::{tenants, Db, Store, StoreError};

pub use crate::message::DEFAULT_TENANT;

/// A tenant as the emulation uses it.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: String,
    pub friendly_name: String,
    pub settings: Settings,
}

/// Why a tenant could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("settings of tenant {0} are not readable: {1}")]
    Corrupt(String, serde_json::Error),
}

impl From<TenantError> for StoreError {
    fn from(e: TenantError) -> StoreError {
        match e {
            TenantError::Store(e) => e,
            TenantError::Corrupt(id, e) => StoreError::Corrupt(format!("tenant {id}: {e}")),
        }
    }
}

fn from_row(row: tenants::TenantRow) -> Result<Tenant, TenantError> {
    let settings =
        serde_json::from_str(&row.settings).map_err(|e| TenantError::Corrupt(row.id.clone(), e))?;
    Ok(Tenant {
        id: row.id,
        friendly_name: row.friendly_name,
        settings,
    })
}

pub async fn get(store: &Store, id: &str) -> Result<Option<Tenant>, StoreError> {
    match tenants::get(store, id).await? {
        Some(row) => Ok(Some(from_row(row)?)),
        None => Ok(None),
    }
}

pub async fn list(store: &Store) -> Result<Vec<Tenant>, StoreError> {
    let mut out = Vec::new();
    for row in tenants::list(store).await? {
        out.push(from_row(row)?);
    }
    Ok(out)
}

/// Creates a tenant with default settings; `None` if the id is taken.
pub async fn create(
    store: &Store,
    id: &str,
    friendly_name: &str,
    now: i64,
) -> Result<Option<Tenant>, StoreError> {
    let settings = Settings::default();
    let row = tenants::TenantRow {
        id: id.to_owned(),
        friendly_name: friendly_name.to_owned(),
        settings: serde_json::to_string(&settings)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        created_at: now,
    };
    if !tenants::insert(store, &row).await? {
        return Ok(None);
    }
    Ok(Some(Tenant {
        id: id.to_owned(),
        friendly_name: friendly_name.to_owned(),
        settings,
    }))
}

/// Checks every stored tenant's settings at start, so a row an older Phonebox
/// wrote (with a template or a number it did not check) is reported now, naming
/// its tenant and field, instead of failing a request later. Each unreadable
/// field is reset to its default and logged; the rest of the row is kept.
pub async fn repair_all(store: &Store) -> Result<Vec<(String, FieldError)>, StoreError> {
    let mut reported = Vec::new();
    for row in tenants::list(store).await? {
        let (value, mut problems) = match serde_json::from_str(&row.settings) {
            Ok(value) => (value, Vec::new()),
            Err(e) => (
                serde_json::Value::Object(serde_json::Map::new()),
                vec![FieldError {
                    path: Vec::new(),
                    message: format!("not JSON: {e}"),
                }],
            ),
        };
        let (settings, reset) = repair(value);
        problems.extend(reset);
        if problems.is_empty() {
            continue;
        }
        for e in &problems {
            tracing::error!(
                tenant = %row.id,
                field = %e.field(),
                problem = %e.message,
                "a stored tenant setting cannot be used; it is reset to its default"
            );
        }
        let tenant = Tenant {
            id: row.id.clone(),
            friendly_name: row.friendly_name,
            settings,
        };
        save(store, &tenant).await?;
        reported.extend(problems.into_iter().map(|e| (row.id.clone(), e)));
    }
    Ok(reported)
}

pub async fn save(db: impl Into<Db<'_>>, tenant: &Tenant) -> Result<(), StoreError> {
    let settings =
        serde_json::to_string(&tenant.settings).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    tenants::update(db, &tenant.id, &tenant.friendly_name, &settings).await
}

/// Changes a tenant in one write transaction: read it, apply `change`, write it.
/// Concurrent changes each start from the one committed before, so none is lost
/// (a copy read at request start and written back would drop the others'). `None`
/// when there is no such tenant; an `Err` from `change` writes nothing.
pub async fn update<T, E>(
    store: &Store,
    id: &str,
    change: impl FnOnce(&mut Tenant) -> Result<T, E>,
) -> Result<Option<(T, Tenant)>, E>
where
    E: From<StoreError>,
{
    let mut tx = store.begin().await?;
    let Some(row) = tenants::get(&mut tx, id).await? else {
        return Ok(None);
    };
    let mut tenant = from_row(row).map_err(StoreError::from)?;
    let out = change(&mut tenant)?;
    save(&mut tx, &tenant).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Some((out, tenant)))
}

/// Whether `id` can name a tenant (it appears in host names and paths).
pub fn valid_id(id: &str) -> bool {
    (1..=63).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
}
