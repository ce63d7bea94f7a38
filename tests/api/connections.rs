//! Connections a careless or hostile client holds open: slow headers, slow
//! bodies and idle sockets are cut after their timeouts while other clients are
//! served, and past the connection cap a new client gets a clear 503.

use std::time::{Duration, Instant};

use phonebox::Config;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{spawn_with, Process, TestApp};

async fn spawn_limited(edit: impl FnOnce(&mut Config)) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::new(
        "127.0.0.1:0".parse().expect("addr"),
        dir.path().join("phonebox.db"),
    );
    edit(&mut config);
    (spawn_with(config).await, dir)
}

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection (or `limit` passes); what it sent.
async fn read_to_close(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(out),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn a_client_sending_headers_slowly_is_cut_off_while_others_are_served() {
    let (app, _dir) = spawn_limited(|c| c.header_timeout = Duration::from_secs(1)).await;
    let mut slow = TcpStream::connect(addr(&app)).await.expect("connects");
    let started = Instant::now();
    slow.write_all(b"GET /emulator/v1/health HTTP/1.1\r\nhost: 127.0.0.1\r\n")
        .await
        .expect("writes");
    let dripping = async {
        for i in 0..50 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if slow
                .write_all(format!("x-slow-{i}: y\r\n").as_bytes())
                .await
                .is_err()
            {
                return started.elapsed();
            }
            let mut probe = [0u8; 1];
            if let Ok(Ok(0)) =
                tokio::time::timeout(Duration::from_millis(1), slow.read(&mut probe)).await
            {
                return started.elapsed();
            }
        }
        panic!("the slow client was never cut off");
    };
    let served = async {
        let mut statuses = Vec::new();
        for _ in 0..5 {
            statuses.push(app.get("/emulator/v1/health").await.status().as_u16());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        statuses
    };
    let (cut_after, statuses) = tokio::join!(dripping, served);
    assert_eq!(statuses, vec![200; 5], "others are served meanwhile");
    assert!(
        cut_after >= Duration::from_millis(900),
        "cut at {cut_after:?}, before the timeout"
    );
    assert!(cut_after < Duration::from_secs(10), "cut at {cut_after:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_body_sent_one_byte_at_a_time_is_answered_408_and_nothing_is_stored() {
    let (app, _dir) = spawn_limited(|c| c.body_timeout = Duration::from_secs(1)).await;
    let body = r#"{"recipient":"+15555552401","text":"Your code is 123456"}"#;
    let mut stream = TcpStream::connect(addr(&app)).await.expect("connects");
    stream
        .write_all(
            format!(
                "POST /capture/auth0/hook HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .expect("writes");
    let (mut reader, mut writer) = stream.into_split();
    let drip = tokio::spawn(async move {
        for byte in body.bytes() {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if writer.write_all(&[byte]).await.is_err() {
                return;
            }
        }
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), reader.read_to_end(&mut answer)).await;
    assert!(
        read.is_ok(),
        "the server answered and closed within its timeout"
    );
    drip.abort();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    let json = &text[text.find('{').expect("a JSON body")..];
    let error: Value = serde_json::from_str(json.trim()).expect("json");
    assert_eq!(error["error"], "request_timeout");
    assert!(
        error["message"]
            .as_str()
            .expect("message")
            .contains("--body-timeout"),
        "{error}"
    );
    assert!(app.messages().await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_idle_timeout_but_a_held_wait_is_not() {
    let (app, _dir) = spawn_limited(|c| c.idle_timeout = Duration::from_secs(1)).await;
    let mut idle = TcpStream::connect(addr(&app)).await.expect("connects");
    let started = Instant::now();
    let closed = read_to_close(&mut idle, Duration::from_secs(10)).await;
    assert_eq!(closed, Some(Vec::new()), "closed without a word");
    assert!(started.elapsed() >= Duration::from_millis(900));

    // A request in flight is not idle: a 3 s wait outlives the 1 s idle timeout.
    let started = Instant::now();
    let waited = app
        .get("/emulator/v1/phones/%2B15555552402/latest?wait=3s")
        .await;
    assert_eq!(waited.status(), 404, "the wait ran to its end");
    assert!(started.elapsed() >= Duration::from_secs(3));
    app.stop().await;
}

#[tokio::test]
async fn past_the_connection_cap_a_new_client_gets_a_clear_503_then_service_resumes() {
    let (app, _dir) = spawn_limited(|c| c.max_connections = 4).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(addr(&app)).await.expect("connects");
        // A request answered on each, so each is surely accepted and counted.
        s.write_all(b"GET /emulator/v1/health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
            .await
            .expect("writes");
        let mut buf = [0u8; 1024];
        let n = s.read(&mut buf).await.expect("reads");
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        held.push(s);
    }
    let mut extra = TcpStream::connect(addr(&app))
        .await
        .expect("the kernel accepts");
    let answer = read_to_close(&mut extra, Duration::from_secs(10))
        .await
        .expect("answered and closed");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    let error: Value = serde_json::from_str(&text[text.find('{').expect("body")..]).expect("json");
    assert_eq!(error["error"], "too_many_connections");
    assert!(error["message"]
        .as_str()
        .expect("message")
        .contains("--max-connections"));

    drop(held);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let fresh = reqwest::Client::new();
        if let Ok(r) = fresh.get(app.url("/emulator/v1/health")).send().await {
            if r.status() == 200 {
                break;
            }
        }
        assert!(Instant::now() < deadline, "service never resumed");
        tokio::task::yield_now().await;
    }
    app.stop().await;
}

/// The reported failure: at the file-descriptor limit, `accept` failed every
/// second and health stopped answering. The cap now stays below the limit.
#[tokio::test]
async fn a_flood_at_the_open_file_limit_is_refused_with_503s_and_health_answers_after() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    let server = Process::start_with_fd_limit(
        &["--db".as_ref(), db.as_os_str()],
        128,
        &dir.path().join("server.log"),
    )
    .await
    .expect("starts");
    assert!(
        server.log_text().contains("the open-file limit is low"),
        "{}",
        server.log_text()
    );
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut flood = Vec::new();
    let mut refused = 0;
    for _ in 0..300 {
        let Ok(mut s) = TcpStream::connect(&addr).await else {
            break;
        };
        let mut buf = [0u8; 12];
        // Accepted ones say nothing until asked; refused ones answer at once.
        if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(20), s.read(&mut buf)).await {
            if buf[..n].starts_with(b"HTTP/1.1 503") {
                refused += 1;
                continue;
            }
        }
        flood.push(s);
    }
    assert!(
        refused > 0,
        "past the cap connections are refused, not left hanging"
    );
    assert!(flood.len() <= 128, "{} held", flood.len());
    drop(flood);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match reqwest::get(format!("{}/emulator/v1/health", server.base)).await {
            Ok(r) if r.status() == 200 => break,
            _ => assert!(Instant::now() < deadline, "health never answered again"),
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(server.terminate().await, Some(0));
}
