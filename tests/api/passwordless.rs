//! SMS passwordless as Auth0 documents it ("Passwordless: get code or link",
//! "Authenticate user", "Passwordless best practices"): the code goes through the
//! tenant's phone provider, the OTP grant signs in and creates the user on first
//! login, only the latest code counts, three tries, three minutes, 50 starts an
//! hour per IP.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{all_at_once, spawn_app, TestApp};
use crate::mfa::{latest, latest_code, logs_of, settings, verified_claims, CLIENT};
use crate::tenant_delivery::webhook;

const OTP: &str = "http://auth0.com/oauth/grant-type/passwordless/otp";

async fn start(app: &TestApp, body: Value) -> reqwest::Response {
    app.http
        .post(app.url("/passwordless/start"))
        .json(&body)
        .send()
        .await
        .expect("sent")
}

pub async fn start_sms(app: &TestApp, phone: &str) -> reqwest::Response {
    start(
        app,
        json!({ "client_id": CLIENT, "connection": "sms", "phone_number": phone, "send": "code" }),
    )
    .await
}

pub async fn otp(app: &TestApp, phone: &str, code: &str) -> reqwest::Response {
    app.http
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", OTP),
            ("client_id", CLIENT),
            ("username", phone),
            ("otp", code),
            ("realm", "sms"),
            ("scope", "openid"),
        ])
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn passwordless_start_sends_an_sms_code_and_the_otp_grant_signs_in_creating_the_user() {
    let app = spawn_app().await;
    let phone = "+15550002001";
    let started = start_sms(&app, phone).await;
    assert_eq!(started.status(), 200);
    let started: Value = started.json().await.expect("json");
    assert_eq!(started["phone_number"], phone);
    assert!(started["_id"].is_string());
    let sent = latest(&app, phone).await;
    let code = sent["code"].as_str().expect("code").to_owned();
    assert_eq!(sent["text"], format!("Your verification code is: {code}"));
    assert_eq!(logs_of(&app, "cs").await.len(), 1);
    let users = app.get_json("/emulator/v1/tenants/default/users").await;
    assert_eq!(users, json!([]), "no user before the first login");

    let granted = otp(&app, phone, &code).await;
    assert_eq!(granted.status(), 200);
    let tokens: Value = granted.json().await.expect("json");
    let id = verified_claims(&app, tokens["id_token"].as_str().expect("id token"))
        .await
        .expect("verifies");
    assert_eq!(id["phone_number"], phone);
    let user_id = id["sub"].as_str().expect("sub").to_owned();
    assert!(user_id.starts_with("sms|"), "{user_id}");
    assert_eq!(
        sent["user_id"],
        user_id.as_str(),
        "the message named the user to be"
    );
    let logins = logs_of(&app, "s").await;
    assert_eq!(logins.len(), 1);
    assert_eq!(logins[0]["user_id"], user_id.as_str());

    // A second login finds the same user.
    start_sms(&app, phone).await;
    let code = latest_code(&app, phone).await;
    let again: Value = otp(&app, phone, &code).await.json().await.expect("json");
    let id = verified_claims(&app, again["id_token"].as_str().expect("id"))
        .await
        .expect("verifies");
    assert_eq!(id["sub"], user_id.as_str());
    let users = app.get_json("/emulator/v1/tenants/default/users").await;
    assert_eq!(users.as_array().map(Vec::len), Some(1));
    app.stop().await;
}

#[tokio::test]
async fn only_the_latest_passwordless_code_is_valid_and_three_wrong_tries_spend_it() {
    let app = spawn_app().await;
    let phone = "+15550002002";
    start_sms(&app, phone).await;
    let first = latest_code(&app, phone).await;
    start_sms(&app, phone).await;
    let second = latest_code(&app, phone).await;
    if first != second {
        let stale = otp(&app, phone, &first).await;
        assert_eq!(stale.status(), 403);
        assert_eq!(
            stale.json::<Value>().await.expect("json"),
            json!({ "error": "invalid_grant", "error_description": "Wrong phone number or verification code." })
        );
    }
    start_sms(&app, phone).await;
    let code = latest_code(&app, phone).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..3 {
        assert_eq!(otp(&app, phone, wrong).await.status(), 403);
    }
    assert_eq!(
        otp(&app, phone, &code).await.status(),
        403,
        "three wrong tries spent the code"
    );
    assert!(logs_of(&app, "fepotpft").await.len() >= 4);
    app.stop().await;
}

#[tokio::test]
async fn a_passwordless_code_lives_three_minutes() {
    let app = spawn_app().await;
    let phone = "+15550002003";
    start_sms(&app, phone).await;
    let code = latest_code(&app, phone).await;
    app.http
        .post(app.url("/emulator/v1/clock/advance"))
        .json(&json!({ "by": "181s" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(otp(&app, phone, &code).await.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn one_passwordless_code_signs_in_once_when_many_use_it_at_once() {
    let app = spawn_app().await;
    let phone = "+15550002004";
    start_sms(&app, phone).await;
    let code = latest_code(&app, phone).await;
    let requests = (0..10)
        .map(|_| {
            app.http.post(app.url("/oauth/token")).form(&[
                ("grant_type", OTP),
                ("client_id", CLIENT),
                ("username", phone),
                ("otp", code.as_str()),
                ("realm", "sms"),
            ])
        })
        .collect();
    let statuses: Vec<u16> = all_at_once(requests)
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 403),
        "{statuses:?}"
    );
    let users = app.get_json("/emulator/v1/tenants/default/users").await;
    assert_eq!(users.as_array().map(Vec::len), Some(1), "one user made");
}

#[tokio::test]
async fn passwordless_start_answers_auth0_s_errors_and_sends_nothing() {
    let app = spawn_app().await;
    for (body, error, description) in [
        (
            json!({ "connection": "sms", "phone_number": "+15550002005" }),
            "bad.client_id",
            "Missing required property: client_id",
        ),
        (
            json!({ "client_id": CLIENT, "phone_number": "+15550002005" }),
            "bad.connection",
            "Missing required property: connection",
        ),
        (
            json!({ "client_id": CLIENT, "connection": "email", "email": "a@b.c" }),
            "bad.connection",
            "Connection does not exist",
        ),
        (
            json!({ "client_id": CLIENT, "connection": "sms" }),
            "bad.phone_number",
            "Missing required property: phone_number",
        ),
        (
            json!({ "client_id": CLIENT, "connection": "sms", "phone_number": "5550002005" }),
            "bad.phone_number",
            "String does not match pattern: ^\\+[0-9]{1,15}$",
        ),
        (
            json!({ "client_id": CLIENT, "connection": "sms", "phone_number": "+15550002005", "authParams": "x" }),
            "bad.authParams",
            "error in authParams - invalid type: string (expected object)",
        ),
        (
            json!({ "client_id": CLIENT, "connection": "sms", "phone_number": "+15550002005", "colour": "red" }),
            "bad.request",
            "the following properties are not allowed: colour",
        ),
    ] {
        let response = start(&app, body.clone()).await;
        assert_eq!(response.status(), 400, "{body}");
        assert_eq!(
            response.json::<Value>().await.expect("json"),
            json!({ "error": error, "error_description": description }),
            "{body}"
        );
    }
    assert!(app.messages().await.is_empty());
    let missing = app
        .http
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", OTP),
            ("client_id", CLIENT),
            ("username", "+15550002005"),
            ("otp", "1"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(
        missing.json::<Value>().await.expect("json")["error_description"],
        "Missing required parameter: realm"
    );
    app.stop().await;
}

#[tokio::test]
async fn passwordless_start_allows_50_an_hour_per_ip() {
    let app = spawn_app().await;
    settings(
        &app,
        "default",
        json!({ "limits": { "builtin_lifetime": 1000 } }),
    )
    .await;
    for i in 0..50 {
        let phone = format!("+1555001{i:04}");
        assert_eq!(start_sms(&app, &phone).await.status(), 200, "start {i}");
    }
    let refused = start_sms(&app, "+15550019999").await;
    assert_eq!(refused.status(), 429);
    assert_eq!(
        refused.json::<Value>().await.expect("json")["error"],
        "too_many_requests"
    );
    app.http
        .post(app.url("/emulator/v1/clock/advance"))
        .json(&json!({ "by": "72s" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        start_sms(&app, "+15550019999").await.status(),
        200,
        "one back"
    );
    app.stop().await;
}

#[tokio::test]
async fn passwordless_goes_through_the_custom_phone_provider_as_otp_verify_with_the_caller_ip() {
    let app = spawn_app().await;
    let (url, seen) = webhook(StatusCode::OK).await;
    settings(&app, "default", json!({ "custom": { "url": url } })).await;
    crate::helpers::use_custom_provider(&app, "default", &["text"]).await;
    assert_eq!(start_sms(&app, "+15550002006").await.status(), 200);
    let event = seen.lock().expect("lock").pop().expect("event");
    assert_eq!(event["notification"]["message_type"], "otp_verify");
    assert_eq!(event["notification"]["recipient"], "+15550002006");
    assert_eq!(event["request"]["ip"], "127.0.0.1", "the caller's address");
    assert_eq!(event["user"]["phone_number"], "+15550002006");
    assert_eq!(logs_of(&app, "cs").await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_database_user_with_the_same_phone_is_not_signed_in_by_sms() {
    let app = spawn_app().await;
    let phone = "+15550002007";
    let created = app
        .http
        .post(app.url("/api/v2/users"))
        .bearer_auth("mgmt")
        .json(&json!({ "connection": "Username-Password-Authentication", "email": "db@example.com", "password": "pw", "phone_number": phone }))
        .send()
        .await
        .expect("sent");
    assert_eq!(created.status(), 201);
    start_sms(&app, phone).await;
    let code = latest_code(&app, phone).await;
    let tokens: Value = otp(&app, phone, &code).await.json().await.expect("json");
    let id = verified_claims(&app, tokens["id_token"].as_str().expect("id"))
        .await
        .expect("verifies");
    assert!(id["sub"].as_str().expect("sub").starts_with("sms|"), "{id}");
    app.stop().await;
}

#[tokio::test]
async fn a_pending_user_id_another_user_took_meanwhile_is_not_reused() {
    let app = spawn_app().await;
    let (first, second) = ("+15550002008", "+15550002009");
    let created: Value = app
        .http
        .post(app.url("/api/v2/users"))
        .bearer_auth("mgmt")
        .json(&json!({ "connection": "sms", "phone_number": first, "user_id": "fixed1" }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(created["user_id"], "sms|fixed1");
    start_sms(&app, first).await;
    let moved = app
        .http
        .patch(app.url("/api/v2/users/sms%7Cfixed1"))
        .bearer_auth("mgmt")
        .json(&json!({ "phone_number": second }))
        .send()
        .await
        .expect("sent");
    assert_eq!(moved.status(), 200);
    start_sms(&app, first).await;
    let code = latest_code(&app, first).await;
    let granted = otp(&app, first, &code).await;
    assert_eq!(granted.status(), 200, "a new user, not a clash");
    let tokens: Value = granted.json().await.expect("json");
    let id = verified_claims(&app, tokens["id_token"].as_str().expect("id"))
        .await
        .expect("verifies");
    assert_ne!(id["sub"], "sms|fixed1");
    app.stop().await;
}

#[tokio::test]
async fn starts_fired_at_once_pass_the_per_ip_limit_exactly_50_times() {
    let app = spawn_app().await;
    settings(
        &app,
        "default",
        json!({ "limits": { "builtin_lifetime": 1000 } }),
    )
    .await;
    let requests = (0..60)
        .map(|i| {
            app.http.post(app.url("/passwordless/start")).json(&json!({
                "client_id": CLIENT, "connection": "sms", "send": "code",
                "phone_number": format!("+1555002{i:04}"),
            }))
        })
        .collect();
    let answers = all_at_once(requests).await;
    let sent = answers.iter().filter(|(s, _)| *s == 200).count();
    let refused = answers.iter().filter(|(s, _)| *s == 429).count();
    assert_eq!((sent, refused), (50, 10), "{answers:?}");
    assert_eq!(
        app.messages().await.len(),
        50,
        "a refused start sends nothing"
    );
    app.stop().await;
}
