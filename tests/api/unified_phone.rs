//! Unified Phone as Auth0 documents it ("Configure Unified Phone", "Customize
//! phone templates"): once a provider is in force its templates alone apply (the
//! Guardian ones no longer do), each of the five types has Auth0's default text,
//! templates see the documented variables, `delivery_methods` is enforced,
//! `disabled` is honoured, and `/try` sends through the provider it names.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{mgmt_call as call, spawn_app, TestApp};
use crate::mfa::{latest, settings, Mfa};

/// A Unified `custom` provider with no webhook: its messages reach the inbox.
async fn custom_provider(app: &TestApp, methods: Value) -> String {
    let (status, created) = call(
        app,
        Method::POST,
        "/api/v2/branding/phone/providers",
        Some(json!({ "name": "custom", "configuration": { "delivery_methods": methods }, "credentials": {} })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().expect("id").to_owned()
}

async fn enroll_text(app: &TestApp, email: &str, phone: &str) -> String {
    let mfa = Mfa::new(app);
    let token = mfa.mfa_token(email).await;
    assert_eq!(mfa.associate(&token, phone, "sms").await.status(), 200);
    latest(app, phone).await["text"]
        .as_str()
        .expect("text")
        .to_owned()
}

#[tokio::test]
async fn under_unified_phone_the_guardian_templates_no_longer_apply_and_auth0_s_defaults_do() {
    let app = spawn_app().await;
    let (status, _) = call(
        &app,
        Method::PUT,
        "/api/v2/guardian/factors/phone/templates",
        Some(json!({ "enrollment_message": "Guardian {{code}}", "verification_message": "Guardian {{code}}" })),
    )
    .await;
    assert_eq!(status, 200);
    let guardian = enroll_text(&app, "g@example.com", "+15550004001").await;
    assert!(guardian.starts_with("Guardian "), "{guardian}");

    let id = custom_provider(&app, json!(["text"])).await;
    let unified = enroll_text(&app, "u@example.com", "+15550004002").await;
    let code = latest(&app, "+15550004002").await["code"]
        .as_str()
        .expect("code")
        .to_owned();
    assert_eq!(
        unified,
        format!("{code} is your verification code for Phonebox. Please enter this code to verify your enrollment.")
    );

    // A disabled provider is not in force: the Guardian templates apply again.
    let (status, _) = call(
        &app,
        Method::PATCH,
        &format!("/api/v2/branding/phone/providers/{id}"),
        Some(json!({ "disabled": true })),
    )
    .await;
    assert_eq!(status, 200);
    let again = enroll_text(&app, "g2@example.com", "+15550004003").await;
    assert!(again.starts_with("Guardian "), "{again}");
    app.stop().await;
}

#[tokio::test]
async fn the_five_unified_template_types_reset_to_auth0_s_default_text() {
    let app = spawn_app().await;
    let expected = [
        ("otp_verify", "{{ code | escape }} is your verification code for {{ friendly_name | escape }}"),
        ("otp_enroll", "{{ code | escape }} is your verification code for {{ friendly_name | escape }}. Please enter this code to verify your enrollment."),
        ("change_password", "{{ code | escape }} is your password change code for {{ friendly_name | escape }}"),
        ("blocked_account", "We detected suspicious activity on your account from the ip {{user.source_ip}}{% if user.city %} from {{user.city}}, {{user.country}}{% elsif user.country %} from {{user.country}}{% endif %}. Logins from this IP have been blocked on your account. If this is your IP, please reset your password to unblock your account. Otherwise, disregard this message."),
        ("password_breach", ""),
    ];
    for (kind, text) in expected {
        let (status, created) = call(
            &app,
            Method::POST,
            "/api/v2/branding/phone/templates",
            Some(json!({ "type": kind, "content": { "body": { "text": "mine {{code}}" } } })),
        )
        .await;
        assert_eq!(status, 201, "{kind}: {created}");
        let id = created["id"].as_str().expect("id");
        let (_, reset) = call(
            &app,
            Method::PATCH,
            &format!("/api/v2/branding/phone/templates/{id}/reset"),
            None,
        )
        .await;
        let body = reset["content"]["body"]["text"].as_str().expect("text");
        if !text.is_empty() {
            assert_eq!(body, text, "{kind}");
        }
        assert!(
            !body.is_empty() && reset["content"]["body"]["voice"].is_string(),
            "{kind}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn unified_phone_templates_see_the_variables_auth0_documents() {
    let app = spawn_app().await;
    settings(
        &app,
        "default",
        json!({ "support_email": "help@acme.test", "support_url": "https://acme.test/help", "logo_url": "https://acme.test/logo.png", "home_url": "https://acme.test" }),
    )
    .await;
    custom_provider(&app, json!(["text"])).await;
    let template = "{{code}}|{{locale}}|{{message_type}}|{{tenant}}|{{friendly_name}}|{{user.email}}|{{user.source_ip}}|\
        {{client.client_id}}|{{application.name}}|{{connection}}|[{{organization.name}}]|[{{custom_domain.domain}}]|\
        {{support_email}}|{{support_url}}|{{logo_url}}|{{home_url}}|{{region}}|[{{user.name}}]";
    let (status, created) = call(
        &app,
        Method::POST,
        "/api/v2/branding/phone/templates",
        Some(json!({ "type": "otp_enroll", "content": { "body": { "text": template, "voice": template } } })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let text = enroll_text(&app, "vars@example.com", "+15550004004").await;
    let code = latest(&app, "+15550004004").await["code"]
        .as_str()
        .expect("code")
        .to_owned();
    assert_eq!(
        text,
        format!(
            "{code}|en|sms|default|Phonebox|vars@example.com|127.0.0.1|my-app|my-app|Username-Password-Authentication|[]|[]|\
             help@acme.test|https://acme.test/help|https://acme.test/logo.png|https://acme.test|local|[]"
        )
    );
    app.stop().await;
}

#[tokio::test]
async fn a_text_only_provider_refuses_voice_as_auth0_does() {
    let app = spawn_app().await;
    settings(
        &app,
        "default",
        json!({ "message_types": ["sms", "voice"] }),
    )
    .await;
    custom_provider(&app, json!(["text"])).await;
    let mfa = Mfa::new(&app);
    let token = mfa.mfa_token("voice@example.com").await;
    let refused = mfa.associate(&token, "+15550004005", "voice").await;
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"], "unsupported_challenge_type", "{body}");
    assert!(app.messages().await.is_empty(), "nothing sent");
    let (status, body) = call(
        &app,
        Method::PUT,
        "/api/v2/guardian/factors/phone/message-types",
        Some(json!({ "message_types": ["voice"] })),
    )
    .await;
    assert_eq!(
        status, 400,
        "voice is not among the provider's delivery methods: {body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn try_sends_through_the_provider_it_names_and_a_failure_is_not_a_202() {
    let app = spawn_app().await;
    // Twilio provider, disabled, pointing at a Twilio that refuses: the route in
    // force is the built-in provider, but /try of the Twilio one goes to Twilio.
    let (status, created) = call(
        &app,
        Method::POST,
        "/api/v2/branding/phone/providers",
        Some(json!({ "name": "twilio", "disabled": true, "configuration": { "sid": "ACtest", "default_from": "+15550009000", "delivery_methods": ["text"] }, "credentials": { "auth_token": "secret-token" } })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id");
    let (status, answer) = call(
        &app,
        Method::POST,
        &format!("/api/v2/branding/phone/providers/{id}/try"),
        Some(json!({ "to": "+15550004006" })),
    )
    .await;
    assert_eq!(
        (status, answer["code"].clone()),
        (202, json!(202)),
        "{answer}"
    );
    let sent = latest(&app, "+15550004006").await;
    assert_eq!(
        sent["source"], "twilio.messages",
        "sent through the named provider: {sent}"
    );

    settings(
        &app,
        "default",
        json!({ "twilio_base_url": "http://127.0.0.1:9" }),
    )
    .await;
    let (status, answer) = call(
        &app,
        Method::POST,
        &format!("/api/v2/branding/phone/providers/{id}/try"),
        Some(json!({ "to": "+15550004007" })),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["statusCode"], 400);
    app.stop().await;
}
