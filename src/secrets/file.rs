//! The secrets file on disk: read (plain or sealed, told apart), and replaced
//! whole, atomically, readable by its owner only.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use serde::Deserialize;

use super::seal::{corrupt, json_problem, wipe, Envelope};

/// The secrets file as read.
pub(super) enum OnDisk {
    /// No file yet.
    Absent,
    /// A plain JSON map, as every earlier version wrote it.
    Plain(BTreeMap<String, String>),
    Sealed(Envelope),
}

/// The file at `path`, its mode tightened first if an older version left it
/// looser than owner-only.
pub(super) fn read(path: &Path) -> io::Result<OnDisk> {
    if path.exists() {
        crate::store::files::tighten(path)?;
    }
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
pub(super) fn parse(bytes: &[u8]) -> io::Result<OnDisk> {
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
    Envelope::parse(bytes).map(OnDisk::Sealed)
}

/// Writes a new file and renames it over the old one, so a crash never leaves
/// half a file; created 0600 before anything is written to it.
pub(super) fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    // A name of this writer's own, so two servers on one data directory never
    // write into each other's half-finished file.
    let tmp = path.with_extension(format!(
        "json.{}.{}.tmp",
        std::process::id(),
        crate::random::token(6)
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = write_then_rename(&options, &tmp, path, bytes);
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
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

fn write_then_rename(
    options: &std::fs::OpenOptions,
    tmp: &Path,
    path: &Path,
    bytes: &[u8],
) -> io::Result<()> {
    {
        use std::io::Write;
        let mut file = options.open(tmp)?;
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
    std::fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    #[cfg(unix)]
    use crate::secrets::fixtures::mode_of;
    use crate::secrets::fixtures::{is_sealed, open_plain, temp_secrets, TOKEN};

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
}
