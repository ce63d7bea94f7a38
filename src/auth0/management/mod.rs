//! The Management API a phone test calls: the Guardian phone factor (legacy) and
//! policies, the Unified Phone providers and templates (branding), a test
//! message, users and their authentication methods, and the tenant's logs. Requests and answers are typed; every change to a tenant's
//! settings is one read-change-write transaction (`tenant::update`), so
//! concurrent changes do not undo each other.
//!
//! Credentials are write-only: they go to the secrets file and no answer carries them.

pub mod authentication_methods;
pub mod branding_providers;
pub mod branding_templates;
pub mod fields;
pub mod guardian;
pub mod logs;
pub mod test_message;
pub mod users;

use super::error::MgmtError;
use super::tenant::{self, Tenant};
use super::Auth0;

/// A body the Management API refuses, in its words.
fn invalid(message: impl std::fmt::Display) -> MgmtError {
    MgmtError::bad_request(format!("Payload validation error: {message}"))
}

/// A query string the Management API refuses, in its words.
fn query_error(message: impl std::fmt::Display) -> MgmtError {
    MgmtError::new(
        400,
        format!("Query validation error: {message}"),
        Some("invalid_query_string"),
    )
}

/// A paging number from the query string: `default` when absent, at most `max`.
fn number(name: &str, value: Option<&str>, default: u32, max: u32) -> Result<u32, MgmtError> {
    match value {
        None => Ok(default),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| query_error(format!("'{name}' must be a number up to {max}"))),
    }
}

/// A `true`/`false` query parameter: `default` when absent, else a 400.
fn flag(name: &str, value: Option<&str>, default: bool) -> Result<bool, MgmtError> {
    match value {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(query_error(format!(
            "'{name}' must be true or false, not '{other}'"
        ))),
    }
}

fn secret_io(e: std::io::Error) -> MgmtError {
    MgmtError {
        cause: Some(format!("cannot write the secrets file: {e}")),
        ..MgmtError::new(
            500,
            "cannot store the credential; see the Phonebox log",
            None,
        )
    }
}

impl Auth0 {
    /// Applies `change` to the tenant's settings as stored when it commits; the
    /// change's own answer and the tenant after it.
    async fn change<T>(
        &self,
        tenant: &str,
        change: impl FnOnce(&mut Tenant) -> Result<T, MgmtError>,
    ) -> Result<(T, Tenant), MgmtError> {
        tenant::update(self.store(), tenant, change)
            .await?
            .ok_or_else(|| MgmtError::not_found(format!("No tenant '{tenant}' in this Phonebox")))
    }
}
