//! What the tests of every part share: keyrings that live in memory or are not
//! there, and a secrets file in a directory of its own.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::file::{parse, OnDisk};
use super::keyring::{KeySource, KeyringError};
use super::seal::SealingKey;
use super::{Secrets, SecretsStore};

/// A keyring in memory, shared by every open that is handed the same `Arc`.
#[derive(Default)]
pub(super) struct MemoryKeyring {
    keys: Mutex<HashMap<String, [u8; 32]>>,
}

impl MemoryKeyring {
    pub(super) fn insert(&self, user: &str, key: [u8; 32]) {
        self.keys.lock().expect("lock").insert(user.to_owned(), key);
    }
    pub(super) fn len(&self) -> usize {
        self.keys.lock().expect("lock").len()
    }
}

impl KeySource for MemoryKeyring {
    fn load(&self, user: &str) -> Result<Option<SealingKey>, KeyringError> {
        Ok(self
            .keys
            .lock()
            .expect("lock")
            .get(user)
            .map(|k| SealingKey(*k)))
    }
    fn store(&self, user: &str, key: &SealingKey) -> Result<(), KeyringError> {
        self.insert(user, key.0);
        Ok(())
    }
}

/// A keyring that is not there (a headless box).
pub(super) struct NoKeyring;

impl KeySource for NoKeyring {
    fn load(&self, _: &str) -> Result<Option<SealingKey>, KeyringError> {
        Err(KeyringError::Unavailable(
            "no Secret Service on D-Bus".to_owned(),
        ))
    }
    fn store(&self, _: &str, _: &SealingKey) -> Result<(), KeyringError> {
        Err(KeyringError::Unavailable(
            "no Secret Service on D-Bus".to_owned(),
        ))
    }
}

pub(super) const WAIT: Duration = Duration::from_secs(5);
pub(super) const TOKEN: &str = "tok-0123456789abcdef";

pub(super) fn open(
    path: &Path,
    mode: SecretsStore,
    keyring: &Arc<MemoryKeyring>,
) -> io::Result<Secrets> {
    Secrets::open_with(path.to_owned(), mode, keyring.clone(), WAIT)
}

pub(super) fn open_plain(path: &Path) -> io::Result<Secrets> {
    Secrets::open_with(
        path.to_owned(),
        SecretsStore::File,
        Arc::new(NoKeyring),
        WAIT,
    )
}

pub(super) fn temp_secrets() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = Secrets::beside(&dir.path().join("phonebox.db"));
    (dir, path)
}

pub(super) fn is_sealed(path: &Path) -> bool {
    matches!(
        parse(&std::fs::read(path).expect("reads")),
        Ok(OnDisk::Sealed(_))
    )
}

#[cfg(unix)]
pub(super) fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}
