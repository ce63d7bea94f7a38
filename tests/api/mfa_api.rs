//! Auth0's MFA API beyond the first login ("Manage authenticator factors",
//! "Challenge with recovery codes"): access tokens for the `/mfa/` audience and
//! their scopes, a second phone, the recovery-code grant, and what each token may do.

use serde_json::{json, Value};

use crate::helpers::{all_at_once, spawn_app, TestApp};
use crate::mfa::{latest_code, logs_of, settings, verified_claims, Mfa, CLIENT};

const RECOVERY: &str = "http://auth0.com/oauth/grant-type/mfa-recovery-code";
const ALL_SCOPES: &str = "openid enroll read:authenticators remove:authenticators";

/// `https://{domain}/mfa/` as a script written for Auth0 spells it.
fn mfa_audience(app: &TestApp) -> String {
    format!("{}/mfa/", app.url("").replace("http://", "https://"))
}

/// Signs `email` in by SMS for the MFA API's audience with `scope`: the grant's
/// tokens, and the recovery code the first association gave.
async fn mfa_api_tokens(app: &TestApp, email: &str, phone: &str, scope: &str) -> (Value, String) {
    let mfa = Mfa::new(app);
    let audience = mfa_audience(app);
    let required = mfa
        .token_request(&[
            ("grant_type", "password"),
            ("client_id", CLIENT),
            ("username", email),
            ("password", "pw"),
            ("audience", &audience),
            ("scope", scope),
        ])
        .await;
    assert_eq!(required.status(), 403);
    let required: Value = required.json().await.expect("json");
    let token = required["mfa_token"].as_str().expect("mfa_token");
    let associated: Value = mfa
        .associate(token, phone, "sms")
        .await
        .json()
        .await
        .expect("json");
    let recovery = associated["recovery_codes"][0]
        .as_str()
        .expect("recovery code")
        .to_owned();
    let code = latest_code(app, phone).await;
    let granted = mfa
        .oob_grant(token, associated["oob_code"].as_str().expect("oob"), &code)
        .await;
    assert_eq!(granted.status(), 200);
    (granted.json().await.expect("json"), recovery)
}

async fn list(app: &TestApp, bearer: &str) -> reqwest::Response {
    app.http
        .get(app.url("/mfa/authenticators"))
        .bearer_auth(bearer)
        .send()
        .await
        .expect("sent")
}

async fn remove(app: &TestApp, bearer: &str, id: &str) -> reqwest::Response {
    app.http
        .delete(app.url(&format!("/mfa/authenticators/{}", id.replace('|', "%7C"))))
        .bearer_auth(bearer)
        .send()
        .await
        .expect("sent")
}

fn ids(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|a| a["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn tokens_for_the_mfa_audience_live_600_seconds_with_the_scopes_asked_for() {
    let app = spawn_app().await;
    let (tokens, _) = mfa_api_tokens(&app, "aud@example.com", "+15550001001", ALL_SCOPES).await;
    assert_eq!(tokens["expires_in"], 600, "{tokens}");
    assert_eq!(tokens["scope"], ALL_SCOPES);
    let claims = verified_claims(&app, tokens["access_token"].as_str().expect("at"))
        .await
        .expect("verifies");
    let audience = mfa_audience(&app);
    assert!(
        claims["aud"]
            .as_array()
            .is_some_and(|a| a.contains(&json!(audience))),
        "{claims}"
    );
    assert_eq!(
        claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"),
        600
    );
    app.stop().await;
}

#[tokio::test]
async fn an_mfa_token_lists_authenticators_but_cannot_remove_them() {
    let app = spawn_app().await;
    let mfa = Mfa::new(&app);
    let token = mfa.enroll("list@example.com", "+15555558730").await;
    let listed = list(&app, &token).await;
    assert_eq!(listed.status(), 200);
    let listed: Vec<Value> = listed.json().await.expect("json");
    let sms = ids(&listed)
        .into_iter()
        .find(|id| id.starts_with("sms|"))
        .expect("sms authenticator");
    let refused = remove(&app, &token, &sms).await;
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused.json::<Value>().await.expect("json")["error"],
        "invalid_grant"
    );
    assert_eq!(
        list(&app, &token)
            .await
            .json::<Vec<Value>>()
            .await
            .expect("json")
            .len(),
        listed.len()
    );
    assert!(logs_of(&app, "gd_unenroll").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn authenticators_list_the_voice_twin_only_when_voice_is_enabled_with_masked_names() {
    let app = spawn_app().await;
    let token = Mfa::new(&app)
        .enroll("twin@example.com", "+15555558730")
        .await;
    let kinds = |list: Vec<Value>| -> Vec<String> {
        ids(&list)
            .iter()
            .map(|id| id.split('|').next().expect("kind").to_owned())
            .collect()
    };
    let sms_only: Vec<Value> = list(&app, &token).await.json().await.expect("json");
    assert_eq!(kinds(sms_only.clone()), ["recovery-code", "sms"]);
    assert_eq!(sms_only[1]["name"], "XXXXXXXX8730", "{sms_only:?}");
    assert_eq!(sms_only[1]["oob_channel"], "sms");
    settings(
        &app,
        "default",
        json!({ "message_types": ["sms", "voice"] }),
    )
    .await;
    let both: Vec<Value> = list(&app, &token).await.json().await.expect("json");
    assert_eq!(kinds(both.clone()), ["recovery-code", "sms", "voice"]);
    assert_eq!(both[2]["name"], "XXXXXXXX8730");
    app.stop().await;
}

#[tokio::test]
async fn an_access_token_for_the_mfa_audience_removes_authenticators_only_with_its_scope() {
    let app = spawn_app().await;
    let (read_only, _) = mfa_api_tokens(
        &app,
        "scoped@example.com",
        "+15550001002",
        "read:authenticators",
    )
    .await;
    let read_only = read_only["access_token"].as_str().expect("at").to_owned();
    let listed: Vec<Value> = list(&app, &read_only).await.json().await.expect("json");
    let sms = ids(&listed)
        .into_iter()
        .find(|id| id.starts_with("sms|"))
        .expect("sms");
    let refused = remove(&app, &read_only, &sms).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(
        refused.json::<Value>().await.expect("json"),
        json!({ "error": "insufficient_scope", "error_description": "Insufficient scope, expected any of: remove:authenticators" })
    );

    let (full, _) = mfa_api_tokens(&app, "full@example.com", "+15550001003", ALL_SCOPES).await;
    let full = full["access_token"].as_str().expect("at").to_owned();
    let listed: Vec<Value> = list(&app, &full).await.json().await.expect("json");
    let sms = ids(&listed)
        .into_iter()
        .find(|id| id.starts_with("sms|"))
        .expect("sms");
    assert_eq!(remove(&app, &full, &sms).await.status(), 204);
    let left: Vec<Value> = list(&app, &full).await.json().await.expect("json");
    assert_eq!(
        ids(&left).len(),
        1,
        "only the recovery code is left: {left:?}"
    );
    assert_eq!(logs_of(&app, "gd_unenroll").await.len(), 1);

    // A token without read:authenticators cannot list.
    let (enroll_only, _) =
        mfa_api_tokens(&app, "enroll@example.com", "+15550001004", "enroll").await;
    let refused = list(&app, enroll_only["access_token"].as_str().expect("at")).await;
    assert_eq!(refused.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn an_enrolled_user_adds_a_second_phone_with_an_enroll_scoped_access_token() {
    let app = spawn_app().await;
    let mfa = Mfa::new(&app);
    let (tokens, _) = mfa_api_tokens(&app, "two@example.com", "+15550001005", ALL_SCOPES).await;
    let access = tokens["access_token"].as_str().expect("at").to_owned();

    // An mfa_token may enroll only the first authenticator.
    let token = mfa.mfa_token("two@example.com").await;
    let refused = mfa.associate(&token, "+15550001006", "sms").await;
    assert_eq!(refused.status(), 403);
    assert_eq!(
        refused.json::<Value>().await.expect("json")["error_description"],
        "User is already enrolled."
    );

    let second = mfa.associate(&access, "+15550001006", "sms").await;
    assert_eq!(second.status(), 200);
    let second: Value = second.json().await.expect("json");
    assert!(
        second.get("recovery_codes").is_none(),
        "only the first association has one: {second}"
    );
    let code = latest_code(&app, "+15550001006").await;
    let confirmed = mfa
        .oob_grant(&access, second["oob_code"].as_str().expect("oob"), &code)
        .await;
    assert_eq!(confirmed.status(), 200);
    let listed: Vec<Value> = list(&app, &access).await.json().await.expect("json");
    let phones: Vec<&Value> = listed
        .iter()
        .filter(|a| a["oob_channel"] == "sms")
        .collect();
    assert_eq!(phones.len(), 2, "{listed:?}");
    assert!(phones.iter().all(|a| a["active"] == true));
    app.stop().await;
}

#[tokio::test]
async fn client_id_is_required_on_mfa_challenge_and_the_oob_grant() {
    let app = spawn_app().await;
    let mfa = Mfa::new(&app);
    let token = mfa.enroll("cid@example.com", "+15550001007").await;
    let before = app.messages().await.len();
    let challenge = app
        .http
        .post(app.url("/mfa/challenge"))
        .json(&json!({ "mfa_token": token, "challenge_type": "oob" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(challenge.status(), 400);
    assert_eq!(
        challenge.json::<Value>().await.expect("json"),
        json!({ "error": "invalid_request", "error_description": "Missing required parameter: client_id" })
    );
    assert_eq!(app.messages().await.len(), before, "nothing was sent");

    let sent: Value = mfa
        .challenge(&token, None)
        .await
        .json()
        .await
        .expect("json");
    let code = latest_code(&app, "+15550001007").await;
    let grant = mfa
        .token_request(&[
            ("grant_type", "http://auth0.com/oauth/grant-type/mfa-oob"),
            ("mfa_token", &token),
            ("oob_code", sent["oob_code"].as_str().expect("oob")),
            ("binding_code", &code),
        ])
        .await;
    assert_eq!(grant.status(), 400);
    assert_eq!(
        grant.json::<Value>().await.expect("json")["error_description"],
        "Missing required parameter: client_id"
    );
    // The code is still good for a request that names its client.
    let granted = mfa
        .oob_grant(&token, sent["oob_code"].as_str().expect("oob"), &code)
        .await;
    assert_eq!(granted.status(), 200);
    app.stop().await;
}

async fn recovery_grant(app: &TestApp, token: &str, code: &str) -> reqwest::Response {
    Mfa::new(app)
        .token_request(&[
            ("grant_type", RECOVERY),
            ("client_id", CLIENT),
            ("mfa_token", token),
            ("recovery_code", code),
        ])
        .await
}

/// A user enrolled by SMS, and the recovery code their association gave.
async fn enrolled_with_recovery(app: &TestApp, email: &str, phone: &str) -> String {
    let (_, recovery) = mfa_api_tokens(app, email, phone, "openid").await;
    recovery
}

#[tokio::test]
async fn the_recovery_code_grant_signs_in_and_returns_a_new_recovery_code() {
    let app = spawn_app().await;
    let mfa = Mfa::new(&app);
    let first = enrolled_with_recovery(&app, "lost@example.com", "+15550001008").await;
    let token = mfa.mfa_token("lost@example.com").await;

    let wrong = recovery_grant(&app, &token, "AAAAAAAAAAAAAAAAAAAAAAAA").await;
    assert_eq!(wrong.status(), 403);
    assert_eq!(
        wrong.json::<Value>().await.expect("json"),
        json!({ "error": "invalid_grant", "error_description": "MFA Authorization rejected." })
    );
    assert_eq!(logs_of(&app, "fercft").await.len(), 1);
    assert_eq!(logs_of(&app, "gd_recovery_failed").await.len(), 1);

    let granted = recovery_grant(&app, &token, &first).await;
    assert_eq!(granted.status(), 200);
    let granted: Value = granted.json().await.expect("json");
    let next = granted["recovery_code"]
        .as_str()
        .expect("new code")
        .to_owned();
    assert_eq!(next.len(), 24);
    assert_ne!(next, first);
    let claims = verified_claims(&app, granted["access_token"].as_str().expect("at"))
        .await
        .expect("verifies");
    assert_eq!(claims["amr"], json!(["pwd", "mfa"]));
    assert_eq!(logs_of(&app, "sercft").await.len(), 1);
    assert_eq!(logs_of(&app, "gd_recovery_succeed").await.len(), 1);

    // The used code is spent; the new one works once.
    assert_eq!(recovery_grant(&app, &token, &first).await.status(), 403);
    assert_eq!(recovery_grant(&app, &token, &next).await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn one_recovery_code_signs_in_once_when_spent_by_many_at_once() {
    let app = spawn_app().await;
    let code = enrolled_with_recovery(&app, "race@example.com", "+15550001009").await;
    let token = Mfa::new(&app).mfa_token("race@example.com").await;
    let requests = (0..10)
        .map(|_| {
            app.http.post(app.url("/oauth/token")).form(&[
                ("grant_type", RECOVERY),
                ("client_id", CLIENT),
                ("mfa_token", token.as_str()),
                ("recovery_code", code.as_str()),
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
    assert_eq!(logs_of(&app, "sercft").await.len(), 1);
}

#[tokio::test]
async fn a_password_grant_that_needs_no_mfa_logs_a_successful_exchange_sepft() {
    let app = spawn_app().await;
    settings(&app, "default", json!({ "mfa_policy": "never" })).await;
    let response = Mfa::new(&app)
        .token_request(&[
            ("grant_type", "password"),
            ("client_id", CLIENT),
            ("username", "plain@example.com"),
            ("password", "pw"),
        ])
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(logs_of(&app, "sepft").await.len(), 1);
    assert!(logs_of(&app, "s").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn only_a_login_that_passed_mfa_gets_a_token_the_mfa_api_takes() {
    let app = spawn_app().await;
    let mfa = Mfa::new(&app);
    mfa.enroll("guarded@example.com", "+15550001010").await;
    // Passwordless does not pass MFA: no MFA API token.
    let otp = mfa
        .token_request(&[
            (
                "grant_type",
                "http://auth0.com/oauth/grant-type/passwordless/otp",
            ),
            ("client_id", CLIENT),
            ("username", "+15550001010"),
            ("otp", "000000"),
            ("realm", "sms"),
            ("audience", &mfa_audience(&app)),
        ])
        .await;
    assert_eq!(otp.status(), 403);
    // With the phone factor off, a password login for the MFA audience passes no
    // MFA: its token is refused by the MFA API.
    settings(&app, "default", json!({ "phone_enabled": false })).await;
    let tokens: Value = mfa
        .token_request(&[
            ("grant_type", "password"),
            ("client_id", CLIENT),
            ("username", "guarded@example.com"),
            ("password", "pw"),
            ("audience", &mfa_audience(&app)),
            ("scope", ALL_SCOPES),
        ])
        .await
        .json()
        .await
        .expect("json");
    let token = tokens["access_token"].as_str().expect("token");
    assert_eq!(list(&app, token).await.status(), 401);
    app.stop().await;
}
