//! The desktop shell: starts the core server in-process and opens a window on its UI,
//! with a tray (unread count, open, pause capture, quit), a native notification per
//! new message, and one instance at a time.
//!
//! Thin on purpose: the window shows the same UI as a browser, over the same HTTP API;
//! the tray and notifications only listen to the core's event bus.

use std::io::IsTerminal;
use std::net::SocketAddr;

use phonebox::capture::pipeline::{Event, Pipeline};
use phonebox::{App, Config};
use tauri::menu::{CheckMenuItem, Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, RunEvent, WebviewUrl, WebviewWindowBuilder};
use tauri_plugin_notification::NotificationExt;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tracing_subscriber::EnvFilter;

const TRAY: &str = "phonebox-tray";
const WINDOW: &str = "main";

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
    let pipeline = app.pipeline();
    // Bound before the window opens, so the page never asks an absent server.
    let server = tauri::async_runtime::spawn(app.run());

    let built = tauri::Builder::default()
        // A second launch brings the first one's window forward instead.
        .plugin(tauri_plugin_single_instance::init(|app, _, _| {
            show_window(app)
        }))
        .plugin(tauri_plugin_notification::init())
        .setup(move |tauri_app| {
            let url = url
                .parse()
                .map_err(|e| format!("bad UI address {url}: {e}"))?;
            WebviewWindowBuilder::new(tauri_app, WINDOW, WebviewUrl::External(url))
                .title("Phonebox")
                .inner_size(1200.0, 800.0)
                .min_inner_size(360.0, 480.0)
                .build()?;
            let handle = tauri_app.handle().clone();
            if let Err(e) = tray(&handle, pipeline.clone()) {
                // No tray host (a bare X server): the window works without one.
                tracing::warn!(error = %e, "no tray icon");
            }
            tauri::async_runtime::spawn(watch(handle.clone(), pipeline));
            // SIGINT/SIGTERM close the app as the window's close button does, so the
            // server finishes in-flight captures and closes the database.
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

fn show_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(WINDOW) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// The tray icon and its menu: open, pause capture, quit.
fn tray(app: &AppHandle, pipeline: Pipeline) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open Phonebox", true, None::<&str>)?;
    let pause = CheckMenuItem::with_id(
        app,
        "pause",
        "Pause capture",
        true,
        pipeline.is_paused(),
        None::<&str>,
    )?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &pause, &quit])?;
    let mut builder = TrayIconBuilder::with_id(TRAY)
        .tooltip("Phonebox")
        .menu(&menu)
        .on_menu_event(move |app, event| match event.id.as_ref() {
            "open" => show_window(app),
            "pause" => pipeline.set_paused(!pipeline.is_paused()),
            "quit" => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    // Keep the check mark in step when the UI pauses or resumes.
    app.manage(pause);
    Ok(())
}

/// Follows the core's events: a notification per new message, and the unread count
/// on the tray and in the window title, counted once per burst of events rather than
/// once per message (the count reads the whole table).
async fn watch(app: AppHandle, pipeline: Pipeline) {
    let mut events = pipeline.subscribe();
    show_unread(&app, &pipeline).await;
    loop {
        let mut batch = match events.recv().await {
            Ok(event) => vec![event],
            Err(RecvError::Lagged(_)) => Vec::new(),
            Err(RecvError::Closed) => break,
        };
        loop {
            match events.try_recv() {
                Ok(event) => batch.push(event),
                Err(TryRecvError::Lagged(_)) => continue,
                Err(_) => break,
            }
        }
        for event in &batch {
            match event {
                Event::MessageCreated(message) => notify(&app, message),
                Event::CaptureChanged { paused } => {
                    if let Some(item) = app.try_state::<CheckMenuItem<tauri::Wry>>() {
                        let _ = item.set_checked(*paused);
                    }
                }
                _ => {}
            }
        }
        show_unread(&app, &pipeline).await;
    }
}

fn notify(app: &AppHandle, message: &phonebox::message::Message) {
    let body = match &message.code {
        Some(code) => format!("Code {code}: {}", message.text),
        None => message.text.clone(),
    };
    let shown = app
        .notification()
        .builder()
        .title(message.recipient.as_str())
        .body(body)
        .show();
    if let Err(e) = shown {
        tracing::debug!(error = %e, "no notification");
    }
}

async fn show_unread(app: &AppHandle, pipeline: &Pipeline) {
    let unread = phonebox::capture::inbox::unread_total(pipeline)
        .await
        .unwrap_or(0);
    let (title, tooltip) = match unread {
        0 => (
            "Phonebox".to_owned(),
            "Phonebox: no unread messages".to_owned(),
        ),
        n => (
            format!("Phonebox ({n} unread)"),
            format!("Phonebox: {n} unread"),
        ),
    };
    if let Some(tray) = app.tray_by_id(TRAY) {
        let _ = tray.set_tooltip(Some(&tooltip));
        // Shown beside the icon where the tray supports it (appindicator labels).
        let _ = tray.set_title(Some(if unread > 0 {
            unread.to_string()
        } else {
            String::new()
        }));
    }
    if let Some(window) = app.get_webview_window(WINDOW) {
        let _ = window.set_title(&title);
    }
}

/// The configured address (`PHONEBOX_LISTEN`, default 127.0.0.1:7676); if that port is
/// taken, a free one, which the UI then announces.
async fn start_server() -> Result<App, phonebox::StartError> {
    // Read as `phonebox serve --listen` reads it (`:7676`, `localhost:7676`, `7676`).
    let default = || {
        phonebox::config::parse_listen(phonebox::config::DEFAULT_LISTEN)
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 7676)))
    };
    let listen: SocketAddr = match std::env::var("PHONEBOX_LISTEN") {
        Ok(text) => phonebox::config::parse_listen(&text).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "ignoring PHONEBOX_LISTEN");
            default()
        }),
        Err(_) => default(),
    };
    let db = std::env::var_os("PHONEBOX_DB")
        .map(Into::into)
        .unwrap_or_else(phonebox::config::default_db_path);
    // As `phonebox serve` reads them: extra roots for forwarding over TLS.
    let config = |listen, db| {
        let mut config = Config::new(listen, db);
        config.extra_ca = std::env::var("PHONEBOX_EXTRA_CA")
            .map(|v| {
                v.split(',')
                    .filter(|p| !p.trim().is_empty())
                    .map(|p| p.trim().into())
                    .collect()
            })
            .unwrap_or_default();
        match phonebox::secrets::SecretsStore::parse(
            std::env::var("PHONEBOX_SECRETS_STORE").ok().as_deref(),
        ) {
            Ok(store) => config.secrets_store = store,
            Err(e) => tracing::warn!(error = %e, "ignoring PHONEBOX_SECRETS_STORE"),
        }
        config
    };
    match App::build(config(listen, db.clone())).await {
        Err(phonebox::StartError::Bind { addr, .. }) => {
            tracing::warn!(%addr, "port taken; using a free one");
            let mut config = config(SocketAddr::new(listen.ip(), 0), db);
            // The UI shows this beside its own address, which names the new port.
            config.notice = Some(format!(
                "Port {} was taken, so Phonebox is on another port: point your Actions and SDKs here, or free {} and restart.",
                addr.port(),
                addr.port()
            ));
            App::build(config).await
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
