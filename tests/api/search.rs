//! Searching messages (`q`) through the full-text index: what a user types finds
//! what LIKE found before it, hostile text never breaks it, and deletions leave
//! no stale match or count behind. Each runs twice where it can: on messages
//! the background indexer has not reached (matched row by row) and, once it has,
//! through the index.

use serde_json::Value;

use crate::helpers::{capture_text, spawn_app, TestApp};

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The texts of the messages `q` finds, newest first.
async fn found(app: &TestApp, q: &str) -> Vec<String> {
    let page = app
        .get_json(&format!("/emulator/v1/messages?q={}", urlencode(q)))
        .await;
    texts(&page)
}

/// Fails unless the index is still behind (the indexer waits for 250 ms without a
/// capture): the pass that follows matches the newest messages row by row.
async fn not_indexed_yet(app: &TestApp) {
    let behind = app.index_behind().await;
    assert!(
        behind > 0,
        "the indexer already holds every message: the row-by-row pass would go unexercised"
    );
}

fn texts(page: &Value) -> Vec<String> {
    page["messages"]
        .as_array()
        .expect("array")
        .iter()
        .map(|m| m["text"].as_str().expect("text").to_owned())
        .collect()
}

#[tokio::test]
async fn search_finds_words_as_typed_codes_and_parts_of_numbers() {
    let app = spawn_app().await;
    capture_text(&app, "+15551230001", "482913 is your verification code").await;
    capture_text(&app, "+15557770002", "Votre code de vérification: 551177").await;
    capture_text(&app, "+15557770003", "Please enter this code to verify").await;
    not_indexed_yet(&app).await;
    finds_what_users_type(&app).await;
    app.until_indexed().await;
    finds_what_users_type(&app).await;
}

async fn finds_what_users_type(app: &TestApp) {
    assert_eq!(found(app, "verif").await.len(), 2, "a word as it is typed");
    assert_eq!(
        found(app, "VERIFICATION").await,
        ["482913 is your verification code"],
        "case does not matter"
    );
    assert_eq!(found(app, "erification").await.len(), 1, "inside a word");
    assert_eq!(found(app, "482913").await.len(), 1, "a code");
    assert_eq!(found(app, "2913").await.len(), 1, "part of a code");
    assert_eq!(found(app, "777000").await.len(), 2, "part of a number");
    assert_eq!(
        found(app, "+1555123").await.len(),
        1,
        "the start of a number"
    );
    assert_eq!(found(app, "your verification").await.len(), 1, "a phrase");
    assert_eq!(
        found(app, "vérification").await.len(),
        1,
        "accents as typed"
    );
    assert_eq!(found(app, "ve").await.len(), 2, "two letters still search");
    assert!(found(app, "nowhere to be seen").await.is_empty());
}

#[tokio::test]
async fn hostile_searches_answer_a_list_or_a_clear_error_never_a_failure() {
    let app = spawn_app().await;
    capture_text(
        &app,
        "+15551230001",
        r#"say "hi" * NEAR(this) AND OR -x ^y"#,
    )
    .await;
    not_indexed_yet(&app).await;
    hostile_queries_are_just_text(&app).await;
    app.until_indexed().await;
    hostile_queries_are_just_text(&app).await;
}

async fn hostile_queries_are_just_text(app: &TestApp) {
    for q in [
        "\"",
        "\"\"",
        "*",
        "***",
        "NEAR(",
        "NEAR(a b)",
        "a OR b",
        "AND",
        "-x",
        "^y",
        "(",
        ")",
        "{text}:hi",
        "text:hi",
        "col:",
        "'",
        "%",
        "_",
        "\\",
        "\u{0301}",
        "😀😀😀",
        "a\u{0}b",
        " ",
        "   ",
    ] {
        let response = app
            .get(&format!("/emulator/v1/messages?q={}", urlencode(q)))
            .await;
        assert_eq!(response.status(), 200, "q={q:?}");
        let page: Value = response.json().await.expect("json");
        assert!(page["messages"].is_array(), "q={q:?}");
    }
    assert_eq!(
        found(app, "NEAR(this)").await.len(),
        1,
        "syntax is just text"
    );
    assert_eq!(found(app, r#""hi""#).await.len(), 1, "quotes are just text");

    let long = "verification ".repeat(800);
    let response = app
        .get(&format!("/emulator/v1/messages?q={}", urlencode(&long)))
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["field"], "q", "{body}");
}

#[tokio::test]
async fn search_pages_follow_the_cursor_without_repeats() {
    let app = spawn_app().await;
    for i in 0..7 {
        capture_text(&app, "+15551230001", &format!("code {i}00000 for you")).await;
    }
    capture_text(&app, "+15551230002", "unrelated").await;
    let expected: Vec<String> = (0..7)
        .rev()
        .map(|i| format!("code {i}00000 for you"))
        .collect();
    not_indexed_yet(&app).await;
    assert_eq!(paged(&app).await, expected);
    app.until_indexed().await;
    assert_eq!(paged(&app).await, expected);
}

/// Every message `for you` finds, three a page, following the cursor.
async fn paged(app: &TestApp) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let before = cursor.map(|c| format!("&before={c}")).unwrap_or_default();
        let page = app
            .get_json(&format!("/emulator/v1/messages?q=for+you&limit=3{before}"))
            .await;
        seen.extend(texts(&page));
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            return seen;
        }
    }
}

#[tokio::test]
async fn deleted_messages_leave_the_search_and_the_phone_counts() {
    let app = spawn_app().await;
    let kept = capture_text(&app, "+15551230001", "needle one").await;
    let gone = capture_text(&app, "+15551230001", "needle two").await;
    capture_text(&app, "+15551230002", "needle three").await;
    // Deleted from the index, not only from the rows above its mark.
    app.until_indexed().await;

    let id = gone["id"].as_str().expect("id");
    assert_eq!(
        app.delete(&format!("/emulator/v1/messages/{id}"))
            .await
            .status(),
        204
    );
    assert_eq!(found(&app, "needle").await, ["needle three", "needle one"]);
    let phones = app.get_json("/emulator/v1/phones").await;
    assert_eq!(phones["unread"], 2);
    let first = &phones["phones"][1];
    assert_eq!(first["number"], "+15551230001");
    assert_eq!(first["count"], 1);
    assert_eq!(first["unread"], 1);
    assert_eq!(
        first["last_message"]["id"], kept["id"],
        "its newest is the one left"
    );

    assert_eq!(
        app.delete("/emulator/v1/phones/+15551230002")
            .await
            .status(),
        200
    );
    assert_eq!(found(&app, "needle").await, ["needle one"]);
    let phones = app.get_json("/emulator/v1/phones").await;
    assert_eq!(
        phones["phones"].as_array().map(Vec::len),
        Some(1),
        "{phones}"
    );

    assert_eq!(app.delete("/emulator/v1/messages").await.status(), 200);
    assert!(found(&app, "needle").await.is_empty());
    let phones = app.get_json("/emulator/v1/phones").await;
    assert_eq!(phones["phones"].as_array().map(Vec::len), Some(0));
    assert_eq!(phones["unread"], 0);
}
