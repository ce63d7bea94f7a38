//! `phonebox`: parses the command line, sets up logging, runs the command.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use phonebox::cli::{self, Cli, Command, ExitStatus, Outcome};
use phonebox::App;
use tracing_subscriber::EnvFilter;

/// Many small allocations freed on other threads (a request's parts, a batch's
/// rows): see Cargo.toml for the profile that chose it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(config) => serve(config).await,
        Command::WaitCode(args) => finish(cli::wait_code(&args).await),
        Command::Messages(args) => finish(cli::messages(&args).await),
        Command::Chaos(args) => finish(cli::chaos(&args).await),
        Command::Clock(args) => finish(cli::clock(&args).await),
        Command::Seed(args) => finish(cli::seed(&args).await),
        Command::Forward(args) => finish(cli::forward(&args).await),
        Command::Action(args) => finish(cli::action(&args).await),
    }
}

async fn serve(config: phonebox::Config) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("PHONEBOX_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        // Plain text when piped, so scripts can read the "listening" line.
        .with_ansi(std::io::stdout().is_terminal())
        .init();
    let app = match App::build(config).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("phonebox: {e}");
            return ExitStatus::Refused.into();
        }
    };
    // Bound, so a browser opened now is answered as soon as `run` starts.
    println!("Phonebox is ready: open {}", cli::ui_url(app.local_addr()));
    let shutdown = app.shutdown_token();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down");
        shutdown.cancel();
    });
    match app.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("phonebox: {e}");
            ExitStatus::Refused.into()
        }
    }
}

/// SIGINT (Ctrl-C) or SIGTERM.
async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

fn finish(outcome: Outcome) -> ExitCode {
    if let Some(text) = outcome.stdout {
        println!("{text}");
    }
    if let Some(text) = outcome.stderr {
        eprintln!("phonebox: {text}");
    }
    outcome.status.into()
}
