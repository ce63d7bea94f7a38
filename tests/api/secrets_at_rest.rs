//! Nothing secret rests in clear, and nothing Phonebox stores is readable by
//! another local user: event secrets and API-key headers are masked before the
//! write, database files are 0600 in a 0700 directory, the signing key and client
//! secrets are out of SQLite.

use std::path::Path;

use serde_json::{json, Value};

use crate::helpers::{contains, database_bytes, mode, spawn_app_at, Process, TestApp};
use crate::mfa::{verified_claims, Mfa};

const AWS_SECRET: &str = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";
const CONFIG_SECRET: &str = "https://user:hunter2-pw@hooks.example/sms";
const HOOK_SECRET: &str = "hook-secret-0123456789";
const HEADER_SECRETS: [(&str, &str); 4] = [
    ("x-goog-api-key", "AIzaSyD-goog-secret-value-123"),
    ("apikey", "apikey-secret-value-4567"),
    ("x-access-token", "access-token-secret-89ab"),
    ("x-client-secret", "client-secret-value-cdef"),
];

async fn capture(app: &TestApp, path: &str, body: Value) -> Value {
    let mut request = app.http.post(app.url(path)).json(&body);
    for (name, value) in HEADER_SECRETS {
        request = request.header(name, value);
    }
    let response = request.send().await.expect("sent");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.expect("json")
}

#[tokio::test]
async fn captured_event_secrets_and_api_key_headers_are_masked_before_they_are_stored() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    let app = spawn_app_at(&db).await;
    let secrets =
        json!({ "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEYID1234", "AWS_SECRET_ACCESS_KEY": AWS_SECRET });
    capture(
        &app,
        "/capture/auth0/send-phone-message",
        json!({ "event": {
            "message_options": { "action": "enrollment", "code": "111111", "message_type": "sms", "recipient": "+15555552301", "text": "111111 is your code" },
            "secrets": secrets,
            "configuration": { "SERVICE_URL": CONFIG_SECRET },
        }}),
    )
    .await;
    capture(
        &app,
        "/capture/auth0/custom-phone-provider",
        json!({
            "notification": { "message_type": "otp_verify", "delivery_method": "text", "recipient": "+15555552302", "as_text": "222222 is your code", "code": "222222" },
            "secrets": secrets,
            "configuration": { "nested": { "url": CONFIG_SECRET, "port": 8443 } },
        }),
    )
    .await;
    capture(
        &app,
        "/capture/auth0/hook",
        json!({ "recipient": "+15555552303", "text": "333333 is your code", "context": { "webtask": { "secrets": { "TWILIO_AUTH_TOKEN": HOOK_SECRET } } } }),
    )
    .await;

    let mut answers = String::new();
    for m in app.messages().await {
        let id = m["id"].as_str().expect("id");
        let detail = app.get_json(&format!("/emulator/v1/messages/{id}")).await;
        let body = detail["request"]["body"].as_str().expect("raw body");
        // The keys are kept, so a developer sees which secrets their code had.
        assert!(
            body.contains("AWS_SECRET_ACCESS_KEY") || body.contains("TWILIO_AUTH_TOKEN"),
            "{body}"
        );
        answers.push_str(&detail.to_string());
    }
    let expected_tail = "…EKEY";
    assert!(
        answers.contains(expected_tail),
        "values are cut to their last four: {answers}"
    );
    app.stop().await;

    let stored = database_bytes(&db);
    for secret in [AWS_SECRET, "hunter2-pw", HOOK_SECRET]
        .into_iter()
        .chain(HEADER_SECRETS.iter().map(|(_, v)| &v[..v.len() - 4]))
    {
        assert!(!answers.contains(secret), "{secret} in an API answer");
        assert!(
            !contains(&stored, secret),
            "{secret} in the database or its WAL"
        );
    }
}

#[cfg(unix)]
#[tokio::test]
async fn database_wal_shm_secrets_file_and_a_new_data_directory_are_owner_only() {
    let root = tempfile::tempdir().expect("temp dir");
    let data = root.path().join("data");
    let db = data.join("phonebox.db");
    let app = spawn_app_at(&db).await;
    // A capture (WAL and SHM in use), a credential and a signed token (the secrets file).
    crate::helpers::capture_text(&app, "+15555552310", "Your code is 123456").await;
    let saved = app
        .http
        .put(app.url("/api/v2/guardian/factors/phone/providers/twilio"))
        .bearer_auth("mgmt")
        .json(&json!({ "sid": "AC00000000000000000000000000000001", "auth_token": "tok-0123456789abcdef" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(saved.status(), 200);
    let [_, wal, shm] = phonebox::store::files::database_files(&db);
    let secrets = db.with_extension("secrets.json");
    assert_eq!(mode(&data), 0o700);
    for file in [&db, &wal, &shm, &secrets] {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    app.stop().await;

    // Files an older version left readable are tightened at the next start; the
    // directory the user named is theirs and is left alone.
    use std::os::unix::fs::PermissionsExt;
    for file in [&db, &wal, &shm, &secrets] {
        if file.exists() {
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        }
    }
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let app = spawn_app_at(&db).await;
    crate::helpers::capture_text(&app, "+15555552310", "Your code is 654321").await;
    for file in [&db, &wal, &shm, &secrets] {
        assert_eq!(mode(file), 0o600, "{} tightened", file.display());
    }
    assert_eq!(mode(&data), 0o755);
    app.stop().await;
}

#[cfg(unix)]
#[tokio::test]
async fn phonebox_s_own_data_directory_is_made_and_kept_owner_only() {
    let home = tempfile::tempdir().expect("temp dir");
    let data_home = home.path().join("share");
    let env = [
        ("HOME", home.path().as_os_str()),
        ("XDG_DATA_HOME", data_home.as_os_str()),
    ];
    let log = home.path().join("server.log");
    let server = Process::start(&[], &env, &log).await.expect("starts");
    let dir = data_home.join("phonebox");
    assert_eq!(mode(&dir), 0o700, "{}", server.log_text());
    assert_eq!(mode(&dir.join("phonebox.db")), 0o600);
    assert_eq!(server.terminate().await, Some(0));

    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let server = Process::start(&[], &env, &log).await.expect("starts");
    assert_eq!(mode(&dir), 0o700, "our own directory is tightened");
    assert!(server.log_text().contains("tightened permissions"));
    assert_eq!(server.terminate().await, Some(0));
}

/// Reads the secrets file's JSON object.
fn secrets_file(db: &Path) -> serde_json::Map<String, Value> {
    let text = std::fs::read_to_string(db.with_extension("secrets.json")).expect("secrets file");
    serde_json::from_str(&text).expect("json")
}

#[tokio::test]
async fn a_signing_key_an_older_version_kept_in_the_database_moves_out_and_old_tokens_verify() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    let app = spawn_app_at(&db).await;
    let tokens = Mfa::new(&app)
        .sign_in("key@example.com", "+15555552320")
        .await;
    let token = tokens["access_token"].as_str().expect("token").to_owned();
    app.stop().await;
    let mut secrets = secrets_file(&db);
    let pem = secrets
        .remove("jwt/private_key_pem")
        .expect("the key is in the secrets file, not the database");
    assert!(!contains(&database_bytes(&db), "PRIVATE KEY"));

    // Put the database back as an older version left it: the key in `settings`.
    std::fs::write(
        db.with_extension("secrets.json"),
        Value::Object(secrets).to_string(),
    )
    .expect("writes");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("opens");
    sqlx::query("INSERT INTO settings (key, value) VALUES ('jwt.private_key_pem', ?)")
        .bind(pem.as_str().expect("pem"))
        .execute(&pool)
        .await
        .expect("inserts");
    pool.close().await;
    assert!(contains(&database_bytes(&db), "PRIVATE KEY"));

    let app = spawn_app_at(&db).await;
    assert!(
        verified_claims(&app, &token).await.is_some(),
        "a token issued before the move verifies"
    );
    app.stop().await;
    assert_eq!(secrets_file(&db)["jwt/private_key_pem"], pem);
    assert!(
        !contains(&database_bytes(&db), "PRIVATE KEY"),
        "no trace of the key is left in the database or its WAL"
    );
}

#[tokio::test]
async fn client_secrets_are_stored_hashed_and_still_checked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    let app = spawn_app_at(&db).await;
    let patched = app
        .http
        .patch(app.url("/emulator/v1/tenants/default"))
        .json(&json!({ "settings": { "permissive": false } }))
        .send()
        .await
        .expect("sent");
    assert_eq!(patched.status(), 200);
    let created: Value = app
        .http
        .post(app.url("/emulator/v1/tenants/default/clients"))
        .json(&json!({ "name": "Hashed", "client_id": "hashed-app" }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let secret = created["client_secret"]
        .as_str()
        .expect("shown once")
        .to_owned();
    let user = app
        .http
        .post(app.url("/emulator/v1/tenants/default/users"))
        .json(&json!({ "email": "h@example.com", "password": "pw-123456" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(user.status(), 201);
    let login = |secret: String| {
        app.http
            .post(app.url("/oauth/token"))
            .form(&[
                ("grant_type", "password"),
                ("client_id", "hashed-app"),
                ("client_secret", &secret),
                ("username", "h@example.com"),
                ("password", "pw-123456"),
            ])
            .send()
    };
    assert_eq!(
        login(secret.clone()).await.expect("sent").status(),
        403,
        "mfa_required: the secret matched"
    );
    assert_eq!(login("wrong".into()).await.expect("sent").status(), 401);
    app.stop().await;
    assert!(!contains(&database_bytes(&db), &secret));
}
