//! Credentials for real providers (a Twilio auth token the emulated tenant sends
//! with) and the tenant's token signing key, kept out of SQLite and out of every
//! answer and log line: in a JSON file beside the database, readable by its owner
//! only (mode 0600; a looser one left by an older version is tightened on open).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Cheap to clone; every clone sees the same secrets.
#[derive(Debug, Clone)]
pub struct Secrets {
    path: PathBuf,
    values: Arc<Mutex<BTreeMap<String, String>>>,
}

impl Secrets {
    /// The secrets file that goes with the database at `db`.
    pub fn beside(db: &Path) -> PathBuf {
        db.with_extension("secrets.json")
    }

    /// Opens (or starts) the file at `path`.
    pub fn open(path: PathBuf) -> io::Result<Secrets> {
        if path.exists() {
            crate::store::files::tighten(&path)?;
        }
        let values = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: {e}", path.display()),
                )
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(e),
        };
        Ok(Secrets {
            path,
            values: Arc::new(Mutex::new(values)),
        })
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.lock().get(key).cloned()
    }

    pub fn set(&self, key: &str, value: &str) -> io::Result<()> {
        let mut values = self.lock();
        values.insert(key.to_owned(), value.to_owned());
        self.write(&values)
    }

    pub fn remove(&self, key: &str) -> io::Result<()> {
        let mut values = self.lock();
        if values.remove(key).is_some() {
            self.write(&values)?;
        }
        Ok(())
    }

    /// Writes a new file and renames it over the old one, so a crash never leaves
    /// half a file; created 0600 before anything is written to it.
    fn write(&self, values: &BTreeMap<String, String>) -> io::Result<()> {
        let json = serde_json::to_vec_pretty(values).map_err(io::Error::other)?;
        let tmp = self.path.with_extension("json.tmp");
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
            file.write_all(&json)?;
            file.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        self.values.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_persist_in_an_owner_only_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = Secrets::beside(&dir.path().join("phonebox.db"));
        let secrets = Secrets::open(path.clone()).expect("opens");
        secrets
            .set("default/twilio/auth_token", "tok-123")
            .expect("writes");
        let again = Secrets::open(path.clone()).expect("reopens");
        assert_eq!(
            again.get("default/twilio/auth_token").as_deref(),
            Some("tok-123")
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        again.remove("default/twilio/auth_token").expect("removes");
        assert_eq!(
            Secrets::open(path)
                .expect("reopens")
                .get("default/twilio/auth_token"),
            None
        );
    }
}
