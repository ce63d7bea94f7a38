use serde_json::Value;

use crate::helpers::{spawn_app, spawn_with};

const BODY: &str = r#"{"recipient":"+15555550100","text":"123456 is your code"}"#;

#[tokio::test]
async fn a_foreign_host_is_refused_dns_rebinding() {
    let app = spawn_app().await;
    for host in [
        "evil.example",
        "evil.example:7676",
        "localhost.evil.example",
        "192.168.1.20",
    ] {
        let response = app
            .http
            .get(app.url("/emulator/v1/messages"))
            .header("host", host)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 403, "{host}");
        let error: Value = response.json().await.expect("json");
        assert_eq!(error["error"], "forbidden");
    }
    for host in [
        "localhost:1",
        "127.0.0.1",
        "[::1]:7676",
        "phonebox.localhost",
    ] {
        let response = app
            .http
            .get(app.url("/emulator/v1/health"))
            .header("host", host)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 200, "{host}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_foreign_origin_cannot_capture_or_delete() {
    let app = spawn_app().await;
    for origin in [
        "https://evil.example",
        "null",
        "http://localhost.evil.example",
    ] {
        let response = app
            .http
            .post(app.url("/capture/auth0/hook"))
            .header("origin", origin)
            .header("content-type", "text/plain")
            .body(BODY)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 403, "{origin}");
        let response = app
            .http
            .delete(app.url("/emulator/v1/messages"))
            .header("origin", origin)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 403, "{origin}");
    }
    assert!(app.messages().await.is_empty());

    // The UI's own origin and a developer's local app are fine.
    for origin in [
        app.base.clone(),
        "http://localhost:3000".to_owned(),
        "tauri://localhost".to_owned(),
    ] {
        let response = app
            .http
            .post(app.url("/capture/auth0/hook"))
            .header("origin", &origin)
            .header("content-type", "application/json")
            .body(BODY)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 200, "{origin}");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_allowed_host_name_is_accepted() {
    let dir = tempfile::tempdir().expect("dir");
    let mut config =
        phonebox::Config::new("127.0.0.1:0".parse().expect("addr"), dir.path().join("db"));
    config.allow_hosts = vec!["phonebox.test".into()];
    let app = spawn_with(config).await;
    let response = app
        .http
        .get(app.url("/emulator/v1/health"))
        .header("host", "phonebox.test:7676")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn secrets_in_headers_are_never_returned() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/capture/auth0/hook"))
        .header("content-type", "application/json")
        .header("authorization", "Bearer live-secret-value-WXYZ")
        .header("x-api-key", "key-abcdefghijklmnop")
        .header("cookie", "session=topsecretcookievalue")
        .body(BODY)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let id = app.messages().await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let detail = app
        .get(&format!("/emulator/v1/messages/{id}"))
        .await
        .text()
        .await
        .expect("text");
    for secret in ["live-secret-value", "key-abcdefghijkl", "topsecretcookie"] {
        assert!(!detail.contains(secret), "{secret} leaked: {detail}");
    }
    assert!(detail.contains("Bearer …WXYZ"));
    // Not in the database file either.
    let bytes = std::fs::read(&app.db).expect("db");
    let wal = std::fs::read(app.db.with_extension("db-wal")).unwrap_or_default();
    for file in [bytes, wal] {
        let text = String::from_utf8_lossy(&file);
        assert!(!text.contains("live-secret-value"));
    }
    app.stop().await;
}
