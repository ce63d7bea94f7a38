//! The tenant's applications (clients) and users.
//!
//! In permissive mode (the default) an unknown `client_id` is registered on first
//! use and an unknown user is created by their first password login, with whatever
//! password they typed: pointing an app at Phonebox needs no setup.

use sha2::{Digest, Sha256};

use super::error::AuthError;
use super::tenant::Tenant;
use crate::store::clients::{self, ClientRow};
use crate::store::users::{self, UserRow};
use crate::store::{Db, Store, StoreError, Tx};

fn hash(salt: &str, secret: &str) -> String {
    let digest = Sha256::digest(format!("{salt}{secret}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `salt$sha256(salt || secret)`: enough for an emulator's test passwords, which
/// must still never sit in the database as typed.
pub fn hash_secret(secret: &str) -> String {
    let salt = crate::random::hex(8);
    format!("{salt}${}", hash(&salt, secret))
}

pub fn secret_matches(stored: &str, secret: &str) -> bool {
    stored
        .split_once('$')
        .is_some_and(|(salt, digest)| hash(salt, secret) == digest)
}

/// A new client in `tenant`, and its secret (stored only as a hash, so this is
/// the one time anyone sees it).
pub async fn create_client(
    db: impl Into<Db<'_>>,
    tenant: &str,
    client_id: Option<String>,
    name: &str,
    on_first_use: bool,
    now: i64,
) -> Result<Option<(ClientRow, String)>, StoreError> {
    let secret = crate::random::token(48);
    let row = ClientRow {
        client_id: client_id.unwrap_or_else(|| crate::random::token(24)),
        tenant: tenant.to_owned(),
        name: name.to_owned(),
        client_secret: hash_secret(&secret),
        on_first_use,
        created_at: now,
    };
    Ok(clients::insert(db, &row).await?.then_some((row, secret)))
}

/// Hashes the client secrets an older Phonebox stored as typed.
pub async fn hash_legacy_client_secrets(store: &Store) -> Result<(), StoreError> {
    let hashed = clients::hash_clear_secrets(store, hash_secret).await?;
    if hashed > 0 {
        tracing::warn!(
            clients = hashed,
            "hashed client secrets that were stored in clear"
        );
    }
    Ok(())
}

/// The client a request names, checking its secret when one is sent. In permissive
/// mode an unknown client is registered under that id (in the caller's
/// transaction, so concurrent first uses register it once).
pub async fn client(
    tx: &mut Tx,
    tenant: &Tenant,
    client_id: Option<&str>,
    client_secret: Option<&str>,
    now: i64,
) -> Result<ClientRow, AuthError> {
    let client_id = client_id
        .filter(|c| !c.is_empty())
        .ok_or_else(|| AuthError::invalid_request("Missing required parameter: client_id"))?;
    let found = match clients::get(&mut *tx, &tenant.id, client_id).await? {
        Some(found) => found,
        None if tenant.settings.permissive => {
            create_client(
                &mut *tx,
                &tenant.id,
                Some(client_id.to_owned()),
                client_id,
                true,
                now,
            )
            .await?;
            clients::get(&mut *tx, &tenant.id, client_id)
                .await?
                .ok_or_else(|| AuthError::server_error("client vanished after creation"))?
        }
        None => {
            return Err(AuthError::unauthorized_client(format!(
                "Unknown client: {client_id}"
            )))
        }
    };
    // A client registered on first use has a secret nobody was told: only a client
    // created deliberately has its secret checked.
    if let Some(secret) = client_secret {
        if !found.on_first_use && !secret_matches(&found.client_secret, secret) {
            return Err(AuthError::unauthorized_client("Unauthorized"));
        }
    }
    Ok(found)
}

/// A new user; `None` if the email is taken in the tenant.
pub async fn create_user(
    db: impl Into<Db<'_>>,
    tenant: &str,
    email: &str,
    password: &str,
    name: Option<&str>,
    now: i64,
) -> Result<Option<UserRow>, StoreError> {
    let row = UserRow {
        user_id: format!("auth0|{}", crate::random::hex(12)),
        tenant: tenant.to_owned(),
        connection: users::DATABASE_CONNECTION.to_owned(),
        // Auth0 keeps database emails in lower case; ASCII only, as SQLite's
        // NOCASE compares them.
        email: Some(email.to_ascii_lowercase()),
        password_hash: Some(hash_secret(password)),
        name: name.map(str::to_owned),
        user_metadata: "{}".into(),
        app_metadata: "{}".into(),
        created_at: now,
        updated_at: now,
        ..UserRow::default()
    };
    Ok(users::insert(db, &row).await?.then_some(row))
}

/// The user a password login names. In permissive mode an unknown user is created
/// and any password is accepted; otherwise it must match.
pub async fn login(
    tx: &mut Tx,
    tenant: &Tenant,
    username: &str,
    password: &str,
    now: i64,
) -> Result<UserRow, AuthError> {
    let wrong = || AuthError::invalid_grant("Wrong email or password.");
    if username.trim().is_empty() || password.is_empty() {
        return Err(AuthError::invalid_request(
            "Missing required parameter: username and password",
        ));
    }
    if let Some(user) = users::by_email(&mut *tx, &tenant.id, username).await? {
        if user.blocked {
            return Err(AuthError::new(401, "unauthorized", "user is blocked"));
        }
        let matches = user
            .password_hash
            .as_deref()
            .is_some_and(|hash| secret_matches(hash, password));
        if tenant.settings.permissive || matches {
            return Ok(user);
        }
        return Err(wrong());
    }
    if !tenant.settings.permissive {
        return Err(wrong());
    }
    create_user(&mut *tx, &tenant.id, username, password, None, now).await?;
    users::by_email(&mut *tx, &tenant.id, username)
        .await?
        .ok_or_else(|| AuthError::server_error("user vanished after creation"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_secrets_match_only_themselves() {
        let stored = hash_secret("hunter2");
        assert!(!stored.contains("hunter2"));
        assert!(secret_matches(&stored, "hunter2"));
        assert!(!secret_matches(&stored, "hunter3"));
        assert_ne!(hash_secret("hunter2"), stored, "salted");
    }
}
