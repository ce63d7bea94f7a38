//! Connections a careless or hostile client holds open: slow headers, slow
//! bodies and idle sockets are cut after their timeouts while other clients are
//! served, and past the connection cap a new client gets a clear 503, as does a
//! held wait or an event stream past its own cap.

use std::time::{Duration, Instant};

use phonebox::Config;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use std::sync::Arc;

use tokio::sync::Barrier;

use crate::helpers::{capture_text, next_event, spawn_with, Process, TestApp};

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
    // One connection after another, each asked for health: the first ones are
    // served and kept open, then, at the cap, each new one is refused at once.
    let mut flood = Vec::new();
    let mut refused = 0;
    for _ in 0..200 {
        let mut s = TcpStream::connect(&addr).await.expect("the kernel accepts");
        s.write_all(b"GET /emulator/v1/health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
            .await
            .expect("writes");
        let mut buf = [0u8; 12];
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
            .await
            .expect("every connection is answered")
            .expect("reads");
        match &buf[..n] {
            b"HTTP/1.1 200" => flood.push(s),
            b"HTTP/1.1 503" => refused += 1,
            other => panic!("{}", String::from_utf8_lossy(other)),
        }
    }
    assert!(
        !flood.is_empty() && flood.len() < 128,
        "{} served",
        flood.len()
    );
    assert_eq!(flood.len() + refused, 200);
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

/// An HTTP/2 client that makes a request and then never answers the server's
/// GOAWAY ping used to keep its connection (and its slot) forever.
#[tokio::test]
async fn an_http2_client_that_goes_silent_is_closed_after_the_idle_and_header_timeouts() {
    let (app, _dir) = spawn_limited(|c| {
        c.idle_timeout = Duration::from_secs(1);
        c.header_timeout = Duration::from_secs(1);
    })
    .await;
    let mut h2 = TcpStream::connect(addr(&app)).await.expect("connects");
    let mut hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    hello.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]); // SETTINGS, empty
                                                           // HEADERS on stream 1, END_STREAM | END_HEADERS: GET http /emulator/v1/health
                                                           // (:method GET and :scheme http from HPACK's static table, :path literal).
    let path = b"/emulator/v1/health";
    let mut block = vec![0x82, 0x86, 0x04, path.len() as u8];
    block.extend_from_slice(path);
    hello.extend_from_slice(&[0, 0, block.len() as u8, 1, 0x05, 0, 0, 0, 1]);
    hello.extend_from_slice(&block);
    h2.write_all(&hello).await.expect("writes");
    let started = Instant::now();
    let seen = read_to_close(&mut h2, Duration::from_secs(15)).await;
    let seen = seen.expect("the server closed the connection");
    assert!(seen.len() > 9, "it answered the request before closing");
    assert!(started.elapsed() >= Duration::from_millis(900));
    app.stop().await;
}

/// Asserts `response` is the 503 a cap answers, in Phonebox's shape.
async fn assert_refused_at_cap(response: reqwest::Response, kind: &str, flag: &str) {
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    let error: Value = response.json().await.expect("json");
    assert_eq!(error["error"], kind, "{error}");
    assert!(
        error["message"].as_str().expect("message").contains(flag),
        "{error}"
    );
}

#[tokio::test]
async fn past_the_held_wait_cap_the_next_wait_is_refused_503_and_is_held_again_once_one_ends() {
    let (app, _dir) = spawn_limited(|c| c.max_held_waits = 3).await;
    let phones = ["+15555552411", "+15555552412", "+15555552413"];
    let waits: Vec<_> = phones
        .iter()
        .map(|to| {
            let request = app
                .http
                .get(app.url(&format!("/emulator/v1/phones/{to}/latest?wait=60s")));
            tokio::spawn(async move { request.send().await.expect("sent").status().as_u16() })
        })
        .collect();
    app.until_held_waits(3).await;

    let refused = app
        .get("/emulator/v1/phones/+15555552414/latest?wait=60s")
        .await;
    assert_refused_at_cap(refused, "too_many_waits", "--max-held-waits").await;
    // What needs no holding is still answered: a look without a wait, and a wait
    // whose message is already there.
    let look = app.get("/emulator/v1/phones/+15555552414/latest").await;
    assert_eq!(look.status(), 404);
    capture_text(&app, "+15555552415", "Your code is 111111").await;
    let found = app
        .get("/emulator/v1/phones/+15555552415/latest?wait=60s")
        .await;
    assert_eq!(found.status(), 200);

    // One wait ends with its message; a new one is held in its place.
    capture_text(&app, phones[0], "Your code is 222222").await;
    let mut waits = waits.into_iter();
    assert_eq!(waits.next().expect("first").await.expect("task"), 200);
    app.until_held_waits(2).await;
    let again = app
        .http
        .get(app.url("/emulator/v1/phones/+15555552414/latest?wait=60s"));
    let again = tokio::spawn(async move { again.send().await.expect("sent").status().as_u16() });
    app.until_held_waits(3).await;
    capture_text(&app, "+15555552414", "Your code is 333333").await;
    assert_eq!(again.await.expect("task"), 200);
    for (wait, to) in waits.zip(&phones[1..]) {
        capture_text(&app, to, "Your code is 444444").await;
        assert_eq!(wait.await.expect("task"), 200);
    }
    app.stop().await;
}

#[tokio::test]
async fn a_held_wait_whose_client_hangs_up_gives_its_slot_back() {
    let (app, _dir) = spawn_limited(|c| c.max_held_waits = 5).await;
    let hold = |i: usize| {
        let request = app.http.get(app.url(&format!(
            "/emulator/v1/phones/+1555555243{i}/latest?wait=60s"
        )));
        tokio::spawn(async move { request.send().await.expect("sent").status().as_u16() })
    };
    let gone: Vec<_> = (0..5).map(hold).collect();
    app.until_held_waits(5).await;
    // Every client hangs up at once (its connection closed mid-wait).
    for task in &gone {
        task.abort();
    }
    for task in gone {
        assert!(task.await.expect_err("aborted").is_cancelled());
    }
    app.until_held_waits(0).await;

    // All five slots are back: five new waits are held, and a sixth is refused.
    let held: Vec<_> = (5..10).map(hold).collect();
    app.until_held_waits(5).await;
    let refused = app
        .get("/emulator/v1/phones/+15555552439/latest?wait=60s")
        .await;
    assert_refused_at_cap(refused, "too_many_waits", "--max-held-waits").await;
    for (i, task) in (5..10).zip(held) {
        capture_text(&app, &format!("+1555555243{i}"), "Your code is 666666").await;
        assert_eq!(task.await.expect("task"), 200);
    }
    app.stop().await;
}

#[tokio::test]
async fn a_crowd_of_waits_arriving_at_once_never_holds_more_than_the_cap() {
    let (app, _dir) = spawn_limited(|c| c.max_held_waits = 5).await;
    let crowd = 40;
    let barrier = Arc::new(Barrier::new(crowd));
    let tasks: Vec<_> = (0..crowd)
        .map(|_| {
            let request = app
                .http
                .get(app.url("/emulator/v1/phones/+15555552421/latest?wait=60s"));
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                request.send().await.expect("sent").status().as_u16()
            })
        })
        .collect();
    app.until_held_waits(5).await;
    let mut refusals = 0;
    let mut tasks = tasks
        .into_iter()
        .collect::<futures_util::stream::FuturesUnordered<_>>();
    while refusals < crowd - 5 {
        match futures_util::StreamExt::next(&mut tasks).await {
            Some(Ok(503)) => refusals += 1,
            other => panic!("a wait past the cap answered {other:?}"),
        }
    }
    assert_eq!(
        app.get_json("/emulator/v1/health").await["held_waits"],
        5,
        "exactly the cap is held"
    );
    // One message ends every held wait at once.
    capture_text(&app, "+15555552421", "Your code is 555555").await;
    let held: Vec<u16> = futures_util::StreamExt::collect::<Vec<_>>(tasks)
        .await
        .into_iter()
        .map(|t| t.expect("task"))
        .collect();
    assert_eq!(held, vec![200; 5]);
    app.stop().await;
}

#[tokio::test]
async fn past_the_event_stream_cap_a_new_stream_is_refused_503_until_one_closes() {
    let (app, _dir) = spawn_limited(|c| c.max_event_streams = 2).await;
    let mut open = Vec::new();
    for _ in 0..2 {
        let response = app.get("/emulator/v1/events").await;
        assert_eq!(response.status(), 200);
        let mut stream = response.bytes_stream();
        next_event(&mut stream, &mut String::new(), "ready").await;
        open.push(stream);
    }
    let refused = app.get("/emulator/v1/events").await;
    assert_refused_at_cap(refused, "too_many_streams", "--max-event-streams").await;
    // Other requests are unaffected meanwhile.
    assert_eq!(app.get("/emulator/v1/messages").await.status(), 200);

    drop(open.pop());
    app.until_health("live_views", 1).await;
    let response = app.get("/emulator/v1/events").await;
    assert_eq!(response.status(), 200);
    let mut stream = response.bytes_stream();
    next_event(&mut stream, &mut String::new(), "ready").await;
    drop(stream);
    drop(open);
    app.stop().await;
}

#[tokio::test]
async fn a_crowd_of_event_streams_opened_at_once_never_exceeds_the_cap() {
    let (app, _dir) = spawn_limited(|c| c.max_event_streams = 3).await;
    let crowd = 30;
    let barrier = Arc::new(Barrier::new(crowd));
    let tasks: Vec<_> = (0..crowd)
        .map(|_| {
            let request = app.http.get(app.url("/emulator/v1/events"));
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                request.send().await.expect("sent")
            })
        })
        .collect();
    let mut streams = Vec::new();
    for task in futures_util::future::join_all(tasks).await {
        let response = task.expect("task");
        match response.status().as_u16() {
            200 => streams.push(response),
            503 => {}
            other => panic!("answered {other}"),
        }
    }
    assert_eq!(streams.len(), 3, "exactly the cap is open");
    assert_eq!(app.get_json("/emulator/v1/health").await["live_views"], 3);
    drop(streams);
    app.stop().await;
}
