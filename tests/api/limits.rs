//! Auth0's limits, biting at Auth0's counts: a send bucket of 10 per user refilled
//! one an hour (SMS and voice together), a wrong-code bucket of 10 refilled one
//! every six minutes, and 100 messages in a tenant's life on the built-in provider.

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

/// The user's buckets as `GET /emulator/v1/limits` shows them.
async fn buckets(app: &TestApp, user_id: &str) -> Value {
    let view = app
        .get_json(&format!(
            "/emulator/v1/limits?user_id={}",
            user_id.replace('|', "%7C")
        ))
        .await;
    view["users"][0].clone()
}

/// Auth0, "Enroll and challenge SMS and voice authenticators": "SMS codes can be sent
/// 10 times and refill once per hour".
#[tokio::test]
async fn sms_codes_can_be_sent_ten_times_and_refill_once_per_hour() {
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
    let sends = &buckets(&app, &user_id).await["sends"];
    assert_eq!(sends["tokens"], 0);
    assert_eq!(sends["burst"], 10);
    assert_eq!(sends["refill_secs"], 3600);
    assert!(sends["next_refill_at"].is_string(), "{sends}");

    advance(&app, "59m").await;
    // The mfa_token lives ten minutes: a new login brings a new one.
    let token = mfa.mfa_token("busy@example.com").await;
    assert_eq!(
        mfa.challenge(&token, None).await.status(),
        429,
        "not refilled yet"
    );
    advance(&app, "1m").await;
    let later = mfa.challenge(&token, None).await;
    assert_eq!(
        later.status(),
        200,
        "{}",
        later.text().await.unwrap_or_default()
    );
    assert_eq!(
        mfa.challenge(&token, None).await.status(),
        429,
        "one came back in the hour, not ten"
    );
    advance(&app, "3h").await;
    let token = mfa.mfa_token("busy@example.com").await;
    for n in 1..=3 {
        assert_eq!(
            mfa.challenge(&token, None).await.status(),
            200,
            "refill {n}"
        );
    }
    assert_eq!(mfa.challenge(&token, None).await.status(), 429);
    app.stop().await;
}

/// Auth0: SMS and voice draw from one bucket; "only 1 voice message per hour will be
/// sent for new requests" is the refill after the burst, not a second cap.
#[tokio::test]
async fn sms_and_voice_share_one_send_bucket() {
    let app = spawn_app().await;
    settings(
        &app,
        "default",
        json!({ "message_types": ["sms", "voice"], "selected_provider": "phone-message-hook" }),
    )
    .await;
    let mfa = Mfa::new(&app);
    let token = mfa.enroll("voice@example.com", "+15555550902").await; // SMS 1
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
    for n in 2..=6 {
        assert_eq!(
            mfa.challenge(&token, Some(voice_id)).await.status(),
            200,
            "voice call {n}: no second cap on voice"
        );
    }
    assert_eq!(latest(&app, "+15555550902").await["channel"], "voice");
    for n in 7..=10 {
        assert_eq!(mfa.challenge(&token, None).await.status(), 200, "SMS {n}");
    }
    let eleventh = mfa.challenge(&token, Some(voice_id)).await;
    assert_eq!(eleventh.status(), 429, "the shared bucket is empty");
    assert_eq!(mfa.challenge(&token, None).await.status(), 429);
    advance(&app, "1h").await;
    let token = mfa.mfa_token("voice@example.com").await;
    assert_eq!(mfa.challenge(&token, Some(voice_id)).await.status(), 200);
    assert_eq!(mfa.challenge(&token, None).await.status(), 429);
    app.stop().await;
}

/// Auth0: "invalid codes can be returned 10 times and refill once every six minutes".
#[tokio::test]
async fn invalid_codes_can_be_returned_ten_times_and_refill_once_every_six_minutes() {
    let app = spawn_app().await;
    let mfa = Mfa::new(&app);
    let email = "typo@example.com";
    let phone = "+15555550904";
    let token = mfa.enroll(email, phone).await;
    let challenged: Value = mfa
        .challenge(&token, None)
        .await
        .json()
        .await
        .expect("json");
    let oob = challenged["oob_code"]
        .as_str()
        .expect("oob_code")
        .to_owned();
    let code = crate::mfa::latest_code(&app, phone).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for n in 1..=10 {
        let response = mfa.oob_grant(&token, &oob, wrong).await;
        let body: Value = response.json().await.expect("json");
        assert_eq!(
            body["error_description"], "Invalid binding_code.",
            "wrong code {n}: still checked (no per-code cap by default)"
        );
    }
    let refused = mfa.oob_grant(&token, &oob, &code).await;
    assert_eq!(refused.status(), 429, "even the right code waits");
    assert_eq!(
        refused.json::<Value>().await.expect("json")["error_description"],
        "Too many failed codes. Wait for some minutes before retrying."
    );
    let user_id = logs_of(&app, "gd_auth_failed").await[0]["user_id"]
        .as_str()
        .expect("user")
        .to_owned();
    let failed = &buckets(&app, &user_id).await["failed_codes"];
    assert_eq!(
        (failed["tokens"].as_u64(), failed["refill_secs"].as_u64()),
        (Some(0), Some(360))
    );
    advance(&app, "5m").await;
    assert_eq!(mfa.oob_grant(&token, &oob, &code).await.status(), 429);
    advance(&app, "1m").await;
    // That code has expired meanwhile (five minutes): a new one, checked.
    let challenged: Value = mfa
        .challenge(&token, None)
        .await
        .json()
        .await
        .expect("json");
    let oob = challenged["oob_code"].as_str().expect("oob_code");
    let code = crate::mfa::latest_code(&app, phone).await;
    let signed_in = mfa.oob_grant(&token, oob, &code).await;
    assert_eq!(
        signed_in.status(),
        200,
        "six minutes give one check back: {}",
        signed_in.text().await.unwrap_or_default()
    );
    app.stop().await;
}

/// Auth0 documents no cap on checks of one code; Phonebox's is off unless set.
#[tokio::test]
async fn a_per_code_attempt_cap_applies_only_when_set() {
    let app = spawn_app().await;
    settings(&app, "default", json!({ "attempts_per_code": 2 })).await;
    let mfa = Mfa::new(&app);
    let phone = "+15555550905";
    let token = mfa.mfa_token("capped@example.com").await;
    let associated: Value = mfa
        .associate(&token, phone, "sms")
        .await
        .json()
        .await
        .expect("json");
    let oob = associated["oob_code"]
        .as_str()
        .expect("oob_code")
        .to_owned();
    let code = crate::mfa::latest_code(&app, phone).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(mfa.oob_grant(&token, &oob, wrong).await.status(), 403);
    let second = mfa.oob_grant(&token, &oob, wrong).await;
    assert_eq!(second.status(), 403);
    let expired = mfa.oob_grant(&token, &oob, &code).await;
    assert_eq!(expired.status(), 403, "two attempts used the code up");
    assert_eq!(
        expired.json::<Value>().await.expect("json")["error"],
        "expired_token"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_built_in_provider_delivers_one_hundred_messages_ever() {
    let app = spawn_app().await;
    // Lift the per-user bucket so one user can reach the tenant's lifetime cap.
    settings(
        &app,
        "default",
        json!({ "limits": { "sends_burst": 1000 } }),
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
        json!({ "used": 100, "cap": 100 })
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
