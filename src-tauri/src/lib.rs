//! The desktop shell: starts the core server in-process and opens a window on its UI.
//!
//! Thin on purpose: everything a user can do goes through the same HTTP API as the
//! browser UI, so the window and `phonebox serve` behave the same.

use std::io::IsTerminal;
use std::net::SocketAddr;

use phonebox::{App, Config};
use tauri::{RunEvent, WebviewUrl, WebviewWindowBuilder};
use tracing_subscriber::EnvFilter;

/// Starts the server, opens the window, and stops the server when the app exits.
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("PHONEBOX_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_ansi(std::io::stdout().is_terminal())
        .init();

    let app = match tauri::async_runtime::block_on(start_server()) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("phonebox-desktop: {e}");
            std::process::exit(1);
        }
    };
    let url = format!("http://127.0.0.1:{}/", app.port());
    let shutdown = app.shutdown_token();
    // Bound before the window opens, so the page never asks an absent server.
    let server = tauri::async_runtime::spawn(app.run());

    let built = tauri::Builder::default()
        .setup(move |tauri_app| {
            let url = url
                .parse()
                .map_err(|e| format!("bad UI address {url}: {e}"))?;
            WebviewWindowBuilder::new(tauri_app, "main", WebviewUrl::External(url))
                .title("Phonebox")
                .inner_size(1200.0, 800.0)
                .min_inner_size(360.0, 480.0)
                .build()?;
            // SIGINT/SIGTERM close the app as the window's close button does, so the
            // server finishes in-flight captures and closes the database.
            let handle = tauri_app.handle().clone();
            tauri::async_runtime::spawn(async move {
                wait_for_signal().await;
                handle.exit(0);
            });
            Ok(())
        })
        .build(tauri::generate_context!("../tauri.conf.json"));
    let tauri_app = match built {
        Ok(a) => a,
        Err(e) => {
            eprintln!("phonebox-desktop: cannot open the window: {e}");
            std::process::exit(1);
        }
    };
    let mut server = Some(server);
    tauri_app.run(move |_, event| {
        if let RunEvent::Exit = event {
            shutdown.cancel();
            if let Some(server) = server.take() {
                // Let in-flight captures commit and the database close cleanly.
                let _ = tauri::async_runtime::block_on(server);
            }
        }
    });
}

/// The configured address (`PHONEBOX_LISTEN`, default 127.0.0.1:7676); if that port is
/// taken, a free one, said in the log.
async fn start_server() -> Result<App, phonebox::StartError> {
    let listen: SocketAddr = std::env::var("PHONEBOX_LISTEN")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            phonebox::config::DEFAULT_LISTEN
                .parse()
                .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 7676)))
        });
    let db = std::env::var_os("PHONEBOX_DB")
        .map(Into::into)
        .unwrap_or_else(phonebox::config::default_db_path);
    match App::build(Config::new(listen, db.clone())).await {
        Err(phonebox::StartError::Bind { addr, .. }) => {
            tracing::warn!(%addr, "port taken; using a free one");
            App::build(Config::new(SocketAddr::new(listen.ip(), 0), db)).await
        }
        other => other,
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => std::future::pending::<()>().await,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
