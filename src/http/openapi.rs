//! The OpenAPI 3.1 document of `/emulator/v1`, generated from the handlers'
//! `#[utoipa::path]` annotations and the Rust types they answer with (never
//! written by hand), served at `/emulator/v1/openapi.json`, with a readable page
//! at `/docs`.
//!
//! `docs/openapi.json` is the same document checked in, for clients generated
//! from it (the TypeScript client's types): `cargo test` fails when it differs,
//! and `PHONEBOX_WRITE_OPENAPI=1 cargo test --lib openapi` (`make openapi`)
//! rewrites it. A second test reads the routers' source and fails on any
//! `/emulator/v1` route the document leaves out.
//!
//! `/docs` is a small page of our own, embedded: the viewer crates load their
//! scripts from a CDN or download them at build time, and Phonebox fetches
//! nothing from the internet.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use utoipa::OpenApi;

use super::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Phonebox /emulator/v1",
        description = "Phonebox's own API: the captured messages and their codes, the \
            emulated tenants, the clock, fault injection and forwarding. Errors answer \
            `{\"error\": kind, \"message\": text, \"field\"?: path}`."
    ),
    paths(
        super::emulator::health,
        super::metrics::metrics,
        super::emulator::list,
        super::emulator::clear_all,
        super::emulator::one,
        super::emulator::delete_one,
        super::emulator::phones,
        super::emulator::clear_phone,
        super::emulator::latest,
        super::emulator::mark_read,
        super::emulator::capture_state,
        super::emulator::set_capture,
        super::events::stream,
        super::tenants::list,
        super::tenants::create,
        super::tenants::one,
        super::tenants::patch,
        super::tenants::delete,
        super::tenants::reset,
        super::tenants::clients,
        super::tenants::add_client,
        super::tenants::users,
        super::tenants::add_user,
        super::tenants::limits,
        super::clock::read,
        super::clock::reset,
        super::clock::advance,
        super::retention::read,
        super::retention::change,
        super::actions::list,
        super::actions::create,
        super::actions::one,
        super::actions::change,
        super::actions::remove,
        super::actions::test,
        super::actions::runs,
        super::actions::flow,
        super::chaos::list,
        super::chaos::clear,
        super::chaos::one,
        super::chaos::set,
        super::chaos::remove,
        super::forward::view,
        super::forward::set_allowlist,
        super::forward::set_phones,
        super::forward::set_provider,
        super::forward::remove_provider,
        super::forward::rules,
        super::forward::add_rule,
        super::forward::update_rule,
        super::forward::delete_rule,
        super::forward::forward,
        super::forward::forwards_of,
        super::forward::one,
        openapi_json,
    ),
    tags(
        (name = "messages", description = "Captured messages"),
        (name = "phones", description = "Each phone's messages, and waiting for a code"),
        (name = "capture", description = "Pausing capture"),
        (name = "events", description = "Live events"),
        (name = "tenants", description = "The emulated Auth0 tenants, their clients and users"),
        (name = "limits", description = "Auth0's rate limits, as counted"),
        (name = "clock", description = "The emulated clock"),
        (name = "retention", description = "What is kept of the inbox: the newest messages, the youngest"),
        (name = "actions", description = "The user's own phone Actions and Hooks, run locally, and each flow's timeline"),
        (name = "chaos", description = "Fault injection in the provider APIs"),
        (name = "forwarding", description = "Forwarding captured messages to real providers"),
        (name = "health", description = "Liveness"),
        (name = "openapi", description = "This document"),
    )
)]
struct EmulatorApi;

/// The document as JSON, built once.
pub fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        EmulatorApi::openapi()
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\":\"internal_error\",\"message\":\"{e}\"}}"))
    })
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/emulator/v1/openapi.json", get(openapi_json))
        .route("/docs", get(docs_page))
        .route("/docs/viewer.js", get(docs_script))
}

/// This document.
#[utoipa::path(get, operation_id = "getOpenApi", path = "/emulator/v1/openapi.json", tag = "openapi",
    responses((status = 200, description = "The OpenAPI 3.1 document of /emulator/v1", body = Object)))]
async fn openapi_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document()).into_response()
}

const PAGE: &str = include_str!("openapi.html");
const SCRIPT: &str = include_str!("openapi.js");

/// The page and its script load nothing but this server's own files.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    connect-src 'self'; frame-ancestors 'none'";

async fn docs_page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        PAGE,
    )
        .into_response()
}

async fn docs_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        SCRIPT,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use super::*;

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn the_checked_in_openapi_document_is_the_generated_one() {
        let path = root().join("docs/openapi.json");
        let want = format!("{}\n", document());
        if std::env::var_os("PHONEBOX_WRITE_OPENAPI").is_some() {
            std::fs::write(&path, &want).expect("write the OpenAPI document");
            return;
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{} is stale: run `make openapi` and commit it",
            path.display()
        );
    }

    /// Every `.route("/emulator/v1/…", get(…).post(…))` of a router source file, as
    /// `(method, path)`. The routers name their paths as literals and their methods
    /// with axum's `get`/`post`/`put`/`patch`/`delete`; anything else (`any`, `on`)
    /// is refused here, so a route cannot slip past by being written differently.
    fn routes_in(source: &str) -> Vec<(String, String)> {
        let mut found = Vec::new();
        let mut rest = source;
        while let Some(start) = rest.find(".route(") {
            let call = &rest[start + ".route(".len()..];
            rest = call;
            // A path built at run time (the Management API's) is not one of these.
            if !call.trim_start().starts_with('"') {
                continue;
            }
            let mut depth = 1;
            let end = call
                .char_indices()
                .find_map(|(i, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    (depth == 0).then_some(i)
                })
                .expect("a closed .route( call");
            let args = &call[..end];
            rest = &call[end..];
            let Some(open) = args.find('"') else { continue };
            let close = open + 1 + args[open + 1..].find('"').expect("a closed literal");
            let path = &args[open + 1..close];
            // Phonebox's own routes: /emulator/v1, and /metrics where Prometheus
            // looks for it.
            if !path.starts_with("/emulator/v1") && path != "/metrics" {
                continue;
            }
            let methods = &args[close + 1..];
            let mut any = false;
            let mut words = methods.char_indices().peekable();
            while let Some((i, c)) = words.next() {
                if !(c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let mut j = i + c.len_utf8();
                while let Some(&(k, d)) = words.peek() {
                    if !(d.is_alphanumeric() || d == '_') {
                        break;
                    }
                    j = k + d.len_utf8();
                    words.next();
                }
                // Only a call (`get(`), not a handler named like a method.
                if !methods[j..].starts_with('(') {
                    continue;
                }
                match &methods[i..j] {
                    method @ ("get" | "post" | "put" | "patch" | "delete") => {
                        found.push((method.to_owned(), path.to_owned()));
                        any = true;
                    }
                    other @ ("any" | "on" | "get_service" | "post_service" | "any_service") => {
                        panic!("{path}: routed with `{other}`; list its methods one by one")
                    }
                    _ => {}
                }
            }
            assert!(any, "{path}: no method found");
        }
        found
    }

    #[test]
    fn every_emulator_route_is_in_the_document() {
        let dir = root().join("src/http");
        let mut routed = BTreeSet::new();
        for entry in std::fs::read_dir(&dir).expect("src/http") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).expect("read");
                // The routers, not their tests.
                let code = source.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
                routed.extend(routes_in(code));
            }
        }
        assert!(routed.len() > 40, "found only {routed:?}");
        let document: serde_json::Value = serde_json::from_str(document()).expect("JSON");
        let mut documented = BTreeSet::new();
        for (path, item) in document["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                documented.insert((method.clone(), path.clone()));
            }
        }
        let missing: Vec<_> = routed.difference(&documented).collect();
        assert!(missing.is_empty(), "routed but not documented: {missing:?}");
        let stale: Vec<_> = documented.difference(&routed).collect();
        assert!(stale.is_empty(), "documented but not routed: {stale:?}");
    }

    #[test]
    fn the_route_reader_sees_each_method_of_a_chain() {
        let source = r#"
            Router::new()
                .route("/emulator/v1/a/{id}", get(one).delete(remove))
                .route(
                    "/emulator/v1/b",
                    axum::routing::post(getter),
                )
                .route("/api/v2/c", get(c))
        "#;
        assert_eq!(
            routes_in(source),
            [
                ("get".to_owned(), "/emulator/v1/a/{id}".to_owned()),
                ("delete".to_owned(), "/emulator/v1/a/{id}".to_owned()),
                ("post".to_owned(), "/emulator/v1/b".to_owned()),
            ]
        );
    }
}
