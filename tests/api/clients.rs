//! A client belongs to its tenant: CI suites that make a tenant per run with one
//! test application use the same `client_id` everywhere.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_at};

async fn new_tenant(app: &crate::helpers::TestApp, id: &str) {
    let r = app
        .http
        .post(app.url("/emulator/v1/tenants"))
        .json(&json!({ "id": id }))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn one_client_id_works_in_two_tenants() {
    let app = spawn_app().await;
    for tenant in ["w1", "w2"] {
        new_tenant(&app, tenant).await;
    }
    // Registered on first use (permissive mode) in both tenants.
    for tenant in ["w1", "w2"] {
        let login = app
            .http
            .post(app.url(&format!("/t/{tenant}/oauth/token")))
            .form(&[
                ("grant_type", "password"),
                ("client_id", "ci-test-app"),
                ("username", "qa@example.com"),
                ("password", "pw"),
            ])
            .send()
            .await
            .expect("sent");
        assert_eq!(login.status(), 403, "{tenant}: mfa_required, not a 500");
        let body: Value = login.json().await.expect("json");
        assert_eq!(body["error"], "mfa_required");
    }
    // Created deliberately in both tenants.
    for tenant in ["w1", "w2"] {
        let created = app
            .http
            .post(app.url(&format!("/emulator/v1/tenants/{tenant}/clients")))
            .json(&json!({ "name": "Suite", "client_id": "ci-suite-app" }))
            .send()
            .await
            .expect("sent");
        assert_eq!(created.status(), 201, "{tenant}");
    }
    let again = app
        .http
        .post(app.url("/emulator/v1/tenants/w1/clients"))
        .json(&json!({ "name": "Suite", "client_id": "ci-suite-app" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(again.status(), 409, "but not twice in one tenant");
    for tenant in ["w1", "w2"] {
        let clients = app
            .get_json(&format!("/emulator/v1/tenants/{tenant}/clients"))
            .await;
        let ids: Vec<&str> = clients
            .as_array()
            .expect("array")
            .iter()
            .map(|c| c["client_id"].as_str().expect("id"))
            .collect();
        assert_eq!(ids, vec!["ci-test-app", "ci-suite-app"], "{tenant}");
    }
    app.stop().await;
}

#[tokio::test]
async fn clients_an_older_version_stored_survive_the_migration_with_their_secrets_hashed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    // The schema as it was before clients were keyed by tenant: migrations up to
    // and including the sixth, applied from a folder holding only those.
    let pool = crate::helpers::database_migrated_through(&db, 6).await;
    sqlx::query(
        "INSERT INTO tenants (id, friendly_name, settings, created_at) VALUES ('default', 'Phonebox', '{}', 0)",
    )
    .execute(&pool)
    .await
    .expect("tenant");
    sqlx::query(
        "INSERT INTO clients (client_id, tenant, name, client_secret, on_first_use, created_at) \
         VALUES ('legacy-app', 'default', 'Legacy', 'legacy$clear-secret-0123', 0, 1)",
    )
    .execute(&pool)
    .await
    .expect("client");
    pool.close().await;

    let app = spawn_app_at(&db).await;
    let clients = app.get_json("/emulator/v1/tenants/default/clients").await;
    assert_eq!(clients[0]["client_id"], "legacy-app");
    assert_eq!(clients[0]["name"], "Legacy");
    let login = |secret: &'static str| {
        app.http
            .post(app.url("/oauth/token"))
            .form(&[
                ("grant_type", "password"),
                ("client_id", "legacy-app"),
                ("client_secret", secret),
                ("username", "old@example.com"),
                ("password", "pw"),
            ])
            .send()
    };
    assert_eq!(
        login("legacy$clear-secret-0123")
            .await
            .expect("sent")
            .status(),
        403
    );
    assert_eq!(login("not-it").await.expect("sent").status(), 401);
    app.stop().await;
    assert!(!crate::helpers::contains(
        &crate::helpers::database_bytes(&db),
        "legacy$clear-secret-0123"
    ));
}
