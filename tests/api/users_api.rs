//! The Management API a phone test calls, as Auth0's Management API v2 documents
//! it: users (create, search with `q`, get, update, delete, by email), their
//! authentication methods and Guardian enrollments, recovery-code regeneration,
//! their logs, and the Guardian policies that turn MFA on and off.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{all_at_once, mgmt_call as call, spawn_app, TestApp};
use crate::mfa::{latest_code, logs_of, Mfa, CLIENT};

fn enc(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn users_are_created_searched_updated_and_deleted_as_the_management_api_does() {
    let app = spawn_app().await;
    let (status, db_user) = call(
        &app,
        Method::POST,
        "/api/v2/users",
        Some(json!({ "connection": "Username-Password-Authentication", "email": "Ann@Example.com", "password": "pw-1", "user_metadata": { "plan": "free", "team": "qa" } })),
    )
    .await;
    assert_eq!(status, 201, "{db_user}");
    assert_eq!(db_user["email"], "ann@example.com");
    assert_eq!(
        db_user["identities"][0]["connection"],
        "Username-Password-Authentication"
    );
    assert!(db_user["user_id"]
        .as_str()
        .expect("id")
        .starts_with("auth0|"));
    assert!(
        db_user.get("phone_number").is_none(),
        "unset fields are absent"
    );
    let (status, sms_user) = call(
        &app,
        Method::POST,
        "/api/v2/users",
        Some(json!({ "connection": "sms", "phone_number": "+15550003001" })),
    )
    .await;
    assert_eq!(status, 201);
    assert!(sms_user["user_id"]
        .as_str()
        .expect("id")
        .starts_with("sms|"));
    assert_eq!(sms_user["identities"][0]["provider"], "sms");

    let (status, dup) = call(
        &app,
        Method::POST,
        "/api/v2/users",
        Some(json!({ "connection": "sms", "phone_number": "+15550003001" })),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(dup["message"], "The user already exists.");
    let (status, bad) = call(
        &app,
        Method::POST,
        "/api/v2/users",
        Some(json!({ "connection": "google-oauth2", "email": "x@y.z" })),
    )
    .await;
    assert_eq!(
        (status, bad["errorCode"].clone()),
        (400, json!("inexistent_connection"))
    );

    let (_, found) = call(
        &app,
        Method::GET,
        &format!(
            "/api/v2/users?q={}&search_engine=v3",
            enc(r#"email:"ann@example.com""#)
        ),
        None,
    )
    .await;
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found[0]["user_id"], db_user["user_id"]);
    let (_, found) = call(
        &app,
        Method::GET,
        &format!(
            "/api/v2/users?q={}&search_engine=v3",
            enc(r#"phone_number:"+15550003001""#)
        ),
        None,
    )
    .await;
    assert_eq!(found[0]["user_id"], sms_user["user_id"]);
    let (_, page) = call(
        &app,
        Method::GET,
        "/api/v2/users?include_totals=true&per_page=1",
        None,
    )
    .await;
    assert_eq!(
        (
            page["total"].clone(),
            page["length"].clone(),
            page["limit"].clone()
        ),
        (json!(2), json!(1), json!(1))
    );
    let (_, trimmed) = call(
        &app,
        Method::GET,
        "/api/v2/users?fields=user_id,email&q=email:ann@example.com",
        None,
    )
    .await;
    assert_eq!(
        trimmed,
        json!([{ "user_id": db_user["user_id"], "email": "ann@example.com" }])
    );
    let (status, bad_q) = call(&app, Method::GET, "/api/v2/users?q=colour:red", None).await;
    assert_eq!(status, 400);
    assert_eq!(
        bad_q["message"],
        "The search query string has an error: unknown field colour"
    );
    let (status, _) = call(
        &app,
        Method::GET,
        "/api/v2/users?page=10&per_page=100",
        None,
    )
    .await;
    assert_eq!(status, 400, "the first 1000 only");
    let (_, by_email) = call(
        &app,
        Method::GET,
        "/api/v2/users-by-email?email=ann%40example.com",
        None,
    )
    .await;
    assert_eq!(by_email[0]["user_id"], db_user["user_id"]);

    let id = enc(db_user["user_id"].as_str().expect("id"));
    let (status, patched) = call(
        &app,
        Method::PATCH,
        &format!("/api/v2/users/{id}"),
        Some(json!({ "user_metadata": { "plan": "pro", "team": null }, "blocked": true, "name": "Ann" })),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(
        patched["user_metadata"],
        json!({ "plan": "pro" }),
        "merged one level deep"
    );
    assert_eq!(patched["blocked"], true);
    assert_eq!(patched["name"], "Ann");
    let (_, got) = call(&app, Method::GET, &format!("/api/v2/users/{id}"), None).await;
    assert_eq!(got, patched);
    let blocked = Mfa::new(&app)
        .token_request(&[
            ("grant_type", "password"),
            ("client_id", CLIENT),
            ("username", "ann@example.com"),
            ("password", "pw-1"),
        ])
        .await;
    assert_eq!(blocked.status(), 401);
    assert_eq!(
        blocked.json::<Value>().await.expect("json"),
        json!({ "error": "unauthorized", "error_description": "user is blocked" })
    );

    assert_eq!(
        call(&app, Method::DELETE, &format!("/api/v2/users/{id}"), None)
            .await
            .0,
        204
    );
    assert_eq!(
        call(&app, Method::DELETE, &format!("/api/v2/users/{id}"), None)
            .await
            .0,
        204,
        "204 when gone too"
    );
    let (status, missing) = call(&app, Method::GET, &format!("/api/v2/users/{id}"), None).await;
    assert_eq!(status, 404);
    assert_eq!(
        missing,
        json!({ "statusCode": 404, "error": "Not Found", "message": "The user does not exist.", "errorCode": "inexistent_user" })
    );
    app.stop().await;
}

/// The user the emulator made for `email` on first login.
async fn user_id_of(app: &TestApp, email: &str) -> String {
    let (_, found) = call(
        app,
        Method::GET,
        &format!("/api/v2/users-by-email?email={}", enc(email)),
        None,
    )
    .await;
    found[0]["user_id"].as_str().expect("user").to_owned()
}

#[tokio::test]
async fn a_phone_enrolled_over_the_mfa_api_is_an_authentication_method_and_a_guardian_enrollment() {
    let app = spawn_app().await;
    Mfa::new(&app)
        .enroll("methods@example.com", "+15550003002")
        .await;
    let user = enc(&user_id_of(&app, "methods@example.com").await);
    let (status, methods) = call(
        &app,
        Method::GET,
        &format!("/api/v2/users/{user}/authentication-methods"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{methods}");
    let phone = methods
        .as_array()
        .expect("array")
        .iter()
        .find(|m| m["type"] == "phone")
        .expect("phone method")
        .clone();
    let dev = phone["id"]
        .as_str()
        .expect("id")
        .trim_start_matches("phone|")
        .to_owned();
    assert_eq!(phone["confirmed"], true);
    assert_eq!(phone["phone_number"], "XXXXXXXX3002");
    assert_eq!(
        phone["authentication_methods"],
        json!([{ "id": format!("sms|{dev}"), "type": "sms" }])
    );
    assert!(methods
        .as_array()
        .expect("array")
        .iter()
        .any(|m| m["type"] == "recovery-code"));
    let (_, totals) = call(
        &app,
        Method::GET,
        &format!("/api/v2/users/{user}/authentication-methods?include_totals=true"),
        None,
    )
    .await;
    assert_eq!(totals["total"], 2);
    assert_eq!(totals["authenticators"].as_array().map(Vec::len), Some(2));
    let (status, one) = call(
        &app,
        Method::GET,
        &format!(
            "/api/v2/users/{user}/authentication-methods/{}",
            enc(&format!("phone|{dev}"))
        ),
        None,
    )
    .await;
    assert_eq!((status, one["id"].clone()), (200, phone["id"].clone()));

    let (_, enrollments) = call(
        &app,
        Method::GET,
        &format!("/api/v2/users/{user}/enrollments"),
        None,
    )
    .await;
    assert_eq!(enrollments[0]["id"], dev.as_str());
    assert_eq!(enrollments[0]["status"], "confirmed");
    let (status, enrollment) = call(
        &app,
        Method::GET,
        &format!("/api/v2/guardian/enrollments/{dev}"),
        None,
    )
    .await;
    assert_eq!(
        (status, enrollment["phone_number"].clone()),
        (200, json!("XXXXXXXX3002"))
    );
    assert_eq!(
        call(
            &app,
            Method::DELETE,
            &format!("/api/v2/guardian/enrollments/{dev}"),
            None
        )
        .await
        .0,
        204
    );
    assert_eq!(
        call(
            &app,
            Method::GET,
            &format!("/api/v2/guardian/enrollments/{dev}"),
            None
        )
        .await
        .0,
        404
    );
    assert_eq!(logs_of(&app, "gd_unenroll").await.len(), 1);
    let (_, left) = call(
        &app,
        Method::GET,
        &format!("/api/v2/users/{user}/authentication-methods"),
        None,
    )
    .await;
    assert!(left
        .as_array()
        .expect("array")
        .iter()
        .all(|m| m["type"] != "phone"));
    app.stop().await;
}

#[tokio::test]
async fn a_phone_an_administrator_adds_is_what_mfa_then_challenges() {
    let app = spawn_app().await;
    let mfa = Mfa::new(&app);
    mfa.login("admin-added@example.com").await;
    let user = enc(&user_id_of(&app, "admin-added@example.com").await);
    let (status, added) = call(
        &app,
        Method::POST,
        &format!("/api/v2/users/{user}/authentication-methods"),
        Some(json!({ "type": "phone", "name": "SMS", "phone_number": "+15550003003" })),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["confirmed"], true);
    assert_eq!(added["name"], "SMS");
    let (status, refused) = call(
        &app,
        Method::POST,
        &format!("/api/v2/users/{user}/authentication-methods"),
        Some(json!({ "type": "totp" })),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    let login = mfa.login("admin-added@example.com").await;
    assert_eq!(
        login["mfa_requirements"],
        json!({ "challenge": [{ "type": "phone" }] })
    );
    let token = login["mfa_token"].as_str().expect("token");
    let challenged: Value = mfa.challenge(token, None).await.json().await.expect("json");
    let code = latest_code(&app, "+15550003003").await;
    let granted = mfa
        .oob_grant(token, challenged["oob_code"].as_str().expect("oob"), &code)
        .await;
    assert_eq!(granted.status(), 200);

    assert_eq!(
        call(
            &app,
            Method::DELETE,
            &format!("/api/v2/users/{user}/authentication-methods"),
            None
        )
        .await
        .0,
        204
    );
    let login = mfa.login("admin-added@example.com").await;
    assert_eq!(
        login["mfa_requirements"],
        json!({ "enroll": [{ "type": "phone" }] })
    );
    app.stop().await;
}

#[tokio::test]
async fn recovery_code_regeneration_replaces_the_code_the_grant_takes() {
    let app = spawn_app().await;
    let mfa = Mfa::new(&app);
    mfa.enroll("regen@example.com", "+15550003004").await;
    let user = enc(&user_id_of(&app, "regen@example.com").await);
    let (status, regenerated) = call(
        &app,
        Method::POST,
        &format!("/api/v2/users/{user}/recovery-code-regeneration"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let code = regenerated["recovery_code"]
        .as_str()
        .expect("code")
        .to_owned();
    assert_eq!(code.len(), 24);
    let token = mfa.mfa_token("regen@example.com").await;
    let granted = mfa
        .token_request(&[
            (
                "grant_type",
                "http://auth0.com/oauth/grant-type/mfa-recovery-code",
            ),
            ("client_id", CLIENT),
            ("mfa_token", &token),
            ("recovery_code", &code),
        ])
        .await;
    assert_eq!(granted.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn guardian_policies_turn_mfa_on_and_off_for_the_tenant() {
    let app = spawn_app().await;
    assert_eq!(
        call(&app, Method::GET, "/api/v2/guardian/policies", None).await,
        (200, json!(["all-applications"]))
    );
    assert_eq!(
        call(
            &app,
            Method::PUT,
            "/api/v2/guardian/policies",
            Some(json!([]))
        )
        .await,
        (200, json!([]))
    );
    let login = |email: &'static str| {
        let mfa = Mfa::new(&app);
        async move {
            mfa.token_request(&[
                ("grant_type", "password"),
                ("client_id", CLIENT),
                ("username", email),
                ("password", "pw"),
            ])
            .await
            .status()
            .as_u16()
        }
    };
    assert_eq!(login("off@example.com").await, 200, "no MFA with no policy");
    assert_eq!(
        call(
            &app,
            Method::PUT,
            "/api/v2/guardian/policies",
            Some(json!(["all-applications"]))
        )
        .await,
        (200, json!(["all-applications"]))
    );
    assert_eq!(login("on@example.com").await, 403, "mfa_required");
    let (status, bad) = call(
        &app,
        Method::PUT,
        "/api/v2/guardian/policies",
        Some(json!(["sometimes"])),
    )
    .await;
    assert_eq!(status, 400, "{bad}");
    // The refused write is logged `fapi`.
    let failed = logs_of(&app, "fapi").await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["details"]["response"]["statusCode"], 400);
    // Each Management API write that succeeded is logged `sapi`.
    let writes = logs_of(&app, "sapi").await;
    assert_eq!(writes.len(), 2, "the two accepted PUTs: {writes:?}");
    assert_eq!(
        writes[0]["details"]["request"]["path"],
        "/api/v2/guardian/policies"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_user_s_logs_are_that_user_s_only() {
    let app = spawn_app().await;
    let mfa = Mfa::new(&app);
    mfa.login("mine@example.com").await;
    mfa.login("theirs@example.com").await;
    let user = user_id_of(&app, "mine@example.com").await;
    let (status, logs) = call(
        &app,
        Method::GET,
        &format!("/api/v2/users/{}/logs", enc(&user)),
        None,
    )
    .await;
    assert_eq!(status, 200, "{logs}");
    let logs = logs.as_array().expect("array");
    assert!(!logs.is_empty());
    assert!(
        logs.iter().all(|l| l["user_id"] == user.as_str()),
        "{logs:?}"
    );
    let (status, _) = call(&app, Method::GET, "/api/v2/users/auth0%7Cnobody/logs", None).await;
    assert_eq!(status, 404);
    app.stop().await;
}

#[tokio::test]
async fn a_user_blocked_mid_login_cannot_finish_mfa() {
    let app = spawn_app().await;
    let mfa = Mfa::new(&app);
    let token = mfa.mfa_token("mid@example.com").await;
    let user = enc(&user_id_of(&app, "mid@example.com").await);
    let (status, _) = call(
        &app,
        Method::PATCH,
        &format!("/api/v2/users/{user}"),
        Some(json!({ "blocked": true })),
    )
    .await;
    assert_eq!(status, 200);
    let refused = mfa.associate(&token, "+15550003005", "sms").await;
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused.json::<Value>().await.expect("json"),
        json!({ "error": "unauthorized", "error_description": "user is blocked" })
    );
    assert!(app.messages().await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn metadata_is_refused_when_too_deep_too_large_or_badly_named() {
    let app = spawn_app().await;
    let (_, user) = call(
        &app,
        Method::POST,
        "/api/v2/users",
        Some(json!({ "connection": "sms", "phone_number": "+15550003006" })),
    )
    .await;
    let id = enc(user["user_id"].as_str().expect("id"));
    let mut deep = json!(1);
    for _ in 0..20 {
        deep = json!({ "a": deep });
    }
    let big = "x".repeat(70 * 1024);
    for (meta, part) in [
        (json!({ "user_metadata": deep }), "nests deeper"),
        (json!({ "user_metadata": { "blob": big } }), "larger than"),
        (json!({ "app_metadata": { "a.b": 1 } }), "'a.b'"),
        (json!({ "app_metadata": { "$where": 1 } }), "'$where'"),
    ] {
        let (status, body) = call(
            &app,
            Method::PATCH,
            &format!("/api/v2/users/{id}"),
            Some(meta),
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["message"].as_str().expect("message").contains(part),
            "{body}"
        );
    }
    let (_, unchanged) = call(&app, Method::GET, &format!("/api/v2/users/{id}"), None).await;
    assert!(
        unchanged.get("user_metadata").is_none(),
        "nothing half-written: {unchanged}"
    );
    app.stop().await;
}

#[tokio::test]
async fn emails_are_one_address_whatever_their_case() {
    let app = spawn_app().await;
    let (status, _) = call(
        &app,
        Method::POST,
        "/api/v2/users",
        Some(json!({ "connection": "Username-Password-Authentication", "email": "Carol@Example.com", "password": "pw" })),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = call(
        &app,
        Method::POST,
        "/api/v2/users",
        Some(json!({ "connection": "Username-Password-Authentication", "email": "carol@example.com", "password": "pw" })),
    )
    .await;
    assert_eq!(status, 409);
    let (_, found) = call(
        &app,
        Method::GET,
        "/api/v2/users-by-email?email=carol%40example.com",
        None,
    )
    .await;
    assert_eq!(
        found.as_array().map(Vec::len),
        Some(1),
        "kept in lower case"
    );
    let (_, found) = call(
        &app,
        Method::GET,
        "/api/v2/users-by-email?email=Carol%40Example.com",
        None,
    )
    .await;
    assert_eq!(
        found,
        json!([]),
        "users-by-email is case-sensitive, as documented"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_tenant_s_user_ids_are_its_own() {
    let app = spawn_app().await;
    let created = app
        .http
        .post(app.url("/emulator/v1/tenants"))
        .json(&json!({ "id": "run2" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(created.status(), 201);
    for prefix in ["", "/t/run2"] {
        let (status, body) = call(
            &app,
            Method::POST,
            &format!("{prefix}/api/v2/users"),
            Some(json!({ "connection": "sms", "phone_number": "+15550003007", "user_id": "qa-1" })),
        )
        .await;
        assert_eq!(
            (status, body["user_id"].clone()),
            (201, json!("sms|qa-1")),
            "{prefix}: {body}"
        );
    }
    // Each tenant's user is its own: deleting one leaves the other.
    assert_eq!(
        call(
            &app,
            Method::DELETE,
            "/t/run2/api/v2/users/sms%7Cqa-1",
            None
        )
        .await
        .0,
        204
    );
    assert_eq!(
        call(&app, Method::GET, "/api/v2/users/sms%7Cqa-1", None)
            .await
            .0,
        200
    );
    app.stop().await;
}

#[tokio::test]
async fn user_fields_longer_than_auth0_allows_are_refused() {
    let app = spawn_app().await;
    let (status, body) = call(
        &app,
        Method::POST,
        "/api/v2/users",
        Some(
            json!({ "connection": "sms", "phone_number": "+15550003008", "name": "n".repeat(301) }),
        ),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["message"],
        "Payload validation error: 'name' must be 1 to 300 characters, not 301"
    );
    app.stop().await;
}

#[tokio::test]
async fn metadata_patches_sent_at_once_all_land() {
    let app = spawn_app().await;
    let (_, user) = call(
        &app,
        Method::POST,
        "/api/v2/users",
        Some(json!({ "connection": "sms", "phone_number": "+15550003009" })),
    )
    .await;
    let id = enc(user["user_id"].as_str().expect("id"));
    let requests = (0..10)
        .map(|i| {
            app.http
                .patch(app.url(&format!("/api/v2/users/{id}")))
                .bearer_auth("mgmt")
                .json(&json!({ "user_metadata": { format!("k{i}"): i } }))
        })
        .collect();
    let answers = all_at_once(requests).await;
    assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");
    let (_, after) = call(&app, Method::GET, &format!("/api/v2/users/{id}"), None).await;
    let keys = after["user_metadata"].as_object().expect("metadata").len();
    assert_eq!(keys, 10, "no merge lost another's key: {after}");
    app.stop().await;
}
