//! SNS's awsQuery wire format: forms in, XML out, SNS `ErrorResponse` for bad input.

use crate::helpers::{spawn_app, TestApp};

const SIGNED: &str =
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261122/us-west-2/sns/aws4_request, \
     SignedHeaders=content-type;host;x-amz-date, \
     Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

async fn publish(app: &TestApp, content_type: &str, body: &str) -> reqwest::Response {
    app.http
        .post(app.url("/"))
        .header("authorization", SIGNED)
        .header("x-amz-date", "20261122T010203Z")
        .header("content-type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .expect("sent")
}

const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// Asserts an SNS XML error with `code` and `status`.
async fn sns_error(response: reqwest::Response, code: &str, status: u16) {
    assert_eq!(response.status(), status);
    assert!(response.headers().contains_key("x-amzn-requestid"));
    assert_eq!(response.headers()["content-type"], "text/xml");
    let text = response.text().await.expect("text");
    assert!(
        text.starts_with("<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">"),
        "{text}"
    );
    assert!(text.contains(&format!("<Code>{code}</Code>")), "{text}");
    assert!(text.contains("<Type>Sender</Type>"), "{text}");
    assert!(text.contains("<RequestId>"), "{text}");
}

#[tokio::test]
async fn publish_answers_xml_and_records_key_and_region() {
    let app = spawn_app().await;
    let response = publish(
        &app,
        FORM,
        "Action=Publish&Version=2010-03-31&PhoneNumber=%2B15555550300&Message=Code%3A+918273",
    )
    .await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("text");
    assert!(text.contains("<PublishResult><MessageId>"), "{text}");
    let messages = app.messages().await;
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m["provider_account"], "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(m["attributes"]["region"], "us-west-2");
    assert!(text.contains(m["provider_message_id"].as_str().expect("id")));
    app.stop().await;
}

#[tokio::test]
async fn bad_requests_get_sns_errors_and_store_nothing() {
    let app = spawn_app().await;
    sns_error(
        publish(&app, FORM, "Action=CreateTopic&Name=t").await,
        "InvalidAction",
        400,
    )
    .await;
    sns_error(
        publish(&app, FORM, "Version=2010-03-31").await,
        "MissingAction",
        400,
    )
    .await;
    sns_error(
        publish(&app, FORM, "Action=Publish&PhoneNumber=%2B1asd&Message=x").await,
        "InvalidParameter",
        400,
    )
    .await;
    sns_error(
        publish(&app, FORM, "Action=Publish&PhoneNumber=%2B15555550300").await,
        "InvalidParameter",
        400,
    )
    .await;
    sns_error(
        publish(&app, FORM, "Action=Publish&Message=x").await,
        "InvalidParameter",
        400,
    )
    .await;
    let long = format!(
        "Action=Publish&PhoneNumber=%2B15555550300&Message={}",
        "x".repeat(1601)
    );
    sns_error(publish(&app, FORM, &long).await, "InvalidParameter", 400).await;
    sns_error(
        publish(
            &app,
            FORM,
            "Action=Publish&PhoneNumber=%2B15555550300&Message=x\
            &MessageAttributes.entry.1.Name=AWS.SNS.SMS.SMSType\
            &MessageAttributes.entry.1.Value.DataType=String\
            &MessageAttributes.entry.1.Value.StringValue=Urgent",
        )
        .await,
        "InvalidParameter",
        400,
    )
    .await;
    sns_error(
        publish(
            &app,
            FORM,
            "Action=Publish&PhoneNumber=%2B15555550300&Message=x&MessageAttributes.entry.1.Name=A",
        )
        .await,
        "ParameterValueInvalid",
        400,
    )
    .await;
    sns_error(
        publish(&app, "application/json", r#"{"Action":"Publish"}"#).await,
        "InvalidParameter",
        400,
    )
    .await;
    // Malformed percent-encoding is read leniently, as AWS does, and still validated.
    sns_error(
        publish(&app, FORM, "Action=Publish&PhoneNumber=%ZZ&Message=%").await,
        "InvalidParameter",
        400,
    )
    .await;
    assert!(app.messages().await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn the_ui_still_answers_get_on_the_root() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/html"));
    app.stop().await;
}

#[tokio::test]
async fn localstack_endpoint_filters_by_phone_and_region() {
    let app = spawn_app().await;
    for n in ["%2B15555550301", "%2B15555550302"] {
        let body = format!("Action=Publish&PhoneNumber={n}&Message=hello");
        assert_eq!(publish(&app, FORM, &body).await.status(), 200);
    }
    let west = app
        .get_json("/_aws/sns/sms-messages?region=us-west-2&phoneNumber=%2B15555550301")
        .await;
    let numbers: Vec<&String> = west["sms_messages"]
        .as_object()
        .expect("object")
        .keys()
        .collect();
    assert_eq!(numbers, ["+15555550301"]);
    let east = app.get_json("/_aws/sns/sms-messages").await;
    assert_eq!(
        east["sms_messages"],
        serde_json::json!({}),
        "signed for us-west-2, not us-east-1"
    );
    let bad = app.get("/_aws/sns/sms-messages?phoneNumber=nope").await;
    assert_eq!(bad.status(), 400);
    app.stop().await;
}
