//! The emulated tenant's MFA API, driven as an app drives Auth0's: password login,
//! `mfa_required`, associate, the code read from the inbox, the `mfa-oob` grant, and
//! tokens checked against the JWKS.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

pub const CLIENT: &str = "my-app";
const OOB: &str = "http://auth0.com/oauth/grant-type/mfa-oob";

/// An app talking to the emulated tenant at `prefix` (`""` or `/t/acme`).
pub struct Mfa<'a> {
    pub app: &'a TestApp,
    pub prefix: String,
}

impl<'a> Mfa<'a> {
    pub fn new(app: &'a TestApp) -> Mfa<'a> {
        Mfa {
            app,
            prefix: String::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        self.app.url(&format!("{}{path}", self.prefix))
    }

    pub async fn token_request(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.app
            .http
            .post(self.url("/oauth/token"))
            .form(form)
            .send()
            .await
            .expect("sent")
    }

    /// Logs in and returns the `mfa_required` answer.
    pub async fn login(&self, email: &str) -> Value {
        let response = self
            .token_request(&[
                ("grant_type", "password"),
                ("client_id", CLIENT),
                ("username", email),
                ("password", "correct horse"),
            ])
            .await;
        assert_eq!(response.status(), 403);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error"], "mfa_required", "{body}");
        body
    }

    pub async fn mfa_token(&self, email: &str) -> String {
        self.login(email).await["mfa_token"]
            .as_str()
            .expect("mfa_token")
            .to_owned()
    }

    pub async fn associate(&self, token: &str, phone: &str, channel: &str) -> reqwest::Response {
        self.app
            .http
            .post(self.url("/mfa/associate"))
            .bearer_auth(token)
            .json(&json!({ "client_id": CLIENT, "authenticator_types": ["oob"], "oob_channels": [channel], "phone_number": phone }))
            .send()
            .await
            .expect("sent")
    }

    pub async fn challenge(
        &self,
        token: &str,
        authenticator_id: Option<&str>,
    ) -> reqwest::Response {
        let mut body = json!({ "client_id": CLIENT, "mfa_token": token, "challenge_type": "oob" });
        if let Some(id) = authenticator_id {
            body["authenticator_id"] = json!(id);
        }
        self.app
            .http
            .post(self.url("/mfa/challenge"))
            .json(&body)
            .send()
            .await
            .expect("sent")
    }

    pub async fn oob_grant(&self, token: &str, oob_code: &str, code: &str) -> reqwest::Response {
        self.token_request(&[
            ("grant_type", OOB),
            ("client_id", CLIENT),
            ("mfa_token", token),
            ("oob_code", oob_code),
            ("binding_code", code),
        ])
        .await
    }

    /// Associates `phone` by SMS with `token`, confirms it with the code from the
    /// inbox, and returns the grant's tokens.
    pub async fn confirm(&self, token: &str, phone: &str) -> Value {
        let associated: Value = self
            .associate(token, phone, "sms")
            .await
            .json()
            .await
            .expect("json");
        let code = latest_code(self.app, phone).await;
        let granted = self
            .oob_grant(token, associated["oob_code"].as_str().expect("oob"), &code)
            .await;
        assert_eq!(granted.status(), 200);
        granted.json().await.expect("json")
    }

    /// Signs `email` in through an SMS enrollment of `phone`: the grant's tokens.
    pub async fn sign_in(&self, email: &str, phone: &str) -> Value {
        let token = self.mfa_token(email).await;
        self.confirm(&token, phone).await
    }

    /// Enrolls `phone` by SMS and confirms it; returns the `mfa_token` used.
    pub async fn enroll(&self, email: &str, phone: &str) -> String {
        let token = self.mfa_token(email).await;
        self.confirm(&token, phone).await;
        token
    }
}

pub async fn latest(app: &TestApp, phone: &str) -> Value {
    app.get_json(&format!(
        "/emulator/v1/phones/{}/latest",
        phone.replace('+', "%2B")
    ))
    .await
}

pub async fn latest_code(app: &TestApp, phone: &str) -> String {
    latest(app, phone).await["code"]
        .as_str()
        .expect("code")
        .to_owned()
}

/// PATCHes the tenant's settings through the emulator API: status and body.
pub async fn patch_settings(app: &TestApp, tenant: &str, settings: Value) -> (u16, Value) {
    let response = app
        .http
        .patch(app.url(&format!("/emulator/v1/tenants/{tenant}")))
        .json(&json!({ "settings": settings }))
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

/// PATCHes the tenant's settings, which must be accepted.
pub async fn settings(app: &TestApp, tenant: &str, settings: Value) {
    let (status, body) = patch_settings(app, tenant, settings).await;
    assert_eq!(status, 200, "{body}");
}

/// The claims of a token the tenant signed, if it verifies against its JWKS (any
/// audience) and has not expired.
pub async fn verified_claims(app: &TestApp, token: &str) -> Option<Value> {
    let jwks = app.get_json("/.well-known/jwks.json").await;
    let key = &jwks["keys"][0];
    let decoding = DecodingKey::from_rsa_components(
        key["n"].as_str().expect("n"),
        key["e"].as_str().expect("e"),
    )
    .expect("key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(token, &decoding, &validation)
        .ok()
        .map(|t| t.claims)
}

/// Log events of `kind` in the default tenant, newest first.
pub async fn logs_of(app: &TestApp, kind: &str) -> Vec<Value> {
    tenant_logs_of(app, "", kind).await
}

/// Log events of `kind` in the tenant at `prefix` (`/t/acme`), newest first.
pub async fn tenant_logs_of(app: &TestApp, prefix: &str, kind: &str) -> Vec<Value> {
    let response = app
        .http
        .get(app.url(&format!("{prefix}/api/v2/logs?q=type:{kind}")))
        .bearer_auth("any-token")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    response.json::<Vec<Value>>().await.expect("json")
}

#[tokio::test]
async fn sms_enrollment_then_challenge_issues_tokens_that_verify_against_the_jwks() {
    let app = spawn_app().await;
    let mfa = Mfa::new(&app);
    let login = mfa.login("pat@example.com").await;
    assert_eq!(
        login["mfa_requirements"],
        json!({ "enroll": [{ "type": "phone" }] })
    );
    let token = login["mfa_token"].as_str().expect("token").to_owned();

    let response = mfa.associate(&token, "+15555550801", "sms").await;
    assert_eq!(response.status(), 200);
    let associated: Value = response.json().await.expect("json");
    assert_eq!(associated["authenticator_type"], "oob");
    assert_eq!(associated["binding_method"], "prompt");
    assert_eq!(associated["oob_channel"], "sms");
    let recovery = associated["recovery_codes"][0]
        .as_str()
        .expect("recovery code");
    assert_eq!(recovery.len(), 24);

    let sent = latest(&app, "+15555550801").await;
    assert_eq!(sent["source"], "auth0.builtin");
    assert_eq!(sent["purpose"], "otp_enroll");
    assert_eq!(sent["action"], "enrollment");
    assert_eq!(sent["client_id"], CLIENT);
    let code = sent["code"].as_str().expect("code");
    assert_eq!(
        sent["text"],
        format!("{code} is your verification code for Phonebox. Please enter this code to verify your enrollment.")
    );

    let oob = associated["oob_code"].as_str().expect("oob");
    let wrong = mfa.oob_grant(&token, oob, "000000").await;
    assert_eq!(wrong.status(), 403);
    let body: Value = wrong.json().await.expect("json");
    assert_eq!(
        body,
        json!({ "error": "invalid_grant", "error_description": "Invalid binding_code." })
    );

    let granted = mfa.oob_grant(&token, oob, code).await;
    assert_eq!(granted.status(), 200);
    let tokens: Value = granted.json().await.expect("json");
    assert_eq!(tokens["token_type"], "Bearer");
    let jwks = app.get_json("/.well-known/jwks.json").await;
    let key = &jwks["keys"][0];
    assert_eq!(key["alg"], "RS256");
    let decoding = DecodingKey::from_rsa_components(
        key["n"].as_str().expect("n"),
        key["e"].as_str().expect("e"),
    )
    .expect("key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[format!("{}/", app.base)]);
    validation.set_audience(&[CLIENT]);
    let id_token = jsonwebtoken::decode::<Value>(
        tokens["id_token"].as_str().expect("id_token"),
        &decoding,
        &validation,
    )
    .expect("the id token verifies against the JWKS");
    assert_eq!(id_token.claims["email"], "pat@example.com");
    assert_eq!(id_token.claims["amr"], json!(["pwd", "mfa"]));
    validation.set_audience(&[format!("{}/userinfo", app.base)]);
    let access = jsonwebtoken::decode::<Value>(
        tokens["access_token"].as_str().expect("access"),
        &decoding,
        &validation,
    )
    .expect("the access token verifies");
    assert_eq!(access.claims["sub"], id_token.claims["sub"]);
    // A tampered token does not.
    let mut tampered = tokens["access_token"].as_str().expect("access").to_owned();
    tampered.insert(tampered.len() - 3, 'A');
    tampered.truncate(tampered.len() - 1);
    assert!(jsonwebtoken::decode::<Value>(&tampered, &decoding, &validation).is_err());

    // Later: a new login is asked to challenge, and the challenge sends a verification code.
    let login = mfa.login("pat@example.com").await;
    assert_eq!(
        login["mfa_requirements"],
        json!({ "challenge": [{ "type": "phone" }] })
    );
    let token = login["mfa_token"].as_str().expect("token").to_owned();
    let again = mfa.associate(&token, "+15555550802", "sms").await;
    assert_eq!(again.status(), 403, "one phone at a time");
    assert_eq!(
        again.json::<Value>().await.expect("json")["error_description"],
        "User is already enrolled."
    );
    let challenged: Value = mfa
        .challenge(&token, None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(challenged["challenge_type"], "oob");
    let sent = latest(&app, "+15555550801").await;
    assert_eq!(sent["purpose"], "otp_verify");
    let code = sent["code"].as_str().expect("code");
    assert_eq!(
        sent["text"],
        format!("{code} is your verification code for Phonebox")
    );
    let granted = mfa
        .oob_grant(&token, challenged["oob_code"].as_str().expect("oob"), code)
        .await;
    assert_eq!(granted.status(), 200);

    let kinds: Vec<String> = mfa_log_kinds(&app).await;
    for kind in [
        "mfar",
        "gd_start_enroll",
        "gd_send_sms",
        "gd_auth_failed",
        "feoobft",
        "gd_enrollment_complete",
        "gd_auth_succeed",
        "seoobft",
        "gd_start_auth",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} logged: {kinds:?}");
    }
    app.stop().await;
}

async fn mfa_log_kinds(app: &TestApp) -> Vec<String> {
    let response = app
        .http
        .get(app.url("/api/v2/logs?per_page=100"))
        .bearer_auth("t")
        .send()
        .await
        .expect("sent");
    let logs: Vec<Value> = response.json().await.expect("json");
    logs.iter()
        .map(|l| l["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn voice_enrollment_reads_the_code_digit_by_digit() {
    let app = spawn_app().await;
    // Voice needs a provider that calls: a custom webhook (Phonebox's own capture).
    settings(
        &app,
        "default",
        json!({ "message_types": ["sms", "voice"], "selected_provider": "phone-message-hook" }),
    )
    .await;
    let mfa = Mfa::new(&app);
    let token = mfa.mfa_token("vic@example.com").await;
    let response = mfa.associate(&token, "+15555550803", "voice").await;
    assert_eq!(
        response.status(),
        200,
        "{}",
        response.text().await.unwrap_or_default()
    );
    let sent = latest(&app, "+15555550803").await;
    assert_eq!(sent["channel"], "voice");
    assert_eq!(sent["source"], "auth0.send-phone-message");
    let code = sent["code"].as_str().expect("code");
    let spoken: Vec<String> = code.chars().map(String::from).collect();
    assert!(
        sent["text"]
            .as_str()
            .expect("text")
            .starts_with(&spoken.join(".")),
        "{} reads {code} digit by digit",
        sent["text"]
    );
    app.stop().await;
}

#[tokio::test]
async fn the_built_in_provider_refuses_voice() {
    let app = spawn_app().await;
    settings(
        &app,
        "default",
        json!({ "message_types": ["sms", "voice"] }),
    )
    .await;
    let mfa = Mfa::new(&app);
    let token = mfa.mfa_token("val@example.com").await;
    let response = mfa.associate(&token, "+15555550804", "voice").await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "invalid_request");
    assert!(body["error_description"]
        .as_str()
        .expect("text")
        .contains("SMS only"));
    app.stop().await;
}

#[tokio::test]
async fn errors_are_auth0_shaped() {
    let app = spawn_app().await;
    let mfa = Mfa::new(&app);
    let token = mfa.mfa_token("err@example.com").await;

    let challenge: Value = mfa
        .challenge(&token, None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(challenge["error"], "association_required");
    let otp_only = app
        .http
        .post(app.url("/mfa/challenge"))
        .json(&json!({ "client_id": CLIENT, "mfa_token": token, "challenge_type": "otp" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(otp_only.status(), 400);
    assert_eq!(
        otp_only.json::<Value>().await.expect("json"),
        json!({ "error": "unsupported_challenge_type", "error_description": "The user does not support the requested challenge type (otp). Supported type: oob." })
    );
    let no_bearer = app
        .http
        .get(app.url("/mfa/authenticators"))
        .send()
        .await
        .expect("sent");
    assert_eq!(no_bearer.status(), 401, "Auth0's 401 for a missing bearer");
    assert_eq!(
        no_bearer.json::<Value>().await.expect("json")["error"],
        "unauthorized"
    );

    let malformed = mfa.oob_grant("not-a-token", "x", "1").await;
    assert_eq!(malformed.status(), 403);
    assert_eq!(
        malformed.json::<Value>().await.expect("json"),
        json!({ "error": "invalid_grant", "error_description": "Malformed mfa_token" })
    );
    let missing = mfa
        .token_request(&[
            ("grant_type", OOB),
            ("client_id", CLIENT),
            ("mfa_token", &token),
            ("oob_code", "x"),
        ])
        .await;
    assert_eq!(
        missing.json::<Value>().await.expect("json")["error_description"],
        "Missing required parameter: binding_code"
    );
    let mismatch = mfa.oob_grant(&token, "Fe26.2**nope", "123456").await;
    assert_eq!(
        mismatch.json::<Value>().await.expect("json")["error_description"],
        "The oob_code doesn't match the mfa_token"
    );
    let bad_number = mfa.associate(&token, "+1asd", "sms").await;
    assert_eq!(bad_number.status(), 400);
    let grant = mfa
        .token_request(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", CLIENT),
        ])
        .await;
    assert_eq!(
        grant.json::<Value>().await.expect("json")["error"],
        "unsupported_grant_type"
    );
    let not_json = app
        .http
        .post(app.url("/mfa/associate"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .expect("sent");
    assert_eq!(not_json.status(), 400);
    assert_eq!(
        not_json.json::<Value>().await.expect("json")["error"],
        "invalid_request"
    );

    // The mfa_token lives ten minutes on the emulated clock.
    app.http
        .post(app.url("/emulator/v1/clock/advance"))
        .json(&json!({ "by": "11m" }))
        .send()
        .await
        .expect("sent");
    let expired = mfa.oob_grant(&token, "x", "1").await;
    assert_eq!(expired.status(), 403);
    assert_eq!(
        expired.json::<Value>().await.expect("json"),
        json!({ "error": "expired_token", "error_description": "mfa_token is expired" })
    );
    assert!(
        app.messages().await.is_empty(),
        "no refused request sent anything"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_language_follows_accept_language_and_ui_locales() {
    let app = spawn_app().await;
    settings(
        &app,
        "default",
        json!({
            "languages": { "enabled": ["en", "fr"], "default": "en" },
            "locale_templates": { "fr": { "enrollment_message": "{{code}} est votre code {{tenant.friendly_name}}" } }
        }),
    )
    .await;
    let mfa = Mfa::new(&app);
    let token = mfa.mfa_token("fr@example.com").await;
    let response = app
        .http
        .post(app.url("/mfa/associate"))
        .bearer_auth(&token)
        .header("accept-language", "fr-CA,fr;q=0.9,en;q=0.5")
        .json(&json!({ "client_id": CLIENT, "authenticator_types": ["oob"], "oob_channels": ["sms"], "phone_number": "+15555550806" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let sent = latest(&app, "+15555550806").await;
    assert_eq!(sent["locale"], "fr");
    assert_eq!(
        sent["text"],
        format!(
            "{} est votre code Phonebox",
            sent["code"].as_str().expect("code")
        )
    );

    let token = mfa.mfa_token("en@example.com").await;
    let response = app
        .http
        .post(app.url("/mfa/associate"))
        .bearer_auth(&token)
        .header("accept-language", "fr")
        .json(&json!({ "client_id": CLIENT, "authenticator_types": ["oob"], "oob_channels": ["sms"], "phone_number": "+15555550807", "ui_locales": "en" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert_eq!(
        latest(&app, "+15555550807").await["locale"],
        "en",
        "ui_locales wins"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_second_tenant_has_its_own_users_counters_and_issuer() {
    let app = spawn_app().await;
    let created = app
        .post_json(
            "/emulator/v1/tenants",
            r#"{"id":"acme","friendly_name":"Acme"}"#,
        )
        .await;
    assert_eq!(created.status(), 201);
    let tenant: Value = created.json().await.expect("json");
    assert_eq!(tenant["domain"], format!("{}/t/acme", app.base));
    let mut mfa = Mfa::new(&app);
    mfa.prefix = "/t/acme".into();
    mfa.enroll("pat@example.com", "+15555550808").await;
    let sent = latest(&app, "+15555550808").await;
    assert_eq!(sent["tenant"], "acme");
    assert!(sent["text"].as_str().expect("text").contains("for Acme"));
    let tenants = app.get_json("/emulator/v1/tenants").await;
    let ids: Vec<&str> = tenants["tenants"]
        .as_array()
        .expect("list")
        .iter()
        .map(|t| t["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["default", "acme"]);
    let users = app.get_json("/emulator/v1/tenants/acme/users").await;
    assert_eq!(
        users[0]["email"], "pat@example.com",
        "created by its first login"
    );
    assert_eq!(
        app.get_json("/emulator/v1/tenants/default/users").await,
        json!([])
    );
    let acme = app.get_json("/emulator/v1/limits?tenant=acme").await;
    assert_eq!(acme["builtin_provider"]["used"], 1);
    let default = app.get_json("/emulator/v1/limits").await;
    assert_eq!(default["builtin_provider"]["used"], 0);
    // The same tenant by host name, as an SDK given `acme.localhost:PORT` reaches it.
    let port = app.base.rsplit(':').next().expect("port");
    let config: Value = app
        .http
        .get(app.url("/.well-known/openid-configuration"))
        .header("host", format!("acme.localhost:{port}"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(config["issuer"], format!("http://acme.localhost:{port}/"));
    let unknown = app
        .http
        .get(app.url("/t/nope/.well-known/jwks.json"))
        .send()
        .await
        .expect("sent");
    assert_eq!(unknown.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn strict_mode_checks_passwords_and_client_secrets() {
    let app = spawn_app().await;
    settings(&app, "default", json!({ "permissive": false })).await;
    let client: Value = app
        .post_json(
            "/emulator/v1/tenants/default/clients",
            r#"{"name":"Strict app","client_id":"strict-app"}"#,
        )
        .await
        .json()
        .await
        .expect("json");
    let secret = client["client_secret"].as_str().expect("secret");
    app.post_json(
        "/emulator/v1/tenants/default/users",
        r#"{"email":"sam@example.com","password":"s3cret!"}"#,
    )
    .await;
    let login = |password: &'static str, secret: String| {
        app.http
            .post(app.url("/oauth/token"))
            .form(&[
                ("grant_type", "password"),
                ("client_id", "strict-app"),
                ("client_secret", &secret),
                ("username", "sam@example.com"),
                ("password", password),
            ])
            .send()
    };
    let wrong = login("nope", secret.to_owned()).await.expect("sent");
    assert_eq!(wrong.status(), 403);
    assert_eq!(
        wrong.json::<Value>().await.expect("json")["error_description"],
        "Wrong email or password."
    );
    let bad_secret = login("s3cret!", "guess".into()).await.expect("sent");
    assert_eq!(bad_secret.status(), 401);
    let right = login("s3cret!", secret.to_owned()).await.expect("sent");
    assert_eq!(
        right.json::<Value>().await.expect("json")["error"],
        "mfa_required"
    );
    let unknown = app
        .http
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "who"),
            ("username", "x@example.com"),
            ("password", "p"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(unknown.status(), 401);
    let clients = app.get_json("/emulator/v1/tenants/default/clients").await;
    assert!(
        !clients.to_string().contains(secret),
        "secrets are shown once, at creation"
    );
    app.stop().await;
}
