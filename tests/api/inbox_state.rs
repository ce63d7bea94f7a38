//! What the inbox UI and the tray lean on: unread counts, phones a page at a time,
//! and pausing capture.

use serde_json::{json, Value};

use crate::helpers::{capture_text, spawn_app};

#[tokio::test]
async fn phones_count_unread_until_read_and_page_by_cursor() {
    let app = spawn_app().await;
    for n in 0..5 {
        capture_text(&app, &format!("+1555555060{n}"), &format!("code {n}1111")).await;
    }
    capture_text(&app, "+15555550600", "second 222222").await;
    let all = app.get_json("/emulator/v1/phones").await;
    assert_eq!(all["unread"], 6);
    assert_eq!(
        all["phones"][0]["number"], "+15555550600",
        "most recently active first"
    );
    assert_eq!(all["phones"][0]["unread"], 2);

    assert_eq!(app.get_json("/emulator/v1/health").await["live_views"], 0);
    let mut events = app
        .http
        .get(app.url("/emulator/v1/events"))
        .send()
        .await
        .expect("sent");
    assert_eq!(app.get_json("/emulator/v1/health").await["live_views"], 1);
    let read: Value = app
        .post_json("/emulator/v1/phones/+15555550600/read", "")
        .await
        .json()
        .await
        .expect("json");
    assert!(read["last_read_id"].is_string());
    let mut seen = String::new();
    while !seen.contains("event: phone.read") {
        let chunk = events.chunk().await.expect("chunk").expect("stream open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    let all = app.get_json("/emulator/v1/phones").await;
    assert_eq!(all["unread"], 4);
    assert_eq!(all["phones"][0]["unread"], 0);
    capture_text(&app, "+15555550600", "third 333333").await;
    assert_eq!(
        app.get_json("/emulator/v1/phones").await["phones"][0]["unread"],
        1
    );

    let first = app.get_json("/emulator/v1/phones?limit=2").await;
    assert_eq!(first["phones"].as_array().map(Vec::len), Some(2));
    let cursor = first["next_cursor"].as_str().expect("cursor");
    let rest = app
        .get_json(&format!("/emulator/v1/phones?limit=10&before={cursor}"))
        .await;
    assert_eq!(rest["phones"].as_array().map(Vec::len), Some(3));
    assert_eq!(rest["next_cursor"], Value::Null);
    assert_eq!(app.get("/emulator/v1/phones?limit=0").await.status(), 400);
    app.stop().await;
}

#[tokio::test]
async fn paused_capture_is_refused_in_each_api_shape_and_resumes() {
    let app = spawn_app().await;
    let set = |paused: bool| {
        app.http
            .put(app.url("/emulator/v1/capture"))
            .json(&json!({ "paused": paused }))
            .send()
    };
    assert_eq!(set(true).await.expect("sent").status(), 200);
    assert_eq!(app.get_json("/emulator/v1/health").await["paused"], true);
    let refused = app
        .post_json(
            "/capture/auth0/custom-phone-provider",
            r#"{"recipient":"+15555550610","text":"code 1"}"#,
        )
        .await;
    assert_eq!(refused.status(), 503);
    assert_eq!(
        refused.json::<Value>().await.expect("json")["error"],
        "capture_paused"
    );
    let twilio = app
        .http
        .post(app.url("/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages.json"))
        .form(&[
            ("To", "+15555550610"),
            ("From", "+15005550006"),
            ("Body", "x"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(twilio.status(), 503);
    assert_eq!(twilio.json::<Value>().await.expect("json")["code"], 20503);
    assert!(app.messages().await.is_empty());
    assert_eq!(set(false).await.expect("sent").status(), 200);
    capture_text(&app, "+15555550610", "code 444444").await;
    assert_eq!(app.messages().await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn logs_filter_by_transaction() {
    let app = spawn_app().await;
    let mfa = crate::mfa::Mfa::new(&app);
    mfa.enroll("tx@example.com", "+15555550620").await;
    let sent = crate::mfa::latest(&app, "+15555550620").await;
    let tx = sent["attributes"]["transaction_id"]
        .as_str()
        .expect("transaction");
    let logs: Vec<Value> = app
        .http
        .get(app.url(&format!(
            "/api/v2/logs?sort=date:1&q=details.transaction_id:%22{tx}%22"
        )))
        .bearer_auth("t")
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let kinds: Vec<&str> = logs
        .iter()
        .map(|l| l["type"].as_str().expect("type"))
        .collect();
    assert_eq!(
        kinds,
        [
            "gd_send_sms",
            "gd_enrollment_complete",
            "gd_auth_succeed",
            "seoobft"
        ]
    );
    app.stop().await;
}
