//! `GET /metrics`: Prometheus's exposition of one server's figures, each moved by
//! exactly what was done to that server.

use std::collections::HashMap;

use serde_json::json;

use crate::helpers::{capture_text, next_event, spawn_app, TestApp};
use crate::mfa::Mfa;

/// One scrape: each sample's value by its series (`name{labels}`), after
/// checking the text is OpenMetrics exposition.
pub(crate) async fn scrape(app: &TestApp) -> HashMap<String, f64> {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text; version=1.0.0"),
        "{content_type}"
    );
    let text = response.text().await.expect("text");
    parse(&text)
}

/// The samples of an exposition, panicking at the first line that is not one.
fn parse(text: &str) -> HashMap<String, f64> {
    assert!(text.ends_with("# EOF\n"), "no EOF marker:\n{text}");
    let mut typed = Vec::new();
    let mut samples = HashMap::new();
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            let mut words = comment.split(' ');
            match words.next() {
                Some("TYPE") => {
                    let name = words.next().expect("a TYPE names its family");
                    let kind = words.next().expect("a TYPE has a type");
                    assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
                    typed.push(name.to_owned());
                }
                Some("HELP" | "UNIT" | "EOF") => {}
                _ => panic!("not a metadata line: {line}"),
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("`series value`");
        let name = series.split('{').next().expect("name");
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "{line}"
        );
        if let Some(labels) = series.strip_prefix(name) {
            if !labels.is_empty() {
                assert!(labels.starts_with('{') && labels.ends_with('}'), "{line}");
                for pair in labels[1..labels.len() - 1].split(',') {
                    let (key, value) = pair.split_once('=').expect("label=value");
                    assert!(!key.is_empty(), "{line}");
                    assert!(value.starts_with('"') && value.ends_with('"'), "{line}");
                }
            }
        }
        assert!(
            typed.iter().any(|family| name.starts_with(family.as_str())),
            "a sample before its TYPE: {line}"
        );
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a value: {line}"));
        assert!(
            samples.insert(series.to_owned(), value).is_none(),
            "twice: {line}"
        );
    }
    samples
}

/// How much each series moved from `before` to `after` (only those that did).
fn moved(before: &HashMap<String, f64>, after: &HashMap<String, f64>) -> HashMap<String, f64> {
    after
        .iter()
        .filter_map(|(series, value)| {
            let delta = value - before.get(series).copied().unwrap_or(0.0);
            (delta != 0.0).then(|| (series.clone(), delta))
        })
        .collect()
}

const CPP: &str =
    "phonebox_messages_captured_total{source=\"auth0.custom-phone-provider\",channel=\"sms\"}";
const BUILTIN: &str = "phonebox_messages_captured_total{source=\"auth0.builtin\",channel=\"sms\"}";
const CAPTURE_COUNT: &str = "phonebox_http_request_duration_seconds_count{kind=\"capture\"}";

#[tokio::test]
async fn each_counter_moves_by_exactly_what_was_done_and_the_text_is_prometheus_exposition() {
    let app = spawn_app().await;
    let start = scrape(&app).await;
    assert_eq!(start[CPP], 0.0, "every series exists from the start");
    assert!(start["phonebox_database_size_bytes"] > 0.0);
    for le in ["0.0005", "0.1", "10.0", "+Inf"] {
        let bucket = format!(
            "phonebox_http_request_duration_seconds_bucket{{le=\"{le}\",kind=\"capture\"}}"
        );
        assert!(start.contains_key(&bucket), "{bucket}");
    }

    // Five captures through one receiver.
    for i in 0..5 {
        capture_text(&app, "+15555557001", &format!("{i}1111 is your code")).await;
    }
    // Refused: a bad payload, a Vonage send without its key (refused in a 200),
    // and a capture while paused.
    let bad = app
        .post_json("/capture/auth0/custom-phone-provider", "{}")
        .await;
    assert_eq!(bad.status(), 400);
    let vonage = app
        .http
        .post(app.url("/sms/json"))
        .form(&[("to", "447700900321"), ("text", "hi")])
        .send()
        .await
        .expect("sent");
    assert_eq!(vonage.status(), 200);
    let paused = app
        .http
        .put(app.url("/emulator/v1/capture"))
        .json(&json!({ "paused": true }))
        .send()
        .await
        .expect("sent");
    assert!(paused.status().is_success());
    let refused = app
        .post_json(
            "/capture/auth0/custom-phone-provider",
            &json!({ "recipient": "+15555557001", "text": "x", "message_type": "text" })
                .to_string(),
        )
        .await;
    assert_eq!(refused.status(), 503);
    app.http
        .put(app.url("/emulator/v1/capture"))
        .json(&json!({ "paused": false }))
        .send()
        .await
        .expect("sent");
    let after_captures = scrape(&app).await;
    assert_eq!(
        moved(&start, &after_captures)
            .into_iter()
            .filter(
                |(series, _)| series.starts_with("phonebox_messages_captured")
                    || series.starts_with("phonebox_captures_refused")
                    || series == CAPTURE_COUNT
            )
            .collect::<HashMap<_, _>>(),
        HashMap::from([
            (CPP.to_owned(), 5.0),
            (
                "phonebox_captures_refused_total{reason=\"invalid\"}".to_owned(),
                2.0
            ),
            (
                "phonebox_captures_refused_total{reason=\"paused\"}".to_owned(),
                1.0
            ),
            (CAPTURE_COUNT.to_owned(), 8.0),
        ])
    );

    // An MFA enrollment: one code sent by the built-in provider, into the inbox.
    Mfa::new(&app)
        .enroll("metrics@example.com", "+15555557002")
        .await;
    let after_mfa = scrape(&app).await;
    let sends = moved(&after_captures, &after_mfa)
        .into_iter()
        .filter(|(series, _)| {
            series.starts_with("phonebox_tenant_sends") || series.starts_with("phonebox_messages")
        })
        .collect::<HashMap<_, _>>();
    assert_eq!(
        sends,
        HashMap::from([
            (
                "phonebox_tenant_sends_total{provider=\"auth0\",outcome=\"delivered\"}".to_owned(),
                1.0
            ),
            (BUILTIN.to_owned(), 1.0),
        ])
    );
    assert!(moved(&after_captures, &after_mfa)
        .contains_key("phonebox_http_request_duration_seconds_count{kind=\"auth0\"}"));

    // A held wait and a live view are seen while they last.
    let waiting = {
        let http = app.http.clone();
        let url = app.url("/emulator/v1/phones/%2B15555557003/latest?wait=10s");
        tokio::spawn(async move { http.get(url).send().await.expect("sent").status() })
    };
    app.until_held_waits(1).await;
    let events = app.get("/emulator/v1/events").await;
    let mut stream = events.bytes_stream();
    let mut buffer = String::new();
    next_event(&mut stream, &mut buffer, "ready").await;
    let held = scrape(&app).await;
    assert_eq!(held["phonebox_held_waits"], 1.0);
    assert_eq!(held["phonebox_event_streams"], 1.0);
    capture_text(&app, "+15555557003", "333333 is your code").await;
    assert_eq!(waiting.await.expect("wait"), 200);
    drop(stream);
    app.until_held_waits(0).await;
    let released = scrape(&app).await;
    assert_eq!(released["phonebox_held_waits"], 0.0);
    assert_eq!(released[CPP] - start[CPP], 6.0);
    app.stop().await;
}

#[tokio::test]
async fn two_servers_in_one_process_keep_their_own_figures() {
    let (a, b) = (spawn_app().await, spawn_app().await);
    capture_text(&a, "+15555557010", "101010 is your code").await;
    assert_eq!(scrape(&a).await[CPP], 1.0);
    assert_eq!(scrape(&b).await[CPP], 0.0);
    a.stop().await;
    b.stop().await;
}

/// Captures reach the database file itself, not only its write-ahead log, without
/// the capture writer checkpointing (it would only past 64 MB of log): the
/// checkpointer runs after commits, and counts each checkpoint.
#[tokio::test]
async fn captured_rows_are_checkpointed_into_the_database_file_off_the_writer() {
    let app = spawn_app().await;
    let text = "checkpointed-7f3a9c is your code";
    capture_text(&app, "+15555550177", text).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let checkpoints = scrape(&app)
            .await
            .get("phonebox_wal_checkpoints_total")
            .copied()
            .unwrap_or(0.0);
        if checkpoints >= 1.0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint ran after a commit"
        );
        // The checkpointer waits a fixed while after a commit, by design.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let file = std::fs::read(&app.db).expect("database file");
    assert!(
        crate::helpers::contains(&file, "checkpointed-7f3a9c"),
        "the row is still only in the log"
    );
}
