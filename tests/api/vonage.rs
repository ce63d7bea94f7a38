//! Vonage's `/sms/json`: form or JSON in, always 200 with a status per message.

use serde_json::{json, Value};

use crate::helpers::spawn_app;

#[tokio::test]
async fn form_and_json_sends_are_captured_without_the_secret() {
    let app = spawn_app().await;
    let form = app
        .http
        .post(app.url("/sms/json"))
        .form(&[
            ("api_key", "a1b2c3d4"),
            ("api_secret", "VonageSecret123"),
            ("from", "Acme"),
            ("to", "447700900321"),
            ("text", "Your code is 271828"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(form.status(), 200);
    let body: Value = form.json().await.expect("json");
    assert_eq!(body["message-count"], "1");
    assert_eq!(body["messages"][0]["status"], "0");
    assert_eq!(body["messages"][0]["to"], "447700900321");
    let json_send = app
        .post_json(
            "/sms/json",
            &json!({"api_key": "a1b2c3d4", "api_secret": "VonageSecret123", "from": "Acme",
                    "to": 447700900322_u64, "text": "Code 161803", "type": "unicode"})
            .to_string(),
        )
        .await;
    assert_eq!(json_send.status(), 200);
    let messages = app.messages().await;
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["to"], "+447700900322");
    assert_eq!(messages[1]["provider_account"], "a1b2c3d4");
    for m in &messages {
        let detail = app
            .get_json(&format!(
                "/emulator/v1/messages/{}",
                m["id"].as_str().expect("id")
            ))
            .await;
        assert!(!detail.to_string().contains("VonageSecret123"), "{detail}");
    }
    app.stop().await;
}

#[tokio::test]
async fn refusals_are_200_with_vonage_status_and_store_nothing() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"api_secret": "s", "from": "A", "to": "447700900321", "text": "x"}),
            "2",
        ),
        (
            json!({"api_key": "k", "from": "A", "to": "447700900321", "text": "x"}),
            "2",
        ),
        (
            json!({"api_key": "k", "api_secret": "s", "to": "447700900321", "text": "x"}),
            "2",
        ),
        (
            json!({"api_key": "k", "api_secret": "s", "from": "A", "to": "12", "text": "x"}),
            "3",
        ),
    ];
    for (request, status) in cases {
        let response = app.post_json("/sms/json", &request.to_string()).await;
        assert_eq!(response.status(), 200, "{request}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["messages"][0]["status"], status, "{request} → {body}");
        assert!(body["messages"][0]["error-text"]
            .as_str()
            .is_some_and(|t| !t.is_empty()));
    }
    let not_json = app
        .http
        .post(app.url("/sms/json"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("sent");
    let body: Value = not_json.json().await.expect("json");
    assert_eq!(body["messages"][0]["status"], "3");
    let xml = app
        .http
        .post(app.url("/sms/json"))
        .header("content-type", "text/xml")
        .body("<sms/>")
        .send()
        .await
        .expect("sent");
    let body: Value = xml.json().await.expect("json");
    assert_eq!(body["messages"][0]["status"], "3");
    assert!(app.messages().await.is_empty());
    app.stop().await;
}
