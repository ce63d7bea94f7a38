//! The Authentication API's request and response bodies, typed: what an app sends
//! to `/oauth/token` and `/mfa/*`, and what Auth0 answers (`payloads.md` §4).

use serde::{Deserialize, Serialize};

/// `POST /oauth/token` with `grant_type=password` (or `password-realm`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PasswordGrant {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub audience: Option<String>,
    pub scope: Option<String>,
}

/// `POST /oauth/token` with `grant_type=http://auth0.com/oauth/grant-type/mfa-oob`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OobGrant {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub mfa_token: Option<String>,
    pub oob_code: Option<String>,
    pub binding_code: Option<String>,
}

/// `POST /oauth/token` with `grant_type=http://auth0.com/oauth/grant-type/mfa-recovery-code`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RecoveryGrant {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub mfa_token: Option<String>,
    pub recovery_code: Option<String>,
}

/// `POST /oauth/token` with `grant_type=client_credentials`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClientCredentialsGrant {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub audience: Option<String>,
    pub scope: Option<String>,
}

/// `POST /passwordless/start`. Auth0 refuses members it does not know, so the
/// body is kept whole for that check.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PasswordlessStart {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub connection: Option<String>,
    pub phone_number: Option<String>,
    pub email: Option<String>,
    pub send: Option<String>,
    #[serde(rename = "authParams")]
    pub auth_params: Option<serde_json::Value>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// `/passwordless/start`'s answer for an SMS code.
#[derive(Debug, Clone, Serialize)]
pub struct PasswordlessStarted {
    #[serde(rename = "_id")]
    pub id: String,
    pub phone_number: String,
    pub phone_verified: bool,
    pub request_language: Option<String>,
}

/// `POST /oauth/token` with `grant_type=http://auth0.com/oauth/grant-type/passwordless/otp`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OtpGrant {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub username: Option<String>,
    pub otp: Option<String>,
    pub realm: Option<String>,
    pub audience: Option<String>,
    pub scope: Option<String>,
}

/// `POST /mfa/associate`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Associate {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    #[serde(default)]
    pub authenticator_types: Vec<String>,
    #[serde(default)]
    pub oob_channels: Vec<String>,
    pub phone_number: Option<String>,
    /// New Universal Login's language choice.
    pub ui_locales: Option<String>,
}

/// `POST /mfa/challenge`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Challenge {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub mfa_token: Option<String>,
    pub challenge_type: Option<String>,
    pub authenticator_id: Option<String>,
    pub ui_locales: Option<String>,
}

/// A grant's tokens.
#[derive(Debug, Clone, Serialize)]
pub struct Tokens {
    pub access_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub scope: String,
    pub expires_in: i64,
    pub token_type: &'static str,
    /// The recovery-code grant's new code, which replaces the one just used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
}

/// `/mfa/associate`'s answer.
#[derive(Debug, Clone, Serialize)]
pub struct Associated {
    pub authenticator_type: &'static str,
    pub binding_method: &'static str,
    pub oob_channel: &'static str,
    pub oob_code: String,
    /// Only on the user's first association.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_codes: Option<Vec<String>>,
}

/// `/mfa/challenge`'s answer.
#[derive(Debug, Clone, Serialize)]
pub struct Challenged {
    pub challenge_type: &'static str,
    pub oob_code: String,
    pub binding_method: &'static str,
}

/// One entry of `GET /mfa/authenticators`.
#[derive(Debug, Clone, Serialize)]
pub struct Authenticator {
    pub id: String,
    pub authenticator_type: &'static str,
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oob_channel: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What the user must do next, in `mfa_required`.
#[derive(Debug, Clone, Serialize)]
pub struct MfaRequirements {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enroll: Option<Vec<FactorType>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge: Option<Vec<FactorType>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FactorType {
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// The members `mfa_required` adds to Auth0's error body.
#[derive(Debug, Clone, Serialize)]
pub struct MfaRequired {
    pub mfa_token: String,
    pub mfa_requirements: MfaRequirements,
}
