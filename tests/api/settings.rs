//! Tenant settings are typed and bounded: a number out of its range is refused
//! with the field and the range, and a row an older version stored unchecked is
//! repaired, and reported, when the server starts.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_at, Process};
use crate::mfa::{latest_code, patch_settings, settings, verified_claims, Mfa};

#[tokio::test]
async fn each_overflowing_setting_is_refused_with_its_field_and_range() {
    let app = spawn_app().await;
    for (field, patch, range) in [
        (
            "code_lifetime_secs",
            json!({ "code_lifetime_secs": 9_223_372_036_854_776u64 }),
            "1 to 86400",
        ),
        (
            "mfa_token_lifetime_secs",
            json!({ "mfa_token_lifetime_secs": 9_223_372_036_854_776u64 }),
            "1 to 86400",
        ),
        (
            "access_token_lifetime_secs",
            json!({ "access_token_lifetime_secs": 9_223_372_036_854_776u64 }),
            "1 to 2592000",
        ),
        (
            "attempts_per_code",
            json!({ "attempts_per_code": 0 }),
            "1 to 1000",
        ),
        (
            "limits.failed_codes_refill_secs",
            json!({ "limits": { "failed_codes_refill_secs": u64::MAX } }),
            "1 to 31536000",
        ),
        (
            "limits.sends_burst",
            json!({ "limits": { "sends_burst": 4_294_967_296u64 } }),
            "0 to 1000000",
        ),
    ] {
        let (status, body) = patch_settings(&app, "default", patch).await;
        assert_eq!(status, 400, "{field}");
        assert_eq!(body["field"], format!("settings.{field}"), "{body}");
        assert!(
            body["message"].as_str().expect("message").contains(range),
            "{body}"
        );
    }
    for bad in [json!(-1), json!(1.5), json!("300"), json!(1e30)] {
        let (status, _) =
            patch_settings(&app, "default", json!({ "code_lifetime_secs": bad })).await;
        assert_eq!(status, 400, "{bad}");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_longest_lifetimes_allowed_still_issue_tokens_that_are_not_yet_expired() {
    let app = spawn_app().await;
    settings(
        &app,
        "default",
        json!({ "code_lifetime_secs": 86_400, "mfa_token_lifetime_secs": 86_400, "access_token_lifetime_secs": 2_592_000 }),
    )
    .await;
    let tokens = Mfa::new(&app)
        .sign_in("long@example.com", "+15555552201")
        .await;
    assert_eq!(tokens["expires_in"], 2_592_000);
    let claims = verified_claims(&app, tokens["access_token"].as_str().expect("token"))
        .await
        .expect("a valid, unexpired token");
    let lifetime = claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat");
    assert_eq!(lifetime, 2_592_000);
    app.stop().await;
}

/// Writes `settings` into the default tenant's row, as a version that checked
/// nothing could have.
async fn store_unchecked(db: &std::path::Path, settings: &Value) {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("opens");
    sqlx::query("UPDATE tenants SET settings = ? WHERE id = 'default'")
        .bind(settings.to_string())
        .execute(&pool)
        .await
        .expect("updates");
    pool.close().await;
}

#[tokio::test]
async fn settings_stored_unchecked_by_an_older_version_are_repaired_and_reported_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    let app = spawn_app_at(&db).await;
    let mut stored = app.get_json("/emulator/v1/tenants/default").await["settings"].clone();
    app.stop().await;

    let nested = format!(
        "{}{{{{code}}}}{}",
        "{% if true %}".repeat(450),
        "{% endif %}".repeat(450)
    );
    stored["code_lifetime_secs"] = json!(9_223_372_036_854_776u64);
    stored["templates"]["enrollment_message"] = json!(nested);
    stored["templates"]["verification_message"] = json!("{% include 'x' %}");
    stored["languages"]["default"] = json!("fr");
    stored["message_types"] = json!(["sms", "voice"]);
    store_unchecked(&db, &stored).await;

    let server = Process::start(
        &["--db".as_ref(), db.as_os_str()],
        &[],
        &dir.path().join("server.log"),
    )
    .await
    .expect("a bad row does not stop the server");
    let log = server.log_text();
    for field in [
        "settings.code_lifetime_secs",
        "settings.templates.enrollment_message",
        "settings.templates.verification_message",
        "settings.languages",
    ] {
        assert!(
            log.contains(&format!("tenant=default field={field}")),
            "{field} not reported:\n{log}"
        );
    }
    let http = reqwest::Client::new();
    let tenant: Value = http
        .get(format!("{}/emulator/v1/tenants/default", server.base))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let repaired = &tenant["settings"];
    assert_eq!(repaired["code_lifetime_secs"], 300);
    assert_eq!(
        repaired["templates"],
        json!({ "enrollment_message": null, "verification_message": null })
    );
    assert_eq!(
        repaired["message_types"],
        json!(["sms", "voice"]),
        "good fields are kept"
    );
    assert_eq!(server.terminate().await, Some(0));

    // And the repaired tenant serves a login at once.
    let app = spawn_app_at(&db).await;
    let mfa = Mfa::new(&app);
    let token = mfa.mfa_token("repaired@example.com").await;
    assert_eq!(
        mfa.associate(&token, "+15555552202", "sms").await.status(),
        200
    );
    latest_code(&app, "+15555552202").await;
    app.stop().await;
}

#[tokio::test]
async fn the_clock_cannot_be_advanced_past_a_century() {
    let app = spawn_app().await;
    let advance = |by: &'static str| {
        app.http
            .post(app.url("/emulator/v1/clock/advance"))
            .json(&json!({ "by": by }))
            .send()
    };
    for _ in 0..100 {
        assert_eq!(advance("365d").await.expect("sent").status(), 200);
    }
    let refused = advance("365d").await.expect("sent");
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.expect("json");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("100 years"),
        "{body}"
    );
    // Times built on the clock still work at the edge.
    let mfa = Mfa::new(&app);
    assert!(!mfa.mfa_token("future@example.com").await.is_empty());
    app.stop().await;
}

/// The limits of the rolling-window model (before Auth0's buckets) and the per-code
/// cap that was on by default are dropped at start, each reported; what still means
/// the same is kept.
#[tokio::test]
async fn limits_saved_by_the_window_model_give_way_to_auth0s_buckets_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    let app = spawn_app_at(&db).await;
    let mut stored = app.get_json("/emulator/v1/tenants/default").await["settings"].clone();
    app.stop().await;
    stored["limits"] = json!({
        "per_user_per_hour": 3,
        "voice_per_hour": 1,
        "builtin_lifetime": 50,
        "max_failed_codes": 3,
        "failed_code_lockout_secs": 900
    });
    stored
        .as_object_mut()
        .expect("object")
        .remove("attempts_per_code");
    stored["code_attempts"] = json!(5);
    store_unchecked(&db, &stored).await;

    let server = Process::start(
        &["--db".as_ref(), db.as_os_str()],
        &[],
        &dir.path().join("server.log"),
    )
    .await
    .expect("starts");
    let log = server.log_text();
    for field in [
        "settings.limits.per_user_per_hour",
        "settings.code_attempts",
    ] {
        assert!(log.contains(field), "{field} not reported:\n{log}");
    }
    let tenant: Value = reqwest::Client::new()
        .get(format!("{}/emulator/v1/tenants/default", server.base))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let settings = &tenant["settings"];
    assert_eq!(settings["limits"]["sends_burst"], 10);
    assert_eq!(settings["limits"]["failed_codes_refill_secs"], 360);
    assert_eq!(settings["limits"]["builtin_lifetime"], 50, "kept");
    assert_eq!(
        settings["attempts_per_code"],
        Value::Null,
        "off, as in Auth0"
    );
    assert_eq!(server.terminate().await, Some(0));
}
