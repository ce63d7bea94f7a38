//! The `phonebox` command line: `serve`, and QA helpers that talk to a running server.

use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::client::{EmulatorClient, MessageView};
use crate::config::Config;

/// Phonebox: capture Auth0's SMS and voice messages on this machine.
#[derive(Debug, Parser)]
#[command(name = "phonebox", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server without the desktop window.
    Serve(Config),
    /// Print the code of the newest message to a number, waiting for one if none is there.
    ///
    /// Without --after, a message already there answers at once; with it, only a newer
    /// one does. Exits 1 if nothing arrives before the timeout.
    WaitCode(WaitCode),
    /// List captured messages, newest first.
    Messages(Messages),
}

/// Which server the QA commands talk to.
#[derive(Debug, clap::Args)]
pub struct ServerArg {
    /// Base URL of the running Phonebox server.
    #[arg(long, env = "PHONEBOX_SERVER", default_value = "http://127.0.0.1:7676")]
    pub server: String,
}

#[derive(Debug, clap::Args)]
pub struct WaitCode {
    /// The phone number the code is sent to (any format; `+1 555 555 0100`).
    #[arg(long, env = "PHONEBOX_TO")]
    pub to: String,
    /// How long to wait, e.g. 30s, 2m, 500ms.
    #[arg(long, env = "PHONEBOX_TIMEOUT", default_value = "30s")]
    pub timeout: humantime::Duration,
    /// Only a message newer than this message id or time (RFC 3339) counts.
    #[arg(long, env = "PHONEBOX_AFTER")]
    pub after: Option<String>,
    #[command(flatten)]
    pub server: ServerArg,
}

#[derive(Debug, clap::Args)]
pub struct Messages {
    /// Only messages to this number.
    #[arg(long, env = "PHONEBOX_TO")]
    pub to: Option<String>,
    /// Print JSON (one array) instead of a table.
    #[arg(long, env = "PHONEBOX_JSON")]
    pub json: bool,
    /// How many messages at most.
    #[arg(long, env = "PHONEBOX_LIMIT", default_value_t = 20)]
    pub limit: u32,
    #[command(flatten)]
    pub server: ServerArg,
}

/// What a QA command ends with.
pub enum Outcome {
    /// Print this and exit 0.
    Print(String),
    /// Print this to stderr and exit with this status.
    Fail(String, u8),
}

/// Runs `wait-code`.
pub async fn wait_code(args: &WaitCode) -> Outcome {
    let client = EmulatorClient::new(&args.server.server);
    let wait: Duration = args.timeout.into();
    match client.latest(&args.to, wait, args.after.as_deref()).await {
        Ok(Some(MessageView {
            code: Some(code), ..
        })) => Outcome::Print(code),
        Ok(Some(m)) => Outcome::Fail(
            format!("the newest message to {} has no code: {:?}", m.to, m.text),
            1,
        ),
        Ok(None) => Outcome::Fail(
            format!("no code for {} within {}", args.to, args.timeout),
            1,
        ),
        Err(e) => Outcome::Fail(e.to_string(), 2),
    }
}

/// Runs `messages`.
pub async fn messages(args: &Messages) -> Outcome {
    let client = EmulatorClient::new(&args.server.server);
    match client.messages(args.to.as_deref(), args.limit).await {
        Ok(list) if args.json => match serde_json::to_string_pretty(&list) {
            Ok(json) => Outcome::Print(json),
            Err(e) => Outcome::Fail(e.to_string(), 2),
        },
        Ok(list) => Outcome::Print(table(&list)),
        Err(e) => Outcome::Fail(e.to_string(), 2),
    }
}

fn table(list: &[MessageView]) -> String {
    if list.is_empty() {
        return "no messages".to_owned();
    }
    let mut out = format!(
        "{:<24}  {:<16}  {:<5}  {:<8}  TEXT\n",
        "RECEIVED", "TO", "KIND", "CODE"
    );
    for m in list {
        let text: String = m.text.chars().take(60).collect();
        out.push_str(&format!(
            "{:<24}  {:<16}  {:<5}  {:<8}  {}\n",
            m.received_at,
            m.to,
            m.channel,
            m.code.as_deref().unwrap_or("-"),
            text.replace('\n', " ")
        ));
    }
    out.trim_end().to_owned()
}
