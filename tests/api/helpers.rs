use std::path::{Path, PathBuf};

use phonebox::{App, Config, StartError};
use serde_json::Value;
use tempfile::TempDir;
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

pub async fn spawn_with(config: Config) -> TestApp {
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
        for _ in 0..10_000 {
            if self.get_json("/emulator/v1/health").await["held_waits"] == n {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("the server never held {n} waits");
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
