use crate::helpers::{capture_text, spawn_app_at};

#[tokio::test]
async fn messages_survive_a_restart_on_the_same_file() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("nested/dir/phonebox.db");

    let app = spawn_app_at(&db).await;
    let first = capture_text(&app, "+15555550100", "123456 is your code").await;
    let detail_before = app
        .get_json(&format!(
            "/emulator/v1/messages/{}",
            first["id"].as_str().expect("id")
        ))
        .await;
    app.stop().await;

    let app = spawn_app_at(&db).await;
    let messages = app.messages().await;
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0], first,
        "the listed message is the one acknowledged"
    );
    let detail_after = app
        .get_json(&format!(
            "/emulator/v1/messages/{}",
            first["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(detail_before, detail_after, "raw body and headers too");

    // New ids keep sorting after the old ones.
    let second = capture_text(&app, "+15555550100", "654321 is your code").await;
    assert!(second["id"].as_str() > first["id"].as_str());
    app.stop().await;
}

#[tokio::test]
async fn an_acknowledged_message_is_already_in_the_file() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("phonebox.db");
    let app = spawn_app_at(&db).await;
    let m = capture_text(&app, "+15555550100", "999000 is your code").await;

    // A second, independent connection sees the row while the server still runs.
    let url = format!("sqlite://{}?mode=ro", db.display());
    let pool = sqlx::SqlitePool::connect(&url)
        .await
        .expect("open read-only");
    let (text,): (String,) = sqlx::query_as("SELECT text FROM messages WHERE id = ?")
        .bind(m["id"].as_str().expect("id"))
        .fetch_one(&pool)
        .await
        .expect("row committed");
    assert_eq!(text, "999000 is your code");
    pool.close().await;
    app.stop().await;
}

/// The users table was rebuilt (email made optional for SMS users): a database
/// from before keeps its users, their enrollments and recovery codes, and deleting
/// a user still takes those with it.
#[tokio::test]
async fn a_database_from_before_the_users_rebuild_keeps_users_enrollments_and_recovery_codes() {
    use sqlx::sqlite::SqliteConnectOptions;
    let dir = tempfile::tempdir().expect("dir");
    let old = dir.path().join("migrations");
    std::fs::create_dir(&old).expect("dir");
    let mut files: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .expect("migrations")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    for file in files.iter().filter(|f| {
        f.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n < "20261201000009")
    }) {
        std::fs::copy(file, old.join(file.file_name().expect("name"))).expect("copy");
    }
    let db = dir.path().join("phonebox.db");
    let pool = sqlx::SqlitePool::connect_with(
        SqliteConnectOptions::new()
            .filename(&db)
            .create_if_missing(true)
            .foreign_keys(true),
    )
    .await
    .expect("open");
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .expect("old migrations")
        .run(&pool)
        .await
        .expect("migrated to the old schema");
    for statement in [
        "INSERT INTO tenants VALUES ('default', 'Phonebox', '{}', 0)",
        "INSERT INTO users (user_id, tenant, email, password_hash, name, created_at) \
         VALUES ('auth0|old', 'default', 'old@example.com', 'salt$hash', 'Old', 5)",
        "INSERT INTO users (user_id, tenant, email, password_hash, name, created_at) \
         VALUES ('auth0|zdup', 'default', 'OLD@example.com', 'salt$hash', NULL, 6)",
        "INSERT INTO mfa_enrollments VALUES ('dev_old', 'default', 'auth0|old', '+15550009999', 1, 6, 7)",
        "INSERT INTO recovery_codes VALUES ('auth0|old', 'dev_rc', 'salt$hash', 6)",
    ] {
        sqlx::query(statement).execute(&pool).await.expect(statement);
    }
    pool.close().await;

    let app = spawn_app_at(&db).await;
    let users = app.get_json("/emulator/v1/tenants/default/users").await;
    assert_eq!(users[0]["user_id"], "auth0|old", "{users}");
    assert_eq!(users[0]["email"], "old@example.com");
    // A second spelling of the address keeps its user, not the address.
    assert_eq!(users[1]["user_id"], "auth0|zdup");
    assert_eq!(users[1]["email"], serde_json::Value::Null);
    app.stop().await;

    let pool = sqlx::SqlitePool::connect_with(
        SqliteConnectOptions::new().filename(&db).foreign_keys(true),
    )
    .await
    .expect("open");
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .expect(sql)
        }
    };
    assert_eq!(count("SELECT COUNT(*) FROM mfa_enrollments").await, 1);
    assert_eq!(count("SELECT COUNT(*) FROM recovery_codes").await, 1);
    sqlx::query("DELETE FROM users WHERE user_id = 'auth0|old'")
        .execute(&pool)
        .await
        .expect("delete");
    assert_eq!(
        count("SELECT COUNT(*) FROM mfa_enrollments").await,
        0,
        "cascades still"
    );
    assert_eq!(count("SELECT COUNT(*) FROM recovery_codes").await, 0);
}
