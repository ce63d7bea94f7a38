//! Fault injection: rules set over HTTP make a provider answer its own error, and
//! the failed send is kept as a failed message.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

async fn put_rule(app: &TestApp, provider: &str, rule: Value) -> reqwest::Response {
    app.http
        .put(app.url(&format!("/emulator/v1/chaos/{provider}")))
        .json(&rule)
        .send()
        .await
        .expect("sent")
}

async fn twilio_send(app: &TestApp, to: &str) -> reqwest::Response {
    app.http
        .post(app.url("/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages.json"))
        .basic_auth("AC00000000000000000000000000000001", Some("token"))
        .form(&[
            ("To", to),
            ("From", "+15005550006"),
            ("Body", "Your code is 424242"),
        ])
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn an_injected_twilio_error_is_answered_and_kept_as_failed() {
    let app = spawn_app().await;
    let set = put_rule(&app, "twilio", json!({"error": "21611", "times": 1})).await;
    assert_eq!(set.status(), 200);
    let rules = app.get_json("/emulator/v1/chaos").await;
    assert_eq!(rules["rules"]["twilio"]["error"], "21611");

    let failed = twilio_send(&app, "+15555550400").await;
    assert_eq!(failed.status(), 400);
    let body: Value = failed.json().await.expect("json");
    assert_eq!(body["code"], 21611);
    assert_eq!(
        body["more_info"],
        "https://www.twilio.com/docs/errors/21611"
    );

    let stored = app.messages().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["status"], "failed");
    assert_eq!(stored[0]["error"]["code"], "21611");
    // A failed send never reached the phone: `latest` does not offer it.
    assert_eq!(
        app.get("/emulator/v1/phones/+15555550400/latest")
            .await
            .status(),
        404
    );
    let failed_only = app.get_json("/emulator/v1/messages?status=failed").await;
    assert_eq!(failed_only["messages"].as_array().map(Vec::len), Some(1));

    // `times: 1` is spent: the rule is gone and the next send succeeds.
    assert_eq!(app.get_json("/emulator/v1/chaos").await["rules"], json!({}));
    assert_eq!(twilio_send(&app, "+15555550400").await.status(), 201);
    let latest = app
        .get_json("/emulator/v1/phones/+15555550400/latest")
        .await;
    assert_eq!(latest["status"], "received");
    app.stop().await;
}

#[tokio::test]
async fn a_held_wait_is_not_woken_by_a_failed_send() {
    let app = spawn_app().await;
    put_rule(&app, "twilio", json!({"error": "30003", "times": 1})).await;
    let waiter = {
        let http = app.http.clone();
        let url = app.url("/emulator/v1/phones/+15555550401/latest?wait=30s");
        tokio::spawn(async move {
            http.get(url)
                .send()
                .await
                .expect("sent")
                .json::<Value>()
                .await
        })
    };
    app.until_held_waits(1).await;
    assert_eq!(twilio_send(&app, "+15555550401").await.status(), 400);
    assert_eq!(twilio_send(&app, "+15555550401").await.status(), 201);
    let got = waiter.await.expect("joined").expect("json");
    assert_eq!(got["status"], "received");
    app.stop().await;
}

#[tokio::test]
async fn latency_delays_the_answer_without_failing_it() {
    let app = spawn_app().await;
    put_rule(&app, "twilio", json!({"latency_ms": 300})).await;
    let started = std::time::Instant::now();
    assert_eq!(twilio_send(&app, "+15555550402").await.status(), 201);
    // A lower bound only: the rule must have delayed the answer at least this long.
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    app.stop().await;
}

#[tokio::test]
async fn rules_are_validated_and_removable() {
    let app = spawn_app().await;
    let bad = put_rule(&app, "twilio", json!({"error": "not-a-number"})).await;
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.expect("json");
    assert_eq!(body["field"], "error");
    let bad = put_rule(
        &app,
        "sns",
        json!({"error": "Throttling", "probability": 2}),
    )
    .await;
    assert_eq!(
        bad.json::<Value>().await.expect("json")["field"],
        "probability"
    );
    let bad = put_rule(&app, "sns", json!({"error": "Throttling", "chance": 0.5})).await;
    assert_eq!(bad.status(), 400);
    let unknown = put_rule(&app, "pigeon", json!({"error": "1"})).await;
    assert_eq!(unknown.status(), 404);

    assert_eq!(
        put_rule(&app, "sns", json!({"error": "Throttling"}))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get_json("/emulator/v1/chaos/sns").await["probability"],
        1.0
    );
    assert_eq!(app.delete("/emulator/v1/chaos/sns").await.status(), 204);
    assert_eq!(app.delete("/emulator/v1/chaos/sns").await.status(), 404);
    put_rule(&app, "vonage", json!({"error": "1"})).await;
    put_rule(&app, "mitto", json!({"error": "1"})).await;
    assert_eq!(app.delete("/emulator/v1/chaos").await.status(), 204);
    assert_eq!(app.get_json("/emulator/v1/chaos").await["rules"], json!({}));
    app.stop().await;
}

#[tokio::test]
async fn each_marketplace_provider_answers_an_injected_error_in_its_shape() {
    let app = spawn_app().await;
    put_rule(&app, "messagebird", json!({"error": "25"})).await;
    let response = app
        .http
        .post(app.url("/messages"))
        .header("authorization", "AccessKey live_abcdefghijklmnop")
        .json(&json!({"originator": "Acme", "recipients": [31612345678_u64], "body": "code 1234"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["errors"][0]["code"], 25);
    put_rule(&app, "infobip", json!({"error": "TOO_MANY_REQUESTS"})).await;
    let response = app
        .http
        .post(app.url("/sms/2/text/advanced"))
        .header("authorization", "App 0123456789abcdef0123")
        .json(&json!({"messages": [{"destinations": [{"to": "41793026727"}], "text": "code 1"}]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 429);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body["requestError"]["serviceException"]["messageId"],
        "TOO_MANY_REQUESTS"
    );
    let failed = app.get_json("/emulator/v1/messages?status=failed").await;
    assert_eq!(failed["messages"].as_array().map(Vec::len), Some(2));
    app.stop().await;
}
