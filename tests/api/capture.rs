use serde_json::Value;

use crate::helpers::{fixture, spawn_app};

#[tokio::test]
async fn hook_seed_example_is_stored_with_e164_recipient_and_answers_message_id() {
    let app = spawn_app().await;
    let response = app
        .post_json("/capture/auth0/hook", &fixture("auth0/hook-seed.json"))
        .await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.expect("json");
    let message_id = answer["MessageID"].as_str().expect("MessageID");
    assert!(uuid::Uuid::parse_str(message_id).is_ok(), "{message_id}");

    let messages = app.messages().await;
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m["to"], "+18085555555");
    assert_eq!(m["text"], "Here is your one time password: 999111");
    assert_eq!(
        m["code"], "123456",
        "the code Auth0 passed wins over the text"
    );
    assert_eq!(m["channel"], "sms");
    assert_eq!(m["source"], "auth0.hook");
    assert_eq!(m["action"], "enrollment");
    assert_eq!(m["purpose"], "otp_enroll");
    assert_eq!(m["locale"], "en");
    assert_eq!(m["user_id"], "auth0|test12345");
    assert_eq!(m["client_id"], "1235");
    assert_eq!(m["provider_message_id"], message_id);
    assert_eq!(m["status"], "received");
    app.stop().await;
}

#[tokio::test]
async fn custom_phone_provider_seed_body_sent_as_text_plain_is_stored() {
    let app = spawn_app().await;
    // Auth0's sample Action calls fetch() with a string body and no content type.
    let response = app
        .http
        .post(app.url("/capture/auth0/custom-phone-provider"))
        .header("content-type", "text/plain;charset=UTF-8")
        .header("authorization", "Bearer sample-token-0123456789")
        .body(fixture("auth0/custom-phone-provider-seed.json"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
    let location = response
        .headers()
        .get("location")
        .expect("location")
        .to_str()
        .expect("ascii")
        .to_owned();
    let stored: Value = response.json().await.expect("json");
    assert_eq!(stored["to"], "+15555550100");
    assert_eq!(stored["from"], "+15005550006");
    assert_eq!(stored["code"], "482913");
    assert_eq!(stored["action"], "second-factor-authenticator");
    assert_eq!(stored["purpose"], "otp_verify");
    assert_eq!(stored["locale"], "en_US");
    assert_eq!(stored["source"], "auth0.custom-phone-provider");

    let detail = app.get_json(&location).await;
    assert_eq!(detail["id"], stored["id"]);
    let body: Value = serde_json::from_str(detail["request"]["body"].as_str().expect("body"))
        .expect("raw body is the JSON sent");
    assert_eq!(body["code"], "482913");
    let headers = detail["request"]["headers"].as_array().expect("headers");
    let auth = headers
        .iter()
        .find(|h| h[0] == "authorization")
        .expect("authorization kept");
    assert_eq!(
        auth[1], "Bearer …6789",
        "only the scheme and last 4 characters"
    );
    assert!(!detail.to_string().contains("sample-token"));
    app.stop().await;
}

#[tokio::test]
async fn custom_phone_provider_whole_event_is_stored_as_voice() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/capture/auth0/custom-phone-provider",
            &fixture("auth0/custom-phone-provider-event.json"),
        )
        .await;
    assert_eq!(response.status(), 201);
    let m: Value = response.json().await.expect("json");
    assert_eq!(m["channel"], "voice");
    assert_eq!(
        m["text"],
        "Your verification code for Acme is 5. 5. 1. 1. 7. 7."
    );
    assert_eq!(m["code"], "551177");
    assert_eq!(m["purpose"], "otp_enroll");
    assert_eq!(m["tenant"], "acme-dev");
    assert_eq!(m["user_id"], "auth0|64f1");
    assert_eq!(m["client_id"], "abc123");
    assert_eq!(m["locale"], "en_GB");
    assert_eq!(m["to"], "+447700900123");

    // Wrapped as {"event": ...} it is the same message.
    let wrapped = format!(
        "{{\"event\": {}}}",
        fixture("auth0/custom-phone-provider-event.json")
    );
    let response = app
        .post_json("/capture/auth0/custom-phone-provider", &wrapped)
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(app.messages().await.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn send_phone_message_event_and_bare_message_options_are_stored() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/capture/auth0/send-phone-message",
            &fixture("auth0/send-phone-message-event.json"),
        )
        .await;
    assert_eq!(response.status(), 201);
    let m: Value = response.json().await.expect("json");
    assert_eq!(m["to"], "+33612345678");
    assert_eq!(m["code"], "730264");
    assert_eq!(
        m["locale"], "fr",
        "language comes from event.request.language"
    );
    assert_eq!(m["purpose"], "otp_verify");
    assert_eq!(m["source"], "auth0.send-phone-message");
    assert_eq!(m["encoding"], "gsm7", "é is in GSM-7's basic table");

    let bare = r#"{"action":"enrollment","code":"1234","message_type":"voice","recipient":"+15555550100","text":"Your code is 1. 2. 3. 4."}"#;
    let response = app
        .post_json("/capture/auth0/send-phone-message", bare)
        .await;
    assert_eq!(response.status(), 201);
    let m: Value = response.json().await.expect("json");
    assert_eq!(m["channel"], "voice");
    assert_eq!(m["purpose"], "otp_enroll");
    app.stop().await;
}

#[tokio::test]
async fn list_filters_and_pages_newest_first() {
    let app = spawn_app().await;
    for i in 0..5 {
        crate::helpers::capture_text(&app, "+15555550100", &format!("code {i}00000")).await;
    }
    crate::helpers::capture_text(&app, "+15555550199", "other 777777").await;

    let page = app
        .get_json("/emulator/v1/messages?to=%2B15555550100&limit=2")
        .await;
    let first: Vec<&str> = page["messages"]
        .as_array()
        .expect("array")
        .iter()
        .map(|m| m["text"].as_str().expect("text"))
        .collect();
    assert_eq!(first, ["code 400000", "code 300000"]);
    let cursor = page["next_cursor"].as_str().expect("cursor");
    let page = app
        .get_json(&format!(
            "/emulator/v1/messages?to=%2B15555550100&limit=2&before={cursor}"
        ))
        .await;
    assert_eq!(page["messages"][0]["text"], "code 200000");

    let found = app.get_json("/emulator/v1/messages?q=777777").await;
    assert_eq!(found["messages"].as_array().expect("array").len(), 1);
    let none = app.get_json("/emulator/v1/messages?channel=voice").await;
    assert!(none["messages"].as_array().expect("array").is_empty());
    let count = |page: Value| page["messages"].as_array().expect("array").len();
    assert_eq!(
        count(app.get_json("/emulator/v1/messages?channel=sms").await),
        6
    );
    assert_eq!(
        count(
            app.get_json("/emulator/v1/messages?source=auth0.custom-phone-provider")
                .await
        ),
        6
    );
    assert_eq!(
        count(
            app.get_json("/emulator/v1/messages?source=auth0.hook")
                .await
        ),
        0
    );
    assert_eq!(
        count(app.get_json("/emulator/v1/messages?tenant=default").await),
        6
    );
    assert_eq!(
        count(app.get_json("/emulator/v1/messages?tenant=acme").await),
        0
    );
    assert_eq!(
        count(app.get_json("/emulator/v1/messages?since=0").await),
        6
    );
    assert_eq!(
        count(
            app.get_json("/emulator/v1/messages?since=2999-01-01T00:00:00Z")
                .await
        ),
        0
    );
    let phones = app.get_json("/emulator/v1/phones").await;
    assert_eq!(phones["phones"][0]["number"], "+15555550199");
    assert_eq!(phones["phones"][1]["count"], 5);
    assert_eq!(
        phones["phones"][1]["valid"], false,
        "555 numbers are fictional"
    );
    assert_eq!(phones["phones"][1]["last_message"]["text"], "code 400000");
    app.stop().await;
}

#[tokio::test]
async fn deleting_one_a_phone_or_all_messages() {
    let app = spawn_app().await;
    let a = crate::helpers::capture_text(&app, "+15555550100", "one 111111").await;
    crate::helpers::capture_text(&app, "+15555550100", "two 222222").await;
    crate::helpers::capture_text(&app, "+15555550101", "three 333333").await;
    crate::helpers::capture_text(&app, "+15555550102", "four 444444").await;

    let id = a["id"].as_str().expect("id");
    let url = app.url(&format!("/emulator/v1/messages/{id}"));
    assert_eq!(
        app.http.delete(&url).send().await.expect("sent").status(),
        204
    );
    assert_eq!(
        app.http.delete(&url).send().await.expect("sent").status(),
        404
    );
    assert_eq!(
        app.get(&format!("/emulator/v1/messages/{id}"))
            .await
            .status(),
        404
    );

    let cleared: Value = app
        .delete("/emulator/v1/phones/+15555550100")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(cleared["deleted"], 1);
    assert_eq!(app.messages().await.len(), 2);

    let cleared: Value = app
        .delete("/emulator/v1/messages?to=%2B15555550101")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(cleared["deleted"], 1);
    let cleared: Value = app
        .delete("/emulator/v1/messages")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(cleared["deleted"], 1);
    assert!(app.messages().await.is_empty());
    app.stop().await;
}
