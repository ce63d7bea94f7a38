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
