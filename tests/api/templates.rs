//! Phone templates a hostile tester saves: none can crash the server, hang a
//! worker, or make an endpoint answer 5xx. What cannot render is refused when it
//! is saved, by every route that saves one; what fails only at send time is a
//! logged send failure, as in Auth0, and the app is told nothing.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_at, TestApp};
use crate::mfa::{latest, logs_of, patch_settings, settings, Mfa, CLIENT};

/// Two nested loops whose inner step sorts four thousand characters: seven
/// thousand steps take seconds, far past the 250 ms budget, within the
/// iteration cap.
const SLOW: &str = "{% assign s = '' %}{% for i in (1..2000) %}{% assign s = s | append: 'ba' %}{% endfor %}\
    {% for i in (1..100) %}{% for j in (1..70) %}{% assign t = s | split: '' | sort | join: '' %}{% endfor %}{% endfor %}{{code}}";

fn nested_ifs(depth: usize) -> String {
    format!(
        "{}{{{{code}}}}{}",
        "{% if true %}".repeat(depth),
        "{% endif %}".repeat(depth)
    )
}

async fn put_guardian_template(app: &TestApp, template: &str) -> (u16, Value) {
    let response = app
        .http
        .put(app.url("/api/v2/guardian/factors/phone/templates"))
        .bearer_auth("mgmt")
        .json(&json!({ "enrollment_message": template, "verification_message": "{{code}}" }))
        .send()
        .await
        .expect("sent");
    (
        response.status().as_u16(),
        response.json().await.expect("json"),
    )
}

/// Logs in as `email` and associates `phone`: the answer must be Auth0's 200.
async fn associate(app: &TestApp, email: &str, phone: &str) -> Value {
    let mfa = Mfa::new(app);
    let token = mfa.mfa_token(email).await;
    let response = mfa.associate(&token, phone, "sms").await;
    assert_eq!(response.status(), 200, "associate for {email}");
    response.json().await.expect("json")
}

#[tokio::test]
async fn a_deeply_nested_template_is_refused_by_every_route_and_logins_keep_working_across_a_restart(
) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    let app = spawn_app_at(&db).await;
    let nested = nested_ifs(450);
    assert!(nested.len() > 10_000, "the reported template was 11 KB");

    let (status, body) = put_guardian_template(&app, &nested).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errorCode"], "invalid_body");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("nested more than 32 deep"),
        "{body}"
    );

    let (status, body) = patch_settings(
        &app,
        "default",
        json!({ "templates": { "enrollment_message": nested } }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["field"], "settings.templates.enrollment_message");

    let (status, body) = patch_settings(
        &app,
        "default",
        json!({ "locale_templates": { "fr": { "enrollment_message": nested } } }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["field"],
        "settings.locale_templates.fr.enrollment_message"
    );

    let response = app
        .http
        .post(app.url("/api/v2/branding/phone/templates"))
        .bearer_auth("mgmt")
        .json(&json!({ "type": "otp_enroll", "content": { "body": { "text": nested } } }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 400);

    associate(&app, "before@example.com", "+15555552001").await;
    let sent = latest(&app, "+15555552001").await;
    assert!(sent["text"]
        .as_str()
        .expect("text")
        .contains("verify your enrollment"));
    app.stop().await;

    let app = spawn_app_at(&db).await;
    associate(&app, "after@example.com", "+15555552002").await;
    assert!(latest(&app, "+15555552002").await["code"].is_string());
    app.stop().await;
}

#[tokio::test]
async fn include_and_render_are_refused_when_saved() {
    let app = spawn_app().await;
    for template in ["{% include 'x' %}{{code}}", "{% render 'x' %}{{code}}"] {
        let (status, body) = put_guardian_template(&app, template).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["message"]
                .as_str()
                .expect("message")
                .contains("cannot read other files"),
            "{body}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_huge_range_is_refused_when_saved_and_a_computed_one_is_cut_at_send() {
    let app = spawn_app().await;
    let (status, body) =
        put_guardian_template(&app, "{% for i in (1..100000000) %}x{% endfor %}").await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"]
        .as_str()
        .expect("message")
        .contains("10000 iterations"));

    let peak_before = peak_rss_kib();
    let computed = "{% assign n = 100000000 %}{% for i in (1..n) %}{% endfor %}{{code}}";
    assert_eq!(put_guardian_template(&app, computed).await.0, 200);
    let associated = associate(&app, "range@example.com", "+15555552003").await;
    assert!(
        associated["oob_code"].is_string(),
        "the app is told nothing"
    );
    let response = app.get("/emulator/v1/phones/%2B15555552003/latest").await;
    assert_eq!(response.status(), 404, "the code was never delivered");
    let failure = &logs_of(&app, "gd_send_sms_failure").await[0];
    let description = failure["description"].as_str().expect("description");
    assert!(
        description.contains("loops ran more than 10000 times"),
        "{description}"
    );
    // The reported build allocated 5.6 GB for this template; a walked range
    // allocates nothing (other tests share this process, so allow them room).
    let grown = peak_rss_kib().saturating_sub(peak_before);
    assert!(grown < 512 * 1024, "peak memory grew by {grown} KiB");
    app.stop().await;
}

#[tokio::test]
async fn nested_loops_stop_at_the_time_budget_while_health_keeps_answering() {
    let app = spawn_app().await;
    assert_eq!(put_guardian_template(&app, SLOW).await.0, 200);

    let renders: Vec<_> = (0..4)
        .map(|i| {
            let http = app.http.clone();
            let base = app.base.clone();
            tokio::spawn(async move {
                let login: Value = http
                    .post(format!("{base}/oauth/token"))
                    .form(&[
                        ("grant_type", "password"),
                        ("client_id", CLIENT),
                        ("username", &format!("slow{i}@example.com")),
                        ("password", "pw"),
                    ])
                    .send()
                    .await
                    .expect("sent")
                    .json()
                    .await
                    .expect("json");
                http.post(format!("{base}/mfa/associate"))
                    .bearer_auth(login["mfa_token"].as_str().expect("token"))
                    .json(&json!({ "client_id": CLIENT, "authenticator_types": ["oob"], "oob_channels": ["sms"], "phone_number": format!("+1555555210{i}") }))
                    .send()
                    .await
                    .expect("sent")
                    .status()
            })
        })
        .collect();
    let mut answered_meanwhile = 0;
    while renders.iter().any(|r| !r.is_finished()) {
        let health = tokio::time::timeout(Duration::from_secs(5), app.get("/emulator/v1/health"))
            .await
            .expect("health answers while templates render");
        assert_eq!(health.status(), 200);
        answered_meanwhile += 1;
    }
    for render in renders {
        assert_eq!(render.await.expect("task"), 200);
    }
    assert!(
        answered_meanwhile >= 2,
        "health answered {answered_meanwhile} times"
    );
    let failures = logs_of(&app, "gd_send_sms_failure").await;
    assert_eq!(failures.len(), 4);
    for f in failures {
        let description = f["description"].as_str().expect("description");
        assert!(description.contains("longer than 250 ms"), "{description}");
    }
    app.stop().await;
}

#[tokio::test]
async fn sigterm_stops_the_server_while_a_hostile_template_renders() {
    // Ten billion heavy steps: it never ends unless the engine stops it, and it
    // is still running, within its 250 ms, when the signal comes.
    let slow =
        "{% assign s = '' %}{% for i in (1..2000) %}{% assign s = s | append: 'ba' %}{% endfor %}\
                {% assign n = 100000 %}{% for i in (1..n) %}{% for j in (1..n) %}\
                {% assign t = s | split: '' | sort | join: '' %}{% endfor %}{% endfor %}{{code}}";
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    let server = crate::helpers::Process::start(
        &["--db".as_ref(), db.as_os_str()],
        &[("PHONEBOX_LOG", "debug".as_ref())],
        &dir.path().join("server.log"),
    )
    .await
    .expect("starts");
    let http = reqwest::Client::new();
    let saved = http
        .put(format!(
            "{}/api/v2/guardian/factors/phone/templates",
            server.base
        ))
        .bearer_auth("mgmt")
        .json(&json!({ "enrollment_message": slow }))
        .send()
        .await
        .expect("sent");
    assert_eq!(saved.status(), 200);
    let base = server.base.clone();
    let pending = tokio::spawn(async move {
        let login: Value = http
            .post(format!("{base}/oauth/token"))
            .form(&[
                ("grant_type", "password"),
                ("client_id", CLIENT),
                ("username", "term@example.com"),
                ("password", "pw"),
            ])
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        let _ = http
            .post(format!("{base}/mfa/associate"))
            .bearer_auth(login["mfa_token"].as_str().expect("token"))
            .json(&json!({ "client_id": CLIENT, "authenticator_types": ["oob"], "oob_channels": ["sms"], "phone_number": "+15555552110" }))
            .send()
            .await;
    });
    // Signal only once the server has the request (its request log says so).
    while !server.log_text().contains("uri=/mfa/associate") {
        assert!(!pending.is_finished(), "the request ended early");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let exit = tokio::time::timeout(Duration::from_secs(30), server.terminate())
        .await
        .expect("SIGTERM stops the server");
    assert_eq!(exit, Some(0));
    pending.abort();
}

#[tokio::test]
async fn filters_that_used_to_panic_answer_and_what_cannot_render_is_a_logged_failure() {
    let app = spawn_app().await;
    let overflowing = "{{ 9223372036854775807 | plus: 1 }} {{ -9223372036854775808 | abs }} \
                       {{ -9223372036854775808 | divided_by: -1 }} {{ 9223372036854775807 | times: 2 }} \
                       {{ 'abc' | slice: -9223372036854775807, 9223372036854775807 }} {{code}}";
    assert_eq!(put_guardian_template(&app, overflowing).await.0, 200);
    associate(&app, "math@example.com", "+15555552004").await;
    let sent = latest(&app, "+15555552004").await;
    let code = sent["code"].as_str().expect("code");
    assert_eq!(
        sent["text"],
        format!("9.223372036854776e+18 9.223372036854776e+18 9.223372036854776e+18 1.8446744073709552e+19 abc {code}")
    );

    for refused in [
        "{{ code | divided_by: 0 }}",
        "{{ code | modulo: 0 }}",
        "{% tablerow i in (1..3) cols:0 %}{{i}}{% endtablerow %}",
    ] {
        let (status, body) = put_guardian_template(&app, refused).await;
        assert_eq!(status, 400, "{refused}: {body}");
    }

    let at_send =
        "{% assign zero = 0 %}{% tablerow i in (1..3) cols:zero %}{{i}}{% endtablerow %}{{code}}";
    assert_eq!(put_guardian_template(&app, at_send).await.0, 200);
    associate(&app, "cols@example.com", "+15555552005").await;
    assert_eq!(
        app.get("/emulator/v1/phones/%2B15555552005/latest")
            .await
            .status(),
        404
    );
    let failure = &logs_of(&app, "gd_send_sms_failure").await[0];
    assert!(failure["description"]
        .as_str()
        .expect("description")
        .contains("`cols:` must be at least 1"));
    app.stop().await;
}

#[tokio::test]
async fn unknown_variables_render_empty_as_in_auth0() {
    let app = spawn_app().await;
    settings(&app, "default", json!({ "templates": { "enrollment_message": "Hi {{user.name}}{{nobody.at.all}}: {{code}}" } })).await;
    associate(&app, "who@example.com", "+15555552006").await;
    let sent = latest(&app, "+15555552006").await;
    assert_eq!(
        sent["text"],
        format!("Hi : {}", sent["code"].as_str().expect("code"))
    );
    app.stop().await;
}

/// This process's peak resident memory (Linux), in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}
