//! `GET /api/v2/logs` and `GET /api/v2/logs/{id}`: the tenant's log, searched with
//! Auth0's `q` syntax, paged.

use serde::{Deserialize, Serialize};

use crate::auth0::error::MgmtError;
use crate::auth0::logs::{parse_q, LogEvent};
use crate::auth0::tenant::Tenant;
use crate::auth0::Auth0;
use crate::store::log_events::{self, LogFilter};
use crate::store::StoreError;

/// The query string of `GET /api/v2/logs`, as text: each value is checked below.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LogQuery {
    pub q: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    pub sort: Option<String>,
    pub include_totals: Option<String>,
}

/// A page with its totals (`include_totals=true`).
#[derive(Debug, Clone, Serialize)]
pub struct LogPage {
    pub start: u32,
    pub limit: u32,
    pub length: usize,
    pub total: i64,
    pub logs: Vec<LogEvent>,
}

/// The answer: the log objects, or a page with its totals.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Logs {
    List(Vec<LogEvent>),
    Page(LogPage),
}

fn query_error(message: impl std::fmt::Display) -> MgmtError {
    MgmtError::new(
        400,
        format!("Query validation error: {message}"),
        Some("invalid_query_string"),
    )
}

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

impl Auth0 {
    /// `GET /api/v2/logs`: `q`, `page`, `per_page`, `sort` (`date:1|-1`), `include_totals`.
    pub async fn logs(&self, tenant: &Tenant, query: &LogQuery) -> Result<Logs, MgmtError> {
        let mut filter = match &query.q {
            Some(q) => parse_q(q).map_err(query_error)?,
            None => LogFilter::default(),
        };
        filter.newest_first = query.sort.as_deref() != Some("date:1");
        let page = number("page", query.page.as_deref(), 0, 1000)?;
        let per_page = number("per_page", query.per_page.as_deref(), 50, 100)?;
        let (bodies, total) =
            log_events::list(self.store(), &tenant.id, &filter, page * per_page, per_page).await?;
        let logs: Vec<LogEvent> = bodies
            .iter()
            .filter_map(|b| serde_json::from_str(b).ok())
            .collect();
        if query.include_totals.as_deref() == Some("true") {
            return Ok(Logs::Page(LogPage {
                start: page * per_page,
                limit: per_page,
                length: logs.len(),
                total,
                logs,
            }));
        }
        Ok(Logs::List(logs))
    }

    pub async fn log(&self, tenant: &Tenant, id: &str) -> Result<LogEvent, MgmtError> {
        let body = log_events::get(self.store(), &tenant.id, id)
            .await?
            .ok_or_else(|| MgmtError::not_found("Log event not found"))?;
        serde_json::from_str(&body).map_err(|e| MgmtError::from(StoreError::Corrupt(e.to_string())))
    }
}
