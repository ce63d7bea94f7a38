//! `EXPLAIN QUERY PLAN` of every query the inbox makes often (the UI's first
//! screen, a phone's thread, search, filters, `latest`, unread counts), run on the
//! very statements the store builds: a plan that reads every message, or sorts a
//! paged list instead of walking an index in order, fails here, long before a
//! million messages make it slow.

use sqlx::{QueryBuilder, Row, Sqlite};

use super::messages::{self, Filter, Search};
use super::{phone_reads, phones, Connection, Store};
use crate::message::phone::PhoneNumber;
use crate::message::{Source, Status};

const EXPLAIN: &str = "EXPLAIN QUERY PLAN ";

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("plans.db"))
        .await
        .expect("store opens");
    (dir, store)
}

/// The plan's lines, as `EXPLAIN QUERY PLAN` words them. One connection for the
/// whole test: an EXPLAIN prepared on another would not see an index dropped
/// since (it checks no schema version), and would describe the old plan.
async fn plan(conn: &mut Connection, mut query: QueryBuilder<'_, Sqlite>) -> Vec<String> {
    let rows = query.build().fetch_all(conn.raw()).await.expect("explain");
    rows.iter()
        .map(|r| r.try_get::<String, _>("detail").expect("detail"))
        .collect()
}

async fn plan_of(conn: &mut Connection, sql: &str) -> Vec<String> {
    plan(conn, QueryBuilder::new(format!("{EXPLAIN}{sql}"))).await
}

async fn drop_index(conn: &mut Connection, index: &str) {
    sqlx::query(&format!("DROP INDEX {index}"))
        .execute(conn.raw())
        .await
        .expect("drop index");
}

/// What is wrong with a hot query's plan, if anything. `walk_all` allows walking
/// every message in id order (the unfiltered first page, which stops at its
/// limit); anything else must seek: no SCAN of messages (`m`) at all, and no
/// sorting a page in a temporary b-tree.
fn faults(plan: &[String], walk_all: bool) -> Vec<String> {
    plan.iter()
        .filter(|line| {
            let scans_messages = ["SCAN messages", "SCAN m"]
                .iter()
                .any(|s| *line == s || line.starts_with(&format!("{s} ")));
            let ordered_walk =
                walk_all && *line == "SCAN messages USING INDEX sqlite_autoindex_messages_1";
            (scans_messages && !ordered_walk)
                || line.starts_with("USE TEMP B-TREE")
                || *line == "SCAN p"
                || *line == "SCAN phones"
        })
        .cloned()
        .collect()
}

fn phone() -> PhoneNumber {
    PhoneNumber::parse("+15551000123").expect("number")
}

fn search(q: &str, before_rowid: Option<i64>) -> Search {
    Search {
        matched: messages::search_phrase(q),
        before_rowid,
        mark: 1000,
    }
}

/// A hot query: its name, its plan, whether it may walk every message in id
/// order, and the index (or table) its plan must use.
type Hot = (&'static str, Vec<String>, bool, &'static str);

/// Every hot query, named, with its plan.
async fn hot_plans(store: &mut Connection) -> Vec<Hot> {
    let all = Filter::default();
    let thread = Filter {
        to: Some(phone()),
        ..Filter::default()
    };
    let thread_next = Filter {
        before: Some("01J00000000000000000000000".to_owned()),
        ..thread.clone()
    };
    let by_source = Filter {
        source: Some(Source::VonageSms),
        ..Filter::default()
    };
    let by_tenant = Filter {
        tenant: Some("acme".to_owned()),
        ..Filter::default()
    };
    let by_transaction = Filter {
        transaction_id: Some("01JTX0000000000000000000000".to_owned()),
        ..Filter::default()
    };
    let latest = Filter {
        to: Some(phone()),
        tenant: Some("acme".to_owned()),
        status: Some(Status::Received),
        ..Filter::default()
    };
    let thread_search = Filter {
        query: Some("verification".to_owned()),
        ..thread.clone()
    };
    let latest_after = Filter {
        after: Some(messages::After::Id("01J00000000000000000000000".to_owned())),
        ..latest.clone()
    };
    let word = search("verification", None);
    let code = search("482913", None);
    let word_next = search("verification", Some(1234));
    let mut out = vec![
        (
            "all messages, first page",
            plan(&mut *store, messages::list_query(EXPLAIN, &all, None, 100)).await,
            true,
            "sqlite_autoindex_messages_1",
        ),
        (
            "a phone's thread",
            plan(
                &mut *store,
                messages::list_query(EXPLAIN, &thread, None, 100),
            )
            .await,
            false,
            "messages_by_recipient",
        ),
        (
            "a phone's thread, next page",
            plan(
                &mut *store,
                messages::list_query(EXPLAIN, &thread_next, None, 100),
            )
            .await,
            false,
            "messages_by_recipient",
        ),
        (
            "filter by source",
            plan(
                &mut *store,
                messages::list_query(EXPLAIN, &by_source, None, 100),
            )
            .await,
            false,
            "messages_by_source",
        ),
        (
            "filter by tenant",
            plan(
                &mut *store,
                messages::list_query(EXPLAIN, &by_tenant, None, 100),
            )
            .await,
            false,
            "messages_by_tenant",
        ),
        (
            "filter by transaction",
            plan(
                &mut *store,
                messages::list_query(EXPLAIN, &by_transaction, None, 100),
            )
            .await,
            false,
            "messages_by_transaction",
        ),
        (
            "latest for one phone",
            plan(&mut *store, messages::list_query(EXPLAIN, &latest, None, 1)).await,
            false,
            "messages_by_recipient",
        ),
        (
            "latest for one phone after an id",
            plan(
                &mut *store,
                messages::list_query(EXPLAIN, &latest_after, None, 1),
            )
            .await,
            false,
            "messages_by_recipient",
        ),
        (
            "search a word",
            plan(
                &mut *store,
                messages::list_query(EXPLAIN, &all, Some(&word), 100),
            )
            .await,
            false,
            "message_search",
        ),
        (
            "search a word, rows newer than the index",
            plan(&mut *store, messages::tail_query(EXPLAIN, &all, &word, 100)).await,
            false,
            "INTEGER PRIMARY KEY (rowid>?)",
        ),
        (
            "search a code",
            plan(
                &mut *store,
                messages::list_query(EXPLAIN, &all, Some(&code), 100),
            )
            .await,
            false,
            "message_search",
        ),
        (
            "search, next page",
            plan(
                store,
                messages::list_query(EXPLAIN, &all, Some(&word_next), 100),
            )
            .await,
            false,
            "message_search",
        ),
        (
            "search within a phone",
            plan(
                &mut *store,
                messages::list_query(EXPLAIN, &thread_search, None, 100),
            )
            .await,
            false,
            "messages_by_recipient",
        ),
        (
            "phone list, first page",
            plan(&mut *store, phones::page_query(EXPLAIN, 200, None)).await,
            false,
            "phones_by_last_id",
        ),
        (
            "phone list, next page",
            plan(
                store,
                phones::page_query(EXPLAIN, 200, Some("01J00000000000000000000000")),
            )
            .await,
            false,
            "phones_by_last_id",
        ),
        (
            "mark a phone read",
            plan_of(&mut *store, phone_reads::NEWEST).await,
            false,
            "messages_by_recipient",
        ),
    ];
    // One row per phone, never a message: summing them is the point.
    let unread = plan_of(&mut *store, phones::UNREAD_TOTAL).await;
    assert!(
        unread.iter().all(|l| !l.contains("messages")),
        "unread total reads messages: {unread:?}"
    );
    out.push(("unread total", Vec::new(), false, ""));
    out
}

#[tokio::test]
async fn every_hot_query_seeks_an_index_and_sorts_nothing() {
    let (_dir, store) = store().await;
    let mut conn = store.dedicated().await.expect("connection");
    let mut wrong = Vec::new();
    for (name, plan, walk_all, uses) in hot_plans(&mut conn).await {
        let mut faults = faults(&plan, walk_all);
        if !plan.iter().all(|l| l.is_empty()) && !plan.iter().any(|l| l.contains(uses)) {
            faults.push(format!("does not use {uses}"));
        }
        if !faults.is_empty() {
            wrong.push(format!("{name}: {faults:?} in {plan:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "plans that scan or sort:\n{}",
        wrong.join("\n")
    );
}

#[tokio::test]
async fn the_plan_check_fails_a_filter_once_its_index_is_gone() {
    let (_dir, store) = store().await;
    let mut conn = store.dedicated().await.expect("connection");
    for index in [
        "messages_by_tenant",
        "messages_by_source",
        "messages_by_transaction",
    ] {
        drop_index(&mut conn, index).await;
    }
    let plans = hot_plans(&mut conn).await;
    let flagged: Vec<&str> = plans
        .iter()
        .filter(|(_, plan, walk_all, _)| !faults(plan, *walk_all).is_empty())
        .map(|(name, _, _, _)| *name)
        .collect();
    assert_eq!(
        flagged,
        [
            "filter by source",
            "filter by tenant",
            "filter by transaction"
        ]
    );
}

#[tokio::test]
async fn the_plan_check_fails_the_phone_list_without_its_index() {
    let (_dir, store) = store().await;
    let mut conn = store.dedicated().await.expect("connection");
    drop_index(&mut conn, "phones_by_last_id").await;
    let plan = plan(&mut conn, phones::page_query(EXPLAIN, 200, None)).await;
    assert!(!faults(&plan, false).is_empty(), "{plan:?}");
}
