//! The tenant's signed tokens: RS256 access and ID tokens, and the JWKS that
//! verifies them (`/.well-known/jwks.json`). One key per Phonebox database, made on
//! first use and kept in the secrets file (never in SQLite), so tokens stay
//! verifiable across restarts and no other local user can mint them.

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::secrets::Secrets;
use crate::store::{settings, Store, StoreError};

/// Where versions before 0.1 kept the key: the database's `settings` table.
const LEGACY_KEY_SETTING: &str = "jwt.private_key_pem";
/// The key's name in the secrets file.
const KEY_SECRET: &str = "jwt/private_key_pem";
const KEY_BITS: usize = 2048;

fn secrets_io(e: std::io::Error) -> StoreError {
    StoreError::Corrupt(format!(
        "cannot keep the signing key in the secrets file: {e}"
    ))
}

/// Moves a signing key an older Phonebox kept in the database into the secrets
/// file, then deletes it from the database with its bytes overwritten, so tokens
/// issued before keep verifying and the key no longer rests in SQLite.
pub async fn move_legacy_key(store: &Store, secrets: &Secrets) -> Result<(), StoreError> {
    let Some(pem) = settings::get(store, LEGACY_KEY_SETTING).await? else {
        return Ok(());
    };
    if secrets.get(KEY_SECRET).is_none() {
        secrets.set(KEY_SECRET, &pem).map_err(secrets_io)?;
    }
    settings::delete_overwriting(store, LEGACY_KEY_SETTING).await?;
    tracing::warn!("moved the token signing key from the database to the secrets file");
    Ok(())
}

pub struct Signer {
    key: EncodingKey,
    public: DecodingKey,
    kid: String,
    jwk: Jwk,
}

/// The public half of the signing key, as `/.well-known/jwks.json` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Jwk {
    pub kty: &'static str,
    #[serde(rename = "use")]
    pub usage: &'static str,
    pub alg: &'static str,
    pub kid: String,
    pub n: String,
    pub e: String,
}

/// `/.well-known/jwks.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Jwks<'a> {
    pub keys: [&'a Jwk; 1],
}

/// Where a token may be used: one audience or several, as JWT allows.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub fn contains(&self, wanted: impl Fn(&str) -> bool) -> bool {
        match self {
            Audience::One(a) => wanted(a),
            Audience::Many(list) => list.iter().any(|a| wanted(a)),
        }
    }
}

/// The claims Phonebox reads back from an access token it issued.
#[derive(Debug, Clone, Deserialize)]
pub struct Verified {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    #[serde(default)]
    pub azp: Option<String>,
    pub exp: i64,
    #[serde(default)]
    pub scope: Option<String>,
    /// `client-credentials` on Management API tokens.
    #[serde(default)]
    pub gty: Option<String>,
    /// How the user signed in: `mfa` once a second factor was passed.
    #[serde(default)]
    pub amr: Vec<String>,
}

impl Verified {
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.as_deref().unwrap_or_default().split_whitespace()
    }

    pub fn has_scope(&self, wanted: &str) -> bool {
        self.scopes().any(|s| s == wanted)
    }
}

/// The claims of an access token.
#[derive(Debug, Clone, Serialize)]
pub struct AccessClaims<'a> {
    pub iss: &'a str,
    pub sub: &'a str,
    pub aud: Audience,
    pub azp: &'a str,
    pub iat: i64,
    pub exp: i64,
    pub scope: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub amr: &'a [&'a str],
    /// The grant, as Auth0 writes it on client-credentials tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gty: Option<&'a str>,
}

/// The claims of an ID token.
#[derive(Debug, Clone, Serialize)]
pub struct IdClaims<'a> {
    pub iss: &'a str,
    pub sub: &'a str,
    pub aud: &'a str,
    pub iat: i64,
    pub exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<&'a str>,
    pub name: &'a str,
    pub amr: &'a [&'a str],
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl Signer {
    /// The kept key, or a new one (made off the async threads: it takes a while).
    pub async fn load_or_create(secrets: &Secrets) -> Result<Signer, StoreError> {
        let pem = match secrets.get(KEY_SECRET) {
            Some(pem) => pem,
            None => {
                let pem = tokio::task::spawn_blocking(|| {
                    let key =
                        RsaPrivateKey::new(&mut rand::rngs::OsRng, KEY_BITS).map_err(|e| {
                            StoreError::Corrupt(format!("cannot make a signing key: {e}"))
                        })?;
                    key.to_pkcs8_pem(LineEnding::LF)
                        .map(|pem| pem.to_string())
                        .map_err(|e| {
                            StoreError::Corrupt(format!("cannot encode the signing key: {e}"))
                        })
                })
                .await
                .map_err(|e| StoreError::Corrupt(format!("key generation stopped: {e}")))??;
                secrets.set(KEY_SECRET, &pem).map_err(secrets_io)?;
                pem
            }
        };
        Signer::from_pem(&pem)
    }

    fn from_pem(pem: &str) -> Result<Signer, StoreError> {
        let corrupt = |e: String| StoreError::Corrupt(format!("signing key: {e}"));
        let private = RsaPrivateKey::from_pkcs8_pem(pem).map_err(|e| corrupt(e.to_string()))?;
        let key = EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| corrupt(e.to_string()))?;
        let n = b64(&private.n().to_bytes_be());
        let e = b64(&private.e().to_bytes_be());
        let public =
            DecodingKey::from_rsa_components(&n, &e).map_err(|e| corrupt(e.to_string()))?;
        // RFC 7638 thumbprint: the key's id changes only with the key.
        let thumbprint =
            Sha256::digest(format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#).as_bytes());
        let kid = b64(&thumbprint);
        let jwk = Jwk {
            kty: "RSA",
            usage: "sig",
            alg: "RS256",
            kid: kid.clone(),
            n,
            e,
        };
        Ok(Signer {
            key,
            public,
            kid,
            jwk,
        })
    }

    /// Signs `claims` with RS256 under this key's id.
    pub fn sign(&self, claims: &impl Serialize) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key)
    }

    /// Reads back a token this key signed (RS256 only). Its time is checked by the
    /// caller against the emulated clock, which may run ahead of the system's.
    pub fn verify(&self, token: &str) -> Result<Verified, jsonwebtoken::errors::Error> {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<Verified>(token, &self.public, &validation).map(|data| data.claims)
    }

    pub fn jwks(&self) -> Jwks<'_> {
        Jwks { keys: [&self.jwk] }
    }
}
