use serde_json::Value;

use crate::helpers::{capture_text, next_event, spawn_app};

#[tokio::test]
async fn sse_delivers_new_and_deleted_messages() {
    let app = spawn_app().await;
    let response = app.get("/emulator/v1/events").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/event-stream"));
    let mut stream = response.bytes_stream();
    let mut buffer = String::new();
    // `ready` comes once the subscription exists: nothing after it can be missed.
    next_event(&mut stream, &mut buffer, "ready").await;

    let stored = capture_text(&app, "+15555550100", "123456 is your code").await;
    let data = next_event(&mut stream, &mut buffer, "message.created").await;
    let event: Value = serde_json::from_str(&data).expect("json");
    assert_eq!(event, stored);

    let id = stored["id"].as_str().expect("id");
    app.delete(&format!("/emulator/v1/messages/{id}")).await;
    let data = next_event(&mut stream, &mut buffer, "message.deleted").await;
    let event: Value = serde_json::from_str(&data).expect("json");
    assert_eq!(event["id"], id);

    app.delete("/emulator/v1/phones/+15555550100").await;
    let data = next_event(&mut stream, &mut buffer, "messages.cleared").await;
    let event: Value = serde_json::from_str(&data).expect("json");
    assert_eq!(event["to"], "+15555550100");
    drop(stream);
    app.stop().await;
}

/// A whole custom-phone-provider event for `user_id`, as an Action posts it.
fn event_for(user_id: &str, to: &str, code: &str) -> String {
    serde_json::json!({
        "notification": {
            "message_type": "otp_verify",
            "delivery_method": "text",
            "recipient": to,
            "as_text": format!("{code} is your code"),
            "as_voice": format!("Your code is {code}"),
            "code": code,
        },
        "tenant": { "id": "acme" },
        "user": { "user_id": user_id },
        "client": { "client_id": "app", "name": "App", "metadata": {} },
    })
    .to_string()
}

#[tokio::test]
async fn sse_filtered_by_user_gets_only_that_users_messages() {
    let app = spawn_app().await;
    let response = app.get("/emulator/v1/events?user_id=auth0%7Calice").await;
    assert_eq!(response.status(), 200);
    let mut stream = response.bytes_stream();
    let mut buffer = String::new();
    next_event(&mut stream, &mut buffer, "ready").await;

    // Bob's first: were it let through, it would be the first to arrive.
    for (user, code) in [("auth0|bob", "111111"), ("auth0|alice", "222222")] {
        let response = app
            .post_json(
                "/capture/auth0/custom-phone-provider",
                &event_for(user, "+15555550100", code),
            )
            .await;
        assert_eq!(response.status(), 201);
    }
    let data = next_event(&mut stream, &mut buffer, "message.created").await;
    let event: Value = serde_json::from_str(&data).expect("json");
    assert_eq!(event["user_id"], "auth0|alice");
    assert_eq!(event["code"], "222222");
    drop(stream);
    app.stop().await;
}

#[tokio::test]
async fn sse_filtered_by_transaction_gets_only_that_transactions_messages() {
    let app = spawn_app().await;
    let response = app
        .get("/emulator/v1/events?transaction_id=01TXWANTED")
        .await;
    assert_eq!(response.status(), 200);
    let mut stream = response.bytes_stream();
    let mut buffer = String::new();
    next_event(&mut stream, &mut buffer, "ready").await;

    // An Action's SDK call carries its flow's transaction in the link header.
    let link = |transaction: &str| {
        serde_json::json!({
            "tenant": "acme",
            "user_id": "auth0|alice",
            "client_id": "app",
            "action": "second-factor-authentication",
            "purpose": "otp_verify",
            "locale": "en",
            "transaction_id": transaction,
            "delivered_by": "custom",
            "code": null,
        })
        .to_string()
    };
    for (transaction, code) in [("01TXOTHER", "333333"), ("01TXWANTED", "444444")] {
        let body = serde_json::json!({
            "recipient": "+15555550100",
            "text": format!("{code} is your code"),
            "message_type": "text",
        });
        let response = app
            .http
            .post(app.url("/capture/auth0/custom-phone-provider"))
            .header("content-type", "application/json")
            .header("x-phonebox-link", link(transaction))
            .body(body.to_string())
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 201);
    }
    let data = next_event(&mut stream, &mut buffer, "message.created").await;
    let event: Value = serde_json::from_str(&data).expect("json");
    assert_eq!(event["attributes"]["transaction_id"], "01TXWANTED");
    assert_eq!(event["code"], "444444");
    drop(stream);
    app.stop().await;
}
