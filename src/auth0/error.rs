//! The emulated tenant's errors, in Auth0's two shapes: the Authentication API's
//! `{"error", "error_description"}` and the Management API's
//! `{"statusCode", "error", "message", "errorCode"}`.

use crate::store::StoreError;

/// An Authentication API error (`/oauth/token`, `/mfa/*`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {description}")]
pub struct AuthError {
    pub status: u16,
    pub error: String,
    pub description: String,
    /// More members of the body (`mfa_token`, `mfa_requirements`).
    pub extra: Option<serde_json::Value>,
    /// What Phonebox itself failed at, for the log; never sent.
    pub cause: Option<String>,
}

impl AuthError {
    pub fn new(status: u16, error: &str, description: impl Into<String>) -> AuthError {
        AuthError {
            status,
            error: error.to_owned(),
            description: description.into(),
            extra: None,
            cause: None,
        }
    }

    pub fn with(mut self, extra: serde_json::Value) -> AuthError {
        self.extra = Some(extra);
        self
    }

    pub fn invalid_request(description: impl Into<String>) -> AuthError {
        AuthError::new(400, "invalid_request", description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> AuthError {
        AuthError::new(403, "invalid_grant", description)
    }

    pub fn unauthorized_client(description: impl Into<String>) -> AuthError {
        AuthError::new(401, "unauthorized_client", description)
    }

    pub fn server_error(e: impl std::fmt::Display) -> AuthError {
        AuthError {
            cause: Some(e.to_string()),
            ..AuthError::new(500, "server_error", "internal error; see the Phonebox log")
        }
    }
}

impl From<StoreError> for AuthError {
    fn from(e: StoreError) -> AuthError {
        if e.is_unwritable() {
            return AuthError {
                cause: Some(e.to_string()),
                ..AuthError::new(503, "temporarily_unavailable", e.to_string())
            };
        }
        AuthError::server_error(e)
    }
}

/// A Management API error (`/api/v2/...`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {message}")]
pub struct MgmtError {
    /// What Phonebox itself failed at, for the log; never sent.
    pub cause: Option<String>,
    pub status: u16,
    pub message: String,
    pub error_code: Option<String>,
}

impl MgmtError {
    pub fn new(status: u16, message: impl Into<String>, error_code: Option<&str>) -> MgmtError {
        MgmtError {
            cause: None,
            status,
            message: message.into(),
            error_code: error_code.map(str::to_owned),
        }
    }

    /// Phonebox's own failure; the cause is kept for the log.
    pub fn internal(cause: impl std::fmt::Display) -> MgmtError {
        MgmtError {
            cause: Some(cause.to_string()),
            ..MgmtError::new(500, "internal error; see the Phonebox log", None)
        }
    }

    pub fn bad_request(message: impl Into<String>) -> MgmtError {
        MgmtError::new(400, message, Some("invalid_body"))
    }

    pub fn not_found(message: impl Into<String>) -> MgmtError {
        MgmtError::new(404, message, Some("inexistent_resource"))
    }

    /// The HTTP reason phrase Auth0 puts in `error`.
    pub fn reason(&self) -> &'static str {
        match self.status {
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            408 => "Request Timeout",
            409 => "Conflict",
            429 => "Too Many Requests",
            503 => "Service Unavailable",
            _ => "Internal Server Error",
        }
    }
}

impl From<StoreError> for MgmtError {
    fn from(e: StoreError) -> MgmtError {
        if e.is_unwritable() {
            return MgmtError {
                cause: Some(e.to_string()),
                ..MgmtError::new(503, e.to_string(), Some("service_unavailable"))
            };
        }
        MgmtError::internal(e)
    }
}
