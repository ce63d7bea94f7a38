use crate::helpers::{capture_text, spawn_app};

async fn layout(text: &str) -> (String, u64) {
    let app = spawn_app().await;
    let m = capture_text(&app, "+15555550100", text).await;
    app.stop().await;
    (
        m["encoding"].as_str().expect("encoding").to_owned(),
        m["segments"].as_u64().expect("segments"),
    )
}

#[tokio::test]
async fn gsm7_fits_160_in_one_segment_and_161_needs_two() {
    assert_eq!(layout(&"a".repeat(160)).await, ("gsm7".into(), 1));
    assert_eq!(layout(&"a".repeat(161)).await, ("gsm7".into(), 2));
}

#[tokio::test]
async fn ucs2_fits_70_in_one_segment_and_71_needs_two() {
    assert_eq!(layout(&"ç".repeat(70)).await, ("ucs2".into(), 1));
    assert_eq!(layout(&"ç".repeat(71)).await, ("ucs2".into(), 2));
}

#[tokio::test]
async fn one_emoji_switches_the_whole_text_to_ucs2() {
    let text = format!("{} 👍", "a".repeat(66)); // 67 characters, 68 UTF-16 units
    assert_eq!(layout(&text).await, ("ucs2".into(), 1));
    let text = format!("{} 👍", "a".repeat(68)); // 71 units
    assert_eq!(layout(&text).await, ("ucs2".into(), 2));
}

#[tokio::test]
async fn euro_sign_stays_gsm7_but_costs_two_septets() {
    let text = format!("{}€", "a".repeat(158)); // 160 septets
    assert_eq!(layout(&text).await, ("gsm7".into(), 1));
    let text = format!("{}€", "a".repeat(159)); // 161 septets
    assert_eq!(layout(&text).await, ("gsm7".into(), 2));
}
