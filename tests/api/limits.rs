//! Auth0's caps, biting at Auth0's counts: 10 messages per user per rolling hour,
//! 1 voice message per hour, 100 in a tenant's life on the built-in provider.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};
use crate::mfa::{latest, logs_of, settings, Mfa};

async fn advance(app: &TestApp, by: &str) {
    let response = app
        .http
        .post(app.url("/emulator/v1/clock/advance"))
        .json(&json!({ "by": by }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn the_eleventh_sms_within_an_hour_is_refused_and_allowed_an_hour_later() {
    let app = spawn_app().await;
    let mfa = Mfa::new(&app);
    let token = mfa.enroll("busy@example.com", "+15555550901").await; // message 1
    for n in 2..=10 {
        let response = mfa.challenge(&token, None).await;
        assert_eq!(response.status(), 200, "message {n}");
    }
    let eleventh = mfa.challenge(&token, None).await;
    assert_eq!(eleventh.status(), 429);
    assert_eq!(
        eleventh.json::<Value>().await.expect("json"),
        json!({ "error": "invalid_request", "error_description": "Too many SMS sent by the user. Wait for some minutes before retrying." })
    );
    let refusals = logs_of(&app, "gd_otp_rate_limit_exceed").await;
    assert_eq!(refusals.len(), 1);
    assert_eq!(refusals[0]["user_name"], "busy@example.com");
    assert_eq!(
        app.messages().await.len(),
        10,
        "the refused one was not sent"
    );

    let user_id = refusals[0]["user_id"].as_str().expect("user").to_owned();
    let gauges = app
        .get_json(&format!(
            "/emulator/v1/limits?user_id={}",
            user_id.replace('|', "%7C")
        ))
        .await;
    assert_eq!(gauges["users"][0]["messages_per_hour"]["used"], 10);
    assert_eq!(gauges["users"][0]["messages_per_hour"]["cap"], 10);
    assert!(gauges["users"][0]["messages_per_hour"]["frees_at"].is_string());

    advance(&app, "59m").await;
    // The mfa_token lives ten minutes: a new login brings a new one.
    let token = mfa.mfa_token("busy@example.com").await;
    assert_eq!(
        mfa.challenge(&token, None).await.status(),
        429,
        "still inside the hour"
    );
    advance(&app, "1m").await;
    let later = mfa.challenge(&token, None).await;
    assert_eq!(
        later.status(),
        200,
        "{}",
        later.text().await.unwrap_or_default()
    );
    app.stop().await;
}

#[tokio::test]
async fn a_second_voice_message_within_the_hour_is_refused() {
    let app = spawn_app().await;
    settings(
        &app,
        "default",
        json!({ "message_types": ["sms", "voice"], "selected_provider": "phone-message-hook" }),
    )
    .await;
    let mfa = Mfa::new(&app);
    let token = mfa.enroll("voice@example.com", "+15555550902").await;
    let list: Vec<Value> = app
        .http
        .get(app.url("/mfa/authenticators"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let voice = list
        .iter()
        .find(|a| a["oob_channel"] == "voice")
        .expect("voice authenticator");
    let voice_id = voice["id"].as_str().expect("id");
    assert_eq!(mfa.challenge(&token, Some(voice_id)).await.status(), 200);
    assert_eq!(latest(&app, "+15555550902").await["channel"], "voice");
    let second = mfa.challenge(&token, Some(voice_id)).await;
    assert_eq!(second.status(), 429);
    let body: Value = second.json().await.expect("json");
    assert!(
        body["error_description"]
            .as_str()
            .expect("text")
            .contains("voice"),
        "{body}"
    );
    // SMS is still allowed: only voice is capped at one an hour.
    assert_eq!(mfa.challenge(&token, None).await.status(), 200);
    advance(&app, "61m").await;
    let token = mfa.mfa_token("voice@example.com").await;
    assert_eq!(mfa.challenge(&token, Some(voice_id)).await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn the_built_in_provider_delivers_one_hundred_messages_ever() {
    let app = spawn_app().await;
    // Lift the per-user cap so one user can reach the tenant's lifetime cap.
    settings(
        &app,
        "default",
        json!({ "limits": { "per_user_per_hour": 1000 } }),
    )
    .await;
    let mfa = Mfa::new(&app);
    let token = mfa.enroll("many@example.com", "+15555550903").await;
    for n in 2..=100 {
        assert_eq!(
            mfa.challenge(&token, None).await.status(),
            200,
            "message {n}"
        );
    }
    assert_eq!(app.messages().await.len(), 100);
    let limits = app.get_json("/emulator/v1/limits").await;
    assert_eq!(
        limits["builtin_provider"],
        json!({ "used": 100, "cap": 100, "frees_at": null })
    );

    // The 101st: Auth0 answers as usual, but nothing arrives and the failure is logged.
    let response = mfa.challenge(&token, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.messages().await.len(),
        100,
        "the 101st was not delivered"
    );
    let failures = logs_of(&app, "gd_send_sms_failure").await;
    assert_eq!(failures.len(), 1);
    assert!(failures[0]["description"]
        .as_str()
        .expect("text")
        .contains("100 messages"));
    // Not even a year later: the cap is for the tenant's whole life.
    advance(&app, "365d").await;
    let token = mfa.mfa_token("many@example.com").await;
    mfa.challenge(&token, None).await;
    assert_eq!(app.messages().await.len(), 100);
    app.stop().await;
}
