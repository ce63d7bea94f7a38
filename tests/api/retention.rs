//! Retention: `--max-messages` keeps the newest N, `--max-age` deletes what the
//! emulated clock has made too old, both in the background while capture goes on;
//! set over `/emulator/v1/retention` (saved across restarts) unless a flag set it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::Stream;
use serde_json::{json, Value};

use crate::helpers::{
    all_at_once, capture_text, next_event, spawn_app, spawn_app_at, spawn_with, Process, TestApp,
};

/// How long a test waits for a prune it caused before it fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(60);

type Events = std::pin::Pin<Box<dyn Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

/// An event stream already subscribed (`ready` seen): no prune after it is missed.
async fn events(app: &TestApp) -> (Events, String) {
    let response = app.get("/emulator/v1/events").await;
    assert_eq!(response.status(), 200);
    let mut stream: Events = Box::pin(response.bytes_stream());
    let mut buffer = String::new();
    next_event(&mut stream, &mut buffer, "ready").await;
    (stream, buffer)
}

/// Waits for prunes until `done` says the inbox is as expected.
async fn until_pruned<F, Fut>(stream: &mut Events, buffer: &mut String, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    tokio::time::timeout(PATIENCE, async {
        while !done().await {
            next_event(stream, buffer, "messages.pruned").await;
        }
    })
    .await
    .expect("retention pruned in time");
}

async fn retention(app: &TestApp) -> Value {
    app.get_json("/emulator/v1/retention").await
}

async fn patch(app: &TestApp, body: Value) -> (u16, Value) {
    app.call(reqwest::Method::PATCH, "/emulator/v1/retention", Some(body))
        .await
}

async fn ids(app: &TestApp) -> Vec<String> {
    let mut ids: Vec<String> = app
        .messages()
        .await
        .iter()
        .map(|m| m["id"].as_str().expect("id").to_owned())
        .collect();
    ids.sort();
    ids
}

fn capture_request(app: &TestApp, to: &str, text: &str) -> reqwest::RequestBuilder {
    app.http
        .post(app.url("/capture/auth0/custom-phone-provider"))
        .json(&json!({ "recipient": to, "text": text, "message_type": "text" }))
}

#[tokio::test]
async fn a_cap_of_twenty_keeps_exactly_the_newest_twenty_of_fifty_captured_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = phonebox::Config::new(
        "127.0.0.1:0".parse().expect("addr"),
        dir.path().join("phonebox.db"),
    );
    config.max_messages = Some(20);
    let app = spawn_with(config).await;
    let (mut stream, mut buffer) = events(&app).await;

    let requests = (0..50)
        .map(|i| capture_request(&app, &format!("+1555555{:04}", 1000 + i % 7), "code 123456"))
        .collect();
    let answers = all_at_once(requests).await;
    let mut captured: Vec<String> = answers
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, 201, "{body}");
            body["id"].as_str().expect("id").to_owned()
        })
        .collect();
    captured.sort();

    until_pruned(&mut stream, &mut buffer, || async {
        ids(&app).await.len() == 20
    })
    .await;
    assert_eq!(
        ids(&app).await,
        captured[30..],
        "the newest twenty are kept"
    );
    assert_eq!(retention(&app).await["pruned"], 30);
    app.stop().await;
}

#[tokio::test]
async fn max_age_deletes_what_the_advanced_clock_made_too_old_with_its_read_marks_and_keeps_the_rest(
) {
    let app = spawn_app().await;
    let (status, body) = patch(&app, json!({ "max_age": "1h" })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["max_age"], "1h");
    let (mut stream, mut buffer) = events(&app).await;

    let gone_phone = "+15555552001";
    let kept_phone = "+15555552002";
    let old: Vec<Value> = vec![
        capture_text(&app, gone_phone, "old 111111").await,
        capture_text(&app, gone_phone, "old 222222").await,
        capture_text(&app, kept_phone, "old 333333").await,
    ];
    for phone in [gone_phone, kept_phone] {
        let marked = app
            .post_json(&format!("/emulator/v1/phones/{phone}/read"), "{}")
            .await;
        assert_eq!(marked.status(), 200);
    }
    // A forward of an old message: the audit trail of what was sent stays.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", app.db.display()))
        .await
        .expect("opens");
    sqlx::query(
        "INSERT INTO forwards (message_id, tenant, channel, text, via, destination, state, \
         next_at, created_at) VALUES (?, 'default', 'sms', 'old 111111', 'webhook', ?, 'sent', 0, 0)",
    )
    .bind(old[0]["id"].as_str())
    .bind(gone_phone)
    .execute(&pool)
    .await
    .expect("forward row");

    let advanced = app
        .http
        .post(app.url("/emulator/v1/clock/advance"))
        .json(&json!({ "by": "2h" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(advanced.status(), 200);
    let young = capture_text(&app, kept_phone, "young 444444").await;

    until_pruned(&mut stream, &mut buffer, || async {
        ids(&app).await.len() == 1
    })
    .await;
    assert_eq!(ids(&app).await, [young["id"].as_str().expect("id")]);
    assert_eq!(retention(&app).await["pruned"], 3);

    let reads: Vec<String> = sqlx::query_scalar("SELECT recipient FROM phone_reads")
        .fetch_all(&pool)
        .await
        .expect("reads");
    assert_eq!(
        reads,
        [kept_phone],
        "the phone with nothing left has no read mark"
    );
    let forwards: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM forwards")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(forwards, 1, "forwards are kept");
    let phones = app.get_json("/emulator/v1/phones").await;
    let numbers: Vec<&str> = phones["phones"]
        .as_array()
        .expect("phones")
        .iter()
        .map(|p| p["number"].as_str().expect("number"))
        .collect();
    assert_eq!(numbers, [kept_phone]);
    pool.close().await;
    app.stop().await;
}

#[tokio::test]
async fn capture_keeps_answering_while_a_backlog_of_thirty_thousand_is_pruned() {
    const BACKLOG: u64 = 30_000;
    const CAP: u64 = 100;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    {
        let store = phonebox::store::Store::open(&db).await.expect("opens");
        let seeded = phonebox::cli::seed::seed(&store, BACKLOG, 500)
            .await
            .expect("seeds");
        assert_eq!(seeded, BACKLOG);
        store.close().await;
    }
    let app = Arc::new(spawn_app_at(&db).await);
    let (mut stream, mut buffer) = events(&app).await;

    let pruning = Arc::new(AtomicBool::new(true));
    let capturers: Vec<_> = (0..4)
        .map(|worker| {
            let (app, pruning) = (app.clone(), pruning.clone());
            tokio::spawn(async move {
                let mut answers = Vec::new();
                let mut i = 0;
                while pruning.load(Ordering::Relaxed) {
                    let to = format!("+1555555{:04}", 3000 + worker);
                    let started = Instant::now();
                    let response = capture_request(&app, &to, &format!("during {i} 123456"))
                        .send()
                        .await
                        .expect("sent");
                    answers.push((response.status().as_u16(), started.elapsed()));
                    i += 1;
                }
                answers
            })
        })
        .collect();

    let started = Instant::now();
    let (status, body) = patch(&app, json!({ "max_messages": CAP })).await;
    assert_eq!(status, 200, "{body}");
    until_pruned(&mut stream, &mut buffer, || async {
        retention(&app).await["pruned"].as_u64().expect("pruned") >= BACKLOG - CAP
    })
    .await;
    let took = started.elapsed();
    pruning.store(false, Ordering::Relaxed);

    let mut answers = Vec::new();
    for capturer in capturers {
        answers.extend(capturer.await.expect("capturer"));
    }
    assert!(!answers.is_empty(), "captures were made during the prune");
    for (status, _) in &answers {
        assert_eq!(*status, 201, "every capture during the prune answered");
    }
    let mut latencies: Vec<Duration> = answers.iter().map(|(_, l)| *l).collect();
    latencies.sort();
    println!(
        "pruned {} of {BACKLOG} seeded messages to a cap of {CAP} in {took:?}; {} captures \
         meanwhile: p50 {:?}, max {:?}",
        retention(&app).await["pruned"],
        latencies.len(),
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1],
    );

    // Once the captures stop, the cap is met exactly.
    until_pruned(&mut stream, &mut buffer, || async {
        ids(&app).await.len() == CAP as usize
    })
    .await;
    drop(stream);

    // The pruner raced the indexer over the unindexed backlog: once the index has
    // caught up, a search through it finds exactly what the list holds.
    app.until_indexed().await;
    let left = app.messages().await;
    assert_eq!(left.len(), CAP as usize);
    for q in ["123456", "during", "code"] {
        let listed = left
            .iter()
            .filter(|m| {
                ["text", "recipient", "code"]
                    .iter()
                    .any(|k| m[k].as_str().is_some_and(|v| v.to_lowercase().contains(q)))
            })
            .count();
        let page = app
            .get_json(&format!("/emulator/v1/messages?q={q}&limit=500"))
            .await;
        let found = page["messages"].as_array().expect("messages").len();
        assert_eq!(found, listed, "q={q}: the index and the list disagree");
    }
    assert!(app.index_behind().await <= 0, "nothing was captured since");
    let db = app.db.clone();
    Arc::into_inner(app).expect("one handle").stop().await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("opens");
    sqlx::query("INSERT INTO message_search(message_search, rank) VALUES('integrity-check', 1)")
        .execute(&pool)
        .await
        .expect("the search index matches the messages it holds");
    pool.close().await;
}

#[tokio::test]
async fn retention_set_over_the_api_is_merged_and_kept_across_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    let app = spawn_app_at(&db).await;
    let off = retention(&app).await;
    assert_eq!(off["max_messages"], Value::Null);
    assert_eq!(off["max_age"], Value::Null);

    let (status, set) = patch(&app, json!({ "max_messages": 5000, "max_age": "7d" })).await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(set["max_messages"], 5000);
    assert_eq!(set["max_age"], "7d");
    assert_eq!(set["max_age_secs"], 7 * 86_400);
    assert_eq!(
        set["set_by_flag"],
        json!({ "max_messages": false, "max_age": false })
    );
    let (status, merged) = patch(&app, json!({ "max_age": null })).await;
    assert_eq!(status, 200, "{merged}");
    assert_eq!(merged["max_messages"], 5000, "left out: unchanged");
    assert_eq!(merged["max_age"], Value::Null, "null: off");
    let (_, merged) = patch(&app, json!({ "max_age": "36h" })).await;
    assert_eq!(retention(&app).await, merged);

    // Many changes at once: what is saved is what is in force.
    let requests = (1..=20)
        .map(|n| {
            app.http
                .patch(app.url("/emulator/v1/retention"))
                .json(&json!({ "max_messages": n * 100 }))
        })
        .collect();
    for (status, body) in all_at_once(requests).await {
        assert_eq!(status, 200, "{body}");
    }
    let in_force = retention(&app).await;
    app.stop().await;

    let app = spawn_app_at(&db).await;
    let after = retention(&app).await;
    assert_eq!(after["max_messages"], in_force["max_messages"]);
    assert_eq!(after["max_age"], "36h");
    app.stop().await;
}

#[tokio::test]
async fn bad_retention_values_are_refused_with_the_field_in_phoneboxs_shape() {
    let app = spawn_app().await;
    patch(&app, json!({ "max_messages": 50 })).await;
    for (body, field) in [
        (json!({ "max_messages": 0 }), "max_messages"),
        (json!({ "max_messages": -1 }), "max_messages"),
        (json!({ "max_messages": 1.5 }), "max_messages"),
        (json!({ "max_messages": "ten" }), "max_messages"),
        (json!({ "max_messages": 2_000_000_000u64 }), "max_messages"),
        (json!({ "max_age": "0s" }), "max_age"),
        (json!({ "max_age": "soon" }), "max_age"),
        (json!({ "max_age": "99999999999999999999d" }), "max_age"),
        (json!({ "max_age": "40000d" }), "max_age"),
        (json!({ "max_age": 3600 }), "max_age"),
        (json!({ "keep": 5 }), "keep"),
    ] {
        let (status, answer) = patch(&app, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["error"], "invalid_field", "{body}: {answer}");
        assert!(
            answer["field"].as_str().expect("field").contains(field),
            "{body}: {answer}"
        );
        assert!(answer["message"].is_string(), "{answer}");
    }
    assert_eq!(
        retention(&app).await["max_messages"],
        50,
        "nothing was changed"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_flag_wins_over_the_saved_value_while_given_and_the_saved_one_returns_without_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    let app = spawn_app_at(&db).await;
    patch(&app, json!({ "max_messages": 500, "max_age": "7d" })).await;
    app.stop().await;

    let mut config = phonebox::Config::new("127.0.0.1:0".parse().expect("addr"), db.clone());
    config.max_messages = Some(10);
    let app = spawn_with(config).await;
    let view = retention(&app).await;
    assert_eq!(view["max_messages"], 10);
    assert_eq!(view["max_age"], "7d");
    assert_eq!(
        view["set_by_flag"],
        json!({ "max_messages": true, "max_age": false })
    );
    let (status, refused) = patch(&app, json!({ "max_messages": 50 })).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"], "conflict");
    assert!(
        refused["message"]
            .as_str()
            .expect("message")
            .contains("--max-messages"),
        "{refused}"
    );
    let (status, same) = patch(&app, json!({ "max_messages": 10, "max_age": "1d" })).await;
    assert_eq!(
        status, 200,
        "the flag's own value, and what no flag set: {same}"
    );
    assert_eq!(same["max_age"], "1d");
    app.stop().await;

    let app = spawn_app_at(&db).await;
    let view = retention(&app).await;
    assert_eq!(view["max_messages"], 500, "the saved value is back");
    assert_eq!(view["max_age"], "1d");
    app.stop().await;
}

#[tokio::test]
async fn the_env_twins_set_retention_for_a_server_process() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    let server = Process::start(
        &["--db".as_ref(), db.as_os_str()],
        &[
            ("PHONEBOX_MAX_MESSAGES", "25".as_ref()),
            ("PHONEBOX_MAX_AGE", "12h".as_ref()),
        ],
        &dir.path().join("server.log"),
    )
    .await
    .expect("starts");
    let view: Value = reqwest::get(format!("{}/emulator/v1/retention", server.base))
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(view["max_messages"], 25);
    assert_eq!(view["max_age"], "12h");
    assert_eq!(
        view["set_by_flag"],
        json!({ "max_messages": true, "max_age": true })
    );
    assert_eq!(server.terminate().await, Some(0));

    let refused = Process::start(
        &["--db".as_ref(), db.as_os_str()],
        &[("PHONEBOX_MAX_AGE", "0s".as_ref())],
        &dir.path().join("refused.log"),
    )
    .await;
    let Err((code, output)) = refused else {
        panic!("a zero age is refused at start");
    };
    assert_eq!(code, Some(2), "{output}");
    assert!(output.contains("--max-age"), "{output}");
}
