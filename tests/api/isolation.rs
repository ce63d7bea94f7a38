//! Parallel test runs that share one server: each worker narrows its waits to its
//! own tenant, user or MFA transaction, makes a tenant in one call and drops it
//! with everything it owns afterwards.

use serde_json::{json, Value};

use crate::helpers::{all_at_once, spawn_app, EventStream, TestApp};
use crate::mfa::Mfa;

async fn new_tenant(app: &TestApp) -> String {
    let created = app
        .post_json("/emulator/v1/tenants", r#"{"id": null}"#)
        .await;
    assert_eq!(created.status(), 201);
    let tenant: Value = created.json().await.expect("json");
    let id = tenant["id"].as_str().expect("id").to_owned();
    assert!(id.starts_with("t-") && id.len() == 12, "{id}");
    id
}

/// Moves `tenant`'s own clock forward by `by`; its clock as answered.
async fn advance(app: &TestApp, tenant: &str, by: &str) -> Value {
    let path = format!("/emulator/v1/clock/advance?tenant={tenant}");
    let (status, view) = app
        .call(reqwest::Method::POST, &path, Some(json!({ "by": by })))
        .await;
    assert_eq!(status, 200, "{view}");
    view
}

/// Asserts no table keeps a row of `tenant`.
async fn nothing_left_of(db: &sqlx::SqlitePool, tenant: &str) {
    // Every table with a `tenant` column, read from the schema: a table added
    // later is checked without anyone remembering to list it here.
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c \
         WHERE m.type = 'table' AND c.name = 'tenant' ORDER BY m.name",
    )
    .fetch_all(db)
    .await
    .expect("tables");
    for known in ["messages", "users", "log_events", "actions", "action_runs"] {
        assert!(tables.iter().any(|t| t == known), "{known} in {tables:?}");
    }
    for table in &tables {
        let left = count(
            db,
            &format!("SELECT COUNT(*) FROM {table} WHERE tenant = ?"),
            Some(tenant),
        )
        .await;
        assert_eq!(left, 0, "{table} keeps rows of the deleted tenant");
    }
}

/// `sql`'s one count, with `tenant` bound when it takes one.
async fn count(db: &sqlx::SqlitePool, sql: &str, tenant: Option<&str>) -> i64 {
    let mut query = sqlx::query_scalar(sql);
    if let Some(tenant) = tenant {
        query = query.bind(tenant.to_owned());
    }
    query.fetch_one(db).await.expect("counts")
}

fn mfa_in<'a>(app: &'a TestApp, tenant: &str) -> Mfa<'a> {
    let mut mfa = Mfa::new(app);
    mfa.prefix = format!("/t/{tenant}");
    mfa
}

#[tokio::test]
async fn eight_workers_on_one_number_each_wait_for_their_own_tenants_code() {
    let app = spawn_app().await;
    let phone = "+15555550900";
    let mut tenants = Vec::new();
    for _ in 0..8 {
        tenants.push(new_tenant(&app).await);
    }
    // Every worker holds its wait first, then all enrol at once.
    let waits: Vec<_> = tenants
        .iter()
        .map(|t| {
            let request = app
                .http
                .get(app.url(&format!("/emulator/v1/phones/{phone}/latest")))
                .query(&[("wait", "20s"), ("tenant", t.as_str())]);
            tokio::spawn(async move { request.send().await.expect("sent").json::<Value>().await })
        })
        .collect();
    app.until_held_waits(8).await;
    let enrolments = tenants.iter().map(|t| {
        let mfa = mfa_in(&app, t);
        async move {
            let token = mfa.mfa_token("same@example.com").await;
            assert_eq!(mfa.associate(&token, phone, "sms").await.status(), 200);
        }
    });
    futures_util::future::join_all(enrolments).await;
    for (tenant, wait) in tenants.iter().zip(waits) {
        let got = wait.await.expect("task").expect("json");
        assert_eq!(got["tenant"], tenant.as_str(), "{got}");
    }
    // Each tenant's list and latest are its own.
    for tenant in &tenants {
        let page = app
            .get_json(&format!(
                "/emulator/v1/messages?tenant={tenant}&to=%2B15555550900"
            ))
            .await;
        let messages = page["messages"].as_array().expect("messages");
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0]["tenant"], tenant.as_str());
    }
    app.stop().await;
}

#[tokio::test]
async fn a_wait_narrowed_to_a_user_or_a_transaction_gets_only_that_code() {
    let app = spawn_app().await;
    let phone = "+15555550901";
    let mfa = Mfa::new(&app);
    let first = mfa.mfa_token("first@example.com").await;
    assert_eq!(mfa.associate(&first, phone, "sms").await.status(), 200);
    let first_sent = crate::mfa::latest(&app, phone).await;
    let second = mfa.mfa_token("second@example.com").await;
    assert_eq!(mfa.associate(&second, phone, "sms").await.status(), 200);
    let first_user = first_sent["user_id"].as_str().expect("user");
    let latest = |query: Vec<(&'static str, String)>| {
        app.http
            .get(app.url(&format!("/emulator/v1/phones/{phone}/latest")))
            .query(&query)
            .send()
    };
    let got: Value = latest(vec![("user_id", first_user.to_owned())])
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(
        got["id"], first_sent["id"],
        "the first user's, though newer came"
    );
    let transaction = first_sent["attributes"]["transaction_id"]
        .as_str()
        .expect("tx");
    let got: Value = latest(vec![("transaction_id", transaction.to_owned())])
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(got["id"], first_sent["id"]);
    let none = latest(vec![("transaction_id", "01NOSUCHTRANSACTION".into())])
        .await
        .expect("sent");
    assert_eq!(none.status(), 404);
    let unknown = latest(vec![("tenant_id", "x".into())]).await.expect("sent");
    assert_eq!(
        unknown.status(),
        400,
        "unknown parameters are still refused"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_deleted_tenant_leaves_nothing_behind() {
    let app = spawn_app().await;
    let tenant = new_tenant(&app).await;
    let mfa = mfa_in(&app, &tenant);
    mfa.enroll("gone@example.com", "+15555550902").await;
    let kept = Mfa::new(&app);
    kept.enroll("kept@example.com", "+15555550903").await;
    // Its own clock and its Twilio token go with it.
    advance(&app, &tenant, "1h").await;
    let token = "tenant-twilio-token-9a8b7c6d5e";
    let (status, _) = crate::helpers::mgmt_call(
        &app,
        reqwest::Method::PUT,
        &format!("/t/{tenant}/api/v2/guardian/factors/phone/providers/twilio"),
        Some(json!({ "sid": "AC33333333333333333333333333333333", "auth_token": token, "from": "+15005550006" })),
    )
    .await;
    assert_eq!(status, 200);
    let secrets_file = phonebox::secrets::Secrets::beside(&app.db);
    assert!(std::fs::read_to_string(&secrets_file)
        .expect("secrets")
        .contains(token));
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", app.db.display()))
        .await
        .expect("opens");
    let clock_key = "SELECT COUNT(*) FROM settings WHERE key LIKE 'clock.offset_ms.%'";
    assert_eq!(count(&db, clock_key, None).await, 1, "its clock was kept");
    let response = app.delete(&format!("/emulator/v1/tenants/{tenant}")).await;
    assert_eq!(response.status(), 204);
    assert!(
        !std::fs::read_to_string(&secrets_file)
            .expect("secrets")
            .contains(token),
        "the deleted tenant's credentials are gone"
    );
    assert_eq!(
        app.get(&format!("/emulator/v1/tenants/{tenant}"))
            .await
            .status(),
        404
    );
    let page = app
        .get_json(&format!("/emulator/v1/messages?tenant={tenant}"))
        .await;
    assert_eq!(page["messages"], json!([]));
    nothing_left_of(&db, &tenant).await;
    let default_messages = count(
        &db,
        "SELECT COUNT(*) FROM messages WHERE tenant = ?",
        Some("default"),
    )
    .await;
    assert_eq!(default_messages, 1, "the other tenant's are kept");
    let clock_rows = count(&db, clock_key, None).await;
    assert_eq!(clock_rows, 0, "its clock is gone");
    db.close().await;
    // The default tenant stays; unknown ones are 404.
    assert_eq!(
        app.delete("/emulator/v1/tenants/default").await.status(),
        409
    );
    assert_eq!(
        app.delete(&format!("/emulator/v1/tenants/{tenant}"))
            .await
            .status(),
        404
    );
    app.stop().await;
}

#[tokio::test]
async fn a_tenant_deleted_while_its_sends_are_in_flight_leaves_nothing_behind() {
    const SENDS: usize = 8;
    let app = spawn_app().await;
    let tenant = new_tenant(&app).await;
    let mfa = mfa_in(&app, &tenant);
    let mut requests = Vec::new();
    for i in 0..SENDS {
        let token = mfa.mfa_token(&format!("inflight-{i}@example.com")).await;
        requests.push(
            app.http
                .post(mfa.url("/mfa/associate"))
                .bearer_auth(token)
                .json(&json!({ "client_id": crate::mfa::CLIENT, "authenticator_types": ["oob"], "oob_channels": ["sms"], "phone_number": format!("+155555509{:02}", 10 + i) })),
        );
    }
    requests.push(
        app.http
            .delete(app.url(&format!("/emulator/v1/tenants/{tenant}"))),
    );
    let answers = all_at_once(requests).await;
    let (deleted, _) = answers.last().expect("the delete");
    assert_eq!(*deleted, 204);
    for (status, body) in &answers[..SENDS] {
        // Sent before the delete, or refused after it: never a failure.
        assert!(*status < 500, "an associate answered {status}: {body}");
    }
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", app.db.display()))
        .await
        .expect("opens");
    nothing_left_of(&db, &tenant).await;
    db.close().await;
    app.stop().await;
}

/// An Action, configured as `tenant`'s custom provider, whose runs each add a line
/// to `started`, wait for `release` to exist, deliver to this server's capture
/// endpoint (linked to the tenant by the harness), then add a line to `done`.
/// With `retry_first`, its first run asks for a retry instead.
struct HeldAction {
    started: std::path::PathBuf,
    done: std::path::PathBuf,
}

const HELD_ACTION: &str = r#"const fs = require('fs');
exports.onExecuteCustomPhoneProvider = async (event, api) => {
  const s = event.secrets;
  if (s.RETRY_FIRST && !fs.existsSync(s.RETRY_FIRST)) {
    fs.writeFileSync(s.RETRY_FIRST, '');
    api.notification.retry('the first run asks for another');
    return;
  }
  fs.appendFileSync(s.STARTED, 'run\n');
  while (!fs.existsSync(s.RELEASE)) await new Promise((r) => setTimeout(r, 10));
  const n = event.notification;
  await fetch(s.SERVICE_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ recipient: n.recipient, text: n.as_text, code: n.code, message_type: n.delivery_method, action: 'enrollment' }),
  });
  fs.appendFileSync(s.DONE, 'done\n');
  if (s.HOLD_AFTER) await new Promise(() => {});
};
"#;

async fn held_action(
    app: &TestApp,
    tenant: &str,
    dir: &std::path::Path,
    release: &std::path::Path,
    extra: Value,
) -> HeldAction {
    let action = dir.join("action.js");
    if !action.exists() {
        std::fs::write(&action, HELD_ACTION).expect("write the Action");
    }
    let held = HeldAction {
        started: dir.join(format!("{tenant}.started")),
        done: dir.join(format!("{tenant}.done")),
    };
    crate::helpers::use_custom_provider(app, tenant, &["text", "voice"]).await;
    let mut secrets = json!({
        "STARTED": held.started, "DONE": held.done, "RELEASE": release,
        "SERVICE_URL": app.url("/capture/auth0/custom-phone-provider"),
    });
    if let (Some(secrets), Value::Object(extra)) = (secrets.as_object_mut(), extra) {
        secrets.extend(extra);
    }
    let configured = app
        .post_json(
            &format!("/emulator/v1/tenants/{tenant}/actions"),
            &json!({ "trigger": "custom-phone-provider", "path": action, "secrets": secrets })
                .to_string(),
        )
        .await;
    assert_eq!(configured.status(), 201);
    held
}

/// Waits until `file` has `lines` lines (an Action run adds one as it starts).
async fn until_lines(file: &std::path::Path, lines: usize) {
    // Under the Action's own 20 s timeout, so a slow start fails here, by name.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let seen = std::fs::read_to_string(file).map_or(0, |s| s.lines().count());
        if seen >= lines {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{}: {seen} of {lines} runs",
            file.display()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Waits until `tenant` has no message: once a delivery's message was captured,
/// it goes only with the clean-up after its send.
async fn until_no_message_of(db: &sqlx::SqlitePool, tenant: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let sql = "SELECT COUNT(*) FROM messages WHERE tenant = ?";
    while count(db, sql, Some(tenant)).await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "{tenant}'s late message was kept"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A test run of `tenant`'s one Action to `to`, not yet sent.
async fn test_run_to(app: &TestApp, tenant: &str, to: &str) -> reqwest::RequestBuilder {
    let listed = app
        .get_json(&format!("/emulator/v1/tenants/{tenant}/actions"))
        .await;
    let id = listed["actions"][0]["id"].as_str().expect("id");
    app.http
        .post(app.url(&format!("/emulator/v1/tenants/{tenant}/actions/{id}/test")))
        .json(&json!({ "to": to }))
}

async fn provider_id(app: &TestApp, tenant: &str) -> String {
    let (status, listed) = crate::helpers::mgmt_call(
        app,
        reqwest::Method::GET,
        &format!("/t/{tenant}/api/v2/branding/phone/providers"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    listed["providers"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

#[tokio::test]
async fn what_each_kind_of_send_records_after_its_tenant_was_deleted_goes_with_the_tenant() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let release = dir.path().join("release");
    // One tenant per kind of send, so each clean-up is seen on its own: an
    // enrolment's send, a test run, the Management API's /try, a retry.
    let mut tenants = Vec::new();
    for _ in 0..4 {
        tenants.push(new_tenant(&app).await);
    }
    let [enrolled, tested, tried, retried] = [0, 1, 2, 3].map(|i| tenants[i].clone());
    let mut held = Vec::new();
    for tenant in &tenants {
        let extra = if *tenant == retried {
            json!({ "RETRY_FIRST": dir.path().join("retried") })
        } else {
            json!({})
        };
        held.push(held_action(&app, tenant, dir.path(), &release, extra).await);
    }
    // The retried tenant's first run asks for a retry; its clock makes it due.
    let first = mfa_in(&app, &retried);
    let token = first.mfa_token("retried@example.com").await;
    let associated = first.associate(&token, "+15555550933", "sms").await;
    assert_eq!(associated.status(), 200);
    let mfa = mfa_in(&app, &enrolled);
    let token = mfa.mfa_token("late@example.com").await;
    let associate = app
        .http
        .post(mfa.url("/mfa/associate"))
        .bearer_auth(token)
        .json(&json!({ "client_id": crate::mfa::CLIENT, "authenticator_types": ["oob"], "oob_channels": ["sms"], "phone_number": "+15555550930" }))
        .send();
    let test_run = test_run_to(&app, &tested, "+15555550931").await.send();
    let try_send = app
        .http
        .post(app.url(&format!(
            "/t/{tried}/api/v2/branding/phone/providers/{}/try",
            provider_id(&app, &tried).await
        )))
        .bearer_auth("mgmt")
        .json(&json!({ "to": "+15555550932", "delivery_method": "text" }))
        .send();
    let answers = [
        tokio::spawn(associate),
        tokio::spawn(test_run),
        tokio::spawn(try_send),
    ];
    advance(&app, &retried, "1h").await;
    for h in &held {
        until_lines(&h.started, 1).await;
    }
    for tenant in &tenants {
        let deleted = app.delete(&format!("/emulator/v1/tenants/{tenant}")).await;
        assert_eq!(deleted.status(), 204);
    }
    std::fs::write(&release, "").expect("release the runs");
    let mut statuses = Vec::new();
    for answer in answers {
        let answered = answer.await.expect("task").expect("sent");
        statuses.push(answered.status().as_u16());
    }
    assert!(statuses[0] < 500, "the associate answered {}", statuses[0]);
    assert_eq!(statuses[1..], [200, 202], "the test run and /try");
    // Every delivery reached the capture endpoint after the deletes.
    for h in &held {
        until_lines(&h.done, 1).await;
    }
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", app.db.display()))
        .await
        .expect("opens");
    // The retry answers nobody: its clean-up is waited for.
    until_no_message_of(&db, &retried).await;
    for tenant in &tenants {
        nothing_left_of(&db, tenant).await;
    }
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM messages", None).await,
        0,
        "no message under any tenant"
    );
    db.close().await;
    app.stop().await;
}

#[tokio::test]
async fn a_test_run_whose_caller_hangs_up_after_its_tenant_was_deleted_leaves_nothing_either() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let release = dir.path().join("release");
    let tenant = new_tenant(&app).await;
    // This run delivers, then never returns: its caller gives up on it.
    let held = held_action(
        &app,
        &tenant,
        dir.path(),
        &release,
        json!({ "HOLD_AFTER": "yes" }),
    )
    .await;
    let test_run = test_run_to(&app, &tenant, "+15555550934").await.send();
    let caller = tokio::spawn(test_run);
    until_lines(&held.started, 1).await;
    // An inbox watching the tenant, which sees the late message come and go.
    let mut events = EventStream::open(&app, &[("tenant", &tenant)]).await;
    let deleted = app.delete(&format!("/emulator/v1/tenants/{tenant}")).await;
    assert_eq!(deleted.status(), 204);
    std::fs::write(&release, "").expect("release the run");
    until_lines(&held.done, 1).await;
    caller.abort();
    let seen = tokio::time::timeout(std::time::Duration::from_secs(15), async {
        events.next("message.created").await;
        events.next("messages.cleared").await
    })
    .await
    .expect("the late message is cleared from the views too");
    assert!(seen.contains(&tenant), "{seen}");
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", app.db.display()))
        .await
        .expect("opens");
    until_no_message_of(&db, &tenant).await;
    nothing_left_of(&db, &tenant).await;
    db.close().await;
    app.stop().await;
}

#[tokio::test]
async fn a_tenants_counters_reset_and_its_messages_clear_alone() {
    let app = spawn_app().await;
    let tenant = new_tenant(&app).await;
    let mfa = mfa_in(&app, &tenant);
    mfa.enroll("count@example.com", "+15555550904").await;
    Mfa::new(&app)
        .enroll("other@example.com", "+15555550905")
        .await;
    let limits = app
        .get_json(&format!("/emulator/v1/limits?tenant={tenant}"))
        .await;
    assert_eq!(limits["builtin_provider"]["used"], 1, "{limits}");
    let response = app
        .http
        .post(app.url(&format!("/emulator/v1/tenants/{tenant}/reset")))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 204);
    let limits = app
        .get_json(&format!("/emulator/v1/limits?tenant={tenant}"))
        .await;
    assert_eq!(limits["builtin_provider"]["used"], 0, "{limits}");
    let cleared = app
        .http
        .delete(app.url(&format!("/emulator/v1/messages?tenant={tenant}")))
        .send()
        .await
        .expect("sent");
    let cleared: Value = cleared.json().await.expect("json");
    assert_eq!(cleared["deleted"], 1);
    assert_eq!(
        app.messages().await.len(),
        1,
        "the default tenant's message stays"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_workers_event_stream_carries_only_its_tenants_messages() {
    let app = spawn_app().await;
    let mine = new_tenant(&app).await;
    let mut events = EventStream::open(&app, &[("tenant", &mine)]).await;
    Mfa::new(&app)
        .enroll("noise@example.com", "+15555550906")
        .await;
    mfa_in(&app, &mine)
        .enroll("mine@example.com", "+15555550907")
        .await;
    let data = events.next("message.created").await;
    let first: Value = serde_json::from_str(&data).expect("json");
    assert_eq!(
        first["tenant"],
        mine.as_str(),
        "the default tenant's message was left out"
    );
    assert_eq!(first["to"], "+15555550907");
    let bad = app.get("/emulator/v1/events?tenant_id=x").await;
    assert_eq!(bad.status(), 400);
    app.stop().await;
}

#[tokio::test]
async fn a_wait_that_ends_on_a_failed_send_says_why() {
    let app = spawn_app().await;
    let tenant = new_tenant(&app).await;
    // Twilio chosen, no credentials given: every send fails.
    crate::mfa::settings(&app, &tenant, json!({ "selected_provider": "twilio" })).await;
    let mfa = mfa_in(&app, &tenant);
    let token = mfa.mfa_token("nocreds@example.com").await;
    assert_eq!(
        mfa.associate(&token, "+15555550908", "sms").await.status(),
        200,
        "Auth0 tells the app nothing of a failed send"
    );
    let response = app
        .http
        .get(app.url("/emulator/v1/phones/+15555550908/latest"))
        .query(&[("wait", "200ms"), ("tenant", tenant.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "no_message");
    assert_eq!(body["failure"]["type"], "gd_send_sms_failure", "{body}");
    assert_eq!(body["failure"]["tenant"], tenant.as_str());
    let description = body["failure"]["description"].as_str().expect("why");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains(description),
        "{body}"
    );
    // Another tenant's wait on the same number hears nothing of it.
    let other = app
        .get("/emulator/v1/phones/+15555550908/latest?tenant=default")
        .await;
    assert_eq!(other.status(), 404);
    let other: Value = other.json().await.expect("json");
    assert!(other.get("failure").is_none(), "{other}");
    app.stop().await;
}

#[tokio::test]
async fn a_tenants_clock_moves_alone_and_the_global_one_moves_all() {
    let app = spawn_app().await;
    let (a, b) = (new_tenant(&app).await, new_tenant(&app).await);
    let (mfa_a, mfa_b) = (mfa_in(&app, &a), mfa_in(&app, &b));
    let token_a = mfa_a.mfa_token("clock@example.com").await;
    let token_b = mfa_b.mfa_token("clock@example.com").await;
    // An mfa_token lives ten minutes: eleven on A's clock expire A's alone.
    let view = advance(&app, &a, "11m").await;
    assert_eq!(view["offset"], "11m");
    assert_eq!(app.get_json("/emulator/v1/clock").await["offset_ms"], 0);
    assert_eq!(
        app.get_json(&format!("/emulator/v1/clock?tenant={b}"))
            .await["offset_ms"],
        0
    );
    let expired = mfa_a.associate(&token_a, "+15555550910", "sms").await;
    assert!(expired.status().is_client_error(), "{}", expired.status());
    let fine = mfa_b.associate(&token_b, "+15555550911", "sms").await;
    assert_eq!(fine.status(), 200, "B's token is still good");
    // The global clock moves every tenant; A keeps its own lead on top.
    let token_b = mfa_b.mfa_token("clock2@example.com").await;
    let moved = app
        .http
        .post(app.url("/emulator/v1/clock/advance"))
        .json(&json!({ "by": "11m" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(moved.status(), 200);
    assert!(mfa_b
        .associate(&token_b, "+15555550912", "sms")
        .await
        .status()
        .is_client_error());
    assert_eq!(
        app.get_json(&format!("/emulator/v1/clock?tenant={a}"))
            .await["offset"],
        "22m"
    );
    // Back: A's own offset goes, the global one stays.
    let reset = app
        .http
        .delete(app.url(&format!("/emulator/v1/clock?tenant={a}")))
        .send()
        .await
        .expect("sent");
    assert_eq!(reset.status(), 200);
    assert_eq!(
        app.get_json(&format!("/emulator/v1/clock?tenant={a}"))
            .await["offset"],
        "11m"
    );
    assert_eq!(
        app.get("/emulator/v1/clock?tenant=no-such-tenant")
            .await
            .status(),
        404
    );
    app.stop().await;
}

#[tokio::test]
async fn an_event_stream_narrowed_to_a_user_carries_only_that_users_codes() {
    let app = spawn_app().await;
    let mfa = Mfa::new(&app);
    // The user exists from its first login; its id is known before any code.
    let target = mfa.mfa_token("stream-target@example.com").await;
    let users = app
        .get_json("/emulator/v1/tenants/default/users?email=Stream-Target%40example.com")
        .await;
    assert_eq!(users.as_array().map(Vec::len), Some(1), "{users}");
    assert_eq!(
        app.get_json("/emulator/v1/tenants/default/users?email=nobody%40example.com")
            .await,
        json!([]),
        "the filter matches the email only"
    );
    let user = users
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["email"] == "stream-target@example.com")
        .and_then(|u| u["user_id"].as_str())
        .expect("the user")
        .to_owned();
    let mut events = EventStream::open(&app, &[("user_id", &user)]).await;
    // Another user's code first, on the same phone, then this user's.
    let other = mfa.mfa_token("stream-other@example.com").await;
    assert_eq!(
        mfa.associate(&other, "+15555550913", "sms").await.status(),
        200
    );
    assert_eq!(
        mfa.associate(&target, "+15555550913", "sms").await.status(),
        200
    );
    let data = events.next("message.created").await;
    let got: Value = serde_json::from_str(&data).expect("json");
    assert_eq!(
        got["user_id"],
        user.as_str(),
        "the other user's code was left out"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_wait_after_a_time_read_on_the_tenants_own_clock_sees_what_came_since() {
    let app = spawn_app().await;
    let tenant = new_tenant(&app).await;
    advance(&app, &tenant, "1h").await;
    let before = app
        .get_json(&format!("/emulator/v1/clock?tenant={tenant}"))
        .await["now"]
        .as_str()
        .expect("now")
        .to_owned();
    mfa_in(&app, &tenant)
        .enroll("after@example.com", "+15555550914")
        .await;
    let response = app
        .http
        .get(app.url("/emulator/v1/phones/+15555550914/latest"))
        .query(&[
            ("tenant", tenant.as_str()),
            ("after", before.as_str()),
            ("wait", "2s"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200, "the message came after that moment");
    app.stop().await;
}
