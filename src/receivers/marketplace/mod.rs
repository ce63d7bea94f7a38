//! The SMS providers of Auth0's marketplace Actions (ClickSend, Esendex, Infobip,
//! Mitto, Telesign) and MessageBird: each one's send request on its documented
//! path, so those Actions deliver into Phonebox with only their base URL changed.
//!
//! Each module parses its provider's body into messages; errors are one type that
//! the HTTP layer writes in the provider's own shape.

pub mod clicksend;
pub mod esendex;
pub mod infobip;
pub mod messagebird;
pub mod mitto;
pub mod telesign;

use crate::capture::chaos::InjectedError;
use crate::capture::pipeline::CaptureError;
use crate::capture::provider::Provider;
use crate::message::phone::PhoneNumber;
use crate::message::SendError;

/// An error of a marketplace provider's API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{provider:?} error {code}: {message}")]
pub struct ProviderError {
    pub provider: Provider,
    pub status: u16,
    /// The provider's own code: `BAD_REQUEST` (Infobip), `9` (MessageBird)...
    pub code: String,
    pub message: String,
    /// The request field at fault, for providers whose errors name one.
    pub field: Option<String>,
    /// Answer in XML (Esendex, when the request was XML).
    pub xml: bool,
    /// What Phonebox itself failed at, for the log; never sent.
    pub cause: Option<String>,
}

impl ProviderError {
    pub fn new(
        provider: Provider,
        status: u16,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> ProviderError {
        ProviderError {
            provider,
            status,
            code: code.into(),
            message: message.into(),
            field: None,
            xml: false,
            cause: None,
        }
    }

    pub fn on(mut self, field: &str) -> ProviderError {
        self.field = Some(field.to_owned());
        self
    }

    /// The provider's answer to a request without credentials.
    pub fn unauthorized(provider: Provider) -> ProviderError {
        let (code, message) = match provider {
            Provider::Clicksend => (
                "UNAUTHORIZED",
                "Unauthorized: send HTTP Basic auth (username:api_key)",
            ),
            Provider::Esendex => ("unauthorized", "Send HTTP Basic auth (username:password)"),
            Provider::Infobip => ("UNAUTHORIZED", "Invalid login details"),
            Provider::Mitto => ("401", "Missing X-Mitto-API-Key header"),
            Provider::Telesign => ("-30000", "Invalid Customer ID."),
            Provider::Messagebird => ("2", "Request not allowed (incorrect access_key)"),
            _ => ("401", "Unauthorized"),
        };
        let error = ProviderError::new(provider, 401, code, message);
        match provider {
            Provider::Messagebird => error.on("access_key"),
            _ => error,
        }
    }

    /// The provider's answer for an error code chaos injects.
    pub fn injected(provider: Provider, code: &str) -> ProviderError {
        let (status, message) = match (provider, code) {
            (_, "UNAUTHORIZED" | "unauthorized" | "2" | "-30000") => {
                return ProviderError::new(provider, 401, code, "Unauthorized")
            }
            (Provider::Clicksend, "INSUFFICIENT_CREDIT") => (402, "Insufficient credit."),
            (Provider::Clicksend, "TOO_MANY_REQUESTS") => (429, "Too many requests."),
            (Provider::Clicksend, "INTERNAL_ERROR") => (500, "Internal error."),
            (Provider::Esendex, "payment_required") => (402, "Insufficient message credits"),
            (Provider::Esendex, "too_many_requests") => (429, "Too many requests"),
            (Provider::Infobip, "TOO_MANY_REQUESTS") => (429, "Too many requests"),
            (Provider::Infobip, "GENERAL_ERROR") => (500, "Something went wrong"),
            (Provider::Mitto, "1") => (500, "Internal error"),
            (Provider::Mitto, "8") => (400, "Invalid receiver"),
            (Provider::Messagebird, "9") => (422, "no (correct) recipients found"),
            (Provider::Messagebird, "25") => (422, "Not enough balance"),
            (Provider::Messagebird, "99") => (500, "Internal error"),
            _ => (400, "Error injected by Phonebox chaos"),
        };
        ProviderError::new(provider, status, code, message)
    }
}

/// Each provider's errors for what chaos injects.
impl InjectedError for ProviderError {
    fn internal(provider: Option<Provider>, e: CaptureError) -> ProviderError {
        let provider = provider.unwrap_or(Provider::Clicksend);
        if e.is_unavailable() {
            return ProviderError {
                cause: e.failure(),
                ..ProviderError::new(provider, 503, "SERVICE_UNAVAILABLE", e.to_string())
            };
        }
        let code = match provider {
            Provider::Infobip => "GENERAL_ERROR",
            Provider::Mitto => "1",
            Provider::Telesign => "-90001",
            Provider::Messagebird => "99",
            Provider::Esendex => "internal_error",
            _ => "INTERNAL_ERROR",
        };
        ProviderError {
            cause: Some(e.to_string()),
            ..ProviderError::new(provider, 500, code, "Internal error")
        }
    }

    fn injected(provider: Provider, code: &str) -> ProviderError {
        ProviderError::injected(provider, code)
    }

    fn send_error(&self) -> SendError {
        SendError {
            code: self.code.clone(),
            message: self.message.clone(),
        }
    }
}

/// A recipient number, or the provider's "invalid recipient" error naming `field`.
pub(crate) fn recipient(
    field: &str,
    value: &str,
    invalid: impl FnOnce(String) -> ProviderError,
) -> Result<PhoneNumber, ProviderError> {
    PhoneNumber::parse(value).map_err(|e| invalid(format!("{field}: {e}")).on(field))
}

/// Decodes a JSON body into `T`, or the provider's bad-request error naming the field.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(
    raw: &crate::message::RawRequest,
    bad_request: impl FnOnce(String) -> ProviderError,
) -> Result<T, ProviderError> {
    super::decode_body(&raw.body).map_err(|e| {
        let field = e.field().map(str::to_owned);
        let mut error = bad_request(e.to_string());
        error.field = field;
        error
    })
}

/// A required credential, or the provider's 401.
pub(crate) fn account(
    provider: Provider,
    account: Option<String>,
) -> Result<String, ProviderError> {
    account.ok_or_else(|| ProviderError::unauthorized(provider))
}

/// An upper-case GUID, the form ClickSend and Esendex give their message ids.
pub(crate) fn guid() -> String {
    crate::random::uuid()
        .hyphenated()
        .to_string()
        .to_uppercase()
}
