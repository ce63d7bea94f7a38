//! `GET /api/v2/logs`, `GET /api/v2/logs/{id}` and `GET /api/v2/users/{id}/logs`:
//! the tenant's log, searched with Auth0's `q` syntax ("Log Search Query
//! Syntax"), paged by offset (at most 1000 results) or by checkpoint (`from` and
//! `take`, with a `Link: <…>; rel="next"`), trimmed by `fields`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::fields::Projection;
use super::{flag, number, query_error};
use crate::auth0::error::MgmtError;
use crate::auth0::logs::LogEvent;
use crate::auth0::tenant::Tenant;
use crate::auth0::Auth0;
use crate::store::log_events::{self, Paging};
use crate::store::log_query::{self, Where};
use crate::store::StoreError;

/// The query string of `GET /api/v2/logs`, as text: each value is checked below.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LogQuery {
    pub q: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    pub sort: Option<String>,
    pub include_totals: Option<String>,
    pub fields: Option<String>,
    pub include_fields: Option<String>,
    pub from: Option<String>,
    pub take: Option<String>,
}

/// A page with its totals (`include_totals=true`).
#[derive(Debug, Clone, Serialize)]
pub struct LogPage {
    pub start: u32,
    pub limit: u32,
    pub length: usize,
    pub total: i64,
    pub logs: Vec<Value>,
}

/// The answer: the log objects, or a page with its totals; and, for checkpoint
/// paging, the query of the next page.
#[derive(Debug, Clone)]
pub struct Logs {
    pub body: LogsBody,
    /// `from=<last log_id>&take=N`, for the `Link` header.
    pub next: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum LogsBody {
    List(Vec<Value>),
    Page(LogPage),
}

/// Auth0 pages through at most this many results by offset.
const MAX_RESULTS: u32 = 1000;
/// The fields `fields` may name (Auth0's log schema).
const FIELDS: &[&str] = &[
    "date",
    "type",
    "description",
    "connection",
    "connection_id",
    "client_id",
    "client_name",
    "ip",
    "hostname",
    "user_id",
    "user_name",
    "strategy",
    "strategy_type",
    "log_id",
    "isMobile",
    "details",
    "user_agent",
];

/// The search `q` asks for; refused with Auth0's words, naming the part.
fn compile(q: Option<&str>) -> Result<Where, MgmtError> {
    log_query::compile(q.unwrap_or_default()).map_err(|e| {
        MgmtError::new(
            400,
            format!("The search query string has an error: {e}"),
            Some("invalid_query_string"),
        )
    })
}

impl Auth0 {
    /// `GET /api/v2/logs`.
    pub async fn logs(&self, tenant: &Tenant, query: &LogQuery) -> Result<Logs, MgmtError> {
        self.search_logs(tenant, query, None).await
    }

    /// `GET /api/v2/users/{id}/logs`: the same search, for one user.
    pub async fn user_logs(
        &self,
        tenant: &Tenant,
        user_id: &str,
        query: &LogQuery,
    ) -> Result<Logs, MgmtError> {
        self.user_row(tenant, user_id).await?;
        self.search_logs(tenant, query, Some(user_id)).await
    }

    async fn search_logs(
        &self,
        tenant: &Tenant,
        query: &LogQuery,
        user_id: Option<&str>,
    ) -> Result<Logs, MgmtError> {
        // With `from`, every other parameter but `take` is ignored (Auth0's
        // "Retrieve logs by checkpoint": "Any parameter other than from and take
        // will be ignored").
        let checkpoint = query.from.as_deref();
        if let Some(from) = checkpoint {
            // It is echoed in the Link header: only a log id may be.
            if ulid::Ulid::from_string(from).is_err() {
                return Err(query_error(format!(
                    "'from' must be a log_id, not '{from}'"
                )));
            }
        }
        let projection = match checkpoint {
            Some(_) => Projection::parse(None, None, FIELDS)?,
            None => Projection::parse(
                query.fields.as_deref(),
                query.include_fields.as_deref(),
                FIELDS,
            )?,
        };
        let mut filter = match checkpoint {
            Some(_) => compile(None)?,
            None => compile(query.q.as_deref())?,
        };
        if let Some(user_id) = user_id {
            filter = filter.and_user_id(user_id);
        }
        let (page, per_page) = match checkpoint {
            Some(_) => (0, 50),
            None => (
                number("page", query.page.as_deref(), 0, u32::MAX)?,
                number("per_page", query.per_page.as_deref(), 50, 100)?,
            ),
        };
        let take = number("take", query.take.as_deref(), 50, 100)?;
        let paging = match query.from.as_deref() {
            Some(from) => Paging::After { from, take },
            None => {
                let start = page.saturating_mul(per_page);
                if start.saturating_add(per_page) > MAX_RESULTS {
                    return Err(MgmtError::new(
                        400,
                        format!(
                            "Requesting page {page} exceeds the allowed maximum of 1000 records: please consider searching by checkpoint https://auth0.com/docs/logs/retrieve-log-events-using-mgmt-api#retrieve-logs-by-checkpoint"
                        ),
                        Some("invalid_paging"),
                    ));
                }
                let newest_first = match query.sort.as_deref() {
                    None | Some("date:-1") => true,
                    Some("date:1") => false,
                    Some(other) => {
                        return Err(query_error(format!(
                            "'sort' must be date:1 or date:-1, not '{other}'"
                        )))
                    }
                };
                Paging::Offset {
                    offset: start,
                    limit: per_page,
                    newest_first,
                }
            }
        };
        let (bodies, total) = log_events::list(self.store(), &tenant.id, &filter, paging).await?;
        let events: Vec<LogEvent> = bodies
            .iter()
            .filter_map(|b| serde_json::from_str(b).ok())
            .collect();
        let next = match paging {
            Paging::After { from, take } => {
                let last = events.last().map_or(from, |e| e.log_id.as_str());
                Some(format!("from={last}&take={take}"))
            }
            Paging::Offset { .. } => None,
        };
        let logs: Vec<Value> = events.into_iter().map(|e| projection.apply(e)).collect();
        let totals = flag("include_totals", query.include_totals.as_deref(), false)?;
        let body = if totals && query.from.is_none() {
            LogsBody::Page(LogPage {
                start: page * per_page,
                limit: per_page,
                length: logs.len(),
                total,
                logs,
            })
        } else {
            LogsBody::List(logs)
        };
        Ok(Logs { body, next })
    }

    pub async fn log(&self, tenant: &Tenant, id: &str) -> Result<LogEvent, MgmtError> {
        let body = log_events::get(self.store(), &tenant.id, id)
            .await?
            .ok_or_else(|| MgmtError::not_found("Log event not found"))?;
        serde_json::from_str(&body).map_err(|e| MgmtError::from(StoreError::Corrupt(e.to_string())))
    }
}
