//! `GET /api/v2/logs` searched as Auth0's "Log Search Query Syntax" and "Retrieve
//! log events using the Management API" describe: fields, quotes, wildcards,
//! ranges, AND/OR/NOT, `fields`/`include_fields`, the 1000-result cap and
//! checkpoint paging with a `Link` header.

use serde_json::Value;

use crate::helpers::{spawn_app, TestApp};
use crate::mfa::{Mfa, CLIENT};

async fn search(app: &TestApp, query: &str) -> (u16, Value, Option<String>) {
    let response = app
        .http
        .get(app.url(&format!("/api/v2/logs?{query}")))
        .bearer_auth("any")
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    let link = response
        .headers()
        .get("link")
        .map(|v| v.to_str().expect("text").to_owned());
    (status, response.json().await.expect("json"), link)
}

fn kinds(logs: &Value) -> Vec<String> {
    logs.as_array()
        .expect("array")
        .iter()
        .map(|l| l["type"].as_str().expect("type").to_owned())
        .collect()
}

/// Two users' logins: `mfar` for each, with their names and the client.
async fn two_logins(app: &TestApp) {
    let mfa = Mfa::new(app);
    mfa.login("alice@example.com").await;
    mfa.login("bob@example.org").await;
}

fn q(text: &str) -> String {
    format!("q={}", urlencode(text))
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn q_searches_the_documented_fields_with_quotes_wildcards_and_booleans() {
    let app = spawn_app().await;
    two_logins(&app).await;
    let names = |logs: &Value| -> Vec<String> {
        logs.as_array()
            .expect("array")
            .iter()
            .map(|l| l["user_name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let (status, found, _) = search(&app, &q(r#"user_name:"alice@example.com""#)).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(names(&found), ["alice@example.com"]);
    let (_, found, _) = search(&app, &q("user_name:bob*")).await;
    assert_eq!(names(&found), ["bob@example.org"]);
    let (_, found, _) = search(&app, &q("user_name:*example.org")).await;
    assert_eq!(names(&found), ["bob@example.org"]);
    let (_, found, _) = search(&app, &q(&format!("type:mfar AND client_id:{CLIENT}"))).await;
    assert_eq!(kinds(&found), ["mfar", "mfar"]);
    let (_, found, _) = search(
        &app,
        &q("user_name:alice@example.com OR user_name:bob@example.org"),
    )
    .await;
    assert_eq!(found.as_array().map(Vec::len), Some(2));
    let (_, found, _) = search(&app, &q("type:mfar AND NOT user_name:bob*")).await;
    assert_eq!(names(&found), ["alice@example.com"]);
    let (_, found, _) = search(&app, &q("type:mfar -user_name:alice*")).await;
    assert_eq!(names(&found), ["bob@example.org"]);
    let (_, found, _) = search(&app, &q("ip:127.0.0.1 AND (type:mfar OR type:fp)")).await;
    assert_eq!(kinds(&found), ["mfar", "mfar"]);
    let (_, found, _) = search(&app, &q("description:*authentication*")).await;
    assert_eq!(kinds(&found), ["mfar", "mfar"]);
    app.stop().await;
}

#[tokio::test]
async fn q_takes_inclusive_and_exclusive_date_ranges() {
    let app = spawn_app().await;
    two_logins(&app).await;
    let (_, all, _) = search(&app, &q("type:mfar")).await;
    let dates: Vec<&str> = all
        .as_array()
        .expect("array")
        .iter()
        .map(|l| l["date"].as_str().expect("date"))
        .collect();
    let (newest, oldest) = (dates[0], dates[1]);
    let (_, found, _) = search(
        &app,
        &q(&format!("type:mfar AND date:[{oldest} TO {newest}]")),
    )
    .await;
    assert_eq!(found.as_array().map(Vec::len), Some(2));
    if oldest != newest {
        let (_, found, _) = search(
            &app,
            &q(&format!("type:mfar AND date:{{{oldest} TO {newest}]")),
        )
        .await;
        assert_eq!(
            found.as_array().map(Vec::len),
            Some(1),
            "exclusive lower bound"
        );
    }
    let today = &newest[..10];
    let (_, found, _) = search(
        &app,
        &q(&format!("type:mfar AND date:[{today} TO {today}]")),
    )
    .await;
    assert_eq!(
        found.as_array().map(Vec::len),
        Some(2),
        "a day bound takes in the whole day"
    );
    let (_, found, _) = search(&app, &q("date:[* TO 2000-01-01]")).await;
    assert_eq!(found.as_array().map(Vec::len), Some(0));
    app.stop().await;
}

#[tokio::test]
async fn a_query_phonebox_cannot_answer_is_a_400_naming_the_part() {
    let app = spawn_app().await;
    for (query, part) in [
        ("colour:red", "unknown field 'colour'"),
        ("user_name:*ab", "'*ab' needs at least 3 characters"),
        ("date:[2026-13-01 TO *]", "'2026-13-01' is not a date"),
        ("type:(s OR fp", "unbalanced '('"),
        (r#"user_name:"open"#, "unterminated quote"),
    ] {
        let (status, body, _) = search(&app, &q(query)).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["statusCode"], 400);
        assert_eq!(body["error"], "Bad Request");
        let message = body["message"].as_str().expect("message");
        assert!(
            message.starts_with("The search query string has an error: ") && message.contains(part),
            "{query}: {message}"
        );
    }
    let (status, _, _) = search(&app, &q(&"type:s AND ".repeat(300))).await;
    assert_eq!(status, 400, "a huge query is refused, not run");
    app.stop().await;
}

#[tokio::test]
async fn fields_and_include_fields_trim_each_log_object() {
    let app = spawn_app().await;
    two_logins(&app).await;
    let (_, only, _) = search(&app, "fields=type,user_name&q=type:mfar").await;
    let first = only[0].as_object().expect("object");
    let mut keys: Vec<&String> = first.keys().collect();
    keys.sort();
    assert_eq!(keys, ["type", "user_name"]);
    let (_, without, _) = search(
        &app,
        "fields=details,user_agent&include_fields=false&q=type:mfar",
    )
    .await;
    let first = without[0].as_object().expect("object");
    assert!(
        !first.contains_key("details") && first.contains_key("log_id"),
        "{first:?}"
    );
    let (status, body, _) = search(&app, "fields=password").await;
    assert_eq!(status, 400, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn offset_paging_stops_at_1000_results() {
    let app = spawn_app().await;
    let (status, _, _) = search(&app, "page=9&per_page=100").await;
    assert_eq!(status, 200, "results 900 to 999 are allowed");
    let (status, body, _) = search(&app, "page=10&per_page=100").await;
    assert_eq!(status, 400);
    assert!(body["message"]
        .as_str()
        .expect("message")
        .starts_with("Requesting page 10 exceeds the allowed maximum of 1000 records"));
    app.stop().await;
}

#[tokio::test]
async fn checkpoint_paging_walks_the_log_by_id_with_a_link_to_the_next_page() {
    let app = spawn_app().await;
    let mfa = Mfa::new(&app);
    for i in 0..5 {
        mfa.login(&format!("page{i}@example.com")).await;
    }
    let (_, all, _) = search(&app, "sort=date:1&per_page=100").await;
    let ids: Vec<String> = all
        .as_array()
        .expect("array")
        .iter()
        .map(|l| l["log_id"].as_str().expect("id").to_owned())
        .collect();
    assert!(ids.len() >= 5);
    let mut seen = Vec::new();
    let mut from = ids[0].clone();
    seen.push(from.clone());
    loop {
        let (status, page, link) =
            search(&app, &format!("from={from}&take=2&q=type:nothing")).await;
        assert_eq!(status, 200);
        let link = link.expect("a Link header");
        let page_ids: Vec<String> = page
            .as_array()
            .expect("array")
            .iter()
            .map(|l| l["log_id"].as_str().expect("id").to_owned())
            .collect();
        if page_ids.is_empty() {
            assert!(link.contains(&format!("from={from}&take=2")), "{link}");
            break;
        }
        assert!(page_ids.len() <= 2);
        let last = page_ids.last().expect("last").clone();
        assert_eq!(
            link,
            format!(
                "<{}/api/v2/logs?from={last}&take=2>; rel=\"next\"",
                app.url("")
            )
        );
        seen.extend(page_ids);
        from = last;
    }
    assert_eq!(seen, ids, "every event once, in id order, q ignored");
    app.stop().await;
}

#[tokio::test]
async fn a_checkpoint_must_be_a_log_id_and_is_echoed_only_as_one() {
    let app = spawn_app().await;
    let (status, body, link) = search(
        &app,
        &format!(
            "from={}&take=5",
            urlencode(r#"zz>; rel="prev", <http://evil.example/"#)
        ),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(link.is_none());
    app.stop().await;
}
