//! The `phonebox` binary: its QA commands against a running server (or a fake one,
//! for what Phonebox will not answer), their exit codes and `--json` outputs, and
//! `serve`'s start-up.

use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use serde_json::{json, Value};

use crate::helpers::{capture_text, spawn_app, spawn_app_at, TestApp};

/// Runs the binary with `args`, none of the developer's `PHONEBOX_` settings in the way.
async fn phonebox(args: &[&str]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_phonebox"));
    for var in [
        "PHONEBOX_SERVER",
        "PHONEBOX_JSON",
        "PHONEBOX_TENANT",
        "PHONEBOX_TO",
        "PHONEBOX_TIMEOUT",
        "PHONEBOX_AFTER",
        "PHONEBOX_LIMIT",
        "PHONEBOX_DB",
        "PHONEBOX_LISTEN",
    ] {
        command.env_remove(var);
    }
    command
        .env("PHONEBOX_SECRETS_STORE", "file")
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .await
        .expect("phonebox runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Its stdout as JSON, after checking it exited 0.
fn json_of(out: &Output) -> Value {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", stdout(out)))
}

/// Serves `router` on a free loopback port; its base URL.
async fn fake_server(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

fn port_of(app: &TestApp) -> String {
    app.base.rsplit(':').next().expect("port").to_owned()
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
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "482913\n");
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
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "222222\n");
    app.stop().await;
}

#[tokio::test]
async fn wait_code_exits_1_when_nothing_arrives() {
    let app = spawn_app().await;
    let out = phonebox(&[
        "wait-code",
        "--to",
        "+1 555 555 0100",
        "--timeout",
        "100ms",
        "--server",
        &app.base,
    ])
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        stderr(&out),
        "phonebox: no code for +15555550100 within 100ms\n"
    );
    app.stop().await;
}

#[tokio::test]
async fn wait_code_says_the_last_send_failed_and_passes_its_scope_as_query_params() {
    // Phonebox's own answer when a send failed in the wait, from a fake: the
    // command's side alone.
    let queries = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = queries.clone();
    let router = axum::Router::new().route(
        "/emulator/v1/phones/{number}/latest",
        axum::routing::get(move |axum::extract::RawQuery(q): axum::extract::RawQuery| {
            let seen = seen.clone();
            async move {
                seen.lock().expect("lock").push(q.unwrap_or_default());
                let body = json!({
                    "error": "no_message",
                    "message": "no message to +15555550100 arrived within 1s",
                    "failure": {
                        "type": "gd_send_sms_failure",
                        "description": "Twilio refused the message: 21211 invalid 'To' number",
                        "date": "2025-05-01T10:00:00.000Z"
                    }
                });
                (StatusCode::NOT_FOUND, axum::Json(body))
            }
        }),
    );
    let base = fake_server(router).await;
    let out = phonebox(&[
        "wait-code",
        "--to",
        "+15555550100",
        "--timeout",
        "1s",
        "--tenant",
        "t-qa",
        "--user-id",
        "auth0|42",
        "--transaction-id",
        "tx-9",
        "--server",
        &base,
    ])
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "phonebox: no code for +15555550100 within 1s: the last send failed: \
         gd_send_sms_failure: Twilio refused the message: 21211 invalid 'To' number\n"
    );
    let query = queries.lock().expect("lock").concat();
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    for (name, value) in [
        ("tenant", "t-qa"),
        ("user_id", "auth0|42"),
        ("transaction_id", "tx-9"),
        ("wait", "1000ms"),
    ] {
        assert!(
            params.contains(&(name.to_owned(), value.to_owned())),
            "{name}={value} in {query}"
        );
    }
}

#[tokio::test]
async fn a_number_that_is_not_one_exits_2_before_any_server_is_asked() {
    // Nothing listens on port 1: had it been asked, the exit would be 3.
    let out = phonebox(&[
        "wait-code",
        "--to",
        "not-a-number",
        "--server",
        "http://127.0.0.1:1",
    ])
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("'--to <TO>': 'not-a-number' is not a phone number"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn a_value_the_server_refuses_exits_2_naming_the_flag_not_the_field() {
    let app = spawn_app().await;
    let too_long = phonebox(&[
        "wait-code",
        "--to",
        "+15555550100",
        "--timeout",
        "11m",
        "--server",
        &app.base,
    ])
    .await;
    assert_eq!(too_long.status.code(), Some(2), "{}", stderr(&too_long));
    assert_eq!(stderr(&too_long), "phonebox: --timeout: at most 10m\n");

    let bad_after = phonebox(&[
        "wait-code",
        "--to",
        "+15555550100",
        "--after",
        "yesterday",
        "--server",
        &app.base,
    ])
    .await;
    assert_eq!(bad_after.status.code(), Some(2));
    assert_eq!(
        stderr(&bad_after),
        "phonebox: --after: 'yesterday' is neither a message id nor a time\n"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_unreachable_server_exits_3() {
    let out = phonebox(&["messages", "--server", "http://127.0.0.1:1"]).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("cannot reach Phonebox at http://127.0.0.1:1"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn a_server_that_is_not_phonebox_exits_4() {
    // A web server of something else: HTML for every path.
    let html = fake_server(axum::Router::new().fallback(|| async {
        (StatusCode::NOT_FOUND, Html("<h1>Not Found</h1>")).into_response()
    }))
    .await;
    // A server answering 200 with JSON of another shape.
    let other_json = fake_server(
        axum::Router::new().fallback(|| async { axum::Json(json!({ "hello": "world" })) }),
    )
    .await;
    // Not HTTP at all (an SSH server speaks first).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let ssh = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        while let Ok((mut socket, _)) = listener.accept().await {
            let _ = socket.write_all(b"SSH-2.0-OpenSSH_9.2\r\n").await;
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    });
    for (base, args) in [
        (&html, vec!["wait-code", "--to", "+15555550100"]),
        (&html, vec!["clock"]),
        (&other_json, vec!["messages"]),
        (&other_json, vec!["chaos", "list"]),
        (&ssh, vec!["messages"]),
    ] {
        let mut args = args.clone();
        args.extend(["--server", base.as_str()]);
        let out = phonebox(&args).await;
        assert_eq!(out.status.code(), Some(4), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("is not Phonebox") && stderr(&out).contains("--server"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[tokio::test]
async fn server_is_taken_as_host_and_port_or_a_bare_port() {
    let app = spawn_app().await;
    capture_text(&app, "+15555550100", "Your code is 482913").await;
    let port = port_of(&app);
    for server in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!(":{port}"),
        port.clone(),
        format!("{}/", app.base),
    ] {
        let out = phonebox(&["wait-code", "--to", "+15555550100", "--server", &server]).await;
        assert_eq!(out.status.code(), Some(0), "{server}: {}", stderr(&out));
        assert_eq!(stdout(&out), "482913\n", "{server}");
    }
    let out = phonebox(&["messages", "--server", "ftp://127.0.0.1:21"]).await;
    assert_eq!(out.status.code(), Some(2));
    app.stop().await;
}

#[tokio::test]
async fn help_documents_the_exit_statuses() {
    let out = phonebox(&["--help"]).await;
    let help = stdout(&out);
    assert_eq!(out.status.code(), Some(0));
    for line in [
        "0  done",
        "1  nothing arrived in time, or it was refused",
        "2  usage error or bad input",
        "3  the server cannot be reached",
        "4  something answered that is not Phonebox",
    ] {
        assert!(help.contains(line), "{line} in:\n{help}");
    }
    // clap's own usage errors keep their 2.
    assert_eq!(phonebox(&["wait-code"]).await.status.code(), Some(2));
}

#[tokio::test]
async fn messages_lists_as_a_table() {
    let app = spawn_app().await;
    capture_text(&app, "+15555550100", "Your code is 482913").await;
    capture_text(&app, "+15555550199", "Your code is 111222").await;
    let out = phonebox(&["messages", "--server", &app.base]).await;
    let table = stdout(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        table.contains("482913") && table.contains("111222"),
        "{table}"
    );
    app.stop().await;
}

#[tokio::test]
async fn messages_json_is_the_apis_list_of_messages() {
    let app = spawn_app().await;
    capture_text(&app, "+15555550100", "Your code is 482913").await;
    capture_text(&app, "+15555550199", "Your code is 111222").await;
    let out = phonebox(&[
        "messages",
        "--to",
        "+1 555 555 0199",
        "--json",
        "--server",
        &app.base,
    ])
    .await;
    let list = json_of(&out);
    let api = app
        .get_json("/emulator/v1/messages?to=%2B15555550199")
        .await;
    assert_eq!(list, api["messages"]);
    assert_eq!(list[0]["code"], "111222");
    app.stop().await;
}

#[tokio::test]
async fn wait_code_json_is_the_latest_answer() {
    let app = spawn_app().await;
    capture_text(&app, "+15555550100", "Your code is 482913").await;
    let out = phonebox(&[
        "wait-code",
        "--to",
        "+15555550100",
        "--json",
        "--server",
        &app.base,
    ])
    .await;
    let shown = json_of(&out);
    let api = app
        .get_json("/emulator/v1/phones/%2B15555550100/latest")
        .await;
    assert_eq!(shown, api);
    assert_eq!(shown["code"], "482913");
    app.stop().await;
}

#[tokio::test]
async fn clock_json_is_the_clock_answer() {
    let app = spawn_app().await;
    let advanced =
        json_of(&phonebox(&["clock", "advance", "1h", "--json", "--server", &app.base]).await);
    let api = app.get_json("/emulator/v1/clock").await;
    let keys = |v: &Value| {
        v.as_object()
            .expect("object")
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&advanced), keys(&api));
    assert_eq!(advanced["offset_ms"], 3_600_000);
    assert_eq!(advanced["offset"], api["offset"]);
    let shown = json_of(&phonebox(&["clock", "--json", "--server", &app.base]).await);
    assert_eq!(shown["offset_ms"], 3_600_000);
    let reset = json_of(&phonebox(&["clock", "reset", "--json", "--server", &app.base]).await);
    assert_eq!(reset["offset_ms"], 0);
    app.stop().await;
}

#[tokio::test]
async fn chaos_json_is_the_chaos_answer() {
    let app = spawn_app().await;
    let set = json_of(
        &phonebox(&[
            "chaos",
            "set",
            "sns",
            "--error",
            "Throttling",
            "--times",
            "2",
            "--json",
            "--server",
            &app.base,
        ])
        .await,
    );
    assert_eq!(set, app.get_json("/emulator/v1/chaos/sns").await);
    let list = json_of(&phonebox(&["chaos", "list", "--json", "--server", &app.base]).await);
    assert_eq!(list, app.get_json("/emulator/v1/chaos").await);
    assert_eq!(list["rules"]["sns"]["times"], 2);
    let cleared = json_of(&phonebox(&["chaos", "clear", "--json", "--server", &app.base]).await);
    assert_eq!(cleared["rules"], json!({}));
    app.stop().await;
}

#[tokio::test]
async fn forward_json_is_the_forward_as_the_api_shows_it() {
    // A webhook receiver on this machine (plain http is allowed to loopback).
    let hook = fake_server(
        axum::Router::new().route("/hook", axum::routing::post(|| async { StatusCode::OK })),
    )
    .await;
    let app = spawn_app().await;
    let me = "+447700900123";
    let put = |path: &str, body: Value| app.http.put(app.url(path)).json(&body).send();
    let allowed = put(
        "/emulator/v1/forwarding/allowlist",
        json!({ "numbers": [me] }),
    )
    .await
    .expect("sent");
    assert_eq!(allowed.status(), 200);
    let set_up = put(
        "/emulator/v1/forwarding/providers/webhook",
        json!({
            "url": format!("{hook}/hook"),
            "secret": "whsec_cGhvbmVib3gtdGVzdC13ZWJob29rLXNlY3JldCEh"
        }),
    )
    .await
    .expect("sent");
    assert_eq!(
        set_up.status(),
        200,
        "{}",
        set_up.text().await.unwrap_or_default()
    );
    let message = capture_text(&app, "+15555550125", "Your code is 515151").await;
    let id = message["id"].as_str().expect("id");

    let done = json_of(
        &phonebox(&[
            "forward", id, "--via", "webhook", "--to", me, "--json", "--server", &app.base,
        ])
        .await,
    );
    assert_eq!(done["state"], "sent", "{done}");
    let api = app
        .get_json(&format!("/emulator/v1/forwards/{}", done["id"]))
        .await;
    assert_eq!(done, api);
    app.stop().await;
}

#[tokio::test]
async fn seed_json_says_what_was_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("seeded.db");
    let db_text = db.to_str().expect("utf-8 path");
    let shown = json_of(
        &phonebox(&[
            "seed", "--count", "7", "--phones", "3", "--db", db_text, "--json",
        ])
        .await,
    );
    assert_eq!(
        (
            shown["seeded"].clone(),
            shown["phones"].clone(),
            shown["db"].clone()
        ),
        (json!(7), json!(3), json!(db_text))
    );
    assert!(shown["elapsed_ms"].is_u64(), "{shown}");
    let app = spawn_app_at(&db).await;
    assert_eq!(app.messages().await.len(), 7);
    app.stop().await;
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
    assert_eq!(set.status.code(), Some(0), "{}", stderr(&set));
    let rules = app.get_json("/emulator/v1/chaos").await;
    assert_eq!(rules["rules"]["twilio"]["error"], "21611");
    assert_eq!(rules["rules"]["twilio"]["probability"], 0.25);
    assert_eq!(rules["rules"]["twilio"]["latency_ms"], 10);

    let list = phonebox(&["chaos", "list", "--server", &app.base]).await;
    assert!(stdout(&list).contains("twilio: "));

    let refused = phonebox(&[
        "chaos", "set", "twilio", "--error", "abc", "--server", &app.base,
    ])
    .await;
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(
        stderr(&refused),
        "phonebox: --error: twilio error codes are numbers, not 'abc'\n"
    );
    let unknown = phonebox(&[
        "chaos", "set", "acme", "--error", "1", "--server", &app.base,
    ])
    .await;
    assert_eq!(unknown.status.code(), Some(2));

    let clear = phonebox(&["chaos", "clear", "--server", &app.base]).await;
    assert_eq!(clear.status.code(), Some(0));
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
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("ahead of real time by 1h"));
    assert_eq!(
        app.get_json("/emulator/v1/clock").await["offset_ms"],
        3_600_000
    );
    let bad = phonebox(&["clock", "advance", "later", "--server", &app.base]).await;
    assert_eq!(bad.status.code(), Some(2));
    let too_far = phonebox(&["clock", "advance", "400d", "--server", &app.base]).await;
    assert_eq!(too_far.status.code(), Some(2));
    assert!(
        stderr(&too_far).starts_with("phonebox: <BY>: "),
        "{}",
        stderr(&too_far)
    );
    let out = phonebox(&["clock", "reset", "--server", &app.base]).await;
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(app.get_json("/emulator/v1/clock").await["offset_ms"], 0);
    app.stop().await;
}

/// `phonebox serve` with `args`, stdout piped, stderr into the same pipe's reader.
fn serve(args: &[&str], db: &Path) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_phonebox"))
        .arg("serve")
        .args(args)
        .arg("--db")
        .arg(db)
        .env_remove("PHONEBOX_LISTEN")
        .env("PHONEBOX_SECRETS_STORE", "file")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("phonebox starts")
}

#[tokio::test]
async fn serve_on_a_colon_port_prints_the_ui_url_when_ready() {
    use tokio::io::AsyncBufReadExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = serve(&["--listen", ":0"], &dir.path().join("phonebox.db"));
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut url = None;
    let mut listening = false;
    let read = async {
        while let Some(line) = lines.next_line().await.expect("reads") {
            if let Some(rest) = line.strip_prefix("Phonebox is ready: open ") {
                url = Some(rest.to_owned());
            }
            // The line scripts and the SDK tests parse stays as it was.
            listening |= line.contains("Phonebox listening addr=127.0.0.1:");
            if url.is_some() && listening {
                break;
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), read)
        .await
        .expect("the ready and listening lines");
    let url = url.expect("a ready line");
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with('/'),
        "{url}"
    );
    let health = reqwest::get(format!("{url}emulator/v1/health"))
        .await
        .expect("the URL answers");
    assert_eq!(health.status(), 200);
    child.kill().await.expect("stops");
}

#[tokio::test]
async fn serve_on_a_taken_port_names_its_holder_and_leaves_no_database() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("new").join("phonebox.db");
    let out = serve(&["--listen", &port_of(&app)], &db)
        .wait_with_output()
        .await
        .expect("exits");
    let said = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains(&format!("cannot listen on 127.0.0.1:{}", port_of(&app))),
        "{said}"
    );
    assert!(said.contains("--listen 127.0.0.1:0"), "{said}");
    // This test process holds the port; Linux tells who that is.
    #[cfg(target_os = "linux")]
    assert!(
        said.contains(&format!("process {} (", std::process::id())),
        "{said}"
    );
    assert!(!db.exists(), "a database was made at {}", db.display());
    assert!(!dir.path().join("new").exists(), "its directory was made");
    app.stop().await;
}
