//! The marketplace providers' send APIs: a request as each provider documents it,
//! its documented success shape back, its own error shape for bad input, and
//! nothing stored for a refused request.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

async fn only_message(app: &TestApp) -> Value {
    let messages = app.messages().await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    messages.into_iter().next().expect("one")
}

#[tokio::test]
async fn clicksend_v3_sms_send() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/v3/sms/send"))
        .basic_auth("acme-user", Some("CLICKSEND-API-KEY-0001"))
        .json(&json!({"messages": [{
            "source": "auth0-action",
            "body": "Your Acme code is 551902",
            "to": "+61411111111",
            "custom_string": "mfa"
        }]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["http_code"], 200);
    assert_eq!(body["response_code"], "SUCCESS");
    assert_eq!(body["data"]["queued_count"], 1);
    let sent = &body["data"]["messages"][0];
    assert_eq!(sent["status"], "SUCCESS");
    assert_eq!(sent["to"], "+61411111111");
    assert_eq!(sent["custom_string"], "mfa");
    assert_eq!(sent["message_parts"], 1);
    let m = only_message(&app).await;
    assert_eq!(m["source"], "clicksend.sms");
    assert_eq!(m["code"], "551902");
    assert_eq!(m["provider_account"], "acme-user");
    assert_eq!(m["provider_message_id"], sent["message_id"]);
    app.stop().await;
}

#[tokio::test]
async fn clicksend_refusals_use_its_envelope() {
    let app = spawn_app().await;
    let no_auth = app
        .http
        .post(app.url("/v3/sms/send"))
        .json(&json!({"messages": [{"body": "x", "to": "+61411111111"}]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(no_auth.status(), 401);
    let body: Value = no_auth.json().await.expect("json");
    assert_eq!(body["response_code"], "UNAUTHORIZED");
    let bad = app
        .http
        .post(app.url("/v3/sms/send"))
        .basic_auth("acme-user", Some("key"))
        .json(&json!({"messages": [{"body": "x", "to": "12"}]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.expect("json");
    assert_eq!(body["http_code"], 400);
    assert_eq!(body["response_code"], "INVALID_RECIPIENT");
    assert!(app.messages().await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn esendex_xml_dispatch_and_json_dispatch() {
    let app = spawn_app().await;
    let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<messages>
  <accountreference>EX0000000</accountreference>
  <message><to>447700900123</to><body>Your code is 7731</body></message>
  <message><to>447700900124</to><body>Your code is 7. 7. 3. 1.</body><type>Voice</type></message>
</messages>"#;
    let response = app
        .http
        .post(app.url("/v1.0/messagedispatcher"))
        .basic_auth("dev@example.com", Some("esendex-password"))
        .header("content-type", "application/xml")
        .body(xml)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("text");
    assert!(text.contains("<messageheaders batchid=\""), "{text}");
    assert_eq!(text.matches("<messageheader ").count(), 2, "{text}");
    let messages = app.messages().await;
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["channel"], "voice");
    assert_eq!(messages[0]["code"], "7731");
    assert_eq!(messages[1]["channel"], "sms");
    assert_eq!(messages[1]["provider_account"], "EX0000000");
    assert!(text.contains(messages[1]["provider_message_id"].as_str().expect("id")));

    let response = app
        .http
        .post(app.url("/v1.0/messagedispatcher"))
        .basic_auth("dev@example.com", Some("esendex-password"))
        .json(&json!({"accountreference": "EX0000000", "messages": [{"to": "447700900125", "body": "Code 1199"}]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body["batch"]["messageheaders"].as_array().map(Vec::len),
        Some(1)
    );

    let broken = app
        .http
        .post(app.url("/v1.0/messagedispatcher"))
        .basic_auth("dev@example.com", Some("esendex-password"))
        .header("content-type", "application/xml")
        .body("<messages><message><to>447700900126</to></messages>")
        .send()
        .await
        .expect("sent");
    assert_eq!(broken.status(), 400);
    let text = broken.text().await.expect("text");
    assert!(
        text.contains("<errors><error><code>bad_request</code>"),
        "{text}"
    );
    assert_eq!(app.messages().await.len(), 3);
    app.stop().await;
}

#[tokio::test]
async fn infobip_sms_2_text_advanced() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/sms/2/text/advanced"))
        .header(
            "authorization",
            "App 003026bbc133714df1834b8638bb496e-8f4b3d9a",
        )
        .json(&json!({"messages": [{
            "from": "InfoSMS",
            "destinations": [{"to": "41793026727"}, {"to": "41793026834", "messageId": "my-id-2"}],
            "text": "Your verification code is 220417"
        }]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert!(body["bulkId"].as_str().is_some_and(|b| !b.is_empty()));
    let sent = body["messages"].as_array().expect("messages");
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0]["to"], "41793026727");
    assert_eq!(sent[0]["status"]["groupName"], "PENDING");
    assert_eq!(sent[1]["messageId"], "my-id-2");
    let messages = app.messages().await;
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["source"], "infobip.sms");
    assert_eq!(messages[0]["from"], "InfoSMS");
    let account = messages[0]["provider_account"].as_str().expect("account");
    assert!(
        account.starts_with("App …") && !account.contains("003026bb"),
        "{account}"
    );

    let bad = app
        .http
        .post(app.url("/sms/2/text/advanced"))
        .header(
            "authorization",
            "App 003026bbc133714df1834b8638bb496e-8f4b3d9a",
        )
        .json(&json!({"messages": [{"destinations": [], "text": "x"}]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.expect("json");
    assert_eq!(
        body["requestError"]["serviceException"]["messageId"],
        "BAD_REQUEST"
    );
    let unauthorized = app
        .http
        .post(app.url("/sms/2/text/advanced"))
        .json(&json!({"messages": [{"destinations": [{"to": "41793026727"}], "text": "x"}]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(unauthorized.status(), 401);
    assert_eq!(app.messages().await.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn mitto_sms_with_its_response_codes() {
    let app = spawn_app().await;
    let send = |body: Value| {
        app.http
            .post(app.url("/sms"))
            .header("x-mitto-api-key", "Xdqnjeewea-mitto-key")
            .json(&body)
            .send()
    };
    let response =
        send(json!({"from": "MITTO SMS", "to": "491725551234", "text": "Code 4471", "test": true}))
            .await
            .expect("sent");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["responseCode"], 0);
    assert_eq!(body["responseText"], "SMS sent");
    assert_eq!(body["textLength"], 9);
    assert_eq!(body["test"], true);
    let m = only_message(&app).await;
    assert_eq!(m["source"], "mitto.sms");
    assert_eq!(m["to"], "+491725551234");
    assert_eq!(m["provider_message_id"], body["id"]);
    for (request, code) in [
        (
            json!({"from": "MITTO", "to": "491725551234", "text": ""}),
            3,
        ),
        (json!({"to": "491725551234", "text": "x"}), 5),
        (json!({"from": "AB", "to": "491725551234", "text": "x"}), 6),
        (json!({"from": "MITTO", "text": "x"}), 7),
        (json!({"from": "MITTO", "to": "12", "text": "x"}), 8),
        (
            json!({"from": "MITTO", "to": "491725551234", "text": "x", "type": "Binary"}),
            2,
        ),
    ] {
        let response = send(request.clone()).await.expect("sent");
        assert_eq!(response.status(), 400, "{request}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["responseCode"], code, "{request} → {body}");
    }
    let stored = app
        .get_json(&format!(
            "/emulator/v1/messages/{}",
            m["id"].as_str().expect("id")
        ))
        .await;
    assert!(
        !stored.to_string().contains("Xdqnjeewea-mitto-key"),
        "API key redacted"
    );
    assert_eq!(app.messages().await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn telesign_messaging_and_verify() {
    let app = spawn_app().await;
    let post = |path: &'static str, form: Vec<(&'static str, &'static str)>| {
        app.http
            .post(app.url(path))
            .basic_auth(
                "FFFFFFFF-EEEE-DDDD-1234-AB1234567890",
                Some("telesign-api-key"),
            )
            .form(&form)
            .send()
    };
    let response = post(
        "/v1/messaging",
        vec![
            ("phone_number", "15555550177"),
            ("message", "Your code is 804213"),
            ("message_type", "OTP"),
        ],
    )
    .await
    .expect("sent");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["status"]["code"], 290);
    let reference = body["reference_id"].as_str().expect("reference").to_owned();
    assert_eq!(reference.len(), 32);

    let response = post(
        "/v1/verify/sms",
        vec![
            ("phone_number", "15555550178"),
            ("template", "Acme code: $$CODE$$"),
            ("verify_code", "31337"),
        ],
    )
    .await
    .expect("sent");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["verify"]["code_state"], "UNKNOWN");
    let messages = app.messages().await;
    assert_eq!(messages[0]["text"], "Acme code: 31337");
    assert_eq!(messages[0]["code"], "31337");
    assert_eq!(messages[0]["source"], "telesign.verify");
    assert_eq!(messages[1]["source"], "telesign.messaging");
    assert_eq!(messages[1]["provider_message_id"], reference.as_str());
    assert_eq!(
        messages[1]["provider_account"],
        "FFFFFFFF-EEEE-DDDD-1234-AB1234567890"
    );

    let bad = post(
        "/v1/messaging",
        vec![("phone_number", "15555550177"), ("message", "x")],
    )
    .await
    .expect("sent");
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.expect("json");
    assert_eq!(body["errors"][0]["code"], -10001);
    assert!(body["errors"][0]["description"]
        .as_str()
        .expect("text")
        .contains("message_type"));
    let json_body = app
        .http
        .post(app.url("/v1/messaging"))
        .basic_auth("customer", Some("key"))
        .json(&json!({"phone_number": "15555550177"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(json_body.status(), 415);
    assert_eq!(app.messages().await.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn messagebird_messages() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/messages"))
        .header("authorization", "AccessKey test_gshuPaZoeEG6ovbc8M79w0QyM")
        .json(&json!({"originator": "Acme", "recipients": [31612345678_u64, "31612345679"], "body": "Your code: 660012"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["direction"], "mt");
    assert_eq!(body["datacoding"], "plain");
    assert_eq!(body["recipients"]["totalCount"], 2);
    assert_eq!(body["recipients"]["items"][0]["recipient"], 31612345678_u64);
    assert_eq!(body["recipients"]["items"][0]["status"], "sent");
    let messages = app.messages().await;
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["source"], "messagebird.messages");
    assert_eq!(messages[0]["provider_message_id"], body["id"]);

    let missing = app
        .http
        .post(app.url("/messages"))
        .header("authorization", "AccessKey test_gshuPaZoeEG6ovbc8M79w0QyM")
        .json(&json!({"originator": "Acme", "body": "x"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(missing.status(), 422);
    let body: Value = missing.json().await.expect("json");
    assert_eq!(body["errors"][0]["code"], 9);
    assert_eq!(body["errors"][0]["parameter"], "recipients");
    let no_key = app
        .http
        .post(app.url("/messages"))
        .json(&json!({"originator": "Acme", "recipients": [31612345678_u64], "body": "x"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(no_key.status(), 401);
    let body: Value = no_key.json().await.expect("json");
    assert_eq!(body["errors"][0]["code"], 2);
    assert_eq!(app.messages().await.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn an_oversize_body_is_refused_in_the_providers_shape() {
    let app = spawn_app().await;
    let big = "x".repeat(2 * 1024 * 1024);
    let response = app
        .http
        .post(app.url("/messages"))
        .header("authorization", "AccessKey test_gshuPaZoeEG6ovbc8M79w0QyM")
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["errors"][0]["code"], 10, "{body}");
    assert!(app.messages().await.is_empty());
    app.stop().await;
}
