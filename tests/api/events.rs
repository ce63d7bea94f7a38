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
