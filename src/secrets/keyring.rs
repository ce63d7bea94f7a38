//! The key's home: the OS keyring (or, in tests, a stand-in), asked on a thread
//! of its own with a bounded wait, under a user name derived from the file.

use std::path::Path;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::seal::{wipe, SealingKey, SERVICE};
/// The keyring is D-Bus (or a system API) behind a blocking call: a hung one must
/// not hang startup.
pub(super) const KEYRING_WAIT: Duration = Duration::from_secs(5);

/// The keyring user for a new key: a stable name from the file's absolute path,
/// so each data directory has its own key, and no path is shown to the keyring.
pub(super) fn keyring_user(path: &Path) -> String {
    let absolute = match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            std::fs::canonicalize(dir).ok().map(|d| d.join(name))
        }
        _ => None,
    }
    .or_else(|| std::path::absolute(path).ok())
    .unwrap_or_else(|| path.to_owned());
    let digest = Sha256::digest(absolute.as_os_str().as_encoded_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("secrets:{hex}")
}

/// Why a keyring gave no key. Its text goes in logs and errors, so never holds one.
#[derive(Debug, thiserror::Error)]
pub(super) enum KeyringError {
    #[error("{0}")]
    Unavailable(String),
    #[error("the keyring did not answer within {0:?}")]
    TimedOut(Duration),
    #[error("keyring entry {SERVICE}/{0} holds something other than a Phonebox key")]
    NotAKey(String),
}

/// Where a file's key lives: the OS keyring, or in tests a map in memory.
pub(super) trait KeySource: Send + Sync + 'static {
    /// The key stored as `user`; `None` when there is no such entry.
    fn load(&self, user: &str) -> Result<Option<SealingKey>, KeyringError>;
    fn store(&self, user: &str, key: &SealingKey) -> Result<(), KeyringError>;
}

/// The key stored as `user`, made and stored first if there is none; read back
/// after storing, so a keyring that accepts a key without keeping it is caught
/// before a file is sealed with it.
pub(super) fn key_for(keyring: &dyn KeySource, user: &str) -> Result<SealingKey, KeyringError> {
    if let Some(key) = keyring.load(user)? {
        return Ok(key);
    }
    let key = SealingKey::generate();
    keyring.store(user, &key)?;
    match keyring.load(user)? {
        Some(kept) if kept.0 == key.0 => Ok(key),
        _ => Err(KeyringError::Unavailable(
            "the keyring accepted a key but did not keep it".to_owned(),
        )),
    }
}

/// Runs `job` on a thread of its own and waits at most `wait` for it. The keyring
/// calls block (D-Bus), and the Secret Service client starts a runtime of its own,
/// which panics on a tokio worker thread. A thread that does not answer in time
/// is left to finish on its own.
pub(super) fn on_keyring_thread<T: Send + 'static>(
    keyring: Arc<dyn KeySource>,
    wait: Duration,
    job: impl FnOnce(&dyn KeySource) -> Result<T, KeyringError> + Send + 'static,
) -> Result<T, KeyringError> {
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("phonebox-keyring".to_owned())
        .spawn(move || {
            let _ = tx.send(job(keyring.as_ref()));
        })
        .map_err(|e| KeyringError::Unavailable(format!("cannot start a thread: {e}")))?;
    match rx.recv_timeout(wait) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(KeyringError::TimedOut(wait)),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(KeyringError::Unavailable(
            "the keyring call failed unexpectedly".to_owned(),
        )),
    }
}

/// The platform's credential store, through the `keyring` crate.
pub(super) struct OsKeyring;

impl OsKeyring {
    fn entry(user: &str) -> Result<keyring::Entry, KeyringError> {
        keyring::Entry::new(SERVICE, user).map_err(unavailable)
    }
}

impl KeySource for OsKeyring {
    fn load(&self, user: &str) -> Result<Option<SealingKey>, KeyringError> {
        match OsKeyring::entry(user)?.get_password() {
            Ok(text) => {
                let mut text = text.into_bytes();
                let key = std::str::from_utf8(&text)
                    .ok()
                    .and_then(SealingKey::from_base64);
                wipe(&mut text);
                key.map(Some)
                    .ok_or_else(|| KeyringError::NotAKey(user.to_owned()))
            }
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn store(&self, user: &str, key: &SealingKey) -> Result<(), KeyringError> {
        let text = key.to_base64();
        let stored = OsKeyring::entry(user)?.set_password(&text);
        wipe(&mut text.into_bytes());
        stored.map_err(unavailable)
    }
}

/// A keyring error as text. `BadEncoding`'s bytes and `Ambiguous`'s list stay out.
fn unavailable(e: keyring::Error) -> KeyringError {
    KeyringError::Unavailable(match e {
        keyring::Error::BadEncoding(_) => "the keyring entry is not UTF-8".to_owned(),
        keyring::Error::Ambiguous(found) => {
            format!("{} keyring entries match, expected one", found.len())
        }
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::fixtures::{is_sealed, temp_secrets, MemoryKeyring, TOKEN, WAIT};
    use crate::secrets::{Secrets, SecretsStore};

    /// A keyring whose every call hangs (a wedged D-Bus).
    struct HungKeyring;

    impl KeySource for HungKeyring {
        fn load(&self, _: &str) -> Result<Option<SealingKey>, KeyringError> {
            std::thread::sleep(Duration::from_secs(60));
            Ok(None)
        }
        fn store(&self, _: &str, _: &SealingKey) -> Result<(), KeyringError> {
            std::thread::sleep(Duration::from_secs(60));
            Ok(())
        }
    }

    /// Does what the Secret Service client does: block on a runtime of its own,
    /// which panics on a thread already inside one.
    struct RuntimeKeyring(MemoryKeyring);

    impl KeySource for RuntimeKeyring {
        fn load(&self, user: &str) -> Result<Option<SealingKey>, KeyringError> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("runtime");
            runtime.block_on(async { self.0.load(user) })
        }
        fn store(&self, user: &str, key: &SealingKey) -> Result<(), KeyringError> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("runtime");
            runtime.block_on(async { self.0.store(user, key) })
        }
    }

    #[test]
    fn a_hung_keyring_is_given_up_on_and_auto_falls_back() {
        let (_dir, path) = temp_secrets();
        let started = std::time::Instant::now();
        let wait = Duration::from_millis(200);
        let secrets = Secrets::open_with(
            path.clone(),
            SecretsStore::Auto,
            Arc::new(HungKeyring),
            wait,
        )
        .expect("opens");
        assert!(started.elapsed() < Duration::from_secs(5));
        secrets.set("k", "v").expect("writes");
        assert!(!is_sealed(&path));
        let e = Secrets::open_with(path, SecretsStore::Keyring, Arc::new(HungKeyring), wait)
            .expect_err("refused");
        assert!(e.to_string().contains("did not answer within"), "{e}");
    }

    #[test]
    fn each_secrets_file_has_its_own_stable_keyring_user() {
        let (dir, path) = temp_secrets();
        let other = dir.path().join("other.secrets.json");
        assert_eq!(keyring_user(&path), keyring_user(&path));
        assert_ne!(keyring_user(&path), keyring_user(&other));
        let user = keyring_user(&path);
        assert!(
            user.starts_with("secrets:") && user.len() == "secrets:".len() + 32,
            "{user}"
        );
        assert!(!user.contains("phonebox.secrets"), "no path in the keyring");
    }

    #[tokio::test]
    async fn a_keyring_that_starts_its_own_runtime_works_from_async_code() {
        let (_dir, path) = temp_secrets();
        let keyring = Arc::new(RuntimeKeyring(MemoryKeyring::default()));
        let secrets =
            Secrets::open_with(path.clone(), SecretsStore::Keyring, keyring.clone(), WAIT)
                .expect("opens");
        secrets.set("k", TOKEN).expect("writes");
        assert!(is_sealed(&path));
        let again =
            Secrets::open_with(path, SecretsStore::Keyring, keyring, WAIT).expect("reopens");
        assert_eq!(again.get("k").as_deref(), Some(TOKEN));
    }

    /// Reads an entry that does not exist, which no OS keyring prompts for, so it
    /// is safe on a developer's machine: it answers (with nothing, or why there is
    /// no keyring) instead of panicking with "Cannot start a runtime from within a
    /// runtime".
    #[tokio::test]
    async fn the_os_keyring_is_asked_from_its_own_thread_inside_a_tokio_runtime() {
        let answer = on_keyring_thread(Arc::new(OsKeyring), WAIT, |k| {
            k.load("secrets:phonebox-test-entry-that-does-not-exist")
        });
        match answer {
            Ok(None) | Err(KeyringError::Unavailable(_) | KeyringError::TimedOut(_)) => {}
            Ok(Some(_)) | Err(KeyringError::NotAKey(_)) => panic!("no such entry was made"),
        }
    }

    /// Needs a working OS keyring, and writes one entry to it (deleted at the end).
    /// On a headless Linux box (packages `gnome-keyring` and `dbus`), a private
    /// bus and a throwaway keyring directory leave any real keyring alone:
    ///
    /// ```sh
    /// XDG_DATA_HOME=$(mktemp -d) dbus-run-session -- sh -c 'echo -n pw | \
    ///   gnome-keyring-daemon --unlock --components=secrets >/dev/null && \
    ///   cargo test --lib secrets::keyring::tests::real_keyring_round_trip -- --ignored --exact'
    /// ```
    #[test]
    #[ignore = "needs an unlocked OS keyring; see the doc comment"]
    fn real_keyring_round_trip() {
        let (_dir, path) = temp_secrets();
        let user = keyring_user(&path);
        let result = std::panic::catch_unwind(|| {
            let secrets = Secrets::open(path.clone(), SecretsStore::Keyring)
                .expect("opens with the OS keyring");
            secrets
                .set("default/twilio/auth_token", TOKEN)
                .expect("writes");
            assert!(is_sealed(&path));
            assert!(!std::fs::read_to_string(&path)
                .expect("reads")
                .contains(TOKEN));
            let again = Secrets::open(path.clone(), SecretsStore::Keyring).expect("reopens");
            assert_eq!(
                again.get("default/twilio/auth_token").as_deref(),
                Some(TOKEN)
            );
        });
        let deleted = keyring::Entry::new(SERVICE, &user).and_then(|e| e.delete_credential());
        if let Err(e) = result {
            std::panic::resume_unwind(e);
        }
        deleted.expect("the test's keyring entry is deleted");
    }
}
