//! The database's files are readable by their owner only: they hold every code
//! captured, and the secrets file beside them holds credentials and the tenant's
//! signing key. New files are made 0600 in a 0700 directory; files left looser by
//! an earlier version are tightened at start, with a log line.
//!
//! SQLite gives the `-wal` and `-shm` files it creates the database file's own
//! mode, so creating the database file 0600 before SQLite opens it covers them.

use std::io;
use std::path::{Path, PathBuf};

/// The files SQLite keeps for the database at `db`.
pub fn database_files(db: &Path) -> [PathBuf; 3] {
    let with_suffix = |suffix: &str| {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [db.to_owned(), with_suffix("-wal"), with_suffix("-shm")]
}

/// Creates `dir` (and any missing parents) owner-only. An existing directory is
/// tightened only when `ours` (Phonebox's own data directory): a directory the
/// user named, such as `/tmp`, is theirs to keep as it is.
pub fn private_dir(dir: &Path, ours: bool) -> io::Result<()> {
    if dir.as_os_str().is_empty() {
        return Ok(());
    }
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        return builder.create(dir);
    }
    if ours {
        tighten(dir)?;
    }
    Ok(())
}

/// Creates the database file empty and owner-only if it does not exist yet, so
/// SQLite (and its WAL and SHM files after it) never makes it world-readable.
pub fn private_database(db: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(db) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            for file in database_files(db) {
                if file.exists() {
                    tighten(&file)?;
                }
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Removes group and other permissions from `path` if it has any, saying so.
/// The owner's own bits stay as they are: a file its owner made read-only stays
/// read-only. A file Phonebox may not change (another user's) is left with a
/// warning; the write check at start then says whether it can be used.
#[cfg(unix)]
pub fn tighten(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let current = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if current & 0o077 == 0 {
        return Ok(());
    }
    let tight = current & 0o700;
    match std::fs::set_permissions(path, std::fs::Permissions::from_mode(tight)) {
        Ok(()) => tracing::warn!(
            path = %path.display(),
            was = format_args!("{current:o}"),
            now = format_args!("{tight:o}"),
            "tightened permissions: Phonebox's files are readable by their owner only"
        ),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => tracing::warn!(
            path = %path.display(),
            mode = format_args!("{current:o}"),
            "other local users can read this file, and Phonebox may not change that: \
             it belongs to someone else"
        ),
        Err(e) => return Err(e),
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn tighten(_path: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).expect("exists").permissions().mode() & 0o777
    }

    #[test]
    fn new_files_are_private_and_loose_ones_are_tightened() {
        let root = tempfile::tempdir().expect("temp dir");
        let dir = root.path().join("a/b");
        private_dir(&dir, false).expect("creates");
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&root.path().join("a")), 0o700);
        let db = dir.join("phonebox.db");
        private_database(&db).expect("creates");
        assert_eq!(mode(&db), 0o600);
        let [_, wal, _] = database_files(&db);
        std::fs::write(&wal, b"").expect("writes");
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        private_database(&db).expect("tightens");
        assert_eq!(mode(&wal), 0o600);
        private_dir(&dir, false).expect("leaves a directory that is not ours");
        assert_eq!(mode(&dir), 0o755);
        private_dir(&dir, true).expect("tightens our own");
        assert_eq!(mode(&dir), 0o700);
    }
}
