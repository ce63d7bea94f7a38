//! The `phonebox` binary's QA commands against a running server.

use std::process::Output;

use crate::helpers::{capture_text, spawn_app};

async fn phonebox(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_phonebox"))
        .args(args)
        .env_remove("PHONEBOX_SERVER")
        .output()
        .await
        .expect("phonebox runs")
}

#[tokio::test]
async fn wait_code_prints_just_the_code() {
    let app = spawn_app().await;
    capture_text(&app, "+15555550100", "Your code is 482913").await;
    let out = phonebox(&[
        "wait-code",
        "--to",
        "+1 555 555 0100",
        "--timeout",
        "5s",
        "--server",
        &app.base,
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "482913\n");
    app.stop().await;
}

#[tokio::test]
async fn wait_code_with_after_waits_for_a_newer_message() {
    let app = spawn_app().await;
    let old = capture_text(&app, "+15555550100", "old 111111").await;
    let id = old["id"].as_str().expect("id").to_owned();
    let base = app.base.clone();
    let waiting = tokio::spawn(async move {
        phonebox(&[
            "wait-code",
            "--to",
            "+15555550100",
            "--after",
            &id,
            "--timeout",
            "300s",
            "--server",
            &base,
        ])
        .await
    });
    app.until_held_waits(1).await;
    capture_text(&app, "+15555550100", "new 222222").await;
    let out = waiting.await.expect("task");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "222222\n");
    app.stop().await;
}

#[tokio::test]
async fn wait_code_exits_non_zero_on_timeout() {
    let app = spawn_app().await;
    let out = phonebox(&[
        "wait-code",
        "--to",
        "+15555550100",
        "--timeout",
        "100ms",
        "--server",
        &app.base,
    ])
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no code"));
    app.stop().await;
}

#[tokio::test]
async fn messages_lists_as_table_and_json() {
    let app = spawn_app().await;
    capture_text(&app, "+15555550100", "Your code is 482913").await;
    capture_text(&app, "+15555550199", "Your code is 111222").await;
    let out = phonebox(&["messages", "--server", &app.base]).await;
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        table.contains("482913") && table.contains("111222"),
        "{table}"
    );

    let out = phonebox(&[
        "messages",
        "--to",
        "+15555550199",
        "--json",
        "--server",
        &app.base,
    ])
    .await;
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(list.as_array().expect("array").len(), 1);
    assert_eq!(list[0]["code"], "111222");
    app.stop().await;
}

#[tokio::test]
async fn unreachable_server_is_a_clear_error() {
    let out = phonebox(&["messages", "--server", "http://127.0.0.1:1"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach Phonebox"));
}

#[tokio::test]
async fn chaos_set_list_and_clear_drive_the_server() {
    let app = spawn_app().await;
    let set = phonebox(&[
        "chaos",
        "set",
        "twilio",
        "--error",
        "21611",
        "--probability",
        "0.25",
        "--latency",
        "10ms",
        "--server",
        &app.base,
    ])
    .await;
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let rules = app.get_json("/emulator/v1/chaos").await;
    assert_eq!(rules["rules"]["twilio"]["error"], "21611");
    assert_eq!(rules["rules"]["twilio"]["probability"], 0.25);
    assert_eq!(rules["rules"]["twilio"]["latency_ms"], 10);

    let list = phonebox(&["chaos", "list", "--server", &app.base]).await;
    assert!(String::from_utf8_lossy(&list.stdout).contains("twilio: "));

    let refused = phonebox(&[
        "chaos", "set", "twilio", "--error", "abc", "--server", &app.base,
    ])
    .await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("error"));

    let clear = phonebox(&["chaos", "clear", "--server", &app.base]).await;
    assert!(clear.status.success());
    assert_eq!(
        app.get_json("/emulator/v1/chaos").await["rules"],
        serde_json::json!({})
    );
    app.stop().await;
}

#[tokio::test]
async fn clock_advance_and_reset() {
    let app = spawn_app().await;
    let out = phonebox(&["clock", "advance", "1h", "--server", &app.base]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ahead of real time by 1h"));
    assert_eq!(
        app.get_json("/emulator/v1/clock").await["offset_ms"],
        3_600_000
    );
    let bad = phonebox(&["clock", "advance", "later", "--server", &app.base]).await;
    assert_eq!(bad.status.code(), Some(1));
    let out = phonebox(&["clock", "reset", "--server", &app.base]).await;
    assert!(out.status.success());
    assert_eq!(app.get_json("/emulator/v1/clock").await["offset_ms"], 0);
    app.stop().await;
}
