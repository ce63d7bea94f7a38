//! Twilio's wire format: forms in, Twilio JSON out, Twilio error bodies for bad input.

use serde_json::Value;

use crate::helpers::{spawn_app, TestApp};

const ACCOUNT: &str = "AC00000000000000000000000000000001";

async fn post_form(app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .basic_auth(ACCOUNT, Some("auth-token-value-abcd"))
        .form(form)
        .send()
        .await
        .expect("sent")
}

fn messages_path() -> String {
    format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json")
}

/// Asserts a Twilio error body with `code` and `status`.
async fn twilio_error(response: reqwest::Response, code: u64, status: u16) {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert_eq!(
        body["more_info"],
        format!("https://www.twilio.com/docs/errors/{code}")
    );
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[tokio::test]
async fn a_message_is_created_stored_and_fetched_by_sid() {
    let app = spawn_app().await;
    let response = post_form(
        &app,
        &messages_path(),
        &[
            ("To", "+15555550100"),
            ("From", "+15005550006"),
            ("Body", "Your code is 123456"),
        ],
    )
    .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.expect("json");
    let sid = created["sid"].as_str().expect("sid").to_owned();
    assert_eq!(created["status"], "queued");
    assert_eq!(created["num_segments"], "1");
    assert_eq!(created["num_media"], "0");
    assert_eq!(created["date_sent"], Value::Null);
    assert!(created["date_created"]
        .as_str()
        .expect("date")
        .ends_with("+0000"));
    for property in [
        "account_sid",
        "api_version",
        "body",
        "date_created",
        "date_sent",
        "date_updated",
        "direction",
        "error_code",
        "error_message",
        "from",
        "messaging_service_sid",
        "num_media",
        "num_segments",
        "price",
        "price_unit",
        "sid",
        "status",
        "subresource_uris",
        "to",
        "uri",
    ] {
        assert!(created.get(property).is_some(), "missing {property}");
    }

    let stored = &app.messages().await[0];
    assert_eq!(stored["provider_account"], ACCOUNT);
    assert_eq!(stored["provider_message_id"], sid);
    assert_eq!(stored["code"], "123456");

    let fetched: Value = app
        .get_json(&format!(
            "/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}.json"
        ))
        .await;
    assert_eq!(fetched["sid"], sid);
    assert_eq!(fetched["status"], "delivered");
    // The list filters in the query, by account, To and From, and honours PageSize.
    let other = format!("AC{}", "7".repeat(32));
    let response = app
        .http
        .post(app.url(&format!("/2010-04-01/Accounts/{other}/Messages.json")))
        .form(&[
            ("To", "+15555550100"),
            ("From", "+15005550006"),
            ("Body", "other account"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
    post_form(
        &app,
        &messages_path(),
        &[
            ("To", "+15555550199"),
            ("From", "+15005550010"),
            ("Body", "second"),
        ],
    )
    .await;
    let bodies = |page: Value| -> Vec<String> {
        page["messages"]
            .as_array()
            .expect("array")
            .iter()
            .map(|m| m["body"].as_str().expect("body").to_owned())
            .collect()
    };
    let list = format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json");
    assert_eq!(
        bodies(app.get_json(&list).await),
        ["second", "Your code is 123456"]
    );
    assert_eq!(
        bodies(app.get_json(&format!("{list}?PageSize=1")).await),
        ["second"]
    );
    assert_eq!(
        bodies(app.get_json(&format!("{list}?To=%2B15555550100")).await),
        ["Your code is 123456"]
    );
    assert_eq!(
        bodies(app.get_json(&format!("{list}?From=%2B15005550010")).await),
        ["second"]
    );

    let other_account = app
        .get(&format!(
            "/2010-04-01/Accounts/AC{}/Messages/{sid}.json",
            "9".repeat(32)
        ))
        .await;
    twilio_error(other_account, 20404, 404).await;
    app.stop().await;
}

#[tokio::test]
async fn a_messaging_service_sid_stands_in_for_from() {
    let app = spawn_app().await;
    let service = "MG00000000000000000000000000000002";
    let response = post_form(
        &app,
        &messages_path(),
        &[
            ("To", "+15555550100"),
            ("MessagingServiceSid", service),
            ("Body", "hi 123456"),
        ],
    )
    .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.expect("json");
    assert_eq!(created["messaging_service_sid"], service);
    assert_eq!(created["from"], Value::Null);
    assert_eq!(created["num_segments"], "0");
    app.stop().await;
}

#[tokio::test]
async fn bad_message_requests_get_twilio_errors_and_store_nothing() {
    let app = spawn_app().await;
    let path = messages_path();
    let long = "x".repeat(1601);
    let cases: Vec<(Vec<(&str, &str)>, u64)> = vec![
        (vec![("From", "+15005550006"), ("Body", "hi")], 21604),
        (vec![("To", "+15555550100"), ("Body", "hi")], 21603),
        (
            vec![("To", "+15555550100"), ("From", "+15005550006")],
            21602,
        ),
        (
            vec![("To", "+1asd"), ("From", "+15005550006"), ("Body", "hi")],
            21211,
        ),
        (
            vec![
                ("To", "+15555550100"),
                ("From", "+15005550006"),
                ("Body", &long),
            ],
            21617,
        ),
        (
            vec![
                ("To", "+15005550004"),
                ("From", "+15005550006"),
                ("Body", "hi"),
            ],
            21610,
        ),
        (
            vec![
                ("To", "+15555550100"),
                ("From", "+15005550008"),
                ("Body", "hi"),
            ],
            21611,
        ),
    ];
    for (form, code) in cases {
        twilio_error(post_form(&app, &path, &form).await, code, 400).await;
    }
    // JSON or multipart is not what Twilio takes.
    let response = app
        .post_json(
            &path,
            r#"{"To":"+15555550100","From":"+15005550006","Body":"hi"}"#,
        )
        .await;
    twilio_error(response, 20001, 400).await;
    let response = app
        .http
        .post(app.url(&path))
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x--")
        .send()
        .await
        .expect("sent");
    twilio_error(response, 20001, 400).await;
    // Malformed percent-encoding is read leniently, as form parsers do, and still judged.
    let response = app
        .http
        .post(app.url(&path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("To=%ZZ&From=%2B15005550006&Body=hi")
        .send()
        .await
        .expect("sent");
    twilio_error(response, 21211, 400).await;
    // Over the body limit: Twilio-shaped 413.
    let huge = "x".repeat(2 * 1024 * 1024);
    let response = post_form(&app, &path, &[("To", "+15555550100"), ("Body", &huge)]).await;
    twilio_error(response, 20413, 413).await;
    assert!(app.messages().await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_call_with_twiml_becomes_a_voice_message() {
    let app = spawn_app().await;
    let path = format!("/2010-04-01/Accounts/{ACCOUNT}/Calls.json");
    let twiml = r#"<Response><Say voice="alice">Your code is 4. 8. 1. 5.</Say></Response>"#;
    let response = post_form(
        &app,
        &path,
        &[
            ("To", "+15555550100"),
            ("From", "+15005550006"),
            ("Twiml", twiml),
        ],
    )
    .await;
    assert_eq!(response.status(), 201);
    let call: Value = response.json().await.expect("json");
    assert!(call["sid"].as_str().expect("sid").starts_with("CA"));
    assert_eq!(call["status"], "queued");
    let stored = &app.messages().await[0];
    assert_eq!(stored["channel"], "voice");
    assert_eq!(stored["text"], "Your code is 4. 8. 1. 5.");
    assert_eq!(stored["code"], "4815");

    let bad = post_form(
        &app,
        &path,
        &[
            ("To", "+15555550100"),
            ("From", "+15005550006"),
            ("Twiml", "<Response><Say>unclosed"),
        ],
    )
    .await;
    twilio_error(bad, 12100, 400).await;
    let none = post_form(
        &app,
        &path,
        &[("To", "+15555550100"), ("From", "+15005550006")],
    )
    .await;
    twilio_error(none, 21205, 400).await;
    assert_eq!(app.messages().await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn verify_refuses_bad_parameters_with_twilio_errors() {
    let app = spawn_app().await;
    let start = "/v2/Services/VA00000000000000000000000000000003/Verifications";
    let check = "/v2/Services/VA00000000000000000000000000000003/VerificationCheck";
    twilio_error(
        post_form(&app, start, &[("Channel", "sms")]).await,
        60200,
        400,
    )
    .await;
    twilio_error(
        post_form(&app, start, &[("To", "+1asd"), ("Channel", "sms")]).await,
        60200,
        400,
    )
    .await;
    twilio_error(
        post_form(&app, start, &[("To", "+15555550100"), ("Channel", "fax")]).await,
        60200,
        400,
    )
    .await;
    twilio_error(
        post_form(
            &app,
            start,
            &[
                ("To", "+15555550100"),
                ("Channel", "sms"),
                ("CustomCode", "1"),
            ],
        )
        .await,
        60200,
        400,
    )
    .await;
    twilio_error(
        post_form(&app, check, &[("Code", "123456")]).await,
        60200,
        400,
    )
    .await;
    twilio_error(
        post_form(&app, check, &[("To", "+15555550100")]).await,
        60200,
        400,
    )
    .await;
    twilio_error(
        post_form(&app, check, &[("To", "+15555550100"), ("Code", "1")]).await,
        20404,
        404,
    )
    .await;
    assert!(app.messages().await.is_empty());

    // A second start for the same number reuses the pending verification and its code.
    let first: Value = post_form(&app, start, &[("To", "+15555550100"), ("Channel", "sms")])
        .await
        .json()
        .await
        .expect("json");
    let again: Value = post_form(&app, start, &[("To", "+15555550100"), ("Channel", "sms")])
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(first["sid"], again["sid"]);
    assert_eq!(
        again["send_code_attempts"]
            .as_array()
            .expect("attempts")
            .len(),
        2
    );
    let sent = app.messages().await;
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0]["code"], sent[1]["code"]);
    assert_eq!(
        sent[0]["provider_account"], ACCOUNT,
        "Basic auth user recorded"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_verification_expires_ten_minutes_later_on_the_emulated_clock() {
    let app = spawn_app().await;
    let start = "/v2/Services/VA00000000000000000000000000000003/Verifications";
    let check = "/v2/Services/VA00000000000000000000000000000003/VerificationCheck";
    let started = post_form(
        &app,
        start,
        &[
            ("To", "+15555550190"),
            ("Channel", "sms"),
            ("CustomCode", "246810"),
        ],
    )
    .await;
    assert_eq!(started.status(), 201);
    let sid = started.json::<Value>().await.expect("json")["sid"]
        .as_str()
        .expect("sid")
        .to_owned();
    let advance = |by: &'static str| {
        app.http
            .post(app.url("/emulator/v1/clock/advance"))
            .json(&serde_json::json!({ "by": by }))
            .send()
    };
    // Nine minutes on, the code still works for a wrong guess to be counted.
    assert_eq!(advance("9m").await.expect("sent").status(), 200);
    let pending = post_form(&app, check, &[("To", "+15555550190"), ("Code", "000000")]).await;
    assert_eq!(
        pending.json::<Value>().await.expect("json")["status"],
        "pending"
    );
    // Past ten minutes it is gone, as in Twilio.
    assert_eq!(advance("61s").await.expect("sent").status(), 200);
    twilio_error(
        post_form(&app, check, &[("To", "+15555550190"), ("Code", "246810")]).await,
        20404,
        404,
    )
    .await;
    let fetched = app
        .http
        .get(app.url(&format!("{start}/{sid}")))
        .basic_auth(ACCOUNT, Some("auth-token-value-abcd"))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        fetched.json::<Value>().await.expect("json")["status"],
        "expired"
    );
    app.stop().await;
}
