use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::future::join_all;
use phonebox::{App, Config, StartError};
use serde_json::Value;
use tempfile::TempDir;
use tokio::sync::Barrier;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A running server and a client for it.
pub struct TestApp {
    pub base: String,
    pub db: PathBuf,
    pub http: reqwest::Client,
    shutdown: CancellationToken,
    handle: JoinHandle<Result<(), StartError>>,
    _dir: Option<TempDir>,
}

/// Starts a server on port 0 with a fresh database in a temp dir.
pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    let mut app = spawn_with(Config::new("127.0.0.1:0".parse().expect("addr"), db)).await;
    app._dir = Some(dir);
    app
}

/// Starts a server on port 0 with the database at `db`.
pub async fn spawn_app_at(db: &Path) -> TestApp {
    spawn_with(Config::new(
        "127.0.0.1:0".parse().expect("addr"),
        db.to_path_buf(),
    ))
    .await
}

pub async fn spawn_with(mut config: Config) -> TestApp {
    // Never the developer's own keyring: test servers keep a plain file.
    config.secrets_store = phonebox::secrets::SecretsStore::File;
    let db = config.db_path();
    let app = App::build(config).await.expect("server starts");
    let port = app.port();
    let shutdown = app.shutdown_token();
    let handle = tokio::spawn(app.run());
    TestApp {
        base: format!("http://127.0.0.1:{port}"),
        db,
        http: reqwest::Client::new(),
        shutdown,
        handle,
        _dir: None,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POSTs `body` as JSON.
    pub async fn post_json(&self, path: &str, body: &str) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.json().await.expect("json")
    }

    /// DELETEs `path`, returning the response.
    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.http
            .delete(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// Returns once `n` `latest?wait=` requests are held by the server.
    pub async fn until_held_waits(&self, n: u64) {
        self.until_health("held_waits", n).await;
    }

    /// Every stored message (newest first), as the list API returns them.
    pub async fn messages(&self) -> Vec<Value> {
        let page = self.get_json("/emulator/v1/messages?limit=500").await;
        page["messages"].as_array().expect("array").clone()
    }

    /// Stops the server gracefully and waits until it has closed the database.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.handle
            .await
            .expect("server task")
            .expect("server stops cleanly");
    }
}

/// A fixture from `tests/data`.
pub fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Posts a minimal valid custom-phone-provider capture to `to`; returns the stored message.
pub async fn capture_text(app: &TestApp, to: &str, text: &str) -> Value {
    let body = serde_json::json!({ "recipient": to, "text": text, "message_type": "text" });
    let response = app
        .post_json("/capture/auth0/custom-phone-provider", &body.to_string())
        .await;
    assert_eq!(
        response.status(),
        201,
        "capture answered {}",
        response.status()
    );
    response.json().await.expect("json")
}

/// A real `phonebox serve` process, for what only a process shows: its exit code,
/// its log, signals, file modes made by a fresh start.
pub struct Process {
    pub child: tokio::process::Child,
    pub base: String,
    pub log: PathBuf,
    /// A copy of the binary another user can run, while it is in use.
    _binary: Option<TempDir>,
}

impl Process {
    /// Starts `phonebox serve --listen 127.0.0.1:0` with `args` and `env`, logging to
    /// `log`, and waits for its "listening" line (or its exit, which is an error).
    pub async fn start(
        args: &[&std::ffi::OsStr],
        env: &[(&str, &std::ffi::OsStr)],
        log: &Path,
    ) -> Result<Process, (Option<i32>, String)> {
        Process::start_with(args, env, log, Runner::Plain).await
    }

    /// As `start`, under an open-file limit of `fds` (with util-linux's `prlimit`).
    pub async fn start_with_fd_limit(
        args: &[&std::ffi::OsStr],
        fds: u32,
        log: &Path,
    ) -> Result<Process, (Option<i32>, String)> {
        Process::start_with(args, &[], log, Runner::FdLimit(fds)).await
    }

    /// As `start`, but as the user `nobody`: how a test running as root (whom file
    /// modes do not stop) meets a file it cannot write.
    #[cfg(unix)]
    pub async fn start_as_nobody(
        args: &[&std::ffi::OsStr],
        log: &Path,
    ) -> Result<Process, (Option<i32>, String)> {
        Process::start_with(args, &[], log, Runner::Nobody).await
    }

    async fn start_with(
        args: &[&std::ffi::OsStr],
        env: &[(&str, &std::ffi::OsStr)],
        log: &Path,
        runner: Runner,
    ) -> Result<Process, (Option<i32>, String)> {
        let file = std::fs::File::create(log).expect("log file");
        let as_nobody = matches!(runner, Runner::Nobody);
        let (binary, copy) = if as_nobody {
            // The build directory may sit under a home only root can enter.
            use std::os::unix::fs::PermissionsExt;
            let dir = tempfile::tempdir().expect("temp dir");
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
            let copy = dir.path().join("phonebox");
            std::fs::copy(env!("CARGO_BIN_EXE_phonebox"), &copy).expect("copies");
            (copy, Some(dir))
        } else {
            (PathBuf::from(env!("CARGO_BIN_EXE_phonebox")), None)
        };
        let mut command = match runner {
            Runner::FdLimit(n) => {
                let mut c = tokio::process::Command::new("prlimit");
                c.arg(format!("--nofile={n}:{n}")).arg(&binary);
                c
            }
            _ => tokio::process::Command::new(&binary),
        };
        #[cfg(unix)]
        if as_nobody {
            command.uid(65534).gid(65534);
        }
        command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("NO_COLOR", "1")
            // Never the developer's own keyring: test servers keep a plain file.
            .env("PHONEBOX_SECRETS_STORE", "file")
            .stdout(std::process::Stdio::from(file.try_clone().expect("clone")))
            .stderr(std::process::Stdio::from(file))
            .kill_on_drop(true);
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("phonebox starts");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            if let Some(addr) = text.split("Phonebox listening addr=").nth(1) {
                let addr = addr.split_whitespace().next().expect("addr");
                return Ok(Process {
                    child,
                    base: format!("http://{addr}"),
                    log: log.to_owned(),
                    _binary: copy,
                });
            }
            if let Some(status) = child.try_wait().expect("status") {
                return Err((
                    status.code(),
                    std::fs::read_to_string(log).unwrap_or_default(),
                ));
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no listening line:\n{text}"
            );
            // Waiting on another process's output: nothing to subscribe to.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// Sends SIGTERM and waits for the exit code.
    pub async fn terminate(mut self) -> Option<i32> {
        let pid = self.child.id().expect("running").to_string();
        let sent = tokio::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .expect("kill runs");
        assert!(sent.success());
        self.child.wait().await.expect("exits").code()
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// How a test process is started.
#[derive(Clone, Copy)]
enum Runner {
    Plain,
    Nobody,
    FdLimit(u32),
}

/// The permission bits of `path`.
#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// The database file and its write-ahead log, as one byte string, to search for
/// what must never be stored.
pub fn database_bytes(db: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(db).unwrap_or_default();
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    bytes.extend(std::fs::read(PathBuf::from(wal)).unwrap_or_default());
    bytes
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Reads SSE frames until one named `name`; returns its data.
pub async fn next_event(
    stream: &mut (impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    buffer: &mut String,
    name: &str,
) -> String {
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let mut event = "message";
            let mut data = String::new();
            for line in frame.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    event = v.trim();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            if event == name {
                return data;
            }
        }
        let chunk = futures_util::StreamExt::next(stream)
            .await
            .expect("stream open")
            .expect("chunk");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

/// An open `/emulator/v1/events` stream, read past its `ready`.
pub struct EventStream {
    stream:
        std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buffer: String,
}

impl EventStream {
    /// Opens the stream with `query` (its filters) and waits for `ready`.
    pub async fn open(app: &TestApp, query: &[(&str, &str)]) -> EventStream {
        let response = app
            .http
            .get(app.url("/emulator/v1/events"))
            .query(query)
            .send()
            .await
            .expect("events");
        let mut events = EventStream {
            stream: Box::pin(response.bytes_stream()),
            buffer: String::new(),
        };
        events.next("ready").await;
        events
    }

    /// The data of the next event named `name`.
    pub async fn next(&mut self, name: &str) -> String {
        next_event(&mut self.stream, &mut self.buffer, name).await
    }
}

/// Sends every request at the same moment, each from its own task: the status and
/// JSON body (`null` if none) of each, in order.
pub async fn all_at_once(requests: Vec<reqwest::RequestBuilder>) -> Vec<(u16, Value)> {
    let barrier = Arc::new(Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let response = request.send().await.expect("sent");
                let status = response.status().as_u16();
                let body = response.json::<Value>().await.unwrap_or(Value::Null);
                (status, body)
            })
        })
        .collect();
    join_all(tasks)
        .await
        .into_iter()
        .map(|answer| answer.expect("request task"))
        .collect()
}

/// A Management API call with a bearer token: the status and JSON body (`null` if
/// none).
pub async fn mgmt_call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let request = app
        .http
        .request(method, app.url(path))
        .bearer_auth("mgmt-token");
    answer(request, body).await
}

/// Sends `request` with `body` as JSON (if any): the status and JSON body (`null`
/// if none).
async fn answer(mut request: reqwest::RequestBuilder, body: Option<Value>) -> (u16, Value) {
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    let text = response.text().await.expect("text");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

impl TestApp {
    /// A call with `body` as JSON (if any): the status and JSON body (`null` if
    /// none).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        answer(self.http.request(method, self.url(path)), body).await
    }

    /// Returns once the health answer's `field` (`held_waits`, `live_views`) is `n`.
    pub async fn until_health(&self, field: &str, n: u64) {
        for _ in 0..10_000 {
            if self.get_json("/emulator/v1/health").await[field] == n {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("the server's health never said {field}: {n}");
    }

    /// How many stored messages the search index does not hold yet (at most), read
    /// from the database itself.
    pub async fn index_behind(&self) -> i64 {
        use sqlx::{ConnectOptions, Connection};
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&self.db)
            .read_only(true)
            .connect()
            .await
            .expect("opens the database");
        let behind = sqlx::query_scalar(
            "SELECT COALESCE((SELECT MAX(rowid) FROM messages), 0) - \
             (SELECT indexed_through FROM message_search_progress)",
        )
        .fetch_one(&mut conn)
        .await
        .expect("reads the mark");
        conn.close().await.expect("closes");
        behind
    }

    /// Waits until the search indexer holds every message (it runs once captures
    /// pause).
    pub async fn until_indexed(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let behind = self.index_behind().await;
            if behind <= 0 {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{behind} never indexed"
            );
            // The indexer's own pace (a pause in captures), not a race being hidden.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

/// A database at `db` with only the first `count` migrations applied: the schema
/// an older Phonebox left, for a test to fill before the real server upgrades it.
pub async fn database_migrated_through(db: &Path, count: usize) -> sqlx::SqlitePool {
    let old = db.with_file_name("old-migrations");
    std::fs::create_dir_all(&old).expect("dir");
    let mut files: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .expect("migrations")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    for file in &files[..count] {
        std::fs::copy(file, old.join(file.file_name().expect("name"))).expect("copies");
    }
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", db.display()))
        .await
        .expect("opens");
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .expect("old migrations")
        .run(&pool)
        .await
        .expect("applied");
    pool
}

/// Makes the Unified Phone `custom` provider `tenant`'s (its sends then go to the
/// tenant's custom-phone-provider Action or webhook), for `methods` (`text`, `voice`).
pub async fn use_custom_provider(app: &TestApp, tenant: &str, methods: &[&str]) {
    let path = if tenant == "default" {
        "/api/v2/branding/phone/providers".to_owned()
    } else {
        format!("/t/{tenant}/api/v2/branding/phone/providers")
    };
    let (status, body) = mgmt_call(
        app,
        reqwest::Method::POST,
        &path,
        Some(serde_json::json!({ "name": "custom", "configuration": { "delivery_methods": methods }, "credentials": {} })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}
