use serde_json::Value;

use crate::helpers::{capture_text, spawn_app};

#[tokio::test]
async fn latest_answers_at_once_with_an_existing_message() {
    let app = spawn_app().await;
    capture_text(&app, "+15555550100", "old 111111").await;
    let newest = capture_text(&app, "+15555550100", "new 222222").await;
    capture_text(&app, "+15555550199", "someone else 333333").await;

    // A long wait, yet an existing message answers at once: a test that triggers an
    // SMS and then asks never misses it.
    let m = app
        .get_json("/emulator/v1/phones/+1%20555%20555%200100/latest?wait=300s")
        .await;
    assert_eq!(m["id"], newest["id"]);
    assert_eq!(m["code"], "222222");
    app.stop().await;
}

#[tokio::test]
async fn held_wait_answers_with_the_message_that_arrives() {
    let app = spawn_app().await;
    let earlier = capture_text(&app, "+15555550100", "earlier 111111").await;
    let after = earlier["id"].as_str().expect("id").to_owned();

    // Held for up to 5 minutes: if arrival did not wake it, this test would not finish
    // until then and would then get 404, not the message.
    let waiting = {
        let http = app.http.clone();
        let url = app.url(&format!(
            "/emulator/v1/phones/+15555550100/latest?wait=300s&after={after}"
        ));
        tokio::spawn(async move { http.get(url).send().await.expect("sent") })
    };
    app.until_held_waits(1).await;
    capture_text(&app, "+15555550199", "not this phone 999999").await;
    let arrived = capture_text(&app, "+15555550100", "arrived 222222").await;

    let response = waiting.await.expect("task");
    assert_eq!(response.status(), 200);
    let m: Value = response.json().await.expect("json");
    assert_eq!(m["id"], arrived["id"]);
    assert_eq!(m["code"], "222222");
    app.stop().await;
}

#[tokio::test]
async fn wait_ends_with_a_clear_404_when_nothing_arrives() {
    let app = spawn_app().await;
    let response = app
        .get("/emulator/v1/phones/+15555550100/latest?wait=150ms")
        .await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "no_message");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("+15555550100"),
        "{body}"
    );

    let response = app.get("/emulator/v1/phones/+15555550100/latest").await;
    assert_eq!(response.status(), 404, "no wait: answers at once");
    app.stop().await;
}

#[tokio::test]
async fn after_a_time_only_newer_messages_count() {
    let app = spawn_app().await;
    let old = capture_text(&app, "+15555550100", "old 111111").await;
    let at = old["received_at"].as_str().expect("time").to_owned();
    let url = format!(
        "/emulator/v1/phones/+15555550100/latest?wait=100ms&after={}",
        at.replace('+', "%2B")
    );
    assert_eq!(app.get(&url).await.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn wait_parameters_are_checked() {
    let app = spawn_app().await;
    for (query, field) in [
        ("wait=soon", "wait"),
        ("wait=2h", "wait"),
        ("after=yesterday", "after"),
        ("colour=blue", "colour"),
    ] {
        let response = app
            .get(&format!("/emulator/v1/phones/+15555550100/latest?{query}"))
            .await;
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["field"], field, "{query}: {body}");
    }
    let response = app.get("/emulator/v1/phones/not-a-number/latest").await;
    assert_eq!(response.status(), 400);
    app.stop().await;
}

#[tokio::test]
async fn server_stop_ends_a_held_wait() {
    let app = spawn_app().await;
    let waiting = {
        let http = app.http.clone();
        let url = app.url("/emulator/v1/phones/+15555550100/latest?wait=600s");
        tokio::spawn(async move { http.get(url).send().await })
    };
    app.until_held_waits(1).await;
    // Graceful shutdown waits for in-flight requests: without the stop ending the
    // wait, this would hang for 10 minutes.
    app.stop().await;
    let response = waiting.await.expect("task").expect("answered, not cut off");
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn health_counts_held_waits() {
    let app = spawn_app().await;
    assert_eq!(app.get_json("/emulator/v1/health").await["held_waits"], 0);
    let waiting = {
        let http = app.http.clone();
        let url = app.url("/emulator/v1/phones/+15555550100/latest?wait=300s");
        tokio::spawn(async move { http.get(url).send().await.expect("sent") })
    };
    app.until_held_waits(1).await;
    capture_text(&app, "+15555550100", "here 123456").await;
    assert_eq!(waiting.await.expect("task").status(), 200);
    app.until_held_waits(0).await;
    app.stop().await;
}
