//! The web UI (`ui/`, built by Vite into `ui/dist`), embedded in release builds so one
//! binary serves everything; debug builds read `ui/dist` from disk. Without a build
//! the root says how to make one instead of failing.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rust_embed::RustEmbed;

use super::state::AppState;

#[derive(RustEmbed)]
#[folder = "ui/dist/"]
#[allow_missing = true]
struct Assets;

/// What `/` shows when the UI was not built.
const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>Phonebox</title>\
<h1>Phonebox</h1><p>The server is running, but its web UI was not built. \
Run <code>make ui</code> (or <code>make run</code>) and reload.</p>\
<p>The API is at <code>/emulator/v1</code>.</p>";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/ui/{*path}", get(asset))
}

async fn index() -> Response {
    match Assets::get("index.html") {
        Some(_) => serve("index.html", false),
        None => Html(NOT_BUILT).into_response(),
    }
}

async fn asset(Path(path): Path<String>) -> Response {
    serve(&path, path.starts_with("assets/"))
}

/// A built file; Vite's `assets/` names carry a content hash, so they never change.
fn serve(path: &str, immutable: bool) -> Response {
    match Assets::get(path) {
        Some(file) => {
            let mime = mime_guess::from_path(path).first_or_octet_stream();
            let cache = if immutable {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            (
                [
                    (header::CONTENT_TYPE, mime.as_ref().to_owned()),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
                    (header::CACHE_CONTROL, cache.to_owned()),
                    // The UI loads only its own scripts and talks only to this server.
                    (
                        header::CONTENT_SECURITY_POLICY,
                        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                         connect-src 'self'; frame-ancestors 'none'"
                            .to_owned(),
                    ),
                ],
                file.data.into_owned(),
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, format!("no UI file '{path}'")).into_response(),
    }
}
