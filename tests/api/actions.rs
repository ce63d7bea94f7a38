//! The user's own Actions and Hooks, run by the tenant's custom provider with the
//! machine's `node`: how each ending (success, throw, drop, retry, timeout, memory)
//! reaches the inbox and the tenant log, api.cache between runs, the flow
//! timeline, and what configuration refuses.

use std::path::PathBuf;

use serde_json::{json, Value};
use tempfile::TempDir;

use crate::helpers::{contains, database_bytes, spawn_app, spawn_app_at, spawn_with, TestApp};
use crate::mfa::{latest, logs_of, Mfa};

/// An Action folder holding `source` as `action.js`.
fn action_file(source: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("action.js");
    std::fs::write(&file, source).expect("write the Action");
    (dir, file)
}

/// A custom-phone-provider Action that posts the notification to this Phonebox's
/// capture endpoint with `fetch`, after `before` (JS run first in the handler).
fn posting_action(before: &str) -> String {
    format!(
        r#"exports.onExecuteCustomPhoneProvider = async (event, api) => {{
  {before}
  const n = event.notification;
  const r = await fetch(event.secrets.SERVICE_URL, {{
    method: 'POST',
    headers: {{ 'content-type': 'application/json' }},
    body: JSON.stringify({{ recipient: n.recipient, text: n.as_text, code: n.code, message_type: n.delivery_method, action: n.message_type === 'otp_verify' ? 'second-factor-authentication' : 'enrollment' }}),
  }});
  console.log('posted', r.status);
}};
"#
    )
}

async fn configure(app: &TestApp, tenant: &str, body: Value) -> (u16, Value) {
    let res = app
        .post_json(
            &format!("/emulator/v1/tenants/{tenant}/actions"),
            &body.to_string(),
        )
        .await;
    let status = res.status().as_u16();
    (status, res.json().await.expect("json"))
}

async fn configure_ok(app: &TestApp, body: Value) -> String {
    let (status, view) = configure(app, "default", body).await;
    assert_eq!(status, 201, "{view}");
    view["id"].as_str().expect("id").to_owned()
}

/// `n` test runs of Action `id` fired at once behind a barrier, to `{prefix}0`,
/// `{prefix}1`…: each run as answered (200).
async fn test_runs_at_once(app: &TestApp, id: &str, n: usize, prefix: &str) -> Vec<Value> {
    let url = app.url(&format!("/emulator/v1/tenants/default/actions/{id}/test"));
    let requests = (0..n)
        .map(|i| {
            app.http
                .post(&url)
                .json(&json!({ "to": format!("{prefix}{i}") }))
        })
        .collect();
    crate::helpers::all_at_once(requests)
        .await
        .into_iter()
        .map(|(status, run)| {
            assert_eq!(status, 200, "{run}");
            run
        })
        .collect()
}

/// The `SERVICE_URL` secret `posting_action` posts to: this server's capture endpoint.
fn service_url(app: &TestApp) -> Value {
    json!({ "secrets": { "SERVICE_URL": app.url("/capture/auth0/custom-phone-provider") } })
}

/// A server whose tenant's Unified Phone custom provider runs `source`, configured
/// with the fields `extra` gives (it sees the server, for URLs of its own).
async fn provider_running(
    source: &str,
    extra: impl FnOnce(&TestApp) -> Value,
) -> (TestApp, TempDir, String) {
    let app = spawn_app().await;
    crate::helpers::use_custom_provider(&app, "default", &["text", "voice"]).await;
    let (dir, file) = action_file(source);
    let mut body = json!({ "trigger": "custom-phone-provider", "path": file });
    if let (Some(fields), Value::Object(more)) = (body.as_object_mut(), extra(&app)) {
        fields.extend(more);
    }
    let id = configure_ok(&app, body).await;
    (app, dir, id)
}

async fn test_run(app: &TestApp, id: &str, to: &str) -> Value {
    let res = app
        .post_json(
            &format!("/emulator/v1/tenants/default/actions/{id}/test"),
            &json!({ "to": to }).to_string(),
        )
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.expect("json")
}

async fn flow(app: &TestApp, transaction: &str) -> Value {
    app.get_json(&format!("/emulator/v1/flows/{transaction}"))
        .await
}

fn kinds(flow: &Value) -> Vec<String> {
    flow["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["kind"].as_str().expect("kind").to_owned())
        .collect()
}

fn runs_of(flow: &Value) -> Vec<Value> {
    flow["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["kind"] == "action_run")
        .map(|s| s["run"].clone())
        .collect()
}

/// Enrolls a user's phone by SMS; the transaction id its send was logged with.
async fn enroll(app: &TestApp, email: &str, phone: &str) -> String {
    let mfa = Mfa::new(app);
    let token = mfa.mfa_token(email).await;
    let res = mfa.associate(&token, phone, "sms").await;
    assert_eq!(res.status(), 200, "the app is told nothing of the delivery");
    let sends = [
        logs_of(app, "gd_send_sms").await,
        logs_of(app, "gd_send_sms_failure").await,
    ]
    .concat();
    sends
        .iter()
        .filter_map(|l| l["details"]["transaction_id"].as_str())
        .next_back()
        .expect("a send was logged")
        .to_owned()
}

#[tokio::test]
async fn a_custom_phone_provider_action_delivers_an_enrollment_and_the_flow_shows_every_step() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    let app = spawn_app_at(&db).await;
    crate::helpers::use_custom_provider(&app, "default", &["text", "voice"]).await;
    let (_dir, file) = action_file(&posting_action(
        "console.log('sending to', event.notification.recipient);",
    ));
    configure_ok(
        &app,
        json!({ "trigger": "custom-phone-provider", "path": file, "secrets": { "SERVICE_URL": app.url("/capture/auth0/custom-phone-provider"), "TOKEN": "action-token-never-in-clear-42" } }),
    )
    .await;
    let listed = app.get_json("/emulator/v1/tenants/default/actions").await;
    assert_eq!(listed["actions"][0]["in_use"], true, "{listed}");
    let mfa = Mfa::new(&app);
    let token = mfa.mfa_token("flow@example.com").await;
    let associated: Value = mfa
        .associate(&token, "+15555552001", "sms")
        .await
        .json()
        .await
        .expect("json");
    let message = latest(&app, "+15555552001").await;
    let transaction = message["attributes"]["transaction_id"]
        .as_str()
        .expect("linked to its transaction")
        .to_owned();
    let run_id = message["attributes"]["action_run_id"]
        .as_str()
        .expect("linked to the run")
        .to_owned();
    let code = message["code"].as_str().expect("code").to_owned();
    let granted = mfa
        .oob_grant(&token, associated["oob_code"].as_str().expect("oob"), &code)
        .await;
    assert_eq!(granted.status(), 200);

    let timeline = flow(&app, &transaction).await;
    let kinds = kinds(&timeline);
    for kind in ["request", "template", "action_run", "message", "log"] {
        assert!(kinds.contains(&kind.to_owned()), "{kind} in {kinds:?}");
    }
    let position = |k: &str| kinds.iter().position(|x| x == k).expect("step");
    assert!(position("request") < position("template"));
    assert!(position("template") < position("action_run"));
    assert!(position("action_run") < position("message"));
    let runs = runs_of(&timeline);
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["id"], run_id.as_str());
    assert_eq!(run["outcome"], "success");
    assert_eq!(run["console"], "sending to +15555552001\nposted 201\n");
    assert_eq!(run["event"]["notification"]["code"], code.as_str());
    assert_eq!(run["event"]["notification"]["message_type"], "otp_enroll");
    assert_eq!(run["event"]["user"]["email"], "flow@example.com");
    assert_eq!(run["message_ids"], json!([message["id"]]));
    let logs: Vec<&str> = timeline["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["kind"] == "log")
        .map(|s| s["type"].as_str().expect("type"))
        .collect();
    assert!(logs.contains(&"gd_send_sms"), "{logs:?}");
    assert!(
        logs.iter()
            .any(|t| *t == "seoobft" || *t == "gd_auth_succeed"),
        "the grant's result is on the timeline: {logs:?}"
    );
    let sent = &logs_of(&app, "gd_send_sms").await[0];
    assert_eq!(sent["details"]["action_run_id"], run_id.as_str());
    // The secret is nowhere in clear: not in the run, not in the database.
    assert!(!timeline.to_string().contains("action-token-never-in-clear"));
    app.stop().await;
    assert!(!contains(
        &database_bytes(&db),
        "action-token-never-in-clear"
    ));
}

#[tokio::test]
async fn an_action_that_throws_is_a_send_failure_logged_with_its_error_and_stack() {
    let (app, _dir, _) = provider_running("exports.onExecuteCustomPhoneProvider = async () => { console.log('about to fail'); throw new Error('gateway said no'); };", |_| json!({})).await;
    let transaction = enroll(&app, "throws@example.com", "+15555552002").await;
    let failure = &logs_of(&app, "gd_send_sms_failure").await[0];
    assert!(
        failure["description"]
            .as_str()
            .is_some_and(|d| d.contains("gateway said no")),
        "{failure}"
    );
    let timeline = flow(&app, &transaction).await;
    let run = &runs_of(&timeline)[0];
    assert_eq!(run["outcome"], "error");
    assert_eq!(run["error"]["message"], "gateway said no");
    assert!(run["error"]["stack"]
        .as_str()
        .is_some_and(|s| s.contains("action.js")));
    assert_eq!(run["console"], "about to fail\n");
    assert!(
        !kinds(&timeline).contains(&"message".to_owned()),
        "nothing delivered"
    );
    app.stop().await;
}

#[tokio::test]
async fn drop_fails_the_send_with_its_reason_cut_to_1024_characters_and_only_the_last_call_counts()
{
    let (app, _dir, _) = provider_running("exports.onExecuteCustomPhoneProvider = async (event, api) => { api.notification.retry('first'); api.notification.drop('x'.repeat(5000)); };", |_| json!({})).await;
    let transaction = enroll(&app, "drops@example.com", "+15555552003").await;
    let timeline = flow(&app, &transaction).await;
    let runs = runs_of(&timeline);
    assert_eq!(runs.len(), 1, "a drop is not retried");
    assert_eq!(runs[0]["outcome"], "drop");
    assert_eq!(runs[0]["reason"].as_str().map(str::len), Some(1024));
    assert_eq!(runs[0]["retry_at"], Value::Null);
    let failure = &logs_of(&app, "gd_send_sms_failure").await[0];
    assert!(failure["description"]
        .as_str()
        .is_some_and(|d| d.starts_with("The custom phone provider dropped the notification: xxx")));
    app.stop().await;
}

#[tokio::test]
async fn retry_twice_then_success_is_run_again_on_the_emulated_clock_and_delivered() {
    // The Action counts its attempts in its own cache.
    let (app, _dir, id) = provider_running(
        &posting_action(
            "const attempt = Number((api.cache.get('attempts') || {}).value || 0) + 1;
  api.cache.set('attempts', String(attempt));
  console.log('attempt', attempt);
  if (attempt < 3) { api.notification.retry('gateway busy ' + attempt); return; }",
        ),
        service_url,
    )
    .await;
    let transaction = enroll(&app, "retries@example.com", "+15555552004").await;
    let first = runs_of(&flow(&app, &transaction).await);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["outcome"], "retry", "{}", first[0]);
    assert!(first[0]["retry_at"].is_string(), "{}", first[0]);
    // An hour later on the emulated clock, both retries are due, one after the other.
    let moved = app
        .post_json("/emulator/v1/clock/advance", r#"{"by":"1h"}"#)
        .await;
    assert_eq!(moved.status(), 200);
    let delivered = app
        .get_json("/emulator/v1/phones/%2B15555552004/latest?wait=15s")
        .await;
    assert_eq!(
        delivered["attributes"]["transaction_id"],
        transaction.as_str()
    );
    // The run is kept once it ends, a moment after its message was captured.
    let runs = until_runs(&app, &transaction, 3).await;
    let attempts: Vec<(i64, String)> = runs
        .iter()
        .map(|r| {
            (
                r["attempt"].as_i64().expect("attempt"),
                r["outcome"].as_str().expect("outcome").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        attempts,
        [
            (1, "retry".to_owned()),
            (2, "retry".to_owned()),
            (3, "success".to_owned())
        ]
    );
    assert_eq!(runs[2]["console"], "attempt 3\nposted 201\n");
    // The Action's own list has them newest first.
    let listed = app
        .get_json(&format!("/emulator/v1/tenants/default/actions/{id}/runs"))
        .await;
    let listed: Vec<i64> = listed["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| r["attempt"].as_i64().expect("attempt"))
        .collect();
    assert_eq!(listed, [3, 2, 1]);
    assert_eq!(logs_of(&app, "gd_send_sms_failure").await.len(), 2);
    assert_eq!(logs_of(&app, "gd_send_sms").await.len(), 1);
    app.stop().await;
}

/// The transaction's runs once there are `n` of them (polled: a run is kept when
/// its process ends, which nothing else signals).
async fn until_runs(app: &TestApp, transaction: &str, n: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let runs = runs_of(&flow(app, transaction).await);
        if runs.len() >= n || std::time::Instant::now() > deadline {
            return runs;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Whether process `pid` is gone (or only a zombie waiting for its reaper).
fn gone(pid: u64) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

/// An Action that starts a child of its own, writes both pids to `pids` in its
/// folder, and never returns.
const HANGS_WITH_A_CHILD: &str = "const { spawn } = require('child_process');
exports.onExecuteCustomPhoneProvider = async () => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  require('fs').writeFileSync('pids', process.pid + ' ' + child.pid);
  await new Promise(() => {});
};";

/// The pids `HANGS_WITH_A_CHILD` wrote in `dir`: the run's node, then its child.
fn pids_in(dir: &std::path::Path) -> Vec<u64> {
    let pids: Vec<u64> = std::fs::read_to_string(dir.join("pids"))
        .expect("the Action ran in its folder")
        .split_whitespace()
        .map(|p| p.parse().expect("pid"))
        .collect();
    assert_eq!(pids.len(), 2);
    pids
}

/// Asserts every one of `pids` is gone within a few seconds (a killed process
/// takes a moment to become a zombie).
async fn until_gone(pids: &[u64]) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !pids.iter().all(|p| gone(*p)) && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for pid in pids {
        assert!(gone(*pid), "process {pid} outlived its run");
    }
}

#[tokio::test]
async fn an_action_that_never_returns_is_stopped_at_its_timeout_with_every_process_it_started() {
    let (app, dir, _) =
        provider_running(HANGS_WITH_A_CHILD, |_| json!({ "timeout_secs": 1 })).await;
    let transaction = enroll(&app, "hangs@example.com", "+15555552005").await;
    let run = &runs_of(&flow(&app, &transaction).await)[0];
    assert_eq!(run["outcome"], "timeout");
    assert!(run["reason"]
        .as_str()
        .is_some_and(|r| r.contains("did not finish within 1 s")));
    let pids = pids_in(dir.path());
    assert_eq!(run["pid"].as_u64(), Some(pids[0]));
    until_gone(&pids).await;
    let failure = &logs_of(&app, "gd_send_sms_failure").await[0];
    assert!(failure["description"]
        .as_str()
        .is_some_and(|d| d.contains("did not finish")));
    app.stop().await;
}

#[tokio::test]
async fn an_action_that_allocates_without_bound_ends_at_its_memory_cap() {
    let (app, _dir, _) = provider_running("exports.onExecuteCustomPhoneProvider = async () => { const hoard = []; for (;;) hoard.push(new Array(100000).fill({ x: 1 })); };", |_| json!({ "max_memory_mb": 32 })).await;
    let transaction = enroll(&app, "hoards@example.com", "+15555552006").await;
    let run = &runs_of(&flow(&app, &transaction).await)[0];
    assert_eq!(run["outcome"], "out_of_memory", "{run}");
    assert!(run["reason"].as_str().is_some_and(|r| r.contains("32 MB")));
    assert!(logs_of(&app, "gd_send_sms_failure").await[0]["description"]
        .as_str()
        .is_some_and(|d| d.contains("ran out of memory")));
    // The server is unharmed.
    assert_eq!(app.get("/emulator/v1/health").await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn api_cache_survives_between_runs_of_an_action_and_is_its_own() {
    let app = spawn_app().await;
    let counting = |handler: &str| {
        format!(
            "exports.{handler} = async (event, api) => {{
  const n = Number((api.cache.get('n') || {{}}).value || 0) + 1;
  const set = api.cache.set('n', String(n));
  console.log(n, set.type, set.record.expires_at - Date.now() > 0);
}};"
        )
    };
    let (_a, first) = action_file(&counting("onExecuteCustomPhoneProvider"));
    let (_b, second) = action_file(&counting("onExecuteSendPhoneMessage"));
    let a = configure_ok(
        &app,
        json!({ "trigger": "custom-phone-provider", "path": first }),
    )
    .await;
    let b = configure_ok(
        &app,
        json!({ "trigger": "send-phone-message", "path": second }),
    )
    .await;
    assert_eq!(
        test_run(&app, &a, "+15555552007").await["console"],
        "1 success true\n"
    );
    assert_eq!(
        test_run(&app, &a, "+15555552007").await["console"],
        "2 success true\n"
    );
    assert_eq!(
        test_run(&app, &b, "+15555552007").await["console"],
        "1 success true\n",
        "another Action has a cache of its own"
    );
    // send-phone-message records live 15 minutes: after an hour they are gone.
    let moved = app
        .post_json("/emulator/v1/clock/advance", r#"{"by":"1h"}"#)
        .await;
    assert_eq!(moved.status(), 200);
    assert_eq!(
        test_run(&app, &b, "+15555552007").await["console"],
        "1 success true\n"
    );
    assert_eq!(
        test_run(&app, &a, "+15555552007").await["console"],
        "3 success true\n",
        "custom-phone-provider records live a day"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_missing_node_is_a_clear_error_and_a_logged_send_failure_not_a_crash() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = phonebox::Config::new(
        "127.0.0.1:0".parse().expect("addr"),
        dir.path().join("phonebox.db"),
    );
    config.node = Some(dir.path().join("no-node-here"));
    let app = spawn_with(config).await;
    crate::helpers::use_custom_provider(&app, "default", &["text", "voice"]).await;
    let (_d, file) = action_file("exports.onExecuteCustomPhoneProvider = async () => {};");
    let id = configure_ok(
        &app,
        json!({ "trigger": "custom-phone-provider", "path": file }),
    )
    .await;
    let run = test_run(&app, &id, "+15555552008").await;
    assert_eq!(run["outcome"], "node_missing");
    assert!(run["reason"]
        .as_str()
        .is_some_and(|r| r.contains("Node.js was not found") && r.contains("18 or later")));
    enroll(&app, "nonode@example.com", "+15555552008").await;
    assert!(logs_of(&app, "gd_send_sms_failure").await[0]["description"]
        .as_str()
        .is_some_and(|d| d.contains("Node.js was not found")));
    assert_eq!(app.get("/emulator/v1/health").await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn a_node_missing_from_path_is_named_with_the_path_searched() {
    // The CLI runs the file itself, with the node on its own PATH: here one
    // without node (a test cannot change the server's PATH, it is this process's).
    let dir = tempfile::tempdir().expect("temp dir");
    let without_node = dir.path().to_string_lossy().into_owned();
    let file = dir.path().join("a.js");
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_phonebox"))
            .args(["action", "test"])
            .arg(&file)
            .args(["--trigger", "custom-phone-provider", "--to", "+15555552009"])
            .env("PATH", &without_node)
            .output()
            .expect("runs")
    };
    let no_file = run();
    assert_eq!(
        no_file.status.code(),
        Some(2),
        "a missing FILE is a usage error"
    );
    std::fs::write(
        &file,
        "exports.onExecuteCustomPhoneProvider = async () => {};",
    )
    .expect("write");
    let output = run();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("Node.js was not found on PATH") && text.contains(&without_node),
        "{text}"
    );
    assert!(!text.contains("panicked"), "{text}");
}

#[tokio::test]
async fn configuration_takes_only_the_users_own_js_file_and_names_what_is_wrong() {
    let app = spawn_app().await;
    let (dir, file) = action_file("exports.onExecuteSendPhoneMessage = async () => {};");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "x").expect("write");
    let cases = [
        (
            json!({ "trigger": "send-phone-message", "path": "action.js" }),
            "path",
        ),
        (
            json!({ "trigger": "send-phone-message", "path": "/nonexistent/action.js" }),
            "path",
        ),
        (
            json!({ "trigger": "send-phone-message", "path": text }),
            "path",
        ),
        (
            json!({ "trigger": "send-phone-message", "path": dir.path() }),
            "path",
        ),
        (
            json!({ "trigger": "send-phone-message", "path": file, "secrets": { "NODE_OPTIONS": "--inspect" } }),
            "secrets.NODE_OPTIONS",
        ),
        (
            json!({ "trigger": "send-phone-message", "path": file, "timeout_secs": 1e9 }),
            "timeout_secs",
        ),
        (
            json!({ "trigger": "send-phone-message", "path": file, "max_memory_mb": 1 }),
            "max_memory_mb",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = configure(&app, "default", body.clone()).await;
        assert_eq!(status, 400, "{body} -> {answer}");
        assert_eq!(answer["field"], field, "{body} -> {answer}");
    }
    let (status, answer) =
        configure(&app, "default", json!({ "trigger": "nope", "path": file })).await;
    assert_eq!(status, 400, "{answer}");
    configure_ok(&app, json!({ "trigger": "send-phone-message", "path": file, "secrets": { "API_KEY": "key-0123456789abcdef" } })).await;
    let (status, _) = configure(
        &app,
        "default",
        json!({ "trigger": "send-phone-message", "path": file }),
    )
    .await;
    assert_eq!(status, 409, "one Action per trigger");
    let (status, _) = configure(
        &app,
        "no-such-tenant",
        json!({ "trigger": "hook", "path": file }),
    )
    .await;
    assert_eq!(status, 404);
    let listed = app.get_json("/emulator/v1/tenants/default/actions").await;
    assert_eq!(listed["actions"][0]["secrets"][0]["value"], "••••cdef");
    assert!(!listed.to_string().contains("key-0123456789"));
    app.stop().await;
}

#[tokio::test]
async fn a_patch_changes_only_what_it_names_and_a_refused_one_changes_nothing() {
    let app = spawn_app().await;
    let (_first_dir, first) = action_file(
        "exports.onExecuteCustomPhoneProvider = async () => { console.log('first'); };",
    );
    let (_second_dir, second) = action_file(
        "exports.onExecuteCustomPhoneProvider = async () => { console.log('second'); };",
    );
    let id = configure_ok(
        &app,
        json!({ "trigger": "custom-phone-provider", "path": first, "name": "Gateway",
                "secrets": { "ALPHA": "alpha-secret-1111", "BETA": "beta-secret-2222" } }),
    )
    .await;
    let path = format!("/emulator/v1/tenants/default/actions/{id}");
    let names = |view: &Value| -> Vec<String> {
        view["secrets"]
            .as_array()
            .expect("secrets")
            .iter()
            .map(|s| s["name"].as_str().expect("name").to_owned())
            .collect()
    };
    let (status, view) = app
        .call(
            reqwest::Method::PATCH,
            &path,
            Some(
                json!({ "path": second, "timeout_secs": 5, "max_memory_mb": 64,
                         "secrets": { "ALPHA": null, "GAMMA": "gamma-secret-3333" } }),
            ),
        )
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["path"], second.to_str().expect("utf-8"));
    assert_eq!(
        (
            view["timeout_secs"].as_f64(),
            view["max_memory_mb"].as_u64()
        ),
        (Some(5.0), Some(64))
    );
    assert_eq!(view["name"], "Gateway", "not named, kept");
    assert_eq!(names(&view), ["BETA", "GAMMA"]);
    // Each refusal names its field and leaves the Action as it was.
    for (body, field) in [
        (json!({ "timeout_secs": 0 }), "timeout_secs"),
        (json!({ "max_memory_mb": 1 }), "max_memory_mb"),
        (json!({ "path": "relative/action.js" }), "path"),
        (json!({ "name": "   " }), "name"),
    ] {
        let (status, answer) = app
            .call(reqwest::Method::PATCH, &path, Some(body.clone()))
            .await;
        assert_eq!(status, 400, "{body} -> {answer}");
        assert_eq!(answer["field"], field, "{body} -> {answer}");
    }
    let kept = app.get_json(&path).await;
    assert_eq!(kept["path"], view["path"]);
    assert_eq!(kept["timeout_secs"], view["timeout_secs"]);
    assert_eq!(names(&kept), ["BETA", "GAMMA"]);
    let (status, _) = app
        .call(
            reqwest::Method::PATCH,
            "/emulator/v1/tenants/default/actions/act_missing",
            Some(json!({ "name": "x" })),
        )
        .await;
    assert_eq!(status, 404);
    // The next run runs the new file.
    let run = test_run(&app, &id, "+15555552030").await;
    assert_eq!(run["console"], "second\n", "{run}");
    app.stop().await;
}

#[tokio::test]
async fn patches_at_once_each_keep_their_secret_and_one_beside_a_delete_leaves_none() {
    let app = spawn_app().await;
    let (_dir, file) = action_file("exports.onExecuteCustomPhoneProvider = async () => {};");
    let id = configure_ok(
        &app,
        json!({ "trigger": "custom-phone-provider", "path": file }),
    )
    .await;
    let url = app.url(&format!("/emulator/v1/tenants/default/actions/{id}"));
    let requests = (0..8)
        .map(|i| {
            app.http
                .patch(&url)
                .json(&json!({ "secrets": { format!("KEY_{i}"): format!("patched-value-{i}") } }))
        })
        .collect();
    for (status, view) in crate::helpers::all_at_once(requests).await {
        assert_eq!(status, 200, "{view}");
    }
    let view = app
        .get_json(&format!("/emulator/v1/tenants/default/actions/{id}"))
        .await;
    let names: Vec<&str> = view["secrets"]
        .as_array()
        .expect("secrets")
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        (0..8).map(|i| format!("KEY_{i}")).collect::<Vec<_>>(),
        "no PATCH lost another's"
    );
    // Seven PATCHes and a DELETE at once: whichever came first, no value is left.
    let mut requests: Vec<_> = (0..7)
        .map(|i| {
            app.http
                .patch(&url)
                .json(&json!({ "secrets": { format!("LATE_{i}"): format!("late-value-{i}") } }))
        })
        .collect();
    requests.push(app.http.delete(&url));
    for (status, body) in crate::helpers::all_at_once(requests).await {
        assert!([200, 204, 404].contains(&status), "{status}: {body}");
    }
    let secrets =
        std::fs::read_to_string(phonebox::secrets::Secrets::beside(&app.db)).expect("secrets");
    assert!(!secrets.contains("patched-value-"), "{secrets}");
    assert!(!secrets.contains("late-value-"), "{secrets}");
    app.stop().await;
}

#[tokio::test]
async fn eight_creates_at_once_for_one_trigger_make_one_action() {
    let app = spawn_app().await;
    let (_dir, file) = action_file("exports.onExecuteCustomPhoneProvider = async () => {};");
    let url = app.url("/emulator/v1/tenants/default/actions");
    let requests = (0..8)
        .map(|i| {
            app.http
                .post(&url)
                .json(&json!({ "trigger": "custom-phone-provider", "path": file,
                "name": format!("racer {i}"), "secrets": { "KEY": format!("secret-value-{i}") } }))
        })
        .collect();
    let mut statuses: Vec<u16> = crate::helpers::all_at_once(requests)
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);
    let listed = app.get_json("/emulator/v1/tenants/default/actions").await;
    assert_eq!(
        listed["actions"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    // The refused ones left no secret behind.
    let secrets =
        std::fs::read_to_string(phonebox::secrets::Secrets::beside(&app.db)).expect("secrets");
    assert_eq!(secrets.matches("secret-value-").count(), 1, "{secrets}");
    app.stop().await;
}

#[tokio::test]
async fn eight_test_runs_at_once_each_keep_their_own_run_and_message() {
    let app = spawn_app().await;
    let (_dir, file) = action_file(&posting_action(""));
    let id = configure_ok(
        &app,
        json!({ "trigger": "custom-phone-provider", "path": file, "secrets": { "SERVICE_URL": app.url("/capture/auth0/custom-phone-provider") } }),
    )
    .await;
    let runs = test_runs_at_once(&app, &id, 8, "+1555555210").await;
    let mut ids: Vec<&str> = runs.iter().map(|r| r["id"].as_str().expect("id")).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 8);
    for run in &runs {
        assert_eq!(run["outcome"], "success", "{run}");
        let messages = run["message_ids"].as_array().expect("ids");
        assert_eq!(messages.len(), 1, "{run}");
        let to = run["event"]["notification"]["recipient"]
            .as_str()
            .expect("to");
        let got = latest(&app, to).await;
        assert_eq!(got["id"], messages[0]);
        assert_eq!(got["attributes"]["action_run_id"], run["id"]);
    }
    app.stop().await;
}

#[tokio::test]
async fn a_flow_nobody_knows_is_a_404_in_phonebox_shape() {
    let app = spawn_app().await;
    let res = app.get("/emulator/v1/flows/not-a-transaction").await;
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.expect("json");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("not-a-transaction")),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_retry_whose_action_was_deleted_meanwhile_is_not_sent_another_way() {
    let (app, _dir, id) = provider_running(
        "exports.onExecuteCustomPhoneProvider = async (event, api) => { api.notification.retry('later'); };",
        |_| json!({}),
    )
    .await;
    let transaction = enroll(&app, "orphan@example.com", "+15555552011").await;
    let deleted = app
        .delete(&format!("/emulator/v1/tenants/default/actions/{id}"))
        .await;
    assert_eq!(deleted.status(), 204);
    let moved = app
        .post_json("/emulator/v1/clock/advance", r#"{"by":"1h"}"#)
        .await;
    assert_eq!(moved.status(), 200);
    // The due retry ends the sends with a failure of its own, and nothing else.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let failures = loop {
        let failures = logs_of(&app, "gd_send_sms_failure").await;
        if failures.len() >= 2 || std::time::Instant::now() > deadline {
            break failures;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(failures.iter().any(|f| f["description"]
        .as_str()
        .is_some_and(|d| d.contains("no longer the tenant's custom phone provider"))));
    assert_eq!(runs_of(&flow(&app, &transaction).await).len(), 1);
    assert!(logs_of(&app, "gd_send_sms").await.is_empty());
    let inbox = app.get("/emulator/v1/phones/%2B15555552011/latest").await;
    assert_eq!(inbox.status(), 404, "no other route delivered it");
    app.stop().await;
}

#[tokio::test]
async fn a_test_run_whose_caller_hangs_up_takes_every_process_it_started_with_it() {
    let (app, dir, id) =
        provider_running(HANGS_WITH_A_CHILD, |_| json!({ "timeout_secs": 120 })).await;
    let impatient = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build()
        .expect("client");
    let hung_up = impatient
        .post(app.url(&format!("/emulator/v1/tenants/default/actions/{id}/test")))
        .json(&json!({ "to": "+15555552012" }))
        .send()
        .await;
    assert!(hung_up.is_err(), "the run outlasts the caller's patience");
    until_gone(&pids_in(dir.path())).await;
    app.stop().await;
}

#[tokio::test]
async fn a_file_gone_since_it_was_configured_fails_its_run_with_the_reason() {
    let app = spawn_app().await;
    let (dir, file) = action_file("exports.onExecuteCustomPhoneProvider = async () => {};");
    let id = configure_ok(
        &app,
        json!({ "trigger": "custom-phone-provider", "path": file }),
    )
    .await;
    std::fs::remove_file(&file).expect("remove");
    std::fs::create_dir(&file).expect("a folder where the file was");
    let run = test_run(&app, &id, "+15555552013").await;
    assert_eq!(run["outcome"], "error");
    assert!(
        run["reason"]
            .as_str()
            .is_some_and(|r| r.contains("is not a file")),
        "{run}"
    );
    drop(dir);
    app.stop().await;
}

#[tokio::test]
async fn phonebox_action_test_prints_what_the_action_received_printed_and_sent() {
    let app = spawn_app().await;
    let (_dir, file) = action_file(&posting_action("console.log('hello from the cli');"));
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_phonebox"))
        .args(["action", "test"])
        .arg(&file)
        .args(["--trigger", "custom-phone-provider", "--to", "+15555552014"])
        .arg("--secret")
        .arg(format!(
            "SERVICE_URL={}",
            app.url("/capture/auth0/custom-phone-provider")
        ))
        .args(["--server", &app.base])
        .output()
        .await
        .expect("runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("\"recipient\": \"+15555552014\""),
        "the event: {text}"
    );
    assert!(
        text.contains("hello from the cli\nposted 201"),
        "the console: {text}"
    );
    let sent = latest(&app, "+15555552014").await;
    assert!(
        text.contains(&format!(
            "sms to +15555552014 via auth0.custom-phone-provider: {}",
            sent["text"].as_str().expect("text")
        )),
        "what it sent: {text}"
    );
    assert!(text.contains("outcome: success"), "{text}");
    assert!(
        !text.contains("/capture/auth0/custom-phone-provider"),
        "the secret is masked: {text}"
    );
    app.stop().await;
}

#[tokio::test]
async fn phonebox_action_test_json_voice_and_its_limits() {
    let app = spawn_app().await;
    // Waits longer than the timeout it is given, unless told to deliver at once.
    let (_dir, file) = action_file(&posting_action(
        "if (event.secrets.SLOW) await new Promise((r) => setTimeout(r, 5000));",
    ));
    let cli = |extra: &[&str]| {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_phonebox"));
        command
            .args(["action", "test"])
            .arg(&file)
            .args(["--trigger", "custom-phone-provider", "--to", "+15555552031"])
            .arg("--secret")
            .arg(format!(
                "SERVICE_URL={}",
                app.url("/capture/auth0/custom-phone-provider")
            ))
            .args(["--server", &app.base])
            .args(extra);
        command.output()
    };
    let output = cli(&["--json", "--voice", "--max-memory-mb", "64"])
        .await
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report: Value = serde_json::from_slice(&output.stdout).expect("--json prints JSON");
    assert_eq!(report["outcome"], "success", "{report}");
    assert_eq!(report["event"]["notification"]["delivery_method"], "voice");
    let sent = report["sent"].as_array().expect("sent");
    assert_eq!(sent.len(), 1, "{report}");
    assert_eq!(sent[0]["to"], "+15555552031", "{}", sent[0]);
    assert_eq!(sent[0]["channel"], "voice", "{}", sent[0]);
    // --timeout holds the run to it.
    let output = cli(&["--json", "--timeout", "300ms", "--secret", "SLOW=yes"])
        .await
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(report["outcome"], "timeout", "{report}");
    // Limits the server refuses are refused here too, before anything runs.
    for (flag, value) in [
        ("--timeout", "0s"),
        ("--timeout", "1h"),
        ("--max-memory-mb", "1"),
        ("--max-memory-mb", "99999999999"),
    ] {
        let output = cli(&[flag, value]).await.expect("runs");
        assert_eq!(output.status.code(), Some(2), "{flag} {value}: {output:?}");
        assert!(output.stdout.is_empty(), "{flag} {value}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_passwordless_login_through_the_action_is_one_timeline_up_to_the_grant() {
    let (app, _dir, _) = provider_running(
        &posting_action("console.log('passwordless', event.notification.message_type);"),
        service_url,
    )
    .await;
    let started: Value = crate::passwordless::start_sms(&app, "+15555552015")
        .await
        .json()
        .await
        .expect("json");
    let transaction = started["_id"].as_str().expect("the start's id").to_owned();
    let message = latest(&app, "+15555552015").await;
    assert_eq!(
        message["attributes"]["transaction_id"],
        transaction.as_str()
    );
    let code = message["code"].as_str().expect("code").to_owned();
    let wrong = crate::passwordless::otp(&app, "+15555552015", "000000").await;
    assert_eq!(wrong.status(), 403);
    let granted = crate::passwordless::otp(&app, "+15555552015", &code).await;
    assert_eq!(granted.status(), 200);
    let timeline = flow(&app, &transaction).await;
    let steps: Vec<String> = timeline["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| match s["kind"].as_str().expect("kind") {
            "log" => format!("log {}", s["type"].as_str().expect("type")),
            kind => kind.to_owned(),
        })
        .collect();
    assert_eq!(
        steps,
        [
            "template",
            "action_run",
            "message",
            "log cs",
            "log fepotpft",
            "log s"
        ],
        "{timeline}"
    );
    assert_eq!(
        runs_of(&timeline)[0]["console"],
        "passwordless otp_verify\nposted 201\n"
    );
    app.stop().await;
}

#[tokio::test]
async fn two_runs_at_once_never_leave_an_action_more_than_its_twenty_cache_records() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    let app = spawn_app_at(&db).await;
    // Each run sets 15 records of its own: each alone stays under the limit of 20,
    // the two together would not.
    let (_d, file) = action_file(
        "exports.onExecuteCustomPhoneProvider = async (event, api) => {
  for (let i = 0; i < 15; i++) {
    const set = api.cache.set(event.notification.code + '-' + i, 'x');
    if (set.type !== 'success') throw new Error(set.code);
  }
};",
    );
    let id = configure_ok(
        &app,
        json!({ "trigger": "custom-phone-provider", "path": file }),
    )
    .await;
    let runs = test_runs_at_once(&app, &id, 2, "+1555555203").await;
    // Together (as they run here) both succeed; had one run after the other, the
    // second would have been refused past 20: either way 20 are kept.
    for run in &runs {
        let refused = run["error"]["message"] == "CacheSizeExceeded";
        assert!(run["outcome"] == "success" || refused, "{run}");
    }
    app.stop().await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("open");
    let (kept,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM action_cache WHERE action_id = ?")
        .bind(&id)
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(kept, 20, "30 set, the 20 expiring last kept");
    pool.close().await;
}

#[tokio::test]
async fn messages_linked_before_the_upgrade_are_found_by_their_flow_after_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    // The schema as it was before migration 13, with a message a tenant linked.
    let pool = crate::helpers::database_migrated_through(&db, 12).await;
    for (id, attributes) in [
        (
            "01JOLDLINKED0000000000000A",
            Some(r#"{"transaction_id":"tx-before-13","delivered_by":"auth0"}"#),
        ),
        ("01JOLDPLAIN00000000000000B", None),
    ] {
        sqlx::query(
            "INSERT INTO messages (id, tenant, received_at, channel, source, recipient, text, status, \
             encoding, segments, headers, raw_body, attributes) \
             VALUES (?, 'default', 1, 'sms', 'auth0.builtin', '+15555552040', 'old', 'received', 'gsm7', 1, '[]', x'', ?)",
        )
        .bind(id)
        .bind(attributes)
        .execute(&pool)
        .await
        .expect("message");
    }
    pool.close().await;

    let app = spawn_app_at(&db).await;
    let timeline = flow(&app, "tx-before-13").await;
    let found: Vec<&str> = timeline["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["kind"] == "message")
        .map(|s| s["message"]["id"].as_str().expect("id"))
        .collect();
    assert_eq!(found, ["01JOLDLINKED0000000000000A"]);
    app.stop().await;
}
