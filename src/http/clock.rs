//! `/emulator/v1/clock`: read, advance or reset the emulated clock; with
//! `?tenant=`, that tenant's own (the global clock is the default tenant's and
//! moves every tenant).

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::body::JsonRequest;
use super::error::{ApiError, ErrorBody};
use super::state::AppState;
use crate::clock::ClockView;
use crate::receivers::decode_body;

/// The most one call moves the clock: a year covers every limit Phonebox models.
const MAX_ADVANCE: Duration = Duration::from_secs(366 * 24 * 3600);
/// The furthest ahead the clock may run in all, so no time computed from it
/// (an expiry, a token's `exp`) leaves the range dates can be written in.
const MAX_OFFSET: Duration = Duration::from_secs(36_525 * 24 * 3600);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/emulator/v1/clock", get(read).delete(reset))
        .route("/emulator/v1/clock/advance", post(advance))
}

/// `?tenant=`: whose clock.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct Whose {
    /// That tenant's own clock; none = the global clock (the default tenant's).
    tenant: Option<String>,
}

impl Whose {
    fn tenant(&self) -> &str {
        self.tenant
            .as_deref()
            .unwrap_or(crate::auth0::tenant::DEFAULT_TENANT)
    }

    /// Refuses a tenant that does not exist: its clock would be set for nothing.
    async fn check(&self, state: &AppState) -> Result<(), ApiError> {
        if self.tenant.is_some() {
            state.auth0.get_tenant(self.tenant()).await?;
        }
        Ok(())
    }
}

fn clock_json(state: &AppState, whose: &Whose) -> Response {
    Json(state.pipeline.clock().view_in(whose.tenant())).into_response()
}

/// The emulated time.
#[utoipa::path(get, operation_id = "getClock", path = "/emulator/v1/clock", tag = "clock", params(Whose),
    responses(
        (status = 200, description = "The clock", body = ClockView),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
    ))]
async fn read(
    State(state): State<AppState>,
    Query(whose): Query<Whose>,
) -> Result<Response, ApiError> {
    whose.check(&state).await?;
    Ok(clock_json(&state, &whose))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Advance {
    /// A duration such as `1h`, `10m`, `90s`.
    by: String,
}

/// `POST {"by": "1h"}`: moves the clock forward (a tenant's alone, or with no
/// `tenant` every tenant's).
#[utoipa::path(post, operation_id = "advanceClock", path = "/emulator/v1/clock/advance", tag = "clock", params(Whose),
    request_body = Advance,
    responses(
        (status = 200, description = "The clock as moved", body = ClockView),
        (status = 400, description = "A bad duration, or past 100 years ahead", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
    ))]
async fn advance(
    State(state): State<AppState>,
    Query(whose): Query<Whose>,
    JsonRequest(raw): JsonRequest,
) -> Result<Response, ApiError> {
    whose.check(&state).await?;
    let Advance { by } = decode_body(&raw.body)?;
    let bad = |message: String| ApiError::BadParameter {
        field: "by".into(),
        message,
    };
    let by: Duration = humantime::parse_duration(by.trim())
        .map_err(|e| bad(format!("'{by}' is not a duration such as 1h or 10m: {e}")))?;
    if by.is_zero() || by > MAX_ADVANCE {
        return Err(bad("must be more than zero and at most a year".into()));
    }
    let moved = state
        .pipeline
        .clock()
        .advance_in(state.pipeline.store(), whose.tenant(), by, MAX_OFFSET)
        .await?;
    if !moved {
        return Err(bad(
            "the clock may run at most 100 years ahead: reset it with DELETE /emulator/v1/clock"
                .into(),
        ));
    }
    tracing::info!(by = %humantime::format_duration(by), tenant = whose.tenant(), "clock advanced");
    // Messages may have just grown older than `--max-age`.
    state.retention.wake();
    Ok(clock_json(&state, &whose))
}

/// `DELETE`: back to real time (a tenant: back to the global clock).
#[utoipa::path(delete, operation_id = "resetClock", path = "/emulator/v1/clock", tag = "clock", params(Whose),
    responses(
        (status = 200, description = "The clock as reset", body = ClockView),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
    ))]
async fn reset(
    State(state): State<AppState>,
    Query(whose): Query<Whose>,
) -> Result<Response, ApiError> {
    whose.check(&state).await?;
    state
        .pipeline
        .clock()
        .reset_in(state.pipeline.store(), whose.tenant())
        .await?;
    Ok((StatusCode::OK, clock_json(&state, &whose)).into_response())
}
