//! The emulated clock: advanced over HTTP, stamped on captures, kept across restarts.

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::helpers::{capture_text, spawn_app, spawn_app_at};

fn parse(t: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(t.as_str().expect("text"), &Rfc3339).expect("RFC 3339")
}

#[tokio::test]
async fn advancing_moves_now_and_capture_times_and_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    let app = spawn_app_at(&db).await;
    let before = capture_text(&app, "+15555550500", "first 111111").await;
    let advanced = app
        .http
        .post(app.url("/emulator/v1/clock/advance"))
        .json(&json!({"by": "2h"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(advanced.status(), 200);
    let clock: Value = advanced.json().await.expect("json");
    assert_eq!(clock["offset_ms"], 7_200_000);
    assert_eq!(clock["offset"], "2h");

    let after = capture_text(&app, "+15555550500", "second 222222").await;
    let gap = parse(&after["received_at"]) - parse(&before["received_at"]);
    assert!(
        gap >= time::Duration::hours(2),
        "stamped on the emulated clock: {gap}"
    );
    assert!(
        after["id"].as_str() > before["id"].as_str(),
        "ids still sort by arrival"
    );
    app.stop().await;

    let again = spawn_app_at(&db).await;
    assert_eq!(
        again.get_json("/emulator/v1/clock").await["offset_ms"],
        7_200_000
    );
    let reset = again.delete("/emulator/v1/clock").await;
    assert_eq!(reset.status(), 200);
    assert_eq!(again.get_json("/emulator/v1/clock").await["offset_ms"], 0);
    again.stop().await;
}

#[tokio::test]
async fn bad_advances_are_refused() {
    let app = spawn_app().await;
    for body in [
        json!({"by": "soon"}),
        json!({"by": "0s"}),
        json!({"by": "400d"}),
        json!({"by": 3600}),
        json!({}),
    ] {
        let response = app
            .http
            .post(app.url("/emulator/v1/clock/advance"))
            .json(&body)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 400, "{body}");
        let error: Value = response.json().await.expect("json");
        assert_eq!(error["field"], "by", "{body} → {error}");
    }
    assert_eq!(app.get_json("/emulator/v1/clock").await["offset_ms"], 0);
    app.stop().await;
}
