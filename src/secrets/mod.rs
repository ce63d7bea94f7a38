//! Credentials for real providers (a Twilio auth token the emulated tenant sends
//! with) and the tenant's token signing key, kept out of SQLite and out of every
//! answer and log line, in a file beside the database that only its owner may read
//! (mode 0600; a looser mode left by an older version is tightened on open).
//!
//! Where the OS has a keyring (macOS Keychain, Windows Credential Manager, a
//! Secret Service on D-Bus), that file is sealed: the keyring holds one random
//! 256-bit key per secrets file, and the file holds the map encrypted with
//! ChaCha20-Poly1305. The map itself is not put in the keyring: keyrings cannot
//! list entries, Windows caps an entry near 2.5 KB, and the map is open-ended and
//! holds an RSA key. Where no keyring answers (a headless Linux box, CI), the file
//! holds the plain JSON map, as every version before this one wrote it.
//!
//! `PHONEBOX_SECRETS_STORE` chooses: `auto` (the default) seals when a keyring
//! answers and says in one log line which it did and why; `file` never asks the
//! keyring (tests and CI, so a developer's keyring is never written by them);
//! `keyring` refuses to start without one. A plain file opened while a keyring
//! answers is rewritten sealed. A sealed file whose key cannot be read is an
//! error, never a silent fresh start.
//!
//! Left out: wiping memory. The map lives in ordinary `String`s for as long as the
//! server runs; the key and the serialized plaintext are overwritten before they
//! are dropped, which the compiler is not obliged to keep.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use self::file::OnDisk;
use self::keyring::{key_for, keyring_user, on_keyring_thread, KeySource, OsKeyring, KEYRING_WAIT};
use self::seal::{sealed_unreadable, wipe, Envelope, Seal, SERVICE};

mod file;
#[cfg(test)]
mod fixtures;
mod keyring;
mod seal;

/// The environment variable that chooses where secrets are kept.
pub const STORE_VAR: &str = "PHONEBOX_SECRETS_STORE";

/// Cheap to clone; every clone sees the same secrets.
#[derive(Clone)]
pub struct Secrets {
    path: PathBuf,
    values: Arc<Mutex<BTreeMap<String, String>>>,
    /// The key the file is sealed with; `None` keeps it a plain JSON map.
    seal: Option<Arc<Seal>>,
}

/// Never shows a value or the key: a `{:?}` may end up in a log or a panic.
impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets")
            .field("path", &self.path)
            .field("sealed", &self.seal.is_some())
            .finish_non_exhaustive()
    }
}

impl Secrets {
    /// The secrets file that goes with the database at `db`.
    pub fn beside(db: &Path) -> PathBuf {
        db.with_extension("secrets.json")
    }

    /// Opens (or starts) the file at `path`, sealed or plain as
    /// `PHONEBOX_SECRETS_STORE` says (see the module docs). Asks the keyring on a
    /// thread of its own, waiting at most a few seconds, so it may be called from
    /// async code.
    pub fn open(path: PathBuf, store: SecretsStore) -> io::Result<Secrets> {
        Secrets::open_with(path, store, Arc::new(OsKeyring), KEYRING_WAIT)
    }

    /// The value stored under `key`.
    pub fn get(&self, key: &str) -> Option<String> {
        self.lock().get(key).cloned()
    }

    /// Stores `value` under `key`, on disk before it returns.
    pub fn set(&self, key: &str, value: &str) -> io::Result<()> {
        self.set_many(&[(key, value)])
    }

    /// Stores every pair in one write: all of them on disk, or none (and then
    /// none in force either).
    pub fn set_many(&self, pairs: &[(&str, &str)]) -> io::Result<()> {
        self.change(|values| {
            for (key, value) in pairs {
                values.insert((*key).to_owned(), (*value).to_owned());
            }
        })
    }

    /// Stores `set` and forgets `remove`, in one write: all of it on disk, or none.
    pub fn apply(&self, set: &[(String, String)], remove: &[String]) -> io::Result<()> {
        self.change(|values| {
            for key in remove {
                values.remove(key);
            }
            for (key, value) in set {
                values.insert(key.clone(), value.clone());
            }
        })
    }

    /// Forgets `key`, on disk before it returns.
    pub fn remove(&self, key: &str) -> io::Result<()> {
        if self.lock().contains_key(key) {
            self.change(|values| {
                values.remove(key);
            })?;
        }
        Ok(())
    }

    /// Forgets every key under `prefix` (a deleted tenant's `{id}/`), on disk
    /// before it returns.
    pub fn remove_prefix(&self, prefix: &str) -> io::Result<()> {
        if self.lock().keys().any(|k| k.starts_with(prefix)) {
            self.change(|values| values.retain(|k, _| !k.starts_with(prefix)))?;
        }
        Ok(())
    }

    /// Applies `edit` to a copy, writes the copy, and only then puts it in force:
    /// a write that fails changes nothing, on disk or in this server.
    fn change(&self, edit: impl FnOnce(&mut BTreeMap<String, String>)) -> io::Result<()> {
        let mut values = self.lock();
        let mut next = values.clone();
        edit(&mut next);
        self.write(&next)?;
        *values = next;
        Ok(())
    }

    fn open_with(
        path: PathBuf,
        mode: SecretsStore,
        keyring: Arc<dyn KeySource>,
        wait: Duration,
    ) -> io::Result<Secrets> {
        let (values, seal, migrate) = match file::read(&path)? {
            OnDisk::Sealed(envelope) => {
                let (values, seal) = unseal(&path, envelope, mode, keyring, wait)?;
                (values, Some(seal), false)
            }
            OnDisk::Plain(values) => {
                let seal = seal_for(&path, mode, keyring, wait, true)?;
                let migrate = seal.is_some();
                (values, seal, migrate)
            }
            OnDisk::Absent => (
                BTreeMap::new(),
                seal_for(&path, mode, keyring, wait, false)?,
                false,
            ),
        };
        let secrets = Secrets {
            path,
            values: Arc::new(Mutex::new(values)),
            seal: seal.map(Arc::new),
        };
        if migrate {
            secrets.write(&secrets.lock())?;
        }
        Ok(secrets)
    }

    /// Writes the map, sealed when there is a key, plain when not.
    fn write(&self, values: &BTreeMap<String, String>) -> io::Result<()> {
        let mut bytes = match &self.seal {
            None => serde_json::to_vec_pretty(values).map_err(io::Error::other)?,
            Some(seal) => {
                let mut plain = serde_json::to_vec(values).map_err(io::Error::other)?;
                let sealed = Envelope::seal(seal, &plain);
                wipe(&mut plain);
                serde_json::to_vec_pretty(&sealed?).map_err(io::Error::other)?
            }
        };
        let written = file::replace_file(&self.path, &bytes);
        wipe(&mut bytes);
        written
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        self.values.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Where secrets are kept (`--secrets-store`, `PHONEBOX_SECRETS_STORE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecretsStore {
    /// Sealed when a keyring answers, else a plain file.
    #[default]
    Auto,
    /// A plain file; the keyring is never asked.
    File,
    /// Sealed, or not at all.
    Keyring,
}

impl SecretsStore {
    /// Reads a flag's or the variable's value; none is `auto`.
    pub fn parse(value: Option<&str>) -> io::Result<SecretsStore> {
        match value.map(str::trim) {
            None | Some("") | Some("auto") => Ok(SecretsStore::Auto),
            Some("file") => Ok(SecretsStore::File),
            Some("keyring") => Ok(SecretsStore::Keyring),
            Some(other) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{STORE_VAR}={other:?}: expected auto, file or keyring"),
            )),
        }
    }
}

/// The map in a sealed file, and its seal. Any `mode` but `file` asks the
/// keyring; no answer is an error whatever the mode, as falling back would start
/// the tenant afresh without a word.
fn unseal(
    path: &Path,
    envelope: Envelope,
    mode: SecretsStore,
    keyring: Arc<dyn KeySource>,
    wait: Duration,
) -> io::Result<(BTreeMap<String, String>, Seal)> {
    if mode == SecretsStore::File {
        return Err(sealed_unreadable(
            &format!("{STORE_VAR}=file keeps Phonebox from asking the keyring"),
            "unset it (or set it to auto)",
        ));
    }
    let user = envelope.keyring_user().to_owned();
    let key = match on_keyring_thread(keyring, wait, move |k| k.load(&user)) {
        Ok(Some(key)) => key,
        Ok(None) => {
            return Err(sealed_unreadable(
                &format!(
                    "the keyring has no entry {SERVICE}/{}",
                    envelope.keyring_user()
                ),
                "unlock the keyring that holds it",
            ))
        }
        Err(e) => return Err(sealed_unreadable(&e.to_string(), "unlock the keyring")),
    };
    let seal = Seal {
        key,
        user: envelope.keyring_user().to_owned(),
    };
    let values = envelope.unseal(&seal)?;
    tracing::info!(
        path = %path.display(),
        keyring_entry = format_args!("{SERVICE}/{}", seal.user),
        "secrets: sealed with a key in the OS keyring"
    );
    Ok((values, seal))
}

/// The seal for a file that is plain or not there yet (`existing` tells which):
/// a key from the keyring, made if need be, or `None` to keep it plain.
fn seal_for(
    path: &Path,
    mode: SecretsStore,
    keyring: Arc<dyn KeySource>,
    wait: Duration,
    existing: bool,
) -> io::Result<Option<Seal>> {
    if mode == SecretsStore::File {
        tracing::info!(
            path = %path.display(),
            "secrets: in a plain owner-only file ({STORE_VAR}=file)"
        );
        return Ok(None);
    }
    let user = keyring_user(path);
    let asked = user.clone();
    match on_keyring_thread(keyring, wait, move |k| key_for(k, &asked)) {
        Ok(key) => {
            tracing::info!(
                path = %path.display(),
                keyring_entry = format_args!("{SERVICE}/{user}"),
                "secrets: sealed with a key in the OS keyring{}",
                if existing {
                    " (the plain file is rewritten sealed)"
                } else {
                    ""
                }
            );
            Ok(Some(Seal { key, user }))
        }
        Err(e) if mode == SecretsStore::Auto => {
            tracing::info!(
                path = %path.display(),
                "secrets: in a plain owner-only file, as no OS keyring can be used: {e}"
            );
            Ok(None)
        }
        Err(e) => Err(io::Error::other(format!(
            "{STORE_VAR}=keyring, but the OS keyring cannot be used: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    #[cfg(unix)]
    use super::fixtures::mode_of;
    use super::fixtures::{
        is_sealed, open, open_plain, temp_secrets, MemoryKeyring, NoKeyring, TOKEN, WAIT,
    };
    use super::*;

    #[test]
    fn the_store_is_chosen_by_a_word_and_anything_else_is_refused() {
        assert_eq!(
            SecretsStore::parse(None).expect("default"),
            SecretsStore::Auto
        );
        assert_eq!(
            SecretsStore::parse(Some("")).expect("empty"),
            SecretsStore::Auto
        );
        assert_eq!(
            SecretsStore::parse(Some("auto")).expect("auto"),
            SecretsStore::Auto
        );
        assert_eq!(
            SecretsStore::parse(Some("file")).expect("file"),
            SecretsStore::File
        );
        assert_eq!(
            SecretsStore::parse(Some("keyring")).expect("keyring"),
            SecretsStore::Keyring
        );
        let e = SecretsStore::parse(Some("vault")).expect_err("refused");
        assert!(
            e.to_string().contains("expected auto, file or keyring"),
            "{e}"
        );
    }

    #[test]
    fn with_a_keyring_the_file_is_sealed_and_round_trips_without_the_secret_on_disk() {
        let (_dir, path) = temp_secrets();
        let keyring = Arc::new(MemoryKeyring::default());
        let secrets = open(&path, SecretsStore::Auto, &keyring).expect("opens");
        assert!(!path.exists(), "nothing is written before the first secret");
        secrets
            .set("default/twilio/auth_token", TOKEN)
            .expect("writes");
        let pem = "-----BEGIN PRIVATE KEY-----\n".to_owned() + &"A".repeat(3000);
        secrets.set("jwt/private_key_pem", &pem).expect("writes");

        let on_disk = std::fs::read_to_string(&path).expect("reads");
        assert!(is_sealed(&path), "{on_disk}");
        assert!(!on_disk.contains(TOKEN));
        assert!(!on_disk.contains("PRIVATE KEY"));
        assert!(!on_disk.contains("auth_token"), "names are sealed too");
        #[cfg(unix)]
        assert_eq!(mode_of(&path), 0o600);
        assert_eq!(keyring.len(), 1, "one keyring entry per file");

        let again = open(&path, SecretsStore::Keyring, &keyring).expect("reopens");
        assert_eq!(
            again.get("default/twilio/auth_token").as_deref(),
            Some(TOKEN)
        );
        assert_eq!(
            again.get("jwt/private_key_pem").as_deref(),
            Some(pem.as_str())
        );
        again.remove("default/twilio/auth_token").expect("removes");
        let third = open(&path, SecretsStore::Auto, &keyring).expect("reopens");
        assert_eq!(third.get("default/twilio/auth_token"), None);
        assert_eq!(keyring.len(), 1, "the key is reused, not replaced");
    }

    #[test]
    fn a_plain_file_is_rewritten_sealed_once_a_keyring_answers() {
        let (_dir, path) = temp_secrets();
        open_plain(&path)
            .expect("opens")
            .set("default/twilio/auth_token", TOKEN)
            .expect("writes");
        assert!(!is_sealed(&path));

        let keyring = Arc::new(MemoryKeyring::default());
        let secrets = open(&path, SecretsStore::Auto, &keyring).expect("opens");
        assert_eq!(
            secrets.get("default/twilio/auth_token").as_deref(),
            Some(TOKEN)
        );
        assert!(is_sealed(&path), "migrated at open, not at the next write");
        assert!(!std::fs::read_to_string(&path)
            .expect("reads")
            .contains(TOKEN));
        let beside: Vec<_> = std::fs::read_dir(path.parent().expect("dir"))
            .expect("lists")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .filter(|n| n.to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(
            beside.is_empty(),
            "no plain copy is left beside it: {beside:?}"
        );
        #[cfg(unix)]
        assert_eq!(mode_of(&path), 0o600);
    }

    #[test]
    fn auto_falls_back_to_a_plain_file_when_no_keyring_answers() {
        let (_dir, path) = temp_secrets();
        let secrets =
            Secrets::open_with(path.clone(), SecretsStore::Auto, Arc::new(NoKeyring), WAIT)
                .expect("opens");
        secrets.set("k", "v").expect("writes");
        assert!(!is_sealed(&path));
        assert_eq!(
            open_plain(&path).expect("reopens").get("k").as_deref(),
            Some("v")
        );
    }

    #[test]
    fn keyring_mode_refuses_to_start_without_a_keyring() {
        let (_dir, path) = temp_secrets();
        let e = Secrets::open_with(
            path.clone(),
            SecretsStore::Keyring,
            Arc::new(NoKeyring),
            WAIT,
        )
        .expect_err("refused");
        let text = e.to_string();
        assert!(text.contains("PHONEBOX_SECRETS_STORE=keyring"), "{text}");
        assert!(text.contains("no Secret Service on D-Bus"), "{text}");
        assert!(!path.exists());
    }

    #[test]
    fn a_sealed_file_whose_key_is_missing_or_unreachable_is_an_error_not_a_fresh_start() {
        let (_dir, path) = temp_secrets();
        let keyring = Arc::new(MemoryKeyring::default());
        open(&path, SecretsStore::Auto, &keyring)
            .expect("opens")
            .set("k", TOKEN)
            .expect("writes");
        let before = std::fs::read(&path).expect("reads");

        let empty = Arc::new(MemoryKeyring::default());
        let e = open(&path, SecretsStore::Auto, &empty).expect_err("refused");
        assert!(
            e.to_string().contains("has no entry phonebox/secrets:"),
            "{e}"
        );
        assert!(e.to_string().contains("unlock the keyring"), "{e}");

        let e = Secrets::open_with(path.clone(), SecretsStore::Auto, Arc::new(NoKeyring), WAIT)
            .expect_err("refused");
        assert!(e.to_string().contains("no Secret Service on D-Bus"), "{e}");

        let e = open_plain(&path).expect_err("refused");
        assert!(e.to_string().contains("PHONEBOX_SECRETS_STORE=file"), "{e}");

        assert_eq!(std::fs::read(&path).expect("reads"), before, "untouched");
        assert_eq!(empty.len(), 0, "no new key is made for a sealed file");
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let (_dir, path) = temp_secrets();
        let keyring = Arc::new(MemoryKeyring::default());
        let secrets = open(&path, SecretsStore::Auto, &keyring).expect("opens");
        secrets.set("k", TOKEN).expect("writes");
        let shown = format!("{secrets:?}");
        assert!(!shown.contains(TOKEN), "{shown}");
        let key = keyring
            .load(&keyring_user(&path))
            .expect("loads")
            .expect("key");
        assert!(!shown.contains(&key.to_base64()), "{shown}");
        assert_eq!(format!("{key:?}"), "SealingKey(..)");
    }

    #[test]
    fn a_write_that_fails_changes_nothing_in_force() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("dir");
        let path = Secrets::beside(&data.join("phonebox.db"));
        let secrets = Secrets::open(path, SecretsStore::File).expect("opens");
        secrets
            .set_many(&[
                ("forward/twilio/auth_token", "old"),
                ("forward/twilio/host", "a"),
            ])
            .expect("writes");
        // The data directory is gone and a file stands in its place: no write can land.
        std::fs::remove_dir_all(&data).expect("removes");
        std::fs::write(&data, b"not a directory").expect("file");
        let failed = secrets.set_many(&[
            ("forward/twilio/auth_token", "new"),
            ("forward/twilio/host", "b"),
        ]);
        assert!(failed.is_err());
        assert_eq!(
            secrets.get("forward/twilio/auth_token").as_deref(),
            Some("old")
        );
        assert_eq!(secrets.get("forward/twilio/host").as_deref(), Some("a"));
        assert!(secrets.remove("forward/twilio/host").is_err());
        assert_eq!(secrets.get("forward/twilio/host").as_deref(), Some("a"));
    }
}
