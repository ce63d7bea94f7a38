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
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The environment variable that chooses where secrets are kept.
pub const STORE_VAR: &str = "PHONEBOX_SECRETS_STORE";

/// The keyring service every Phonebox entry is filed under.
const SERVICE: &str = "phonebox";
/// The `format` of a sealed file.
const FORMAT: &str = "phonebox-secrets/1";
/// The keyring is D-Bus (or a system API) behind a blocking call: a hung one must
/// not hang startup.
const KEYRING_WAIT: Duration = Duration::from_secs(5);

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
        let mut values = self.lock();
        values.insert(key.to_owned(), value.to_owned());
        self.write(&values)
    }

    /// Forgets `key`, on disk before it returns.
    pub fn remove(&self, key: &str) -> io::Result<()> {
        let mut values = self.lock();
        if values.remove(key).is_some() {
            self.write(&values)?;
        }
        Ok(())
    }

    fn open_with(
        path: PathBuf,
        mode: SecretsStore,
        keyring: Arc<dyn KeySource>,
        wait: Duration,
    ) -> io::Result<Secrets> {
        if path.exists() {
            crate::store::files::tighten(&path)?;
        }
        let (values, seal, migrate) = match read(&path)? {
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
        let written = replace_file(&self.path, &bytes);
        wipe(&mut bytes);
        written
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        self.values.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Writes a new file and renames it over the old one, so a crash never leaves
/// half a file; created 0600 before anything is written to it.
fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    {
        use std::io::Write;
        let mut file = options.open(&tmp)?;
        // `mode` applies only to a new file: one a crash left behind keeps its
        // own until told.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    // The rename is durable once the directory is. A directory we may write to
    // but not read cannot be opened to sync: the rename stands regardless.
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(dir) = std::fs::File::open(dir) {
            dir.sync_all()?;
        }
    }
    Ok(())
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
    let user = envelope.keyring_user.clone();
    let key = match on_keyring_thread(keyring, wait, move |k| k.load(&user)) {
        Ok(Some(key)) => key,
        Ok(None) => {
            return Err(sealed_unreadable(
                &format!(
                    "the keyring has no entry {SERVICE}/{}",
                    envelope.keyring_user
                ),
                "unlock the keyring that holds it",
            ))
        }
        Err(e) => return Err(sealed_unreadable(&e.to_string(), "unlock the keyring")),
    };
    let seal = Seal {
        key,
        user: envelope.keyring_user.clone(),
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

/// A file's key, and the keyring entry (user, under [`SERVICE`]) that holds it.
struct Seal {
    key: SealingKey,
    user: String,
}

/// 256 random bits. Shown by `{:?}` as a placeholder only.
struct SealingKey([u8; 32]);

impl SealingKey {
    fn generate() -> SealingKey {
        let mut key = ChaCha20Poly1305::generate_key(&mut OsRng);
        let mut bytes = [0; 32];
        bytes.copy_from_slice(&key);
        wipe(&mut key);
        SealingKey(bytes)
    }

    fn to_base64(&self) -> String {
        BASE64.encode(self.0)
    }

    /// `None` when `text` is not a key this module wrote.
    fn from_base64(text: &str) -> Option<SealingKey> {
        let mut bytes = BASE64.decode(text.trim()).ok()?;
        let key = <[u8; 32]>::try_from(bytes.as_slice()).ok().map(SealingKey);
        wipe(&mut bytes);
        key
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new((&self.0).into())
    }
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealingKey(..)")
    }
}

impl Drop for SealingKey {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

/// Overwrites `bytes` before they are freed. Best effort: nothing obliges the
/// compiler to keep a store to memory about to be released.
fn wipe(bytes: &mut [u8]) {
    bytes.fill(0);
    std::hint::black_box(bytes);
}

/// A sealed file: the map's JSON, encrypted under the key in keyring entry
/// `phonebox`/`keyring_user`. The entry's name is kept here rather than derived
/// again, so a data directory that moves still finds its key.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    format: String,
    /// Where the key is: always `keyring` in this format.
    sealed: String,
    keyring_user: String,
    /// 96 bits, base64, fresh for every write.
    nonce: String,
    /// Base64; its last 16 bytes are the Poly1305 tag.
    ciphertext: String,
}

impl Envelope {
    fn seal(seal: &Seal, plain: &[u8]) -> io::Result<Envelope> {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = Envelope::aad(&seal.user);
        let ciphertext = seal
            .key
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| io::Error::other("cannot encrypt the secrets"))?;
        Ok(Envelope {
            format: FORMAT.to_owned(),
            sealed: "keyring".to_owned(),
            keyring_user: seal.user.clone(),
            nonce: BASE64.encode(nonce),
            ciphertext: BASE64.encode(ciphertext),
        })
    }

    fn unseal(&self, seal: &Seal) -> io::Result<BTreeMap<String, String>> {
        // Checked when the file was read; decoded again here to keep one type.
        let (nonce, ciphertext) = self.decoded().map_err(corrupt)?;
        let aad = Envelope::aad(&self.keyring_user);
        let mut plain = seal
            .key
            .cipher()
            .decrypt(
                (&nonce).into(),
                Payload {
                    msg: &ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| {
                sealed_unreadable(
                    &format!(
                        "the key in keyring entry {SERVICE}/{} does not open it \
                         (another key, or the file was altered)",
                        self.keyring_user
                    ),
                    "unlock the keyring that holds its key",
                )
            })?;
        let values = serde_json::from_slice(&plain)
            .map_err(|e| corrupt(format!("the sealed map is not valid: {}", json_problem(&e))));
        wipe(&mut plain);
        values
    }

    /// Checks everything but the key: a file that fails here is damaged, whatever
    /// the keyring holds.
    fn decoded(&self) -> Result<([u8; 12], Vec<u8>), String> {
        if self.format != FORMAT {
            return Err(format!("unknown format {:?}", self.format));
        }
        if self.sealed != "keyring" {
            return Err(format!("sealed with {:?}, expected keyring", self.sealed));
        }
        if self.keyring_user.is_empty() {
            return Err("keyring_user is empty".to_owned());
        }
        let nonce = BASE64
            .decode(&self.nonce)
            .ok()
            .and_then(|n| <[u8; 12]>::try_from(n.as_slice()).ok())
            .ok_or("nonce is not 12 bytes of base64")?;
        let ciphertext = BASE64
            .decode(&self.ciphertext)
            .map_err(|_| "ciphertext is not base64")?;
        if ciphertext.len() < 16 {
            return Err("ciphertext is shorter than its tag".to_owned());
        }
        Ok((nonce, ciphertext))
    }

    /// Binds the ciphertext to its format and keyring entry.
    fn aad(user: &str) -> Vec<u8> {
        format!("{FORMAT}\n{SERVICE}/{user}").into_bytes()
    }
}

/// The secrets file as read.
enum OnDisk {
    /// No file yet.
    Absent,
    /// A plain JSON map, as every earlier version wrote it.
    Plain(BTreeMap<String, String>),
    Sealed(Envelope),
}

fn read(path: &Path) -> io::Result<OnDisk> {
    let mut bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(OnDisk::Absent),
        Err(e) => return Err(e),
    };
    let parsed = parse(&bytes);
    wipe(&mut bytes);
    parsed
}

/// Told apart by `format`: a plain map has no such entry (its keys are
/// `tenant/provider/field`), a sealed file always has it.
fn parse(bytes: &[u8]) -> io::Result<OnDisk> {
    #[derive(Deserialize)]
    struct Probe {
        format: Option<serde::de::IgnoredAny>,
    }
    let probe: Probe = serde_json::from_slice(bytes)
        .map_err(|e| corrupt(format!("expected a JSON object: {}", json_problem(&e))))?;
    if probe.format.is_none() {
        let values = serde_json::from_slice(bytes).map_err(|e| {
            corrupt(format!(
                "expected a JSON object of strings: {}",
                json_problem(&e)
            ))
        })?;
        return Ok(OnDisk::Plain(values));
    }
    let envelope: Envelope = serde_json::from_slice(bytes)
        .map_err(|e| corrupt(format!("not a sealed secrets file: {}", json_problem(&e))))?;
    if envelope.format != FORMAT && envelope.format.starts_with("phonebox-secrets/") {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "the secrets file was written by a newer Phonebox (format {:?}); \
                 run that version, or move the file away to start without those secrets",
                envelope.format
            ),
        ));
    }
    envelope.decoded().map_err(corrupt)?;
    Ok(OnDisk::Sealed(envelope))
}

/// Where serde_json failed, without its message: that can quote the file's text,
/// and the file's text is secrets.
fn json_problem(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Io => "cannot read",
        serde_json::error::Category::Syntax => "a syntax error",
        serde_json::error::Category::Data => "an unexpected value",
        serde_json::error::Category::Eof => "it ends too soon",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

fn corrupt(what: impl fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "the secrets file is damaged ({what}); \
             move it away to start without those secrets"
        ),
    )
}

fn sealed_unreadable(why: &str, remedy: &str) -> io::Error {
    io::Error::other(format!(
        "the secrets file is sealed with a key in the OS keyring that cannot be read: \
         {why}; {remedy}, or move the file away to start without those secrets"
    ))
}

/// The keyring user for a new key: a stable name from the file's absolute path,
/// so each data directory has its own key, and no path is shown to the keyring.
fn keyring_user(path: &Path) -> String {
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
enum KeyringError {
    #[error("{0}")]
    Unavailable(String),
    #[error("the keyring did not answer within {0:?}")]
    TimedOut(Duration),
    #[error("keyring entry {SERVICE}/{0} holds something other than a Phonebox key")]
    NotAKey(String),
}

/// Where a file's key lives: the OS keyring, or in tests a map in memory.
trait KeySource: Send + Sync + 'static {
    /// The key stored as `user`; `None` when there is no such entry.
    fn load(&self, user: &str) -> Result<Option<SealingKey>, KeyringError>;
    fn store(&self, user: &str, key: &SealingKey) -> Result<(), KeyringError>;
}

/// The key stored as `user`, made and stored first if there is none; read back
/// after storing, so a keyring that accepts a key without keeping it is caught
/// before a file is sealed with it.
fn key_for(keyring: &dyn KeySource, user: &str) -> Result<SealingKey, KeyringError> {
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
fn on_keyring_thread<T: Send + 'static>(
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
struct OsKeyring;

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
    use std::collections::HashMap;

    use super::*;

    /// A keyring in memory, shared by every open that is handed the same `Arc`.
    #[derive(Default)]
    struct MemoryKeyring {
        keys: Mutex<HashMap<String, [u8; 32]>>,
    }

    impl MemoryKeyring {
        fn insert(&self, user: &str, key: [u8; 32]) {
            self.keys.lock().expect("lock").insert(user.to_owned(), key);
        }
        fn len(&self) -> usize {
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
    struct NoKeyring;

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

    const WAIT: Duration = Duration::from_secs(5);
    const TOKEN: &str = "tok-0123456789abcdef";

    fn open(path: &Path, mode: SecretsStore, keyring: &Arc<MemoryKeyring>) -> io::Result<Secrets> {
        Secrets::open_with(path.to_owned(), mode, keyring.clone(), WAIT)
    }

    fn open_plain(path: &Path) -> io::Result<Secrets> {
        Secrets::open_with(
            path.to_owned(),
            SecretsStore::File,
            Arc::new(NoKeyring),
            WAIT,
        )
    }

    fn temp_secrets() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = Secrets::beside(&dir.path().join("phonebox.db"));
        (dir, path)
    }

    fn is_sealed(path: &Path) -> bool {
        matches!(
            parse(&std::fs::read(path).expect("reads")),
            Ok(OnDisk::Sealed(_))
        )
    }

    #[cfg(unix)]
    fn mode_of(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn secrets_persist_in_an_owner_only_file() {
        let (_dir, path) = temp_secrets();
        let secrets = open_plain(&path).expect("opens");
        secrets
            .set("default/twilio/auth_token", "tok-123")
            .expect("writes");
        let again = open_plain(&path).expect("reopens");
        assert_eq!(
            again.get("default/twilio/auth_token").as_deref(),
            Some("tok-123")
        );
        #[cfg(unix)]
        assert_eq!(mode_of(&path), 0o600);
        again.remove("default/twilio/auth_token").expect("removes");
        assert_eq!(
            open_plain(&path)
                .expect("reopens")
                .get("default/twilio/auth_token"),
            None
        );
    }

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
    fn a_plain_file_an_earlier_version_wrote_still_opens_in_file_mode() {
        let (_dir, path) = temp_secrets();
        std::fs::write(
            &path,
            format!(
                "{{\n  \"default/twilio/auth_token\": \"{TOKEN}\",\n  \
                 \"jwt/private_key_pem\": \"-----BEGIN PRIVATE KEY-----\\nabc\\n\"\n}}"
            ),
        )
        .expect("writes");
        let secrets = open_plain(&path).expect("opens");
        assert_eq!(
            secrets.get("default/twilio/auth_token").as_deref(),
            Some(TOKEN)
        );
        assert_eq!(
            secrets.get("jwt/private_key_pem").as_deref(),
            Some("-----BEGIN PRIVATE KEY-----\nabc\n")
        );
        secrets
            .set("default/vonage/api_secret", "v")
            .expect("writes");
        assert!(!is_sealed(&path), "file mode keeps it plain");
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
    fn every_write_seals_with_a_fresh_nonce() {
        let (_dir, path) = temp_secrets();
        let keyring = Arc::new(MemoryKeyring::default());
        let secrets = open(&path, SecretsStore::Auto, &keyring).expect("opens");
        secrets.set("a", "same").expect("writes");
        let first = std::fs::read_to_string(&path).expect("reads");
        secrets.set("a", "same").expect("writes");
        let second = std::fs::read_to_string(&path).expect("reads");
        assert_ne!(first, second);
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
        assert!(
            !path.with_extension("json.tmp").exists(),
            "no plain copy is left beside it"
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
    fn a_sealed_file_with_another_key_fails_clearly_and_is_left_untouched() {
        let (_dir, path) = temp_secrets();
        let keyring = Arc::new(MemoryKeyring::default());
        open(&path, SecretsStore::Auto, &keyring)
            .expect("opens")
            .set("default/twilio/auth_token", TOKEN)
            .expect("writes");
        let before = std::fs::read(&path).expect("reads");
        let user = keyring_user(&path);
        let wrong = [7; 32];
        keyring.insert(&user, wrong);

        for mode in [SecretsStore::Auto, SecretsStore::Keyring] {
            let e = open(&path, mode, &keyring).expect_err("refused");
            let text = e.to_string();
            assert!(
                text.contains("sealed with a key in the OS keyring that cannot be read"),
                "{text}"
            );
            assert!(text.contains("move the file away"), "{text}");
            assert!(text.contains("does not open it"), "{text}");
            assert!(!text.contains(TOKEN));
            assert!(!text.contains(&BASE64.encode(wrong)));
        }
        assert_eq!(std::fs::read(&path).expect("reads"), before, "untouched");
        assert_eq!(
            keyring.load(&user).expect("loads").map(|k| k.0),
            Some(wrong),
            "the key is not replaced either"
        );
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
    fn a_moved_data_directory_still_finds_its_key() {
        let (dir, path) = temp_secrets();
        let keyring = Arc::new(MemoryKeyring::default());
        open(&path, SecretsStore::Auto, &keyring)
            .expect("opens")
            .set("k", TOKEN)
            .expect("writes");
        let moved = dir.path().join("elsewhere.secrets.json");
        std::fs::rename(&path, &moved).expect("moves");
        let secrets = open(&moved, SecretsStore::Keyring, &keyring).expect("opens");
        assert_eq!(secrets.get("k").as_deref(), Some(TOKEN));
    }

    #[test]
    fn a_damaged_file_gives_a_clear_error_without_quoting_it() {
        let (_dir, path) = temp_secrets();
        let keyring = Arc::new(MemoryKeyring::default());
        open(&path, SecretsStore::Auto, &keyring)
            .expect("opens")
            .set("k", TOKEN)
            .expect("writes");
        let good = std::fs::read_to_string(&path).expect("reads");
        let envelope: Envelope = serde_json::from_str(&good).expect("envelope");

        let truncated = envelope.ciphertext[..envelope.ciphertext.len() / 2].to_owned() + "!";
        let damaged = [
            good.replace(&envelope.nonce, "bm9uY2U="),
            good.replace(&envelope.ciphertext, &truncated),
            good.replace("\"keyring\",", "\"tpm\","),
            good[..good.len() / 2].to_owned(),
            format!("{{\"default/twilio/auth_token\": \"{TOKEN}\""),
            format!("[\"{TOKEN}\"]"),
            format!("{{\"default/twilio/auth_token\": [\"{TOKEN}\"]}}"),
        ];
        for text in damaged {
            std::fs::write(&path, &text).expect("writes");
            let e = open(&path, SecretsStore::Auto, &keyring).expect_err("refused");
            assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{e}");
            let message = e.to_string();
            assert!(message.contains("the secrets file is damaged"), "{message}");
            assert!(!message.contains(TOKEN), "{message}");
            assert_eq!(std::fs::read_to_string(&path).expect("reads"), text);
        }

        std::fs::write(&path, good.replace(FORMAT, "phonebox-secrets/2")).expect("writes");
        let e = open(&path, SecretsStore::Auto, &keyring).expect_err("refused");
        assert!(e.to_string().contains("written by a newer Phonebox"), "{e}");

        // Intact envelope, altered ciphertext: caught by the tag, not as damage.
        let mut flipped = BASE64.decode(&envelope.ciphertext).expect("base64");
        flipped[0] ^= 1;
        std::fs::write(
            &path,
            good.replace(&envelope.ciphertext, &BASE64.encode(flipped)),
        )
        .expect("writes");
        let e = open(&path, SecretsStore::Auto, &keyring).expect_err("refused");
        assert!(e.to_string().contains("does not open it"), "{e}");
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
    ///   cargo test --lib secrets::tests::real_keyring_round_trip -- --ignored --exact'
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
