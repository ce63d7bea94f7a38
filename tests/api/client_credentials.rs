//! The client-credentials grant (Auth0's "Get Access Tokens for the Management
//! API"): a tenant application's id and secret for a Management API token, which
//! the Management API then accepts, also outside permissive mode.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};
use crate::mfa::{logs_of, settings, verified_claims};

async fn new_client(app: &TestApp, id: &str) -> String {
    let created: Value = app
        .http
        .post(app.url("/emulator/v1/tenants/default/clients"))
        .json(&json!({ "name": "Scripts", "client_id": id }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    created["client_secret"]
        .as_str()
        .expect("secret")
        .to_owned()
}

async fn grant(app: &TestApp, form: &[(&str, &str)]) -> reqwest::Response {
    app.http
        .post(app.url("/oauth/token"))
        .form(form)
        .send()
        .await
        .expect("sent")
}

fn audience(app: &TestApp) -> String {
    format!("{}/api/v2/", app.url("").replace("http://", "https://"))
}

async fn factors(app: &TestApp, token: &str) -> reqwest::Response {
    app.http
        .get(app.url("/api/v2/guardian/factors"))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn client_credentials_return_a_management_api_token_the_management_api_accepts() {
    let app = spawn_app().await;
    let secret = new_client(&app, "scripts").await;
    let audience = audience(&app);
    let response = grant(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "scripts"),
            ("client_secret", &secret),
            ("audience", &audience),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.expect("json");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 86400);
    assert!(tokens.get("id_token").is_none());
    let token = tokens["access_token"].as_str().expect("token").to_owned();
    let claims = verified_claims(&app, &token).await.expect("verifies");
    assert_eq!(claims["sub"], "scripts@clients");
    assert_eq!(claims["azp"], "scripts");
    assert_eq!(claims["gty"], "client-credentials");
    assert_eq!(claims["aud"], audience, "the audience as asked for");
    assert!(claims["scope"]
        .as_str()
        .expect("scope")
        .split(' ')
        .any(|s| s == "read:users"));
    assert_eq!(logs_of(&app, "seccft").await.len(), 1);

    settings(&app, "default", json!({ "permissive": false })).await;
    assert_eq!(factors(&app, &token).await.status(), 200);
    // A write is logged `sapi`, naming the client and no connection.
    let put = app
        .http
        .put(app.url("/api/v2/guardian/policies"))
        .bearer_auth(&token)
        .json(&json!(["all-applications"]))
        .send()
        .await
        .expect("sent");
    assert_eq!(put.status(), 200);
    let sapi: Value = app
        .http
        .get(app.url("/api/v2/logs?q=type:sapi"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(sapi[0]["client_id"], "scripts", "{sapi}");
    assert_eq!(sapi[0]["client_name"], "Scripts");
    assert!(sapi[0]["connection"].is_null());
    let head = app
        .http
        .head(app.url("/api/v2/users"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        head.status(),
        200,
        "HEAD is a read: the token has read:users"
    );
    let refused = factors(&app, "eyJhbGciOiJSUzI1NiJ9.e30.c2ln").await;
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused.json::<Value>().await.expect("json")["message"],
        "Invalid token"
    );

    // A day later on the emulated clock the token has expired.
    app.http
        .post(app.url("/emulator/v1/clock/advance"))
        .json(&json!({ "by": "25h" }))
        .send()
        .await
        .expect("sent");
    let expired = factors(&app, &token).await;
    assert_eq!(expired.status(), 401);
    assert_eq!(
        expired.json::<Value>().await.expect("json")["message"],
        "Expired token received for JSON Web Token validation"
    );
    app.stop().await;
}

#[tokio::test]
async fn client_credentials_refuse_a_wrong_secret_and_other_audiences() {
    let app = spawn_app().await;
    let secret = new_client(&app, "ops").await;
    let audience = audience(&app);
    let wrong = grant(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "ops"),
            ("client_secret", "not-it"),
            ("audience", &audience),
        ],
    )
    .await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        wrong.json::<Value>().await.expect("json"),
        json!({ "error": "invalid_client", "error_description": "Client authentication failed" })
    );
    let other = grant(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "ops"),
            ("client_secret", &secret),
            ("audience", "https://api.example.com/"),
        ],
    )
    .await;
    assert_eq!(other.status(), 403);
    let body: Value = other.json().await.expect("json");
    assert_eq!(body["error"], "access_denied");
    assert!(body["error_description"]
        .as_str()
        .expect("text")
        .contains("client-grant"));
    assert_eq!(logs_of(&app, "feccft").await.len(), 2);
    assert!(logs_of(&app, "seccft").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn outside_permissive_mode_the_management_api_takes_client_credentials_tokens_for_their_scopes_only(
) {
    let app = spawn_app().await;
    let secret = new_client(&app, "narrow").await;
    let audience = audience(&app);
    settings(&app, "default", json!({ "mfa_policy": "never" })).await;
    // A user's token for the Management API audience is no Management API token.
    let user_token: Value = grant(
        &app,
        &[
            ("grant_type", "password"),
            ("client_id", "narrow"),
            ("username", "eve@example.com"),
            ("password", "pw"),
            ("audience", &audience),
            ("scope", "read:users"),
        ],
    )
    .await
    .json()
    .await
    .expect("json");
    let read_logs: Value = grant(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "narrow"),
            ("client_secret", &secret),
            ("audience", &audience),
            ("scope", "read:logs"),
        ],
    )
    .await
    .json()
    .await
    .expect("json");
    // Registered on first use while permissive: nobody holds its secret.
    grant(
        &app,
        &[
            ("grant_type", "password"),
            ("client_id", "first-use"),
            ("username", "eve@example.com"),
            ("password", "pw"),
        ],
    )
    .await;
    settings(&app, "default", json!({ "permissive": false })).await;

    let get = |path: &'static str, token: String| {
        let app = &app;
        async move {
            app.http
                .get(app.url(path))
                .bearer_auth(token)
                .send()
                .await
                .expect("sent")
        }
    };
    let user_token = user_token["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(get("/api/v2/users", user_token).await.status(), 401);
    let logs_token = read_logs["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(get("/api/v2/logs", logs_token.clone()).await.status(), 200);
    let head = app
        .http
        .head(app.url("/api/v2/users"))
        .bearer_auth(&logs_token)
        .send()
        .await
        .expect("sent");
    assert_eq!(head.status(), 403, "HEAD needs the read scope as GET does");
    let refused = get("/api/v2/users", logs_token).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(
        refused.json::<Value>().await.expect("json"),
        json!({ "statusCode": 403, "error": "Forbidden", "message": "Insufficient scope, expected any of: read:users", "errorCode": "insufficient_scope" })
    );
    let first_use = grant(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "first-use"),
            ("client_secret", "anything"),
            ("audience", &audience),
        ],
    )
    .await;
    assert_eq!(
        first_use.status(),
        401,
        "a secret nobody was told proves nothing"
    );
    app.stop().await;
}
