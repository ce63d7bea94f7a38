//! Every bad input gets a 4xx JSON error that says what and where, and stores nothing.

use serde_json::Value;

use crate::helpers::{spawn_app, TestApp};

const CPP: &str = "/capture/auth0/custom-phone-provider";
const SPM: &str = "/capture/auth0/send-phone-message";
const HOOK: &str = "/capture/auth0/hook";

/// Posts `body`, expects `status` with error `kind` naming `field`, and nothing stored.
async fn refused(
    app: &TestApp,
    path: &str,
    body: &str,
    status: u16,
    kind: &str,
    field: Option<&str>,
) {
    let response = app.post_json(path, body).await;
    assert_eq!(response.status(), status, "{path} {body}");
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let error: Value = response.json().await.expect("json error body");
    assert_eq!(error["error"], kind, "{path} {body}: {error}");
    assert_eq!(error["field"].as_str(), field, "{path} {body}: {error}");
    assert!(!error["message"].as_str().expect("message").is_empty());
    assert!(
        app.messages().await.is_empty(),
        "nothing stored after {body}"
    );
}

#[tokio::test]
async fn invalid_json_is_refused_with_its_position() {
    let app = spawn_app().await;
    let response = app
        .post_json(HOOK, "{\"recipient\": \"+15555550100\",")
        .await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.expect("json");
    assert_eq!(error["error"], "invalid_json");
    assert!(
        error["message"].as_str().expect("msg").contains("line 1"),
        "{error}"
    );
    refused(&app, CPP, "not json", 400, "invalid_json", None).await;
    refused(&app, SPM, "", 400, "invalid_json", None).await;
    refused(&app, HOOK, "[1, 2]", 400, "invalid_field", Some("(body)")).await;
    // serde would read a struct from an array; a body must still be an object.
    refused(
        &app,
        HOOK,
        r#"["+15555550100", "123456 is your code"]"#,
        400,
        "invalid_field",
        Some("(body)"),
    )
    .await;
    refused(
        &app,
        HOOK,
        r#"{"recipient":"+15555550100","text":"x"} trailing"#,
        400,
        "invalid_json",
        None,
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn missing_fields_are_named() {
    let app = spawn_app().await;
    refused(
        &app,
        HOOK,
        r#"{"text":"hi 123456"}"#,
        400,
        "missing_field",
        Some("recipient"),
    )
    .await;
    refused(
        &app,
        HOOK,
        r#"{"recipient":"+15555550100"}"#,
        400,
        "missing_field",
        Some("text"),
    )
    .await;
    refused(
        &app,
        CPP,
        r#"{"recipient":"+15555550100"}"#,
        400,
        "missing_field",
        Some("text"),
    )
    .await;
    refused(
        &app,
        CPP,
        r#"{"notification":{"message_type":"otp_verify","delivery_method":"text","recipient":"+15555550100"}}"#,
        400,
        "missing_field",
        Some("notification.as_text"),
    )
    .await;
    refused(
        &app,
        SPM,
        r#"{"message_options":{"action":"enrollment","message_type":"sms","recipient":"+15555550100","text":"x"}}"#,
        400,
        "missing_field",
        Some("message_options.code"),
    )
    .await;
    refused(
        &app,
        SPM,
        r#"{"event":{"request":{}}}"#,
        400,
        "missing_field",
        Some("event.message_options"),
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn wrong_types_are_named_by_path() {
    let app = spawn_app().await;
    refused(
        &app,
        HOOK,
        r#"{"recipient":15555550100,"text":"x"}"#,
        400,
        "invalid_field",
        Some("recipient"),
    )
    .await;
    refused(
        &app,
        HOOK,
        r#"{"recipient":"+15555550100","text":"x","context":{"user":{"user_id":42}}}"#,
        400,
        "invalid_field",
        Some("context.user.user_id"),
    )
    .await;
    refused(
        &app,
        CPP,
        r#"{"recipient":"+15555550100","text":["a"]}"#,
        400,
        "invalid_field",
        Some("text"),
    )
    .await;
    refused(
        &app,
        HOOK,
        r#"{"recipient":"+15555550100","text":"x","context":"sms"}"#,
        400,
        "invalid_field",
        Some("context"),
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn strings_that_are_not_phone_numbers_are_refused() {
    let app = spawn_app().await;
    refused(
        &app,
        HOOK,
        r#"{"recipient":"call me","text":"x 123456"}"#,
        400,
        "invalid_phone_number",
        Some("recipient"),
    )
    .await;
    refused(
        &app,
        HOOK,
        r#"{"recipient":"+1 23","text":"x 123456"}"#,
        400,
        "invalid_phone_number",
        Some("recipient"),
    )
    .await;
    refused(
        &app,
        SPM,
        r#"{"message_options":{"action":"enrollment","code":"1","message_type":"sms","recipient":"+999 123","text":"x"}}"#,
        400,
        "invalid_phone_number",
        Some("message_options.recipient"),
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn empty_text_is_refused() {
    let app = spawn_app().await;
    refused(
        &app,
        HOOK,
        r#"{"recipient":"+15555550100","text":"   "}"#,
        400,
        "empty_field",
        Some("text"),
    )
    .await;
    refused(
        &app,
        CPP,
        r#"{"notification":{"message_type":"otp_verify","delivery_method":"voice","recipient":"+15555550100","as_text":"x","as_voice":""}}"#,
        400,
        "empty_field",
        Some("notification.as_voice"),
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn unknown_message_types_and_actions_are_refused() {
    let app = spawn_app().await;
    refused(
        &app,
        CPP,
        r#"{"notification":{"message_type":"otp_fax","delivery_method":"text","recipient":"+15555550100","as_text":"x"}}"#,
        400,
        "invalid_field",
        Some("notification.message_type"),
    )
    .await;
    refused(
        &app,
        CPP,
        r#"{"recipient":"+15555550100","text":"x","message_type":"fax"}"#,
        400,
        "invalid_field",
        Some("message_type"),
    )
    .await;
    refused(
        &app,
        HOOK,
        r#"{"recipient":"+15555550100","text":"x","context":{"message_type":"mms"}}"#,
        400,
        "invalid_field",
        Some("context.message_type"),
    )
    .await;
    refused(
        &app,
        HOOK,
        r#"{"recipient":"+15555550100","text":"x","context":{"action":"login"}}"#,
        400,
        "unknown_value",
        Some("context.action"),
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let app = spawn_app().await;
    let text = "a".repeat(1024 * 1024);
    let body = format!(r#"{{"recipient":"+15555550100","text":"{text}"}}"#);
    refused(&app, HOOK, &body, 413, "payload_too_large", None).await;

    // Without a Content-Length (chunked), the limit still holds.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![
        Ok(b"{\"recipient\":\"+15555550100\",\"text\":\"".to_vec()),
        Ok(vec![b'a'; 2 * 1024 * 1024]),
        Ok(b"\"}".to_vec()),
    ];
    let response = app
        .http
        .post(app.url(HOOK))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 413);
    assert!(app.messages().await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn content_types_that_cannot_carry_json_are_refused_with_415() {
    let app = spawn_app().await;
    for content_type in [
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "application/xml",
    ] {
        let response = app
            .http
            .post(app.url(HOOK))
            .header("content-type", content_type)
            .body(r#"{"recipient":"+15555550100","text":"x"}"#)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 415, "{content_type}");
        let error: Value = response.json().await.expect("json");
        assert_eq!(error["error"], "unsupported_media_type");
        assert!(error["message"]
            .as_str()
            .expect("m")
            .contains("application/json"));
    }
    assert!(app.messages().await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn unknown_routes_methods_and_parameters_answer_json() {
    let app = spawn_app().await;
    let response = app.get("/capture/auth0/nope").await;
    assert_eq!(response.status(), 404);
    let error: Value = response.json().await.expect("json");
    assert_eq!(error["error"], "not_found");

    let response = app.get("/capture/auth0/hook").await;
    assert_eq!(response.status(), 405);
    let error: Value = response.json().await.expect("json");
    assert_eq!(error["error"], "method_not_allowed");

    for (query, field) in [
        ("channel=fax", "channel"),
        ("source=twitter", "source"),
        ("limit=lots", "limit"),
        ("since=tuesday", "since"),
        ("to=nobody", "to"),
    ] {
        let response = app.get(&format!("/emulator/v1/messages?{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        let error: Value = response.json().await.expect("json");
        assert_eq!(error["field"], field, "{query}: {error}");
    }
    app.stop().await;
}
