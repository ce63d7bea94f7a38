//! Each delivery path of the emulated tenant: the built-in provider into the inbox,
//! Twilio through a Twilio API (this Phonebox's own, or a second Phonebox standing
//! in for Twilio), and custom providers posting the exact event to a webhook.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};
use crate::mfa::{latest, logs_of, settings, tenant_logs_of, Mfa};

const SID: &str = "AC11111111111111111111111111111111";
const TOKEN: &str = "twilio-auth-token-never-shown-7f3e";

async fn mgmt_put(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.http
        .put(app.url(path))
        .bearer_auth("mgmt-token")
        .json(&body)
        .send()
        .await
        .expect("sent")
}

/// A webhook that records every JSON body posted to it and answers `status`.
pub async fn webhook(status: StatusCode) -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let record = seen.clone();
    let router = Router::new().route(
        "/hook",
        post(move |Json(body): Json<Value>| {
            let record = record.clone();
            async move {
                record.lock().expect("lock").push(body);
                (status, Json(json!({})))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{addr}/hook"), seen)
}

fn keys(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn twilio_delivers_through_phonebox_own_twilio_api_linked_to_the_transaction() {
    let app = spawn_app().await;
    // A tenant other than `default`, which is what a receiver assumes unlinked.
    let created = app
        .post_json(
            "/emulator/v1/tenants",
            r#"{"id":"acme","friendly_name":"Acme"}"#,
        )
        .await;
    assert_eq!(created.status(), 201);
    assert_eq!(
        mgmt_put(
            &app,
            "/t/acme/api/v2/guardian/factors/phone/providers/twilio",
            json!({ "sid": SID, "auth_token": TOKEN, "from": "+15005550006" })
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        mgmt_put(
            &app,
            "/t/acme/api/v2/guardian/factors/phone/selected-provider",
            json!({ "provider": "twilio" })
        )
        .await
        .status(),
        200
    );
    let mut mfa = Mfa::new(&app);
    mfa.prefix = "/t/acme".into();
    mfa.enroll("tw@example.com", "+15555551001").await;
    let sent = latest(&app, "+15555551001").await;
    assert_eq!(sent["source"], "twilio.messages");
    assert_eq!(sent["from"], "+15005550006");
    assert_eq!(sent["provider_account"], SID);
    assert_eq!(sent["tenant"], "acme");
    assert_eq!(sent["purpose"], "otp_enroll");
    assert_eq!(sent["client_id"], crate::mfa::CLIENT);
    assert!(sent["user_id"]
        .as_str()
        .is_some_and(|u| u.starts_with("auth0|")));
    let logs = tenant_logs_of(&app, "/t/acme", "gd_send_sms").await;
    assert_eq!(logs[0]["details"]["provider"], "twilio");
    assert_eq!(
        sent["attributes"]["transaction_id"],
        logs[0]["details"]["transaction_id"]
    );
    assert_eq!(logs[0]["details"]["message_id"], sent["id"]);
    // Captured once: the raw request is the form Twilio would have got, its
    // credentials redacted.
    let detail = app
        .get_json(&format!(
            "/emulator/v1/messages/{}",
            sent["id"].as_str().expect("id")
        ))
        .await;
    let raw = detail.to_string();
    assert!(!raw.contains(TOKEN), "{raw}");
    assert_eq!(app.messages().await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn twilio_voice_and_a_second_phonebox_standing_in_for_twilio() {
    let fake_twilio = spawn_app().await;
    let app = spawn_app().await;
    mgmt_put(
        &app,
        "/api/v2/guardian/factors/phone/providers/twilio",
        json!({ "sid": SID, "auth_token": TOKEN, "from": "+15005550006" }),
    )
    .await;
    settings(
        &app,
        "default",
        json!({ "selected_provider": "twilio", "message_types": ["sms", "voice"], "twilio_base_url": fake_twilio.base }),
    )
    .await;
    let mfa = Mfa::new(&app);
    let token = mfa.mfa_token("far@example.com").await;
    assert_eq!(
        mfa.associate(&token, "+15555551002", "voice")
            .await
            .status(),
        200
    );
    assert!(
        app.messages().await.is_empty(),
        "sent to the other Twilio, not here"
    );
    let call = latest(&fake_twilio, "+15555551002").await;
    assert_eq!(call["source"], "twilio.calls");
    assert_eq!(call["channel"], "voice");
    // The link travelled in Phonebox's header: the second Phonebox knows whose call it is.
    assert_eq!(call["purpose"], "otp_enroll");
    assert_eq!(call["client_id"], crate::mfa::CLIENT);
    assert!(call["user_id"]
        .as_str()
        .is_some_and(|u| u.starts_with("auth0|")));
    let voice_log = &logs_of(&app, "gd_send_voice").await[0];
    assert_eq!(
        call["attributes"]["transaction_id"],
        voice_log["details"]["transaction_id"]
    );
    let code = call["code"].as_str().expect("code");
    let spoken: Vec<String> = code.chars().map(String::from).collect();
    assert!(
        call["text"]
            .as_str()
            .expect("text")
            .starts_with(&spoken.join(".")),
        "{}",
        call["text"]
    );

    // The fake Twilio refuses: the tenant logs the failure, the app hears nothing.
    fake_twilio
        .http
        .put(fake_twilio.url("/emulator/v1/chaos/twilio"))
        .json(&json!({ "error": "21611" }))
        .send()
        .await
        .expect("sent");
    let token = mfa.mfa_token("far2@example.com").await;
    assert_eq!(
        mfa.associate(&token, "+15555551003", "sms").await.status(),
        200
    );
    let failures = logs_of(&app, "gd_send_sms_failure").await;
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0]["description"]
            .as_str()
            .expect("text")
            .contains("21611"),
        "{}",
        failures[0]
    );
    app.stop().await;
    fake_twilio.stop().await;
}

#[tokio::test]
async fn phone_message_hook_posts_the_send_phone_message_event_or_the_hook_parameters() {
    let app = spawn_app().await;
    let (url, seen) = webhook(StatusCode::OK).await;
    settings(
        &app,
        "default",
        json!({ "selected_provider": "phone-message-hook", "custom": { "url": url } }),
    )
    .await;
    let mfa = Mfa::new(&app);
    let token = mfa.mfa_token("hook@example.com").await;
    assert_eq!(
        mfa.associate(&token, "+15555551004", "sms").await.status(),
        200
    );
    let event = seen
        .lock()
        .expect("lock")
        .pop()
        .expect("the webhook got the event");
    assert_eq!(
        keys(&event["message_options"]),
        ["action", "code", "message_type", "recipient", "text"]
    );
    assert_eq!(event["message_options"]["action"], "enrollment");
    assert_eq!(event["message_options"]["message_type"], "sms");
    assert_eq!(event["message_options"]["recipient"], "+15555551004");
    let code = event["message_options"]["code"].as_str().expect("code");
    assert!(event["message_options"]["text"]
        .as_str()
        .expect("text")
        .starts_with(code));
    assert_eq!(event["client"]["client_id"], crate::mfa::CLIENT);
    assert_eq!(event["tenant"]["id"], "default");
    assert_eq!(event["user"]["email"], "hook@example.com");
    assert!(event["request"]["language"].is_string());
    assert!(event.get("secrets").is_some() && event.get("configuration").is_some());
    assert!(
        app.messages().await.is_empty(),
        "the webhook is the user's code, not the inbox"
    );

    settings(
        &app,
        "default",
        json!({ "custom": { "url": url, "format": "hook" } }),
    )
    .await;
    let token = mfa.mfa_token("hook2@example.com").await;
    assert_eq!(
        mfa.associate(&token, "+15555551005", "sms").await.status(),
        200
    );
    let params = seen
        .lock()
        .expect("lock")
        .pop()
        .expect("the webhook got the parameters");
    assert_eq!(keys(&params), ["context", "recipient", "text"]);
    assert_eq!(
        keys(&params["context"]),
        [
            "action",
            "client",
            "client_id",
            "client_metadata",
            "code",
            "factor_type",
            "ip",
            "language",
            "message_type",
            "name",
            "user",
            "user_agent"
        ]
    );
    assert_eq!(params["context"]["client"]["client_metadata"], json!({}));
    // The Twilio guide's Hook reads the client flat, and the factor.
    assert_eq!(
        params["context"]["client_id"],
        params["context"]["client"]["client_id"]
    );
    assert_eq!(
        params["context"]["name"],
        params["context"]["client"]["name"]
    );
    assert_eq!(params["context"]["factor_type"], "second");
    app.stop().await;
}

#[tokio::test]
async fn the_unified_custom_provider_posts_the_custom_phone_provider_event() {
    let app = spawn_app().await;
    let (url, seen) = webhook(StatusCode::OK).await;
    settings(
        &app,
        "default",
        json!({ "custom": { "url": url }, "message_types": ["sms", "voice"] }),
    )
    .await;
    crate::helpers::use_custom_provider(&app, "default", &["text", "voice"]).await;
    let mfa = Mfa::new(&app);
    let token = mfa.mfa_token("upe@example.com").await;
    assert_eq!(
        mfa.associate(&token, "+15555551006", "voice")
            .await
            .status(),
        200
    );
    let event = seen.lock().expect("lock").pop().expect("event");
    let n = &event["notification"];
    assert_eq!(
        keys(n),
        [
            "as_text",
            "as_voice",
            "code",
            "delivery_method",
            "locale",
            "message_type",
            "recipient"
        ]
    );
    assert_eq!(n["message_type"], "otp_enroll");
    assert_eq!(n["delivery_method"], "voice");
    assert!(
        n.get("from").is_none(),
        "no sender configured: no from, not null"
    );
    let code = n["code"].as_str().expect("code");
    assert!(n["as_text"].as_str().expect("text").starts_with(code));
    let spoken: Vec<String> = code.chars().map(String::from).collect();
    let spoken = spoken.join(".");
    // Auth0's default Unified Phone voice body, not the Guardian one.
    assert_eq!(
        n["as_voice"],
        format!("Hello. Your verification code for Phonebox is . . . {spoken}. I repeat, your verification code is . . . {spoken}")
    );
    assert_eq!(event["tenant"]["friendly_name"], "Phonebox");

    // With no URL configured, the event goes to Phonebox's own capture endpoint.
    settings(&app, "default", json!({ "custom": { "url": null } })).await;
    let token = mfa.mfa_token("upe2@example.com").await;
    assert_eq!(
        mfa.associate(&token, "+15555551007", "sms").await.status(),
        200
    );
    let sent = latest(&app, "+15555551007").await;
    assert_eq!(sent["source"], "auth0.custom-phone-provider");
    assert_eq!(sent["purpose"], "otp_enroll");
    assert!(sent["user_id"]
        .as_str()
        .is_some_and(|u| u.starts_with("auth0|")));
    let logged =
        logs_of(&app, "gd_send_voice").await.len() + logs_of(&app, "gd_send_sms").await.len();
    assert_eq!(logged, 2);
    let sms_log = &logs_of(&app, "gd_send_sms").await[0];
    assert_eq!(
        sent["attributes"]["transaction_id"],
        sms_log["details"]["transaction_id"]
    );
    assert_eq!(sms_log["details"]["message_id"], sent["id"]);
    app.stop().await;
}

#[tokio::test]
async fn a_failing_webhook_is_logged_as_a_send_failure() {
    let app = spawn_app().await;
    let (url, seen) = webhook(StatusCode::INTERNAL_SERVER_ERROR).await;
    settings(
        &app,
        "default",
        json!({ "selected_provider": "phone-message-hook", "custom": { "url": url } }),
    )
    .await;
    let mfa = Mfa::new(&app);
    let token = mfa.mfa_token("down@example.com").await;
    assert_eq!(
        mfa.associate(&token, "+15555551008", "sms").await.status(),
        200
    );
    assert_eq!(seen.lock().expect("lock").len(), 1);
    let failures = logs_of(&app, "gd_send_sms_failure").await;
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["details"]["provider"], "custom");
    assert!(logs_of(&app, "gd_send_sms").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_unified_phone_template_is_what_the_enrolling_user_receives() {
    let app = spawn_app().await;
    crate::helpers::use_custom_provider(&app, "default", &["text"]).await;
    let template = app
        .http
        .post(app.url("/api/v2/branding/phone/templates"))
        .bearer_auth("mgmt")
        .json(&json!({ "type": "otp_enroll", "content": { "body": { "text": "Welcome to {{friendly_name}}: {{code}}" } } }))
        .send()
        .await
        .expect("sent");
    assert_eq!(template.status(), 201);
    Mfa::new(&app)
        .enroll("brand@example.com", "+15555551009")
        .await;
    let sent = latest(&app, "+15555551009").await;
    assert_eq!(sent["source"], "auth0.custom-phone-provider");
    assert_eq!(
        sent["text"],
        format!(
            "Welcome to Phonebox: {}",
            sent["code"].as_str().expect("code")
        )
    );
    app.stop().await;
}

#[tokio::test]
async fn a_webhook_on_a_second_phonebox_gets_the_message_already_linked() {
    let other = spawn_app().await;
    let app = spawn_app().await;
    let created = app
        .post_json("/emulator/v1/tenants", r#"{"id":"acme"}"#)
        .await;
    assert_eq!(created.status(), 201);
    settings(
        &app,
        "acme",
        json!({
            "selected_provider": "phone-message-hook",
            "custom": { "url": other.url("/capture/auth0/hook"), "format": "hook" }
        }),
    )
    .await;
    let mut mfa = Mfa::new(&app);
    mfa.prefix = "/t/acme".into();
    let token = mfa.mfa_token("second@example.com").await;
    assert_eq!(
        mfa.associate(&token, "+15555551010", "sms").await.status(),
        200
    );
    assert!(app.messages().await.is_empty(), "posted to the other one");
    let sent = latest(&other, "+15555551010").await;
    assert_eq!(sent["source"], "auth0.hook");
    assert_eq!(sent["tenant"], "acme");
    assert_eq!(sent["purpose"], "otp_enroll");
    assert_eq!(sent["attributes"]["delivered_by"], "custom");
    let log = &tenant_logs_of(&app, "/t/acme", "gd_send_sms").await[0];
    assert_eq!(
        sent["attributes"]["transaction_id"],
        log["details"]["transaction_id"]
    );
    app.stop().await;
    other.stop().await;
}

#[tokio::test]
async fn a_base_url_spelling_phonebox_another_way_is_still_delivered_in_process() {
    let app = spawn_app().await;
    let localhost = app.base.replace("127.0.0.1", "localhost");
    mgmt_put(
        &app,
        "/api/v2/guardian/factors/phone/providers/twilio",
        json!({ "sid": SID, "auth_token": TOKEN, "from": "+15005550006" }),
    )
    .await;
    settings(
        &app,
        "default",
        json!({ "selected_provider": "twilio", "twilio_base_url": format!("{localhost}/") }),
    )
    .await;
    Mfa::new(&app)
        .enroll("spelt@example.com", "+15555551011")
        .await;
    let sent = latest(&app, "+15555551011").await;
    let detail = app
        .get_json(&format!(
            "/emulator/v1/messages/{}",
            sent["id"].as_str().expect("id")
        ))
        .await;
    let headers = detail["request"]["headers"].to_string();
    assert!(
        !headers.contains("host") && !headers.contains("x-phonebox-link"),
        "not posted over HTTP: {headers}"
    );
    let log = &logs_of(&app, "gd_send_sms").await[0];
    assert_eq!(log["details"]["message_id"], sent["id"]);
    app.stop().await;
}

#[tokio::test]
async fn a_send_is_delivered_and_logged_even_when_the_app_hangs_up() {
    let app = spawn_app().await;
    // A webhook that answers only once told to, so the app's request is surely
    // gone by the time delivery finishes.
    let (release, released) = tokio::sync::watch::channel(false);
    let router = Router::new().route(
        "/hook",
        post(move |Json(_): Json<Value>| {
            let mut released = released.clone();
            async move {
                let _ = released.wait_for(|r| *r).await;
                (StatusCode::OK, Json(json!({})))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    settings(
        &app,
        "default",
        json!({ "selected_provider": "phone-message-hook", "custom": { "url": url } }),
    )
    .await;
    let mfa = Mfa::new(&app);
    let token = mfa.mfa_token("hangup@example.com").await;
    let impatient = reqwest::Client::builder()
        .timeout(std::time::Duration::from_millis(300))
        .build()
        .expect("client");
    let gave_up = impatient
        .post(mfa.url("/mfa/associate"))
        .bearer_auth(&token)
        .json(&json!({ "client_id": crate::mfa::CLIENT, "authenticator_types": ["oob"], "oob_channels": ["sms"], "phone_number": "+15555551012" }))
        .send()
        .await;
    assert!(gave_up.is_err(), "the app hung up before the answer");
    release.send(true).expect("release the webhook");
    // The send finishes on its own: its log appears.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if !logs_of(&app, "gd_send_sms").await.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the send was abandoned with the request"
        );
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn the_twilio_settings_show_the_token_only_masked() {
    let app = spawn_app().await;
    let path = "/api/v2/guardian/factors/phone/providers/twilio";
    let (status, before) = crate::helpers::mgmt_call(&app, reqwest::Method::GET, path, None).await;
    assert_eq!(status, 200);
    assert_eq!(before["auth_token"], Value::Null, "none stored yet");
    let put = mgmt_put(
        &app,
        path,
        json!({ "sid": SID, "auth_token": TOKEN, "from": "+15005550006" }),
    )
    .await;
    assert_eq!(put.status(), 200);
    let answered: Value = put.json().await.expect("json");
    let (_, after) = crate::helpers::mgmt_call(&app, reqwest::Method::GET, path, None).await;
    for view in [&answered, &after] {
        assert_eq!(view["auth_token"], "••••7f3e", "{view}");
        assert!(!view.to_string().contains(TOKEN));
    }
    app.stop().await;
}
