//! What makes a file an Action Phonebox may run: checked where the user configures
//! it (Settings, the API), never taken from a request that runs it.

use std::path::{Path, PathBuf};

use super::runner::reserved_name;

/// Auth0's limits on an Action's secrets.
pub const MAX_SECRETS: usize = 30;
pub const MAX_SECRET_NAME: usize = 128;
pub const MAX_SECRET_VALUE: usize = 4096;
/// The longest timeout a user may give a run (Auth0's is 20 s).
pub const MAX_TIMEOUT_SECS: u64 = 300;
/// The memory a user may give a run, in MB.
pub const MEMORY_RANGE_MB: std::ops::RangeInclusive<u32> = 16..=4096;
pub const MAX_NAME: usize = 200;

/// A configuration value that is refused, and which field it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> Invalid {
    Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// A run's timeout in seconds: 0.1 up to `MAX_TIMEOUT_SECS`.
pub fn check_timeout(secs: f64) -> Result<std::time::Duration, Invalid> {
    if !secs.is_finite() || !(0.1..=MAX_TIMEOUT_SECS as f64).contains(&secs) {
        return Err(invalid(
            "timeout_secs",
            format!("a run's timeout is 0.1 to {MAX_TIMEOUT_SECS} seconds"),
        ));
    }
    Ok(std::time::Duration::from_millis(
        (secs * 1000.0).round() as u64
    ))
}

/// A run's memory cap in MB, within `MEMORY_RANGE_MB`.
pub fn check_memory(mb: u32) -> Result<u32, Invalid> {
    if !MEMORY_RANGE_MB.contains(&mb) {
        return Err(invalid(
            "max_memory_mb",
            format!(
                "a run's memory is {} to {} MB",
                MEMORY_RANGE_MB.start(),
                MEMORY_RANGE_MB.end()
            ),
        ));
    }
    Ok(mb)
}

/// The file an Action lives in: an absolute path to a `.js`/`.cjs` file that
/// exists, is a regular file and belongs to the user Phonebox runs as.
pub fn check_path(raw: &str) -> Result<PathBuf, Invalid> {
    let path = Path::new(raw);
    if raw.is_empty() || raw.len() > 4096 || raw.contains('\0') {
        return Err(invalid("path", "give the Action file's absolute path"));
    }
    if !path.is_absolute() {
        return Err(invalid(
            "path",
            format!("'{raw}' is not an absolute path: give the Action file's full path"),
        ));
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if !matches!(ext, "js" | "cjs") {
        return Err(invalid(
            "path",
            "an Action is a .js or .cjs file (CommonJS, as Auth0 runs it)",
        ));
    }
    let meta =
        std::fs::metadata(path).map_err(|e| invalid("path", format!("cannot read {raw}: {e}")))?;
    if !meta.is_file() {
        return Err(invalid("path", format!("{raw} is not a file")));
    }
    use std::os::unix::fs::MetadataExt;
    if meta.uid() != nix::unistd::getuid().as_raw() {
        return Err(invalid(
            "path",
            format!("{raw} belongs to another user: Phonebox runs only its own user's files"),
        ));
    }
    Ok(path.to_path_buf())
}

/// A secret's name: what Auth0 allows, and not one that would change how `node`
/// runs (it is also set in the run's environment).
pub fn check_secret(name: &str, value: &str) -> Result<(), Invalid> {
    let field = format!("secrets.{name}");
    let valid = !name.is_empty()
        && name.len() <= MAX_SECRET_NAME
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(invalid(
            field,
            format!("a secret's name is letters, digits and _ (at most {MAX_SECRET_NAME}), starting with a letter or _"),
        ));
    }
    if reserved_name(name) {
        return Err(invalid(
            field,
            "that name is kept for Phonebox and node (PATH, NODE_*, LD_*, proxies, TLS settings, AWS_ENDPOINT_URL*, PHONEBOX_*)",
        ));
    }
    if value.chars().count() > MAX_SECRET_VALUE || value.contains('\0') {
        return Err(invalid(
            field,
            format!("a secret's value is at most {MAX_SECRET_VALUE} characters, without NUL"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_absolute_existing_js_file_is_an_action() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("action.js");
        std::fs::write(&file, "exports.x = 1").expect("write");
        assert!(check_path(file.to_str().expect("utf8")).is_ok());
        for bad in [
            "",
            "action.js",
            "../action.js",
            "/etc/passwd",
            "/nonexistent/a.js",
        ] {
            assert_eq!(
                check_path(bad).map_err(|e| e.field).expect_err("refused"),
                "path",
                "{bad}"
            );
        }
        let folder = dir.path().join("folder.js");
        std::fs::create_dir(&folder).expect("dir");
        assert!(check_path(folder.to_str().expect("utf8")).is_err());
    }

    #[test]
    fn secret_names_that_steer_node_are_refused() {
        assert!(check_secret("TWILIO_AUTH_TOKEN", "x").is_ok());
        for name in [
            "NODE_OPTIONS",
            "PATH",
            "LD_PRELOAD",
            "AWS_ENDPOINT_URL_SNS",
            "1A",
            "A-B",
            "",
        ] {
            assert!(check_secret(name, "x").is_err(), "{name}");
        }
        assert!(check_secret("A", &"x".repeat(MAX_SECRET_VALUE + 1)).is_err());
    }
}
