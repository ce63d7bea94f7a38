//! Health tells the truth about the database: a database that cannot be written
//! is refused at start (unless asked for read-only), and a read-only server says
//! so and refuses writes with 503s in each API's shape, never 500.

use std::path::Path;

use serde_json::{json, Value};

use crate::helpers::{capture_text, spawn_app_at, Process};

/// Makes the database at `db` unwritable for the server about to start: by file
/// modes, or, when the tests run as root (whom modes do not stop), by starting
/// the server as `nobody`, who can read but not write the files.
#[cfg(unix)]
fn unwritable(db: &Path) -> Vec<(&'static str, std::ffi::OsString)> {
    use std::os::unix::fs::PermissionsExt;
    let dir = db.parent().expect("dir");
    for file in phonebox::store::files::database_files(db)
        .iter()
        .chain(std::iter::once(&db.with_extension("secrets.json")))
    {
        if file.exists() {
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o444)).expect("chmod");
        }
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let uid = std::process::Command::new("id")
        .arg("-u")
        .output()
        .expect("id runs");
    if String::from_utf8_lossy(&uid.stdout).trim() == "0" {
        let mut parent = dir.parent();
        while let Some(p) = parent {
            if p == Path::new("/") {
                break;
            }
            let m = crate::helpers::mode(p);
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m | 0o005)).expect("chmod");
            parent = p.parent();
        }
        vec![("PHONEBOX_TEST_RUN_AS", "nobody".into())]
    } else {
        Vec::new()
    }
}

/// Starts the server, as `nobody` when `env` asks.
async fn start(
    db: &Path,
    extra: &[&str],
    env: &[(&'static str, std::ffi::OsString)],
    log: &Path,
) -> Result<Process, (Option<i32>, String)> {
    let mut args: Vec<&std::ffi::OsStr> = vec!["--db".as_ref(), db.as_os_str()];
    args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    let as_nobody = env.iter().any(|(k, _)| *k == "PHONEBOX_TEST_RUN_AS");
    if as_nobody {
        Process::start_as_nobody(&args, log).await
    } else {
        Process::start(&args, &[], log).await
    }
}

#[cfg(unix)]
#[tokio::test]
async fn a_read_only_database_is_refused_at_start_unless_read_only_is_asked_for() {
    let root = tempfile::tempdir().expect("temp dir");
    let dir = root.path().join("data");
    let db = dir.join("phonebox.db");
    let app = spawn_app_at(&db).await;
    capture_text(&app, "+15555552501", "Your code is 246810").await;
    app.stop().await;
    let logs = tempfile::tempdir().expect("log dir");
    let env = unwritable(&db);

    let refused = start(&db, &[], &env, &logs.path().join("refused.log"))
        .await
        .err()
        .expect("refused at start");
    assert_eq!(refused.0, Some(1), "{}", refused.1);
    assert!(refused.1.contains("cannot be written"), "{}", refused.1);
    assert!(refused.1.contains("--read-only"), "{}", refused.1);

    let server = start(&db, &["--read-only"], &env, &logs.path().join("ro.log"))
        .await
        .unwrap_or_else(|(code, log)| panic!("read-only start failed ({code:?}):\n{log}"));
    let http = reqwest::Client::new();
    let health = http
        .get(format!("{}/emulator/v1/health", server.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(health.status(), 200);
    let health: Value = health.json().await.expect("json");
    assert_eq!(
        (
            health["status"].clone(),
            health["writable"].clone(),
            health["read_only"].clone()
        ),
        (json!("ok"), json!(false), json!(true))
    );

    let list: Value = http
        .get(format!("{}/emulator/v1/messages", server.base))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(
        list["messages"][0]["code"], "246810",
        "what is there can be read"
    );

    let capture = http
        .post(format!("{}/capture/auth0/hook", server.base))
        .json(&json!({ "recipient": "+15555552502", "text": "Your code is 1" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(capture.status(), 503);
    let body: Value = capture.json().await.expect("json");
    assert_eq!(body["error"], "read_only");
    let twilio = http
        .post(format!(
            "{}/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages.json",
            server.base
        ))
        .form(&[
            ("To", "+15555552502"),
            ("From", "+15005550006"),
            ("Body", "x"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(twilio.status(), 503);
    let body: Value = twilio.json().await.expect("json");
    assert_eq!(body["status"], 503, "Twilio's own error shape: {body}");
    let patch = http
        .patch(format!("{}/emulator/v1/tenants/default", server.base))
        .json(&json!({ "friendly_name": "x" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        patch.status(),
        503,
        "{}",
        patch.text().await.unwrap_or_default()
    );
    let login = http
        .post(format!("{}/oauth/token", server.base))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "app"),
            ("username", "ro@example.com"),
            ("password", "pw"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(login.status(), 503);
    let body: Value = login.json().await.expect("json");
    assert_eq!(body["error"], "temporarily_unavailable");
    assert_eq!(server.terminate().await, Some(0));
}

/// A tmpfs of a few hundred kilobytes, unmounted when dropped. Mounting needs
/// root, which CI and this project's test machines have; elsewhere it is `None`.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().expect("temp dir");
        let mounted = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(SmallDisk { dir })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

#[tokio::test]
async fn health_says_so_when_the_disk_fills_and_again_when_it_has_room() {
    let Some(disk) = SmallDisk::mount("2m") else {
        eprintln!("skipped: mounting a small tmpfs needs root (CI runs this as root)");
        return;
    };
    let db = disk.dir.path().join("phonebox.db");
    let app = spawn_app_at(&db).await;
    assert_eq!(app.get_json("/emulator/v1/health").await["writable"], true);

    // Fill the disk, then capture until a write finds no room.
    let filler = disk.dir.path().join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).expect("filler");
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        let _ = f.write_all(&[0u8; 512]);
        let _ = f.sync_all();
    }
    let mut refused = None;
    for i in 0..2_000 {
        let body =
            json!({ "recipient": "+15555552510", "text": format!("{i:06} {}", "x".repeat(900)) });
        let r = app
            .post_json("/capture/auth0/hook", &body.to_string())
            .await;
        if r.status() != 201 {
            refused = Some((r.status().as_u16(), r.json::<Value>().await.expect("json")));
            break;
        }
    }
    let (status, body) = refused.expect("a capture finds the disk full");
    assert_eq!(
        status, 503,
        "a full disk is unavailable, not an internal error: {body}"
    );
    let health = app.get("/emulator/v1/health").await;
    assert_eq!(health.status(), 503);
    let health: Value = health.json().await.expect("json");
    assert_eq!(
        (health["status"].clone(), health["writable"].clone()),
        (json!("degraded"), json!(false))
    );

    std::fs::remove_file(&filler).expect("frees the disk");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let health: Value = app
            .get("/emulator/v1/health")
            .await
            .json()
            .await
            .expect("json");
        if health["status"] == "ok" {
            assert_eq!(health["writable"], true);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "health never recovered: {health}"
        );
        // Health re-checks a failed database every two seconds: wait for that.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    app.stop().await;
}
