//! Requests that arrive at the same moment: each test builds every request first,
//! spawns one task per request on the multi-thread runtime, and lets them all go at
//! once behind a barrier. What a check-then-write leaves open (a code used twice, a
//! cap passed, a settings patch lost, a message published before it is linked) shows
//! as a count or a field only correct behaviour gets right.

use serde_json::{json, Value};

use crate::helpers::{all_at_once, next_event, spawn_app, TestApp};
use crate::mfa::{latest, latest_code, settings, Mfa, CLIENT};

const OOB: &str = "http://auth0.com/oauth/grant-type/mfa-oob";

/// An `mfa-oob` grant, not yet sent.
fn oob_grant(
    app: &TestApp,
    token: &str,
    oob_code: &str,
    binding_code: &str,
) -> reqwest::RequestBuilder {
    app.http.post(app.url("/oauth/token")).form(&[
        ("grant_type", OOB),
        ("client_id", CLIENT),
        ("mfa_token", token),
        ("oob_code", oob_code),
        ("binding_code", binding_code),
    ])
}

/// A `POST /mfa/challenge`, not yet sent.
fn challenge(app: &TestApp, token: &str) -> reqwest::RequestBuilder {
    app.http
        .post(app.url("/mfa/challenge"))
        .json(&json!({ "client_id": CLIENT, "mfa_token": token, "challenge_type": "oob" }))
}

/// A `POST {prefix}/mfa/associate` by SMS, not yet sent.
fn associate(app: &TestApp, prefix: &str, token: &str, phone: &str) -> reqwest::RequestBuilder {
    app.http
        .post(app.url(&format!("{prefix}/mfa/associate")))
        .bearer_auth(token)
        .json(&json!({ "client_id": CLIENT, "authenticator_types": ["oob"], "oob_channels": ["sms"], "phone_number": phone }))
}

/// Associates `phone` by SMS for a fresh login of `email`: the `mfa_token`, the
/// `oob_code`, and the code the inbox received.
async fn associated(app: &TestApp, email: &str, phone: &str) -> (String, String, String) {
    let mfa = Mfa::new(app);
    let token = mfa.mfa_token(email).await;
    let response = mfa.associate(&token, phone, "sms").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    let oob = body["oob_code"].as_str().expect("oob_code").to_owned();
    (token, oob, latest_code(app, phone).await)
}

/// The `user_id` of `email` in `tenant`.
async fn user_id(app: &TestApp, tenant: &str, email: &str) -> String {
    let users = app
        .get_json(&format!("/emulator/v1/tenants/{tenant}/users"))
        .await;
    users
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["email"] == email)
        .and_then(|u| u["user_id"].as_str())
        .unwrap_or_else(|| panic!("no user {email} in {tenant}: {users}"))
        .to_owned()
}

/// The limits view of one user of the default tenant.
async fn user_limits(app: &TestApp, user_id: &str) -> Value {
    let view = app
        .get_json(&format!(
            "/emulator/v1/limits?user_id={}",
            user_id.replace('|', "%7C")
        ))
        .await;
    view["users"][0].clone()
}

/// How many log events of the tenant at `prefix` match Auth0's `q`.
async fn log_total(app: &TestApp, prefix: &str, q: &str) -> u64 {
    let response = app
        .http
        .get(app.url(&format!("{prefix}/api/v2/logs")))
        .query(&[("q", q), ("include_totals", "true"), ("per_page", "1")])
        .bearer_auth("any-token")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.expect("json");
    page["total"].as_u64().expect("total")
}

/// The stored messages to `phone`.
async fn messages_to(app: &TestApp, phone: &str) -> Vec<Value> {
    let page = app
        .get_json(&format!(
            "/emulator/v1/messages?to={}&limit=500",
            phone.replace('+', "%2B")
        ))
        .await;
    page["messages"].as_array().expect("messages").clone()
}

fn count(answers: &[(u16, Value)], status: u16) -> usize {
    answers.iter().filter(|(s, _)| *s == status).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_oob_grants_with_one_correct_code_give_tokens_exactly_once() {
    let app = spawn_app().await;
    let mut tokens_per_round = Vec::new();
    for round in 0..5 {
        let phone = format!("+1555555310{round}");
        let (token, oob, code) =
            associated(&app, &format!("once{round}@example.com"), &phone).await;
        let answers = all_at_once(
            (0..10)
                .map(|_| oob_grant(&app, &token, &oob, &code))
                .collect(),
        )
        .await;
        let granted = answers
            .iter()
            .filter(|(s, b)| *s == 200 && b["access_token"].is_string())
            .count();
        for (status, body) in &answers {
            if *status == 200 {
                assert!(body["access_token"].is_string(), "{body}");
                continue;
            }
            assert!(
                (400..500).contains(status),
                "round {round}: {status} {body}"
            );
            assert!(body.get("access_token").is_none(), "{body}");
            let error = body["error"].as_str().unwrap_or_default();
            assert!(
                error == "invalid_grant" || error == "expired_token",
                "round {round}: a used code is refused as such: {status} {body}"
            );
        }
        tokens_per_round.push(granted);
    }
    assert_eq!(
        tokens_per_round, [1; 5],
        "grants that gave tokens, per round of 10 with the same code"
    );
    assert_eq!(
        log_total(&app, "", "type:seoobft").await,
        5,
        "one successful exchange logged per code"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_concurrent_grants_check_no_more_wrong_codes_than_the_limits_allow() {
    let app = spawn_app().await;
    settings(
        &app,
        "default",
        json!({ "attempts_per_code": 5, "limits": { "failed_codes_burst": 10 } }),
    )
    .await;
    let email = "guess@example.com";
    let phone = "+15555553201";
    let (token, oob, code) = associated(&app, email, phone).await;
    let user = user_id(&app, "default", email).await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let mut requests: Vec<_> = (0..39)
        .map(|_| oob_grant(&app, &token, &oob, wrong))
        .collect();
    // The right code in the middle of the burst.
    requests.insert(20, oob_grant(&app, &token, &oob, &code));
    let answers = all_at_once(requests).await;

    for (status, body) in &answers {
        assert!(
            *status == 200 || (400..500).contains(status),
            "{status} {body}"
        );
    }
    let invalid = answers
        .iter()
        .filter(|(_, b)| b["error_description"] == "Invalid binding_code.")
        .count();
    let granted = count(&answers, 200);
    assert!(
        invalid <= 5,
        "{invalid} wrong codes were checked against a code allowing 5 attempts"
    );
    assert!(granted <= 1, "{granted} grants gave tokens");
    let failed_logged = log_total(
        &app,
        "",
        &format!("type:gd_auth_failed AND user_id:\"{user}\""),
    )
    .await;
    assert_eq!(
        failed_logged, invalid as u64,
        "one gd_auth_failed per wrong code answered"
    );
    let counter = 10
        - user_limits(&app, &user).await["failed_codes"]["tokens"]
            .as_u64()
            .expect("failed_codes.tokens");
    if granted == 0 {
        // The right code came after the five attempts: all five went to wrong codes,
        // and each of them counts.
        assert_eq!(invalid, 5, "the attempts ran out on wrong codes");
    }
    assert_eq!(
        counter, invalid as u64,
        "the wrong-code bucket lost one token per wrong code answered"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_challenges_send_no_more_than_the_hourly_cap() {
    let app = spawn_app().await;
    settings(&app, "default", json!({ "limits": { "sends_burst": 10 } })).await;
    let email = "burst@example.com";
    let phone = "+15555553301";
    let token = Mfa::new(&app).enroll(email, phone).await; // message 1
    let user = user_id(&app, "default", email).await;
    let answers = all_at_once((0..20).map(|_| challenge(&app, &token)).collect()).await;
    let sent = count(&answers, 200);
    let refused = count(&answers, 429);
    assert_eq!(
        sent + refused,
        20,
        "every challenge is sent or refused: {answers:?}"
    );
    let stored = messages_to(&app, phone).await.len();
    assert!(
        stored <= 10,
        "{stored} messages reached one user within the hour (cap 10)"
    );
    assert_eq!(
        sent + 1,
        stored,
        "each 200 (and the enrollment) is a message"
    );
    assert_eq!(
        stored, 10,
        "the cap refuses only what would pass it: 9 of 20 challenges fit"
    );
    assert_eq!(
        user_limits(&app, &user).await["sends"]["tokens"],
        json!(10 - stored),
        "the send bucket lost one token per message sent"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_built_in_providers_lifetime_cap_holds_under_concurrent_sends() {
    let app = spawn_app().await;
    settings(
        &app,
        "default",
        json!({ "limits": { "builtin_lifetime": 5 } }),
    )
    .await;
    let mfa = Mfa::new(&app);
    let mut requests = Vec::new();
    for n in 0..20 {
        let token = mfa.mfa_token(&format!("life{n}@example.com")).await;
        requests.push(associate(&app, "", &token, &format!("+155555534{n:02}")));
    }
    let answers = all_at_once(requests).await;
    assert_eq!(
        count(&answers, 200),
        20,
        "Auth0 answers as usual when the built-in provider has run out: {answers:?}"
    );
    let builtin = app
        .messages()
        .await
        .into_iter()
        .filter(|m| m["source"] == "auth0.builtin")
        .count();
    assert!(
        builtin <= 5,
        "the built-in provider delivered {builtin} messages with a lifetime cap of 5"
    );
    assert_eq!(builtin, 5, "the cap refuses only what would pass it");
    let limits = app.get_json("/emulator/v1/limits").await;
    assert_eq!(
        limits["builtin_provider"]["used"],
        json!(builtin),
        "the lifetime gauge counts what was delivered"
    );
    assert_eq!(
        log_total(&app, "", "type:gd_send_sms_failure").await,
        15,
        "each send past the cap is logged as a failure"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_concurrent_settings_patches_each_keep_their_key() {
    let app = spawn_app().await;
    let patches: Vec<_> = (0..30)
        .map(|i| {
            app.http
                .patch(app.url("/emulator/v1/tenants/default"))
                .json(&json!({ "settings": { "locale_templates": {
                    format!("l{i}"): { "enrollment_message": "{{code}}" }
                } } }))
        })
        .collect();
    let answers = all_at_once(patches).await;
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
    }
    let tenant = app.get_json("/emulator/v1/tenants/default").await;
    let templates = tenant["settings"]["locale_templates"]
        .as_object()
        .expect("locale_templates");
    let missing: Vec<String> = (0..30)
        .map(|i| format!("l{i}"))
        .filter(|k| !templates.contains_key(k))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of 30 accepted patches were lost: {missing:?}",
        missing.len()
    );

    let providers: Vec<_> = (0..10)
        .map(|_| {
            app.http
                .post(app.url("/api/v2/branding/phone/providers"))
                .bearer_auth("any-token")
                .json(&json!({ "name": "custom", "configuration": { "delivery_methods": ["text"] }, "credentials": {} }))
        })
        .collect();
    let answers = all_at_once(providers).await;
    let created = count(&answers, 201);
    assert_eq!(
        created + count(&answers, 409),
        10,
        "each is created or a conflict: {answers:?}"
    );
    let list: Value = app
        .http
        .get(app.url("/api/v2/branding/phone/providers"))
        .bearer_auth("any-token")
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let listed = list["providers"].as_array().expect("providers").len();
    assert_eq!(
        created, listed,
        "every provider answered 201 exists afterwards"
    );
    assert_eq!(listed, 1, "a tenant has one phone provider");
    // The burst of provider writes kept the locale templates too.
    let tenant = app.get_json("/emulator/v1/tenants/default").await;
    assert_eq!(
        tenant["settings"]["locale_templates"]
            .as_object()
            .map(serde_json::Map::len),
        Some(30)
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_message_sent_through_the_tenants_twilio_route_arrives_already_linked() {
    let app = spawn_app().await;
    assert_eq!(
        app.post_json("/emulator/v1/tenants", r#"{"id":"acme"}"#)
            .await
            .status(),
        201
    );
    for (path, body) in [
        (
            "/t/acme/api/v2/guardian/factors/phone/providers/twilio",
            json!({ "sid": "AC33333333333333333333333333333333", "auth_token": "acme-twilio-token", "from": "+15005550006" }),
        ),
        (
            "/t/acme/api/v2/guardian/factors/phone/selected-provider",
            json!({ "provider": "twilio" }),
        ),
    ] {
        let response = app
            .http
            .put(app.url(path))
            .bearer_auth("mgmt-token")
            .json(&body)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 200, "{path}");
    }
    let phone = "+15555553601";

    let events = app.get("/emulator/v1/events").await;
    assert_eq!(events.status(), 200);
    let mut stream = events.bytes_stream();
    let mut buffer = String::new();
    next_event(&mut stream, &mut buffer, "ready").await;
    let held = {
        let request = app.http.get(app.url(&format!(
            "/emulator/v1/phones/{}/latest?wait=10s",
            phone.replace('+', "%2B")
        )));
        tokio::spawn(async move {
            let response = request.send().await.expect("sent");
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.expect("json")
        })
    };
    app.until_held_waits(1).await;

    let mut mfa = Mfa::new(&app);
    mfa.prefix = "/t/acme".into();
    let email = "linked@example.com";
    let token = mfa.mfa_token(email).await;
    let response = mfa.associate(&token, phone, "sms").await;
    assert_eq!(response.status(), 200);
    let user = user_id(&app, "acme", email).await;
    let transaction = {
        let logs: Vec<Value> = app
            .http
            .get(app.url("/t/acme/api/v2/logs"))
            .query(&[("q", "type:gd_send_sms")])
            .bearer_auth("mgmt-token")
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        assert_eq!(logs.len(), 1, "{logs:?}");
        assert_eq!(logs[0]["details"]["provider"], "twilio");
        logs[0]["details"]["transaction_id"].clone()
    };
    assert!(transaction.as_str().is_some_and(|t| !t.is_empty()));

    let waited = held.await.expect("held wait");
    let created = loop {
        let data = next_event(&mut stream, &mut buffer, "message.created").await;
        let event: Value = serde_json::from_str(&data).expect("json");
        if event["to"] == phone {
            break event;
        }
    };
    drop(stream);
    for (seen_by, message) in [("the held wait", &waited), ("SSE", &created)] {
        assert_eq!(message["source"], "twilio.messages", "{seen_by}: {message}");
        assert_eq!(message["tenant"], "acme", "{seen_by}: {message}");
        assert_eq!(message["user_id"], user.as_str(), "{seen_by}: {message}");
        assert_eq!(
            message["attributes"]["transaction_id"], transaction,
            "{seen_by}: {message}"
        );
    }
    // What is stored agrees with what was published.
    let stored = latest(&app, phone).await;
    assert_eq!(stored["id"], waited["id"]);
    assert_eq!(stored["tenant"], "acme");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_recovery_code_refused_with_its_first_send_is_shown_on_the_next_association() {
    let app = spawn_app().await;
    settings(&app, "default", json!({ "limits": { "sends_burst": 0 } })).await;
    let mfa = Mfa::new(&app);
    let email = "refused@example.com";
    let phone = "+15555553701";
    let token = mfa.mfa_token(email).await;
    let refused = mfa.associate(&token, phone, "sms").await;
    assert_eq!(refused.status(), 429);
    let body: Value = refused.json().await.expect("json");
    assert!(body.get("recovery_codes").is_none(), "{body}");
    assert!(app.messages().await.is_empty(), "nothing was sent");

    settings(&app, "default", json!({ "limits": { "sends_burst": 10 } })).await;
    let token = mfa.mfa_token(email).await;
    let response = mfa.associate(&token, phone, "sms").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    let codes = body["recovery_codes"]
        .as_array()
        .unwrap_or_else(|| panic!("the recovery code never shown is shown now: {body}"));
    assert_eq!(codes.len(), 1, "{body}");
    let code = codes[0].as_str().expect("recovery code");
    assert_eq!(code.len(), 24, "{code}");
    assert!(code
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
    app.stop().await;
}

const VERIFY: &str = "/v2/Services/VA00000000000000000000000000000009";

/// A Twilio Verify start for `to` by SMS, not yet sent.
fn verify_start(app: &TestApp, to: &str) -> reqwest::RequestBuilder {
    app.http
        .post(app.url(&format!("{VERIFY}/Verifications")))
        .basic_auth("AC00000000000000000000000000000009", Some("token"))
        .form(&[("To", to), ("Channel", "sms")])
}

/// A Twilio Verify check of `code` for `to`, not yet sent.
fn verify_check(app: &TestApp, to: &str, code: &str) -> reqwest::RequestBuilder {
    app.http
        .post(app.url(&format!("{VERIFY}/VerificationCheck")))
        .form(&[("To", to), ("Code", code)])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_twilio_verify_starts_make_one_verification() {
    let app = spawn_app().await;
    let to = "+15555553701";
    let answers = all_at_once((0..10).map(|_| verify_start(&app, to)).collect()).await;
    assert!(answers.iter().all(|(s, _)| *s == 201), "{answers:?}");
    let sids: std::collections::BTreeSet<&str> = answers
        .iter()
        .map(|(_, b)| b["sid"].as_str().expect("sid"))
        .collect();
    assert_eq!(sids.len(), 1, "one verification, reused: {sids:?}");
    let sid = *sids.iter().next().expect("sid");
    let fetched = app.get_json(&format!("{VERIFY}/Verifications/{sid}")).await;
    assert_eq!(
        fetched["send_code_attempts"]
            .as_array()
            .expect("attempts")
            .len(),
        10,
        "every send is recorded: {fetched}"
    );
    let codes: std::collections::BTreeSet<String> = app
        .messages()
        .await
        .iter()
        .map(|m| m["code"].as_str().expect("code").to_owned())
        .collect();
    assert_eq!(codes.len(), 1, "the same code each time: {codes:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_right_twilio_verify_checks_approve_once() {
    let app = spawn_app().await;
    let to = "+15555553702";
    assert_eq!(
        verify_start(&app, to).send().await.expect("sent").status(),
        201
    );
    let code = latest_code(&app, to).await;
    let answers = all_at_once((0..10).map(|_| verify_check(&app, to, &code)).collect()).await;
    let approved = answers
        .iter()
        .filter(|(s, b)| *s == 200 && b["status"] == "approved")
        .count();
    assert_eq!(approved, 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|(s, b)| (*s == 200 && b["status"] == "approved") || *s == 404),
        "the rest find it gone, as Twilio forgets an approved one: {answers:?}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_wrong_twilio_verify_checks_count_only_five() {
    let app = spawn_app().await;
    let to = "+15555553703";
    assert_eq!(
        verify_start(&app, to).send().await.expect("sent").status(),
        201
    );
    let code = latest_code(&app, to).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let answers = all_at_once((0..20).map(|_| verify_check(&app, to, wrong)).collect()).await;
    let checked = answers.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(
        checked, 5,
        "Twilio checks five codes, then closes it: {answers:?}"
    );
    assert!(
        answers.iter().all(|(s, _)| [200, 404, 429].contains(s)),
        "{answers:?}"
    );
    let right = verify_check(&app, to, &code).send().await.expect("sent");
    assert_eq!(right.status(), 404, "closed: the right code is too late");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_twilio_verify_start_refused_by_chaos_leaves_concurrent_starts_whole() {
    let app = spawn_app().await;
    let to = "+15555553704";
    for round in 0..20 {
        let set = app
            .http
            .put(app.url("/emulator/v1/chaos/twilio"))
            .json(&json!({ "error": "60200", "times": 1 }))
            .send()
            .await
            .expect("sent");
        assert_eq!(set.status(), 200);
        let answers = all_at_once((0..3).map(|_| verify_start(&app, to)).collect()).await;
        let refused = answers.iter().filter(|(s, _)| *s == 400).count();
        let started = answers.iter().filter(|(s, _)| *s == 201).count();
        assert_eq!(
            (refused, started),
            (1, 2),
            "round {round}: one refused, the others started: {answers:?}"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_clock_advances_are_all_kept_across_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    let app = crate::helpers::spawn_app_at(&db).await;
    let advances = (0..20)
        .map(|_| {
            app.http
                .post(app.url("/emulator/v1/clock/advance"))
                .json(&json!({ "by": "1m" }))
        })
        .collect();
    let answers = all_at_once(advances).await;
    assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");
    assert_eq!(
        app.get_json("/emulator/v1/clock").await["offset_ms"],
        1_200_000
    );
    app.stop().await;
    let again = crate::helpers::spawn_app_at(&db).await;
    assert_eq!(
        again.get_json("/emulator/v1/clock").await["offset_ms"],
        1_200_000,
        "the stored offset is the last one set"
    );
    again.stop().await;
}
