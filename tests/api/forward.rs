//! Forwarding captured messages to real providers, each stood up as a local HTTPS
//! fake with a certificate from a CA made in the test: Twilio (SMS and calls),
//! Amazon SNS (SigV4, verified independently), Vonage and a Standard Webhooks
//! receiver. The allowlist, retries, timeouts, restarts, secrets and the
//! cross-origin guard are each tested against them.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{capture_text, contains, database_bytes, spawn_with, Process, TestApp};
use crate::signatures::{verify_sigv4, verify_standard_webhook};
use crate::tls_fake::{Fake, Reply, TestCa};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TWILIO_TOKEN: &str = "twilio-token-3c1f9e27b5d84a60";
const AWS_KEY_ID: &str = "AKIAPHONEBOXTEST7Q2Z";
const AWS_SECRET: &str = "aws-secret-9f8e7d6c5b4a39281706f5e4d3c2b1a0";
const VONAGE_KEY: &str = "vonagekey81c2";
const VONAGE_SECRET: &str = "vonage-secret-5e6f7a8b9c0d";
/// `whsec_` + base64 of 32 bytes.
const WEBHOOK_SECRET: &str = "whsec_cGhvbmVib3gtdGVzdC13ZWJob29rLXNlY3JldCEh";
const ME: &str = "+447700900123";

fn twilio_ok() -> Reply {
    Reply::json(
        201,
        r#"{"sid":"SM0123456789abcdef0123456789abcdef","status":"queued"}"#,
    )
}

/// A server trusting `ca`, with a short outbound timeout.
async fn app_trusting(ca: &TestCa, timeout: Duration) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = phonebox::Config::new(
        "127.0.0.1:0".parse().expect("addr"),
        dir.path().join("phonebox.db"),
    );
    config.extra_ca = vec![ca.pem_path.clone()];
    config.outbound_timeout = timeout;
    (spawn_with(config).await, dir)
}

async fn put(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    app.call(reqwest::Method::PUT, path, Some(body)).await
}

async fn allow(app: &TestApp, numbers: &[&str]) {
    let (status, body) = put(
        app,
        "/emulator/v1/forwarding/allowlist",
        json!({ "numbers": numbers }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

async fn set_up(app: &TestApp, via: &str, body: Value) -> Value {
    let (status, answer) = put(
        app,
        &format!("/emulator/v1/forwarding/providers/{via}"),
        body,
    )
    .await;
    assert_eq!(status, 200, "{via}: {answer}");
    answer
}

async fn set_up_twilio(app: &TestApp, fake: &Fake) {
    set_up(
        app,
        "twilio",
        json!({ "account_sid": SID, "auth_token": TWILIO_TOKEN, "from": "+15005550006", "base_url": fake.base }),
    )
    .await;
}

async fn add_rule(app: &TestApp, body: Value) -> (u16, Value) {
    app.call(
        reqwest::Method::POST,
        "/emulator/v1/forwarding/rules",
        Some(body),
    )
    .await
}

async fn forward(app: &TestApp, id: &str, body: Value) -> (u16, Value) {
    let path = format!("/emulator/v1/messages/{id}/forward");
    app.call(reqwest::Method::POST, &path, Some(body)).await
}

fn id_of(message: &Value) -> String {
    message["id"].as_str().expect("id").to_owned()
}

/// The event stream, read from before a forward is made, so no attempt is missed.
struct Watch {
    events: crate::helpers::EventStream,
    /// Attempts announced for forwards not asked about yet, by forward id.
    early: std::collections::HashMap<i64, std::collections::VecDeque<Value>>,
}

impl Watch {
    async fn open(app: &TestApp) -> Watch {
        Watch {
            events: crate::helpers::EventStream::open(app, &[]).await,
            early: Default::default(),
        }
    }

    /// The next `forward.attempt` of forward `id`.
    async fn attempt(&mut self, id: i64) -> Value {
        if let Some(view) = self.early.get_mut(&id).and_then(|q| q.pop_front()) {
            return view;
        }
        let read = async {
            loop {
                let data = self.events.next("forward.attempt").await;
                let view: Value = serde_json::from_str(&data).expect("json");
                if view["id"] == id {
                    return view;
                }
                let other = view["id"].as_i64().expect("id");
                self.early.entry(other).or_default().push_back(view);
            }
        };
        tokio::time::timeout(Duration::from_secs(60), read)
            .await
            .expect("an attempt was announced")
    }

    /// Forward `id` once it will change no more.
    async fn settled(&mut self, id: i64) -> Value {
        loop {
            let view = self.attempt(id).await;
            if !matches!(view["state"].as_str(), Some("queued" | "sending")) {
                return view;
            }
        }
    }
}

#[tokio::test]
async fn forwards_over_https_to_twilio_sns_vonage_and_a_signed_webhook() {
    let ca = TestCa::new();
    let twilio = Fake::start(&ca, twilio_ok()).await;
    let sns = Fake::start(
        &ca,
        Reply::xml(
            200,
            "<PublishResponse xmlns=\"https://sns.amazonaws.com/doc/2010-03-31/\"><PublishResult>\
             <MessageId>5b2c7f5e-sns-id</MessageId></PublishResult></PublishResponse>",
        ),
    )
    .await;
    let vonage = Fake::start(
        &ca,
        Reply::json(
            200,
            r#"{"message-count":"1","messages":[{"to":"447700900123","message-id":"vonage-id-1","status":"0"}]}"#,
        ),
    )
    .await;
    let hook = Fake::start(&ca, Reply::json(204, "")).await;
    let (app, _dir) = app_trusting(&ca, Duration::from_secs(10)).await;
    allow(&app, &[ME]).await;
    set_up_twilio(&app, &twilio).await;
    set_up(
        &app,
        "sns",
        json!({ "region": "eu-west-2", "access_key_id": AWS_KEY_ID, "secret_access_key": AWS_SECRET,
                "sender_id": "Phonebox", "base_url": sns.base }),
    )
    .await;
    set_up(
        &app,
        "vonage",
        json!({ "from": "Phonebox", "api_key": VONAGE_KEY, "api_secret": VONAGE_SECRET, "base_url": vonage.base }),
    )
    .await;
    set_up(
        &app,
        "webhook",
        json!({ "url": format!("{}/hooks/sms", hook.base), "secret": WEBHOOK_SECRET }),
    )
    .await;
    let message = capture_text(&app, "+15555550100", "Your code is 482913").await;
    let id = id_of(&message);
    let mut watch = Watch::open(&app).await;

    let mut views = Vec::new();
    for via in ["twilio", "sns", "vonage", "webhook"] {
        let (status, queued) = forward(&app, &id, json!({ "via": via, "to": ME })).await;
        assert_eq!(status, 202, "{via}: {queued}");
        assert_eq!(queued["state"], "queued");
        let done = watch.settled(queued["id"].as_i64().expect("id")).await;
        assert_eq!(done["state"], "sent", "{via}: {done}");
        views.push(done);
    }

    // Twilio: the Messages API, Basic auth with the account's token.
    let got = &twilio.requests()[0];
    assert_eq!(got.method, "POST");
    assert_eq!(
        got.path_and_query,
        format!("/2010-04-01/Accounts/{SID}/Messages.json")
    );
    assert_eq!(got.form_value("To").as_deref(), Some(ME));
    assert_eq!(got.form_value("From").as_deref(), Some("+15005550006"));
    assert_eq!(
        got.form_value("Body").as_deref(),
        Some("Your code is 482913")
    );
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TWILIO_TOKEN}"));
    assert_eq!(
        got.header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    assert_eq!(
        views[0]["provider_message_id"],
        "SM0123456789abcdef0123456789abcdef"
    );

    // SNS: Publish with the SMS attributes, signed with SigV4 (checked by hand).
    let got = &sns.requests()[0];
    assert_eq!(got.form_value("Action").as_deref(), Some("Publish"));
    assert_eq!(got.form_value("PhoneNumber").as_deref(), Some(ME));
    assert_eq!(
        got.form_value("Message").as_deref(),
        Some("Your code is 482913")
    );
    let form = got.form();
    let attribute = |name: &str| {
        let entry = form
            .iter()
            .find(|(k, v)| k.ends_with(".Name") && v == name)
            .map(|(k, _)| k.trim_end_matches(".Name").to_owned())
            .unwrap_or_else(|| panic!("no attribute {name}: {form:?}"));
        form.iter()
            .find(|(k, _)| *k == format!("{entry}.Value.StringValue"))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        attribute("AWS.SNS.SMS.SMSType").as_deref(),
        Some("Transactional")
    );
    assert_eq!(
        attribute("AWS.SNS.SMS.SenderID").as_deref(),
        Some("Phonebox")
    );
    verify_sigv4(
        &got.method,
        &got.path_and_query,
        &got.headers,
        &got.body,
        AWS_SECRET,
        "sns",
    )
    .expect("the SigV4 signature verifies");
    assert!(got
        .header("authorization")
        .expect("auth")
        .contains("/eu-west-2/sns/aws4_request"));
    assert_eq!(views[1]["provider_message_id"], "5b2c7f5e-sns-id");

    // Vonage: the SMS API with key and secret in the form, the number without '+'.
    let got = &vonage.requests()[0];
    assert_eq!(got.path_and_query, "/sms/json");
    assert_eq!(got.form_value("api_key").as_deref(), Some(VONAGE_KEY));
    assert_eq!(got.form_value("api_secret").as_deref(), Some(VONAGE_SECRET));
    assert_eq!(got.form_value("to").as_deref(), Some("447700900123"));
    assert_eq!(
        got.form_value("text").as_deref(),
        Some("Your code is 482913")
    );
    assert_eq!(views[2]["provider_message_id"], "vonage-id-1");

    // The webhook: JSON, signed the Standard Webhooks way.
    let got = &hook.requests()[0];
    assert_eq!(got.path_and_query, "/hooks/sms");
    verify_standard_webhook(&got.headers, &got.body, WEBHOOK_SECRET)
        .expect("the signature verifies");
    let body: Value = serde_json::from_slice(&got.body).expect("json");
    assert_eq!(body["type"], "message.forwarded");
    assert_eq!(body["data"]["text"], "Your code is 482913");
    assert_eq!(body["data"]["to"], ME);
    assert_eq!(body["data"]["message_id"], id.as_str());

    // Every attempt is on the message, with what was sent (secrets masked).
    let page = app
        .get_json(&format!("/emulator/v1/messages/{id}/forwards"))
        .await;
    let forwards = page["forwards"].as_array().expect("forwards");
    assert_eq!(forwards.len(), 4);
    for f in forwards {
        let attempt = &f["attempts"][0];
        assert_eq!(attempt["outcome"], "accepted", "{f}");
        assert!(attempt["latency_ms"].as_i64().expect("latency") >= 0);
        assert!(attempt["http_status"].as_i64().expect("status") < 300);
        assert!(attempt["request"]["url"]
            .as_str()
            .expect("url")
            .starts_with("https://127.0.0.1:"));
    }
    let text = page.to_string();
    for secret in [
        TWILIO_TOKEN,
        AWS_SECRET,
        AWS_KEY_ID,
        VONAGE_SECRET,
        VONAGE_KEY,
        &basic,
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_voice_message_goes_as_a_twilio_call_speaking_the_text_safely() {
    let ca = TestCa::new();
    let twilio = Fake::start(&ca, Reply::json(201, r#"{"sid":"CA42","status":"queued"}"#)).await;
    let (app, _dir) = app_trusting(&ca, Duration::from_secs(10)).await;
    allow(&app, &["+1555*"]).await;
    set_up_twilio(&app, &twilio).await;
    let body = json!({ "recipient": "+15555550101", "text": "Code 1 2 3 </Say><Play>http://x</Play> & more",
                       "message_type": "voice" });
    let response = app
        .post_json("/capture/auth0/custom-phone-provider", &body.to_string())
        .await;
    assert_eq!(response.status(), 201);
    let message: Value = response.json().await.expect("json");
    let mut watch = Watch::open(&app).await;
    let (status, queued) = forward(&app, &id_of(&message), json!({ "via": "twilio" })).await;
    assert_eq!(status, 202, "{queued}");
    assert_eq!(queued["to"], "+15555550101", "the recipient by default");
    let done = watch.settled(queued["id"].as_i64().expect("id")).await;
    assert_eq!(done["state"], "sent");
    let got = &twilio.requests()[0];
    assert!(
        got.path_and_query.ends_with("/Calls.json"),
        "{}",
        got.path_and_query
    );
    let twiml = got.form_value("Twiml").expect("Twiml");
    assert!(twiml.starts_with("<Response><Say"), "{twiml}");
    assert!(!twiml.contains("<Play>"), "the text stayed text: {twiml}");
    assert!(twiml.contains("&lt;/Say&gt;&lt;Play&gt;"), "{twiml}");
    app.stop().await;
}

#[tokio::test]
async fn a_dry_run_shows_the_exact_request_masked_and_sends_nothing() {
    let ca = TestCa::new();
    let twilio = Fake::start(&ca, twilio_ok()).await;
    let (app, _dir) = app_trusting(&ca, Duration::from_secs(10)).await;
    allow(&app, &[ME]).await;
    set_up_twilio(&app, &twilio).await;
    let long = format!("Votre code est 123456 — {}", "é".repeat(80));
    let message = capture_text(&app, "+15555550102", &long).await;
    let (status, dry) = forward(
        &app,
        &id_of(&message),
        json!({ "via": "twilio", "to": ME, "dry_run": true }),
    )
    .await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["request"]["method"], "POST");
    assert_eq!(
        dry["request"]["url"],
        format!("{}/2010-04-01/Accounts/{SID}/Messages.json", twilio.base)
    );
    let headers = dry["request"]["headers"].as_array().expect("headers");
    let auth = headers
        .iter()
        .find(|h| {
            h[0].as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case("authorization"))
        })
        .expect("authorization shown");
    assert_eq!(auth[1], "••••");
    assert!(dry["request"]["body"]
        .as_str()
        .expect("body")
        .contains("To=%2B447700900123"));
    assert_eq!(dry["billing"]["unit"], "sms_part");
    assert_eq!(dry["billing"]["encoding"], "ucs2");
    assert_eq!(dry["billing"]["parts"], 2);
    assert!(!dry.to_string().contains(TWILIO_TOKEN));
    let page = app
        .get_json(&format!(
            "/emulator/v1/messages/{}/forwards",
            id_of(&message)
        ))
        .await;
    assert_eq!(page["forwards"], json!([]), "a dry run is not a forward");
    assert!(twilio.requests().is_empty(), "nothing was sent");
    app.stop().await;
}

#[tokio::test]
async fn a_destination_outside_the_allowlist_is_refused_and_nothing_is_sent() {
    let ca = TestCa::new();
    let twilio = Fake::start(&ca, twilio_ok()).await;
    let (app, _dir) = app_trusting(&ca, Duration::from_secs(10)).await;
    set_up_twilio(&app, &twilio).await;
    let message = capture_text(&app, "+15555550103", "Your code is 111222").await;
    let id = id_of(&message);

    // Empty allowlist: forwarding is off.
    let (status, body) = forward(&app, &id, json!({ "via": "twilio" })).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["message"].as_str().expect("message").contains("empty"),
        "{body}"
    );

    allow(&app, &[ME, "+1555555*"]).await;
    // Other spellings of a number not on the list are the same number: refused.
    for to in [
        "+447700900124",
        "00447700900124",
        "44 7700 900124",
        "+1 415 555 0100",
    ] {
        let (status, body) = forward(&app, &id, json!({ "via": "twilio", "to": to })).await;
        assert_eq!(status, 403, "{to}: {body}");
        assert!(body["message"]
            .as_str()
            .expect("message")
            .contains("not on the forwarding allowlist"));
    }
    // A dry run is refused alike: it must not show how to reach a number not allowed.
    let (status, _) = forward(
        &app,
        &id,
        json!({ "via": "twilio", "to": "+447700900124", "dry_run": true }),
    )
    .await;
    assert_eq!(status, 403);
    // Not a number at all: 400, naming the field.
    let (status, body) = forward(&app, &id, json!({ "via": "twilio", "to": "call me" })).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["field"], "to");
    // An unknown provider, one not set up, an unknown message.
    let (status, body) = forward(&app, &id, json!({ "via": "carrier-pigeon", "to": ME })).await;
    assert_eq!((status, body["field"].clone()), (400, json!("via")));
    let (status, body) = forward(&app, &id, json!({ "via": "vonage", "to": ME })).await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = forward(
        &app,
        "01NOSUCHMESSAGE",
        json!({ "via": "twilio", "to": ME }),
    )
    .await;
    assert_eq!(status, 404);
    assert!(twilio.requests().is_empty(), "nothing was sent");
    let page = app
        .get_json(&format!("/emulator/v1/messages/{id}/forwards"))
        .await;
    assert_eq!(page["forwards"], json!([]));

    // The same spellings of a number on the list go.
    let mut watch = Watch::open(&app).await;
    let (status, queued) = forward(
        &app,
        &id,
        json!({ "via": "twilio", "to": "0044 7700 900123" }),
    )
    .await;
    assert_eq!(status, 202, "{queued}");
    assert_eq!(queued["to"], ME);
    watch.settled(queued["id"].as_i64().expect("id")).await;
    assert_eq!(
        twilio.wait_for(1).await[0].form_value("To").as_deref(),
        Some(ME)
    );
    app.stop().await;
}

#[tokio::test]
async fn a_500_then_201_is_retried_once_and_recorded_twice_and_a_401_is_not_retried() {
    let ca = TestCa::new();
    let twilio = Fake::start(&ca, twilio_ok()).await;
    twilio.then(
        Reply::json(500, r#"{"code":20500,"message":"Internal Server Error"}"#)
            .header("retry-after", "0"),
    );
    let (app, _dir) = app_trusting(&ca, Duration::from_secs(10)).await;
    allow(&app, &[ME]).await;
    set_up_twilio(&app, &twilio).await;
    let message = capture_text(&app, "+15555550104", "Your code is 333444").await;
    let mut watch = Watch::open(&app).await;
    let before = crate::metrics::scrape(&app).await;
    let (_, queued) = forward(&app, &id_of(&message), json!({ "via": "twilio", "to": ME })).await;
    let id = queued["id"].as_i64().expect("id");
    let first = watch.attempt(id).await;
    assert_eq!(
        first["state"], "queued",
        "queued again after the 500: {first}"
    );
    assert_eq!(first["attempts"][0]["outcome"], "retrying");
    assert_eq!(first["attempts"][0]["http_status"], 500);
    let done = watch.settled(id).await;
    assert_eq!(done["state"], "sent", "{done}");
    let attempts = done["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 2, "{done}");
    assert_eq!(attempts[1]["outcome"], "accepted");
    assert_eq!(attempts[1]["http_status"], 201);
    assert_eq!(twilio.requests().len(), 2);
    // Each attempt is counted once, by how it went.
    let after = crate::metrics::scrape(&app).await;
    let moved = |outcome: &str| {
        let series = format!("phonebox_forward_attempts_total{{outcome=\"{outcome}\"}}");
        let was = before.get(&series).copied().unwrap_or_default();
        after.get(&series).expect("the series is exposed") - was
    };
    assert_eq!(moved("retrying"), 1.0, "the 500");
    assert_eq!(moved("accepted"), 1.0, "the 201");
    assert_eq!(moved("failed"), 0.0);

    // 401: the credentials are wrong; trying again cannot help.
    twilio.then(Reply::json(
        401,
        r#"{"code":20003,"message":"Authenticate"}"#,
    ));
    let (_, queued) = forward(&app, &id_of(&message), json!({ "via": "twilio", "to": ME })).await;
    let id = queued["id"].as_i64().expect("id");
    let done = watch.settled(id).await;
    assert_eq!(done["state"], "failed", "{done}");
    assert_eq!(done["attempts"].as_array().expect("attempts").len(), 1);
    assert_eq!(done["attempts"][0]["http_status"], 401);
    let error = done["attempts"][0]["error"].as_str().expect("error");
    assert!(
        error.contains("20003") && error.contains("Authenticate"),
        "{error}"
    );
    assert_eq!(twilio.requests().len(), 3, "one request for the 401");
    app.stop().await;
}

#[tokio::test]
async fn a_hanging_provider_times_out_without_delaying_any_capture() {
    let ca = TestCa::new();
    let twilio = Fake::start(&ca, Reply::Hang).await;
    let (app, _dir) = app_trusting(&ca, Duration::from_secs(2)).await;
    allow(&app, &[ME]).await;
    set_up_twilio(&app, &twilio).await;
    let message = capture_text(&app, "+15555550105", "Your code is 555666").await;
    let mut watch = Watch::open(&app).await;
    let (_, queued) = forward(&app, &id_of(&message), json!({ "via": "twilio", "to": ME })).await;
    let id = queued["id"].as_i64().expect("id");
    twilio.wait_for(1).await;
    // The provider holds the forward; captures go on meanwhile.
    let mut latencies = Vec::new();
    for i in 0..50 {
        let started = Instant::now();
        capture_text(
            &app,
            "+15555550106",
            &format!("capture {i} during a hung forward"),
        )
        .await;
        latencies.push(started.elapsed());
    }
    let during = app.get_json(&format!("/emulator/v1/forwards/{id}")).await;
    assert_eq!(
        during["state"], "sending",
        "the captures were done while the forward still hung"
    );
    latencies.sort();
    println!(
        "capture latency during a hung forward: p50 {:?}, max {:?} (50 captures)",
        latencies[25], latencies[49]
    );
    let first = watch.attempt(id).await;
    assert_eq!(first["attempts"][0]["outcome"], "retrying", "{first}");
    let error = first["attempts"][0]["error"].as_str().expect("error");
    assert!(error.contains("no answer in time"), "{error}");
    assert!(first["attempts"][0]["latency_ms"].as_i64().expect("ms") >= 1900);
    app.stop().await;
}

#[tokio::test]
async fn an_untrusted_certificate_is_reported_and_not_retried() {
    let trusted = TestCa::new();
    let other = TestCa::new();
    let twilio = Fake::start(&other, twilio_ok()).await;
    let (app, _dir) = app_trusting(&trusted, Duration::from_secs(10)).await;
    allow(&app, &[ME]).await;
    set_up_twilio(&app, &twilio).await;
    let message = capture_text(&app, "+15555550107", "Your code is 777888").await;
    let mut watch = Watch::open(&app).await;
    let (_, queued) = forward(&app, &id_of(&message), json!({ "via": "twilio", "to": ME })).await;
    let done = watch.settled(queued["id"].as_i64().expect("id")).await;
    assert_eq!(done["state"], "failed", "{done}");
    assert_eq!(done["attempts"].as_array().expect("attempts").len(), 1);
    let error = done["attempts"][0]["error"].as_str().expect("error");
    assert!(
        error.contains("certificate") && error.contains("--extra-ca"),
        "{error}"
    );
    assert!(
        twilio.requests().is_empty(),
        "no request went over the refused connection"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_tenants_twilio_route_delivers_to_an_https_fake_twilio() {
    let ca = TestCa::new();
    let twilio = Fake::start(&ca, twilio_ok()).await;
    let (app, _dir) = app_trusting(&ca, Duration::from_secs(10)).await;
    let (status, _) = crate::helpers::mgmt_call(
        &app,
        reqwest::Method::PUT,
        "/api/v2/guardian/factors/phone/providers/twilio",
        Some(json!({ "sid": SID, "auth_token": TWILIO_TOKEN, "from": "+15005550006" })),
    )
    .await;
    assert_eq!(status, 200);
    crate::mfa::settings(
        &app,
        "default",
        json!({ "selected_provider": "twilio", "twilio_base_url": twilio.base }),
    )
    .await;
    let mfa = crate::mfa::Mfa::new(&app);
    let token = mfa.mfa_token("tls@example.com").await;
    assert_eq!(
        mfa.associate(&token, "+15555550108", "sms").await.status(),
        200
    );
    let got = &twilio.wait_for(1).await[0];
    assert_eq!(
        got.path_and_query,
        format!("/2010-04-01/Accounts/{SID}/Messages.json")
    );
    assert_eq!(got.form_value("To").as_deref(), Some("+15555550108"));
    assert!(got
        .form_value("Body")
        .is_some_and(|b| b.chars().any(|c| c.is_ascii_digit())));
    assert!(
        app.messages().await.is_empty(),
        "delivered to the real (fake) Twilio, not captured"
    );
    app.stop().await;
}

#[tokio::test]
async fn auto_forward_rules_send_matching_captures_and_only_those() {
    let ca = TestCa::new();
    let twilio = Fake::start(&ca, twilio_ok()).await;
    let (app, _dir) = app_trusting(&ca, Duration::from_secs(10)).await;
    allow(&app, &[ME]).await;
    set_up_twilio(&app, &twilio).await;
    // Off by default: a capture is not forwarded.
    capture_text(&app, "+15555550109", "before any rule 101010").await;
    // A rule whose target is not on the allowlist is refused.
    let (status, _) = add_rule(
        &app,
        json!({ "pattern": "+1555*", "via": "twilio", "to": "+447700900999" }),
    )
    .await;
    assert_eq!(status, 403);
    let (status, rule) = add_rule(
        &app,
        json!({ "pattern": "+1555*", "via": "twilio", "to": ME }),
    )
    .await;
    assert_eq!(status, 201);
    let mut watch = Watch::open(&app).await;
    let matching = capture_text(&app, "+15555550110", "Your code is 246810").await;
    capture_text(&app, "+447700900555", "not matching 135791").await;
    let page = app
        .get_json(&format!(
            "/emulator/v1/messages/{}/forwards",
            id_of(&matching)
        ))
        .await;
    let queued = &page["forwards"][0];
    assert_eq!(queued["rule_id"], rule["id"], "{page}");
    let done = watch.settled(queued["id"].as_i64().expect("id")).await;
    assert_eq!(done["state"], "sent");
    let got = twilio.wait_for(1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].form_value("Body").as_deref(),
        Some("Your code is 246810")
    );
    assert_eq!(got[0].form_value("To").as_deref(), Some(ME));

    // Off again: nothing more goes.
    let (status, _) = put(
        &app,
        &format!("/emulator/v1/forwarding/rules/{}", rule["id"]),
        json!({ "pattern": "+1555*", "via": "twilio", "to": ME, "enabled": false }),
    )
    .await;
    assert_eq!(status, 200);
    let after = capture_text(&app, "+15555550111", "after the rule 999000").await;
    let page = app
        .get_json(&format!("/emulator/v1/messages/{}/forwards", id_of(&after)))
        .await;
    assert_eq!(page["forwards"], json!([]));
    app.stop().await;
}

#[tokio::test]
async fn forwards_queued_at_once_are_each_sent_exactly_once() {
    let ca = TestCa::new();
    let twilio = Fake::start(&ca, twilio_ok()).await;
    let (app, _dir) = app_trusting(&ca, Duration::from_secs(10)).await;
    allow(&app, &["+44*"]).await;
    set_up_twilio(&app, &twilio).await;
    let message = capture_text(&app, "+15555550112", "Your code is 121212").await;
    let mut watch = Watch::open(&app).await;
    let requests = (0..30)
        .map(|i| {
            app.http
                .post(app.url(&format!(
                    "/emulator/v1/messages/{}/forward",
                    id_of(&message)
                )))
                .json(&json!({ "via": "twilio", "to": format!("+4477009001{i:02}") }))
        })
        .collect();
    let answers = crate::helpers::all_at_once(requests).await;
    assert!(answers.iter().all(|(s, _)| *s == 202), "{answers:?}");
    for (_, queued) in &answers {
        assert_eq!(
            watch.settled(queued["id"].as_i64().expect("id")).await["state"],
            "sent"
        );
    }
    let got = twilio.requests();
    assert_eq!(got.len(), 30, "each forward sent once");
    let mut to: Vec<String> = got.iter().filter_map(|r| r.form_value("To")).collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), 30);
    app.stop().await;
}

#[tokio::test]
async fn a_page_from_another_origin_cannot_forward_or_change_forwarding() {
    let ca = TestCa::new();
    let twilio = Fake::start(&ca, twilio_ok()).await;
    let (app, _dir) = app_trusting(&ca, Duration::from_secs(10)).await;
    allow(&app, &[ME]).await;
    set_up_twilio(&app, &twilio).await;
    let message = capture_text(&app, "+15555550113", "Your code is 343434").await;
    let path = format!("/emulator/v1/messages/{}/forward", id_of(&message));
    let port = app.base.rsplit(':').next().expect("port");
    for (header, value) in [
        ("origin", "https://evil.example".to_owned()),
        // Another page on this machine (a dev server) is another origin.
        ("origin", "http://localhost:3000".to_owned()),
        ("origin", format!("http://localhost:{port}")),
        ("origin", "null".to_owned()),
        ("sec-fetch-site", "cross-site".to_owned()),
        ("sec-fetch-site", "same-site".to_owned()),
    ] {
        let response = app
            .http
            .post(app.url(&path))
            .header(header, &value)
            .json(&json!({ "via": "twilio", "to": ME }))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 403, "{header}: {value}");
        let response = app
            .http
            .put(app.url("/emulator/v1/forwarding/allowlist"))
            .header(header, &value)
            .json(&json!({ "numbers": ["+1*"] }))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 403, "{header}: {value}");
    }
    assert_eq!(
        app.get_json("/emulator/v1/forwarding").await["allowlist"],
        json!([ME])
    );
    let page = app
        .get_json(&format!(
            "/emulator/v1/messages/{}/forwards",
            id_of(&message)
        ))
        .await;
    assert_eq!(page["forwards"], json!([]));
    assert!(twilio.requests().is_empty());
    // Phonebox's own page may.
    let response = app
        .http
        .post(app.url(&path))
        .header("origin", &app.base)
        .header("sec-fetch-site", "same-origin")
        .json(&json!({ "via": "twilio", "to": ME }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 202);
    app.stop().await;
}

#[tokio::test]
async fn provider_settings_are_checked_and_credentials_only_shown_masked() {
    let (app, _dir) = app_trusting(&TestCa::new(), Duration::from_secs(10)).await;
    let (status, body) = put(
        &app,
        "/emulator/v1/forwarding/providers/twilio",
        json!({ "account_sid": SID, "from": "+15005550006" }),
    )
    .await;
    assert_eq!(
        (status, body["field"].clone()),
        (400, json!("auth_token")),
        "{body}"
    );
    let (status, body) = put(&app, "/emulator/v1/forwarding/providers/twilio", json!({ "account_sid": SID, "from": "+1", "auth_token": TWILIO_TOKEN, "base_url": "https://u:p@api.example" })).await;
    assert_eq!(
        (status, body["field"].clone()),
        (400, json!("base_url")),
        "{body}"
    );
    let (status, body) = put(
        &app,
        "/emulator/v1/forwarding/providers/webhook",
        json!({ "url": "https://hooks.example/x", "secret": "not-a-whsec" }),
    )
    .await;
    assert_eq!(
        (status, body["field"].clone()),
        (400, json!("secret")),
        "{body}"
    );
    let (status, body) = put(
        &app,
        "/emulator/v1/forwarding/providers/sms-gateway",
        json!({}),
    )
    .await;
    assert_eq!(
        (status, body["field"].clone()),
        (400, json!("via")),
        "{body}"
    );
    let (status, body) = put(
        &app,
        "/emulator/v1/forwarding/providers/twilio",
        json!({ "account_sid": SID, "from": "+1", "auth_token": TWILIO_TOKEN, "colour": "red" }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let view = set_up(
        &app,
        "twilio",
        json!({ "account_sid": SID, "from": "+15005550006", "auth_token": TWILIO_TOKEN }),
    )
    .await;
    assert_eq!(view["credentials"][0]["masked"], "••••4a60");
    assert_eq!(view["effective_base"], "https://api.twilio.com");
    // A credential left out keeps the stored one.
    let view = set_up(
        &app,
        "twilio",
        json!({ "account_sid": SID, "from": "+15005550007" }),
    )
    .await;
    assert_eq!(view["credentials"][0]["masked"], "••••4a60");
    // But it is not sent to another host than the one it was entered for.
    let (status, body) = put(
        &app,
        "/emulator/v1/forwarding/providers/twilio",
        json!({ "account_sid": SID, "from": "+15005550007", "base_url": "https://collector.example" }),
    )
    .await;
    assert_eq!(
        (status, body["field"].clone()),
        (400, json!("auth_token")),
        "{body}"
    );
    let all = app.get_json("/emulator/v1/forwarding").await;
    assert_eq!(
        all["providers"][0]["effective_base"],
        "https://api.twilio.com"
    );
    assert!(!all.to_string().contains(TWILIO_TOKEN));
    assert_eq!(all["providers"][0]["settings"]["from"], "+15005550007");
    // Saved phones are kept in E.164.
    let (status, body) = put(
        &app,
        "/emulator/v1/forwarding/my-phones",
        json!({ "phones": [{ "label": "My phone", "number": "+44 7700 900123" }] }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["phones"][0]["number"], ME);
    let (status, _) = put(
        &app,
        "/emulator/v1/forwarding/my-phones",
        json!({ "phones": [{ "label": "", "number": ME }] }),
    )
    .await;
    assert_eq!(status, 400);
    let response = app.delete("/emulator/v1/forwarding/providers/twilio").await;
    assert_eq!(response.status(), 204);
    assert_eq!(
        app.get_json("/emulator/v1/forwarding").await["providers"],
        json!([])
    );
    app.stop().await;
}

/// `GET` on a process's API.
async fn get(base: &str, path: &str) -> Value {
    reqwest::get(format!("{base}{path}"))
        .await
        .expect("sent")
        .json()
        .await
        .expect("json")
}

async fn send(
    base: &str,
    method: reqwest::Method,
    path: &str,
    body: Value,
    answers: &mut String,
) -> Value {
    let response = reqwest::Client::new()
        .request(method, format!("{base}{path}"))
        .json(&body)
        .send()
        .await
        .expect("sent");
    let text = response.text().await.expect("text");
    answers.push_str(&text);
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Polls another process's forward until it has `attempts` attempts.
async fn until_attempts(base: &str, id: i64, attempts: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let view = get(base, &format!("/emulator/v1/forwards/{id}")).await;
        let settled = !matches!(view["state"].as_str(), Some("sending"));
        if view["attempts"]
            .as_array()
            .is_some_and(|a| a.len() >= attempts)
            && settled
        {
            return view;
        }
        assert!(Instant::now() < deadline, "no attempt {attempts}: {view}");
        // Another process's state: nothing to subscribe to across a restart.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// On a running process: allows `ME`, sets up Twilio at `twilio`, captures a
/// message to `to` and forwards it to `ME`; the forward's id.
async fn forward_on_process(base: &str, twilio: &Fake, to: &str, answers: &mut String) -> i64 {
    send(
        base,
        reqwest::Method::PUT,
        "/emulator/v1/forwarding/allowlist",
        json!({ "numbers": [ME] }),
        answers,
    )
    .await;
    send(
        base,
        reqwest::Method::PUT,
        "/emulator/v1/forwarding/providers/twilio",
        json!({ "account_sid": SID, "auth_token": TWILIO_TOKEN, "from": "+15005550006", "base_url": twilio.base }),
        answers,
    )
    .await;
    let message = send(
        base,
        reqwest::Method::POST,
        "/capture/auth0/custom-phone-provider",
        json!({ "recipient": to, "text": "Your code is 565656", "message_type": "text" }),
        answers,
    )
    .await;
    let queued = send(
        base,
        reqwest::Method::POST,
        &format!("/emulator/v1/messages/{}/forward", id_of(&message)),
        json!({ "via": "twilio", "to": ME }),
        answers,
    )
    .await;
    queued["id"].as_i64().expect("id")
}

#[tokio::test]
async fn a_forward_queued_before_kill_9_is_sent_exactly_once_after_restart() {
    let ca = TestCa::new();
    let twilio = Fake::start(&ca, twilio_ok()).await;
    // The first try is told to come back in 2 s: the forward sits queued, on disk.
    twilio.then(Reply::json(503, r#"{"code":20503,"message":"busy"}"#).header("retry-after", "2"));
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    let args = [
        std::ffi::OsStr::new("--db"),
        db.as_os_str(),
        std::ffi::OsStr::new("--extra-ca"),
        ca.pem_path.as_os_str(),
    ];
    let env = [("PHONEBOX_SECRETS_STORE", std::ffi::OsStr::new("file"))];
    let log = dir.path().join("first.log");
    let first = Process::start(&args, &env, &log).await.expect("starts");
    let mut answers = String::new();
    let id = forward_on_process(&first.base, &twilio, "+15555550114", &mut answers).await;
    let waiting = until_attempts(&first.base, id, 1).await;
    assert_eq!(waiting["state"], "queued", "{waiting}");
    let mut first = first;
    first.child.start_kill().expect("SIGKILL");
    first.child.wait().await.expect("killed");
    assert_eq!(twilio.requests().len(), 1);

    let second = Process::start(&args, &env, &dir.path().join("second.log"))
        .await
        .expect("restarts");
    let done = until_attempts(&second.base, id, 2).await;
    assert_eq!(done["state"], "sent", "{done}");
    assert_eq!(done["attempts"][1]["outcome"], "accepted");
    assert_eq!(twilio.requests().len(), 2, "sent once after the restart");
    assert_eq!(second.terminate().await, Some(0));
    // And not again on a later start.
    let third = Process::start(&args, &env, &dir.path().join("third.log"))
        .await
        .expect("restarts");
    let again = get(&third.base, &format!("/emulator/v1/forwards/{id}")).await;
    assert_eq!(again["state"], "sent");
    assert_eq!(again["attempts"].as_array().expect("attempts").len(), 2);
    assert_eq!(third.terminate().await, Some(0));
    assert_eq!(twilio.requests().len(), 2);
}

#[tokio::test]
async fn no_credential_reaches_the_database_the_log_or_any_answer() {
    let ca = TestCa::new();
    let twilio = Fake::start(
        &ca,
        Reply::json(401, r#"{"code":20003,"message":"Authenticate"}"#),
    )
    .await;
    let sns = Fake::start(&ca, Reply::xml(403, "<ErrorResponse><Error><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error></ErrorResponse>")).await;
    let vonage = Fake::start(
        &ca,
        Reply::json(
            200,
            r#"{"message-count":"1","messages":[{"status":"4","error-text":"Bad Credentials"}]}"#,
        ),
    )
    .await;
    let hook = Fake::start(&ca, Reply::json(500, "{}")).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    let args = [
        std::ffi::OsStr::new("--db"),
        db.as_os_str(),
        std::ffi::OsStr::new("--extra-ca"),
        ca.pem_path.as_os_str(),
    ];
    let env = [
        ("PHONEBOX_SECRETS_STORE", std::ffi::OsStr::new("file")),
        ("PHONEBOX_LOG", std::ffi::OsStr::new("debug")),
    ];
    let log = dir.path().join("phonebox.log");
    let server = Process::start(&args, &env, &log).await.expect("starts");
    let base = server.base.clone();
    let mut answers = String::new();
    let put = reqwest::Method::PUT;
    send(
        &base,
        put.clone(),
        "/emulator/v1/forwarding/allowlist",
        json!({ "numbers": [ME] }),
        &mut answers,
    )
    .await;
    for (via, body) in [
        (
            "twilio",
            json!({ "account_sid": SID, "auth_token": TWILIO_TOKEN, "from": "+15005550006", "base_url": twilio.base }),
        ),
        (
            "sns",
            json!({ "region": "us-east-1", "access_key_id": AWS_KEY_ID, "secret_access_key": AWS_SECRET, "base_url": sns.base }),
        ),
        (
            "vonage",
            json!({ "from": "Phonebox", "api_key": VONAGE_KEY, "api_secret": VONAGE_SECRET, "base_url": vonage.base }),
        ),
        (
            "webhook",
            json!({ "url": format!("{}/hook", hook.base), "secret": WEBHOOK_SECRET }),
        ),
    ] {
        send(
            &base,
            put.clone(),
            &format!("/emulator/v1/forwarding/providers/{via}"),
            body,
            &mut answers,
        )
        .await;
    }
    let message = send(
        &base,
        reqwest::Method::POST,
        "/capture/auth0/custom-phone-provider",
        json!({ "recipient": "+15555550115", "text": "Your code is 787878", "message_type": "text" }),
        &mut answers,
    )
    .await;
    let path = format!("/emulator/v1/messages/{}/forward", id_of(&message));
    for via in ["twilio", "sns", "vonage", "webhook"] {
        send(
            &base,
            reqwest::Method::POST,
            &path,
            json!({ "via": via, "to": ME, "dry_run": true }),
            &mut answers,
        )
        .await;
        let queued = send(
            &base,
            reqwest::Method::POST,
            &path,
            json!({ "via": via, "to": ME }),
            &mut answers,
        )
        .await;
        let view = until_attempts(&base, queued["id"].as_i64().expect("id"), 1).await;
        answers.push_str(&view.to_string());
    }
    answers.push_str(&get(&base, "/emulator/v1/forwarding").await.to_string());
    answers.push_str(
        &get(
            &base,
            &format!("/emulator/v1/messages/{}/forwards", id_of(&message)),
        )
        .await
        .to_string(),
    );
    assert_eq!(server.terminate().await, Some(0));

    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TWILIO_TOKEN}"));
    let webhook_key = WEBHOOK_SECRET.trim_start_matches("whsec_");
    let database = database_bytes(&db);
    let log_text = std::fs::read_to_string(&log).expect("log");
    assert!(
        log_text.contains("Phonebox listening"),
        "the log is the server's"
    );
    for secret in [
        TWILIO_TOKEN,
        AWS_SECRET,
        AWS_KEY_ID,
        VONAGE_KEY,
        VONAGE_SECRET,
        webhook_key,
        &basic,
    ] {
        assert!(!contains(&database, secret), "{secret} is in the database");
        assert!(!log_text.contains(secret), "{secret} is in the log");
        assert!(!answers.contains(secret), "{secret} is in an answer");
    }
    // The attempts were made and recorded (so the grep looked at real records).
    assert!(answers.contains("Authenticate") && answers.contains("InvalidClientTokenId"));
    assert!(answers.contains("Bad Credentials"));
}

#[tokio::test]
async fn a_rule_never_forwards_what_a_web_page_or_phonebox_seed_wrote() {
    let ca = TestCa::new();
    let twilio = Fake::start(&ca, twilio_ok()).await;
    let (app, dir) = app_trusting(&ca, Duration::from_secs(10)).await;
    allow(&app, &[ME]).await;
    set_up_twilio(&app, &twilio).await;
    let (status, _) = add_rule(&app, json!({ "pattern": "+1*", "via": "twilio", "to": ME })).await;
    assert_eq!(status, 201);
    // A page on another local port may capture (the inbox shows it) but not forward.
    for (header, value) in [
        ("origin", "http://localhost:3000"),
        ("sec-fetch-site", "same-site"),
    ] {
        let response = app
            .http
            .post(app.url("/capture/auth0/custom-phone-provider"))
            .header(header, value)
            .header("content-type", "text/plain")
            .body(json!({ "recipient": "+15555550120", "text": "ATTACKER TEXT 424242", "message_type": "text" }).to_string())
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 201, "{header}");
        let message: Value = response.json().await.expect("json");
        let page = app
            .get_json(&format!(
                "/emulator/v1/messages/{}/forwards",
                id_of(&message)
            ))
            .await;
        assert_eq!(page["forwards"], json!([]), "{header}: {page}");
    }
    // Demo data goes straight to the database, never through a rule.
    let seeded = tokio::process::Command::new(env!("CARGO_BIN_EXE_phonebox"))
        .args(["seed", "--count", "20", "--phones", "2", "--db"])
        .arg(dir.path().join("phonebox.db"))
        .output()
        .await
        .expect("seed runs");
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let messages = app.get_json("/emulator/v1/messages?limit=100").await;
    let seeded: Vec<&Value> = messages["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["text"] != "ATTACKER TEXT 424242")
        .collect();
    assert_eq!(seeded.len(), 20);
    assert!(seeded
        .iter()
        .all(|m| m["to"].as_str().is_some_and(|t| t.starts_with("+1"))));
    for m in seeded {
        let page = app
            .get_json(&format!("/emulator/v1/messages/{}/forwards", id_of(m)))
            .await;
        assert_eq!(page["forwards"], json!([]));
    }
    // The same capture from an Action (no browser headers) is forwarded.
    let mut watch = Watch::open(&app).await;
    let message = capture_text(&app, "+15555550121", "Your code is 919191").await;
    let page = app
        .get_json(&format!(
            "/emulator/v1/messages/{}/forwards",
            id_of(&message)
        ))
        .await;
    let done = watch
        .settled(page["forwards"][0]["id"].as_i64().expect("queued"))
        .await;
    assert_eq!(done["state"], "sent");
    let got = twilio.requests();
    assert_eq!(got.len(), 1, "only the Action's capture went out");
    assert_eq!(
        got[0].form_value("Body").as_deref(),
        Some("Your code is 919191")
    );
    app.stop().await;
}

#[tokio::test]
async fn an_answer_echoing_the_credentials_is_recorded_masked() {
    let ca = TestCa::new();
    // A proxy or debugging endpoint that repeats what it was sent.
    let echo = format!(r#"{{"code":20003,"message":"bad auth_token={TWILIO_TOKEN}"}}"#);
    let twilio = Fake::start(&ca, Reply::json(401, &echo)).await;
    let (app, _dir) = app_trusting(&ca, Duration::from_secs(10)).await;
    allow(&app, &[ME]).await;
    set_up_twilio(&app, &twilio).await;
    let message = capture_text(&app, "+15555550122", "Your code is 838383").await;
    let mut watch = Watch::open(&app).await;
    let (_, queued) = forward(&app, &id_of(&message), json!({ "via": "twilio", "to": ME })).await;
    let done = watch.settled(queued["id"].as_i64().expect("id")).await;
    let error = done["attempts"][0]["error"].as_str().expect("error");
    assert!(error.contains("bad auth_token=••••"), "{error}");
    assert!(!done.to_string().contains(TWILIO_TOKEN), "{done}");
    let page = app
        .get_json(&format!(
            "/emulator/v1/messages/{}/forwards",
            id_of(&message)
        ))
        .await;
    assert!(!page.to_string().contains(TWILIO_TOKEN));
    assert!(
        !contains(&database_bytes(&app.db), TWILIO_TOKEN),
        "the token is not in the database"
    );
    app.stop().await;
}

#[tokio::test]
async fn forwarding_refuses_plain_http_off_this_machine_non_json_writes_and_a_runaway_queue() {
    let ca = TestCa::new();
    let twilio = Fake::start(&ca, Reply::Hang).await;
    let (app, _dir) = app_trusting(&ca, Duration::from_secs(3)).await;
    let (status, body) = put(
        &app,
        "/emulator/v1/forwarding/providers/twilio",
        json!({ "account_sid": SID, "auth_token": TWILIO_TOKEN, "from": "+1", "base_url": "http://api.twilio.example" }),
    )
    .await;
    assert_eq!(
        (status, body["field"].clone()),
        (400, json!("base_url")),
        "{body}"
    );
    let response = app
        .http
        .put(app.url("/emulator/v1/forwarding/allowlist"))
        .header("content-type", "text/plain")
        .body(json!({ "numbers": ["+1*"] }).to_string())
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 415);
    allow(&app, &["+44*"]).await;
    set_up_twilio(&app, &twilio).await;
    let message = capture_text(&app, "+15555550123", "Your code is 747474").await;
    let path = format!("/emulator/v1/messages/{}/forward", id_of(&message));
    for _ in 0..1000 {
        let response = app
            .http
            .post(app.url(&path))
            .json(&json!({ "via": "twilio", "to": ME }))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 202);
    }
    let (status, body) =
        forward(&app, &id_of(&message), json!({ "via": "twilio", "to": ME })).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"], "too_many_requests");
    // A dry run sends nothing, so it is still answered.
    let (status, _) = forward(
        &app,
        &id_of(&message),
        json!({ "via": "twilio", "to": ME, "dry_run": true }),
    )
    .await;
    assert_eq!(status, 200);
    app.stop().await;
}

#[tokio::test]
async fn a_read_only_database_takes_no_credentials() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    crate::helpers::spawn_app_at(&db).await.stop().await;
    let mut config = phonebox::Config::new("127.0.0.1:0".parse().expect("addr"), db.clone());
    config.read_only = true;
    let app = spawn_with(config).await;
    let (status, body) = put(
        &app,
        "/emulator/v1/forwarding/providers/twilio",
        json!({ "account_sid": SID, "auth_token": TWILIO_TOKEN, "from": "+15005550006" }),
    )
    .await;
    assert_eq!(status, 503, "{body}");
    let secrets = std::fs::read(phonebox::secrets::Secrets::beside(&db)).unwrap_or_default();
    assert!(
        !contains(&secrets, TWILIO_TOKEN),
        "nothing was written to the secrets store"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_forward_caught_at_its_provider_by_a_stop_is_marked_interrupted_not_resent() {
    let ca = TestCa::new();
    let twilio = Fake::start(&ca, Reply::Hang).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    let args = [
        std::ffi::OsStr::new("--db"),
        db.as_os_str(),
        std::ffi::OsStr::new("--extra-ca"),
        ca.pem_path.as_os_str(),
        std::ffi::OsStr::new("--outbound-timeout"),
        std::ffi::OsStr::new("60s"),
    ];
    let first = Process::start(&args, &[], &dir.path().join("first.log"))
        .await
        .expect("starts");
    let mut answers = String::new();
    let id = forward_on_process(&first.base, &twilio, "+15555550124", &mut answers).await;
    twilio.wait_for(1).await;
    let stopping = Instant::now();
    assert_eq!(first.terminate().await, Some(0));
    println!(
        "stopped with a forward at a hung provider in {:?}",
        stopping.elapsed()
    );
    let second = Process::start(&args, &[], &dir.path().join("second.log"))
        .await
        .expect("restarts");
    let view = get(&second.base, &format!("/emulator/v1/forwards/{id}")).await;
    assert_eq!(view["state"], "interrupted", "{view}");
    assert_eq!(view["attempts"][0]["outcome"], "interrupted");
    assert!(view["last_error"]
        .as_str()
        .expect("why")
        .contains("unknown"));
    assert_eq!(second.terminate().await, Some(0));
    assert_eq!(twilio.requests().len(), 1, "not sent again");
}

#[tokio::test]
async fn the_cli_forwards_a_message_and_waits_for_the_providers_answer() {
    let ca = TestCa::new();
    let twilio = Fake::start(&ca, twilio_ok()).await;
    let (app, _dir) = app_trusting(&ca, Duration::from_secs(10)).await;
    allow(&app, &[ME]).await;
    set_up_twilio(&app, &twilio).await;
    let message = capture_text(&app, "+15555550125", "Your code is 515151").await;
    let id = id_of(&message);
    let cli = |args: &[&str]| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_phonebox"))
            .arg("forward")
            .args(args)
            .args(["--server", &app.base])
            .output()
    };
    let dry = cli(&[&id, "--via", "twilio", "--to", ME, "--dry-run"])
        .await
        .expect("runs");
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    let shown: Value = serde_json::from_slice(&dry.stdout).expect("the dry run is JSON");
    assert_eq!(shown["dry_run"], true);
    assert!(!String::from_utf8_lossy(&dry.stdout).contains(TWILIO_TOKEN));
    assert!(twilio.requests().is_empty());

    let sent = cli(&[&id, "--via", "twilio", "--to", ME])
        .await
        .expect("runs");
    let out = String::from_utf8_lossy(&sent.stdout);
    assert!(
        sent.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    assert!(out.contains("attempt 1: accepted, HTTP 201"), "{out}");
    assert!(
        out.contains(&format!(
            "forwarded to {ME} via twilio: accepted, SM0123456789abcdef0123456789abcdef"
        )),
        "{out}"
    );
    assert_eq!(twilio.requests().len(), 1);

    let refused = cli(&[&id, "--via", "twilio", "--to", "+447700900999"])
        .await
        .expect("runs");
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not on the forwarding allowlist"));
    assert_eq!(twilio.requests().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_capture_whose_forwards_fail_to_commit_leaves_no_broken_connection_behind() {
    let ca = TestCa::new();
    let twilio = Fake::start(&ca, twilio_ok()).await;
    let (app, _dir) = app_trusting(&ca, Duration::from_secs(10)).await;
    allow(&app, &[ME]).await;
    set_up_twilio(&app, &twilio).await;
    let (status, _) = add_rule(&app, json!({ "pattern": "+1*", "via": "twilio", "to": ME })).await;
    assert_eq!(status, 201);
    // Stands in for a disk that fails mid-transaction: SQLite itself cancels the
    // transaction the capture and its forward are written in.
    let side = sqlx::SqlitePool::connect(&format!("sqlite://{}", app.db.display()))
        .await
        .expect("opens the database beside the server");
    sqlx::query("CREATE TRIGGER fail_forwards BEFORE INSERT ON forwards BEGIN SELECT RAISE(ROLLBACK, 'disk gone'); END")
        .execute(&side)
        .await
        .expect("trigger");
    let body = json!({ "recipient": "+15555550126", "text": "Your code is 303030", "message_type": "text" });
    let response = app
        .post_json("/capture/auth0/custom-phone-provider", &body.to_string())
        .await;
    assert!(response.status().is_server_error(), "{}", response.status());
    assert!(app.messages().await.is_empty(), "nothing half-written");
    sqlx::query("DROP TRIGGER fail_forwards")
        .execute(&side)
        .await
        .expect("drop");
    side.close().await;
    // Every connection the server holds still works: forwards settle in write
    // transactions, captures go on.
    let mut watch = Watch::open(&app).await;
    for i in 0..20 {
        let message = capture_text(&app, "+15555550127", &format!("Your code is 4040{i:02}")).await;
        let page = app
            .get_json(&format!(
                "/emulator/v1/messages/{}/forwards",
                id_of(&message)
            ))
            .await;
        let done = watch
            .settled(page["forwards"][0]["id"].as_i64().expect("queued"))
            .await;
        assert_eq!(done["state"], "sent", "{done}");
    }
    assert_eq!(twilio.requests().len(), 20);
    app.stop().await;
}

#[tokio::test]
async fn a_code_the_tenant_sends_for_a_page_is_never_auto_forwarded() {
    let ca = TestCa::new();
    let twilio = Fake::start(&ca, twilio_ok()).await;
    let (app, _dir) = app_trusting(&ca, Duration::from_secs(10)).await;
    allow(&app, &[ME]).await;
    set_up_twilio(&app, &twilio).await;
    let (status, _) = add_rule(&app, json!({ "pattern": "+1*", "via": "twilio", "to": ME })).await;
    assert_eq!(status, 201);
    let start = |phone: &str, page: bool| {
        let mut request = app.http.post(app.url("/passwordless/start")).json(&json!({
            "client_id": crate::mfa::CLIENT, "connection": "sms", "phone_number": phone, "send": "code",
        }));
        if page {
            request = request.header("origin", "http://localhost:3000");
        }
        request.send()
    };
    // A page on another local port starts a passwordless login: the tenant sends
    // the code (into the inbox), and no rule sends it on.
    assert_eq!(
        start("+15555550128", true).await.expect("sent").status(),
        200
    );
    let sent = crate::mfa::latest(&app, "+15555550128").await;
    assert_eq!(sent["attributes"]["requested_by_page"], true, "{sent}");
    let page = app
        .get_json(&format!("/emulator/v1/messages/{}/forwards", id_of(&sent)))
        .await;
    assert_eq!(page["forwards"], json!([]));
    // The same from an app's backend is forwarded.
    let mut watch = Watch::open(&app).await;
    assert_eq!(
        start("+15555550129", false).await.expect("sent").status(),
        200
    );
    let sent = crate::mfa::latest(&app, "+15555550129").await;
    assert!(
        sent["attributes"].get("requested_by_page").is_none(),
        "{sent}"
    );
    let page = app
        .get_json(&format!("/emulator/v1/messages/{}/forwards", id_of(&sent)))
        .await;
    let done = watch
        .settled(page["forwards"][0]["id"].as_i64().expect("queued"))
        .await;
    assert_eq!(done["state"], "sent");
    assert_eq!(twilio.requests().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_token_in_the_webhook_url_is_shown_masked_and_kept_when_the_form_is_saved_again() {
    let ca = TestCa::new();
    let hook = Fake::start(&ca, Reply::json(204, "")).await;
    let (app, _dir) = app_trusting(&ca, Duration::from_secs(10)).await;
    allow(&app, &[ME]).await;
    let url = format!("{}/hooks/sms?token=hook-token-6d1e2f", hook.base);
    let view = set_up(
        &app,
        "webhook",
        json!({ "url": url, "secret": WEBHOOK_SECRET }),
    )
    .await;
    assert_eq!(
        view["settings"]["url"],
        format!("{}/hooks/sms?••••", hook.base)
    );
    // Saving the form as it was shown keeps the real URL.
    set_up(&app, "webhook", json!({ "url": view["settings"]["url"] })).await;
    let message = capture_text(&app, "+15555550130", "Your code is 252525").await;
    let (_, dry) = forward(
        &app,
        &id_of(&message),
        json!({ "via": "webhook", "to": ME, "dry_run": true }),
    )
    .await;
    assert_eq!(
        dry["request"]["url"],
        format!("{}/hooks/sms?••••", hook.base)
    );
    let mut watch = Watch::open(&app).await;
    let (_, queued) = forward(
        &app,
        &id_of(&message),
        json!({ "via": "webhook", "to": ME }),
    )
    .await;
    let done = watch.settled(queued["id"].as_i64().expect("id")).await;
    assert_eq!(done["state"], "sent");
    assert_eq!(
        hook.requests()[0].path_and_query,
        "/hooks/sms?token=hook-token-6d1e2f"
    );
    let all = format!(
        "{}{}{}",
        app.get_json("/emulator/v1/forwarding").await,
        dry,
        done
    );
    assert!(!all.contains("hook-token-6d1e2f"), "{all}");
    app.stop().await;
}
