//! The Management API's phone parts: round trips in Auth0's shapes, and provider
//! credentials that no answer, log line or database page ever shows.

use std::process::Stdio;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{mgmt_call as call, spawn_app};
use crate::mfa::{logs_of, Mfa};

const TOKEN: &str = "zw5Ku6AD2pTQtwilio-secret-4d1c";
const BRANDING_TOKEN: &str = "branding-twilio-secret-99aa";

#[tokio::test]
async fn guardian_phone_factor_round_trips() {
    let app = spawn_app().await;
    let (status, body) = call(
        &app,
        Method::PUT,
        "/api/v2/guardian/factors/phone",
        Some(json!({ "enabled": false })),
    )
    .await;
    assert_eq!((status, body), (200, json!({ "enabled": false })));
    let (_, factors) = call(&app, Method::GET, "/api/v2/guardian/factors", None).await;
    assert_eq!(
        factors[1],
        json!({ "name": "phone", "enabled": false, "trial_expired": false })
    );
    call(
        &app,
        Method::PUT,
        "/api/v2/guardian/factors/phone",
        Some(json!({ "enabled": true })),
    )
    .await;

    assert_eq!(
        call(
            &app,
            Method::GET,
            "/api/v2/guardian/factors/phone/message-types",
            None
        )
        .await
        .1,
        json!({ "message_types": ["sms"] })
    );
    let (status, body) = call(
        &app,
        Method::PUT,
        "/api/v2/guardian/factors/phone/message-types",
        Some(json!({ "message_types": ["voice", "sms"] })),
    )
    .await;
    assert_eq!(
        (status, body),
        (200, json!({ "message_types": ["sms", "voice"] }))
    );
    let (status, body) = call(
        &app,
        Method::PUT,
        "/api/v2/guardian/factors/phone/message-types",
        Some(json!({ "message_types": ["fax"] })),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["statusCode"], 400);
    assert_eq!(body["error"], "Bad Request");
    assert_eq!(body["errorCode"], "invalid_body");

    assert_eq!(
        call(
            &app,
            Method::GET,
            "/api/v2/guardian/factors/sms/selected-provider",
            None
        )
        .await
        .1,
        json!({ "provider": "auth0" })
    );
    let (status, _) = call(
        &app,
        Method::PUT,
        "/api/v2/guardian/factors/phone/selected-provider",
        Some(json!({ "provider": "phone-message-hook" })),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &app,
        Method::PUT,
        "/api/v2/guardian/factors/phone/selected-provider",
        Some(json!({ "provider": "carrier-pigeon" })),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        call(
            &app,
            Method::GET,
            "/api/v2/guardian/factors/phone/selected-provider",
            None
        )
        .await
        .1,
        json!({ "provider": "phone-message-hook" })
    );

    let (status, twilio) = call(
        &app,
        Method::PUT,
        "/api/v2/guardian/factors/phone/providers/twilio",
        Some(json!({ "from": "+15005550006", "sid": "AC22222222222222222222222222222222", "auth_token": TOKEN, "messaging_service_sid": null })),
    )
    .await;
    assert_eq!(status, 200);
    // Auth0 answers the token; Phonebox only its mask.
    let mask = format!("••••{}", &TOKEN[TOKEN.len() - 4..]);
    assert_eq!(
        twilio,
        json!({ "from": "+15005550006", "messaging_service_sid": null, "auth_token": mask, "sid": "AC22222222222222222222222222222222" })
    );
    assert_eq!(
        call(
            &app,
            Method::GET,
            "/api/v2/guardian/factors/phone/providers/twilio",
            None
        )
        .await
        .1,
        twilio
    );

    let (_, templates) = call(
        &app,
        Method::GET,
        "/api/v2/guardian/factors/phone/templates",
        None,
    )
    .await;
    assert_eq!(
        templates["verification_message"],
        "{{code}} is your verification code for {{tenant.friendly_name}}"
    );
    let custom = json!({ "enrollment_message": "Enroll with {{code}}", "verification_message": "Sign in with {{code}}" });
    assert_eq!(
        call(
            &app,
            Method::PUT,
            "/api/v2/guardian/factors/phone/templates",
            Some(custom.clone())
        )
        .await,
        (200, custom)
    );
    let (status, body) = call(
        &app,
        Method::PUT,
        "/api/v2/guardian/factors/phone/templates",
        Some(json!({ "enrollment_message": "{% if %}" })),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["message"]
        .as_str()
        .expect("message")
        .contains("Liquid"));
    let (status, _) = call(
        &app,
        Method::GET,
        "/api/v2/guardian/factors/push-notification/templates",
        None,
    )
    .await;
    assert_eq!(status, 404);

    let unauthenticated = app
        .http
        .get(app.url("/api/v2/guardian/factors"))
        .send()
        .await
        .expect("sent");
    assert_eq!(unauthenticated.status(), 401);
    assert_eq!(
        unauthenticated.json::<Value>().await.expect("json"),
        json!({ "statusCode": 401, "error": "Unauthorized", "message": "Missing authentication" })
    );
    app.stop().await;
}

#[tokio::test]
async fn the_guardian_template_is_what_the_user_receives() {
    let app = spawn_app().await;
    call(
        &app,
        Method::PUT,
        "/api/v2/guardian/factors/phone/templates",
        Some(json!({ "enrollment_message": "{{tenant.friendly_name}} code: {{code}}" })),
    )
    .await;
    let mfa = Mfa::new(&app);
    let token = mfa.mfa_token("tpl@example.com").await;
    mfa.associate(&token, "+15555551101", "sms").await;
    let sent = crate::mfa::latest(&app, "+15555551101").await;
    assert_eq!(
        sent["text"],
        format!("Phonebox code: {}", sent["code"].as_str().expect("code"))
    );
    app.stop().await;
}

#[tokio::test]
async fn branding_phone_providers_and_templates_round_trip() {
    let app = spawn_app().await;
    let twilio = json!({
        "name": "twilio",
        "configuration": { "sid": "AC33333333333333333333333333333333", "delivery_methods": ["text"], "default_from": "+15005550006" },
        "credentials": { "auth_token": BRANDING_TOKEN },
    });
    let (status, created) = call(
        &app,
        Method::POST,
        "/api/v2/branding/phone/providers",
        Some(twilio.clone()),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(created["channel"], "phone");
    assert_eq!(created["disabled"], false);
    assert!(created.get("credentials").is_none());
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(
        call(
            &app,
            Method::POST,
            "/api/v2/branding/phone/providers",
            Some(twilio)
        )
        .await
        .0,
        409
    );
    let (status, body) = call(
        &app,
        Method::POST,
        "/api/v2/branding/phone/providers",
        Some(json!({ "name": "twilio", "configuration": {}, "credentials": {} })),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (_, list) = call(&app, Method::GET, "/api/v2/branding/phone/providers", None).await;
    assert_eq!(list["providers"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        call(
            &app,
            Method::GET,
            "/api/v2/branding/phone/providers?disabled=true",
            None
        )
        .await
        .1["providers"],
        json!([])
    );
    let (status, patched) = call(&app, Method::PATCH, &format!("/api/v2/branding/phone/providers/{id}"), Some(json!({ "configuration": { "sid": "AC33333333333333333333333333333333", "delivery_methods": ["text", "voice"], "default_from": "+15005550006" } }))).await;
    assert_eq!(status, 200);
    assert_eq!(
        patched["configuration"]["delivery_methods"],
        json!(["text", "voice"])
    );

    // Send Test Message goes through the provider: here, Phonebox's own Twilio API.
    let (status, answer) = call(
        &app,
        Method::POST,
        &format!("/api/v2/branding/phone/providers/{id}/try"),
        Some(json!({ "to": "+15555551102", "delivery_method": "text" })),
    )
    .await;
    assert_eq!(
        (status, answer["code"].clone()),
        (202, json!(202)),
        "{answer}"
    );
    let sent = crate::mfa::latest(&app, "+15555551102").await;
    assert_eq!(sent["source"], "twilio.messages");
    assert_eq!(
        sent["provider_account"],
        "AC33333333333333333333333333333333"
    );

    let (status, template) = call(&app, Method::POST, "/api/v2/branding/phone/templates", Some(json!({ "type": "otp_verify", "content": { "body": { "text": "Acme: {{code}}", "voice": "Acme code {{code}}" } } }))).await;
    assert_eq!(status, 201);
    assert_eq!(template["customizable"], true);
    let tid = template["id"].as_str().expect("id").to_owned();
    assert_eq!(
        call(
            &app,
            Method::POST,
            "/api/v2/branding/phone/templates",
            Some(json!({ "type": "otp_verify" }))
        )
        .await
        .0,
        409
    );
    let (status, answer) = call(
        &app,
        Method::POST,
        &format!("/api/v2/branding/phone/templates/{tid}/try"),
        Some(json!({ "to": "+15555551103" })),
    )
    .await;
    assert_eq!((status, answer["code"].clone()), (202, json!(202)));
    assert_eq!(
        crate::mfa::latest(&app, "+15555551103").await["text"],
        "Acme: 123456"
    );
    let (_, reset) = call(
        &app,
        Method::PATCH,
        &format!("/api/v2/branding/phone/templates/{tid}/reset"),
        None,
    )
    .await;
    assert_eq!(
        reset["content"]["body"]["text"],
        "{{ code | escape }} is your verification code for {{ friendly_name | escape }}"
    );
    assert_eq!(
        call(
            &app,
            Method::DELETE,
            &format!("/api/v2/branding/phone/templates/{tid}"),
            None
        )
        .await
        .0,
        204
    );
    assert_eq!(
        call(
            &app,
            Method::GET,
            &format!("/api/v2/branding/phone/templates/{tid}"),
            None
        )
        .await
        .0,
        404
    );
    assert_eq!(
        call(
            &app,
            Method::DELETE,
            &format!("/api/v2/branding/phone/providers/{id}"),
            None
        )
        .await
        .0,
        204
    );
    assert_eq!(
        call(
            &app,
            Method::GET,
            &format!("/api/v2/branding/phone/providers/{id}"),
            None
        )
        .await
        .0,
        404
    );
    app.stop().await;
}

#[tokio::test]
async fn logs_filter_by_type_user_and_date() {
    let app = spawn_app().await;
    let mfa = Mfa::new(&app);
    mfa.enroll("one@example.com", "+15555551104").await;
    mfa.enroll("two@example.com", "+15555551105").await;
    let sends = logs_of(&app, "gd_send_sms").await;
    assert_eq!(sends.len(), 2);
    assert_eq!(sends[0]["user_name"], "two@example.com", "newest first");
    for field in [
        "date",
        "type",
        "description",
        "client_id",
        "client_name",
        "ip",
        "user_id",
        "user_name",
        "log_id",
        "details",
        "user_agent",
    ] {
        assert!(sends[0].get(field).is_some(), "log object has {field}");
    }
    let user = sends[1]["user_id"].as_str().expect("user");
    let q = format!("user_id:\"{user}\" AND type:(gd_send_sms OR gd_enrollment_complete)");
    let url = format!(
        "/api/v2/logs?sort=date:1&q={}",
        q.replace(' ', "%20")
            .replace('|', "%7C")
            .replace('"', "%22")
    );
    let (status, mine) = call(&app, Method::GET, &url, None).await;
    assert_eq!(status, 200);
    let kinds: Vec<&str> = mine
        .as_array()
        .expect("array")
        .iter()
        .map(|l| l["type"].as_str().expect("type"))
        .collect();
    assert_eq!(kinds, ["gd_send_sms", "gd_enrollment_complete"]);
    let (_, future) = call(
        &app,
        Method::GET,
        "/api/v2/logs?q=date:%5B2999-01-01%20TO%20*%5D",
        None,
    )
    .await;
    assert_eq!(future, json!([]));
    let (_, page) = call(
        &app,
        Method::GET,
        "/api/v2/logs?per_page=2&page=0&include_totals=true",
        None,
    )
    .await;
    assert_eq!(page["logs"].as_array().map(Vec::len), Some(2));
    assert!(page["total"].as_i64().expect("total") > 2);
    let id = sends[0]["log_id"].as_str().expect("id");
    assert_eq!(
        call(&app, Method::GET, &format!("/api/v2/logs/{id}"), None)
            .await
            .1,
        sends[0]
    );
    let (status, body) = call(&app, Method::GET, "/api/v2/logs?q=foo:bar", None).await;
    assert_eq!(status, 400);
    assert_eq!(body["errorCode"], "invalid_query_string");
    assert_eq!(
        body["message"],
        "The search query string has an error: unknown field 'foo' at position 0"
    );
    app.stop().await;
}

/// Runs the real binary with debug logs, sets credentials and sends through them,
/// then looks for the secrets everywhere they must not be.
#[tokio::test]
async fn credentials_never_appear_in_answers_logs_or_the_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_phonebox"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .env("PHONEBOX_LOG", "debug")
        .env("NO_COLOR", "1")
        .env("PHONEBOX_SECRETS_STORE", "file")
        .stdout(Stdio::from(log.try_clone().expect("clone")))
        .stderr(Stdio::from(log))
        .kill_on_drop(true)
        .spawn()
        .expect("phonebox starts");
    let base = loop {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        if let Some(addr) = text.split("Phonebox listening addr=").nth(1) {
            break format!("http://{}", addr.split_whitespace().next().expect("addr"));
        }
        tokio::task::yield_now().await;
    };
    let http = reqwest::Client::new();
    let mut answers = String::new();
    let send = |method: Method, path: &str, body: Option<Value>| {
        let mut request = http
            .request(method, format!("{base}{path}"))
            .bearer_auth("mgmt");
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send()
    };
    for (method, path, body) in [
        (
            Method::PUT,
            "/api/v2/guardian/factors/phone/providers/twilio",
            Some(
                json!({ "sid": "AC44444444444444444444444444444444", "auth_token": TOKEN, "from": "+15005550006" }),
            ),
        ),
        (
            Method::PUT,
            "/api/v2/guardian/factors/phone/selected-provider",
            Some(json!({ "provider": "twilio" })),
        ),
        (
            Method::GET,
            "/api/v2/guardian/factors/phone/providers/twilio",
            None,
        ),
        (
            Method::POST,
            "/api/v2/branding/phone/providers",
            Some(
                json!({ "name": "twilio", "disabled": true, "configuration": { "sid": "AC55555555555555555555555555555555", "delivery_methods": ["text"] }, "credentials": { "auth_token": BRANDING_TOKEN } }),
            ),
        ),
        (Method::GET, "/api/v2/branding/phone/providers", None),
        (Method::GET, "/emulator/v1/tenants/default", None),
    ] {
        let response = send(method, path, body).await.expect("sent");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        answers.push_str(&response.text().await.expect("text"));
    }
    // A real delivery through the Twilio credentials.
    let login: Value = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "app"),
            ("username", "sec@example.com"),
            ("password", "pw"),
        ])
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let associated = http
        .post(format!("{base}/mfa/associate"))
        .bearer_auth(login["mfa_token"].as_str().expect("token"))
        .json(&json!({ "client_id": "app", "authenticator_types": ["oob"], "oob_channels": ["sms"], "phone_number": "+15555551106" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(associated.status(), 200);
    for path in ["/emulator/v1/messages", "/api/v2/logs"] {
        answers.push_str(
            &send(Method::GET, path, None)
                .await
                .expect("sent")
                .text()
                .await
                .expect("text"),
        );
    }
    let message: Value = serde_json::from_str(
        &send(Method::GET, "/emulator/v1/messages", None)
            .await
            .expect("sent")
            .text()
            .await
            .expect("text"),
    )
    .expect("json");
    let id = message["messages"][0]["id"].as_str().expect("id");
    assert_eq!(
        message["messages"][0]["source"], "twilio.messages",
        "sent with the credentials"
    );
    answers.push_str(
        &send(Method::GET, &format!("/emulator/v1/messages/{id}"), None)
            .await
            .expect("sent")
            .text()
            .await
            .expect("text"),
    );

    child.start_kill().expect("stopped");
    child.wait().await.expect("exited");
    let server_log = std::fs::read_to_string(&log_path).expect("log");
    assert!(
        server_log.contains("/oauth/token") || server_log.contains("mfa"),
        "debug logging was on"
    );
    let mut database = Vec::new();
    for entry in std::fs::read_dir(dir.path()).expect("dir") {
        let path = entry.expect("entry").path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("phonebox.db"))
        {
            database.extend(std::fs::read(&path).expect("db file"));
        }
    }
    let database = String::from_utf8_lossy(&database);
    for secret in [TOKEN, BRANDING_TOKEN] {
        assert!(!answers.contains(secret), "an answer shows {secret}");
        assert!(!server_log.contains(secret), "the log shows {secret}");
        assert!(!database.contains(secret), "the database holds {secret}");
    }
    let secrets_file =
        std::fs::read_to_string(dir.path().join("phonebox.secrets.json")).expect("secrets file");
    assert!(secrets_file.contains(TOKEN), "kept where it belongs");
}

/// Outside permissive mode the Management API takes one of the tenant's client
/// secrets as its bearer; they are stored hashed, and still match.
#[tokio::test]
async fn strict_mode_management_accepts_a_client_secret_and_refuses_others() {
    let app = spawn_app().await;
    let created: Value = app
        .http
        .post(app.url("/emulator/v1/tenants/default/clients"))
        .json(&json!({ "name": "Ops", "client_id": "ops" }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let secret = created["client_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    crate::mfa::settings(&app, "default", json!({ "permissive": false })).await;
    let factors = |token: String| {
        app.http
            .get(app.url("/api/v2/guardian/factors"))
            .header("authorization", format!("bearer {token}"))
            .send()
    };
    assert_eq!(
        factors(secret).await.expect("sent").status(),
        200,
        "the scheme in any case"
    );
    let refused = factors("not-a-secret".into()).await.expect("sent");
    assert_eq!(refused.status(), 401);
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["errorCode"], "invalid_token");
    app.stop().await;
}
