//! The `phonebox` command line: `serve`, and QA helpers that talk to a running server.

pub mod client;
pub mod seed;

use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::cli::client::{EmulatorClient, MessageView};
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
    /// Make a provider API fail or slow down on purpose (fault injection).
    Chaos(Chaos),
    /// Show or move the emulated clock (code lifetimes, rate-limit windows).
    Clock(ClockArgs),
    /// Fill a database with demo messages (one a second, ending now).
    Seed(SeedArgs),
    /// Send a captured message on to a real provider (set up in Settings → Forwarding).
    ///
    /// The destination must be on the forwarding allowlist. Waits for the provider's
    /// answer and exits 1 if it did not take the message.
    Forward(ForwardArgs),
}

#[derive(Debug, clap::Args)]
pub struct ForwardArgs {
    /// The message id (from `phonebox messages` or the inbox).
    pub id: String,
    /// twilio, sns, vonage or webhook.
    #[arg(long)]
    pub via: String,
    /// Where to send it [default: the message's own recipient].
    #[arg(long)]
    pub to: Option<String>,
    /// Print the exact request that would be sent (secrets masked) and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Return once the forward is queued, without waiting for the provider.
    #[arg(long)]
    pub no_wait: bool,
    /// How long to wait for the provider's answer.
    #[arg(long, default_value = "60s")]
    pub timeout: humantime::Duration,
    #[command(flatten)]
    pub server: ServerArg,
}

#[derive(Debug, clap::Args)]
pub struct SeedArgs {
    /// How many messages.
    #[arg(long, default_value_t = 1000)]
    pub count: u64,
    /// Spread over this many phone numbers.
    #[arg(long, default_value_t = 50)]
    pub phones: u32,
    /// SQLite database file [default: phonebox.db in the platform data directory].
    #[arg(long, env = "PHONEBOX_DB")]
    pub db: Option<std::path::PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ClockArgs {
    #[command(subcommand)]
    pub action: Option<ClockAction>,
    #[command(flatten)]
    pub server: ServerArg,
}

#[derive(Debug, Subcommand)]
pub enum ClockAction {
    /// Print the emulated time and how far ahead it runs (the default).
    Show,
    /// Move the clock forward, e.g. `phonebox clock advance 1h`.
    Advance {
        /// How far: 1h, 10m, 90s...
        by: String,
    },
    /// Back to real time.
    Reset,
}

#[derive(Debug, clap::Args)]
pub struct Chaos {
    #[command(subcommand)]
    pub action: ChaosAction,
    #[command(flatten)]
    pub server: ServerArg,
}

#[derive(Debug, Subcommand)]
pub enum ChaosAction {
    /// Show the rules in force.
    List,
    /// Set a provider's rule, replacing any it had.
    ///
    /// Example: `phonebox chaos set twilio --error 21611 --probability 0.5`.
    Set {
        /// twilio, sns, vonage, clicksend, esendex, infobip, mitto, telesign or messagebird.
        provider: String,
        /// The provider's own error code to answer with (21611, Throttling, 1...).
        #[arg(long)]
        error: Option<String>,
        /// Chance that the error is given, from 0 to 1.
        #[arg(long, default_value_t = 1.0)]
        probability: f64,
        /// Delay every answer of this provider, e.g. 500ms, 2s.
        #[arg(long)]
        latency: Option<humantime::Duration>,
        /// Fire at most this many times, then remove the rule.
        #[arg(long)]
        times: Option<u32>,
    },
    /// Remove one provider's rule, or every rule.
    Clear {
        /// The provider; every rule when omitted.
        provider: Option<String>,
    },
}

/// Which server the QA commands talk to.
#[derive(Debug, clap::Args)]
pub struct ServerArg {
    /// Base URL of the running Phonebox server.
    #[arg(
        long,
        env = "PHONEBOX_SERVER",
        default_value = "http://127.0.0.1:7676",
        global = true
    )]
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

/// Runs `chaos`.
pub async fn chaos(args: &Chaos) -> Outcome {
    let client = EmulatorClient::new(&args.server.server);
    let result = match &args.action {
        ChaosAction::List => client.chaos_rules().await.map(|rules| {
            if rules.is_empty() {
                return "no chaos rules: every provider answers normally".to_owned();
            }
            rules
                .iter()
                .map(|(provider, rule)| format!("{provider}: {}", rule_text(rule)))
                .collect::<Vec<_>>()
                .join("\n")
        }),
        ChaosAction::Set {
            provider,
            error,
            probability,
            latency,
            times,
        } => {
            let latency_ms = latency.map_or(0, |l| Duration::from(l).as_millis() as u64);
            let rule = crate::capture::chaos::Rule {
                error: error.clone(),
                probability: *probability,
                latency_ms,
                times: *times,
            };
            client
                .set_chaos(provider, &rule)
                .await
                .map(|kept| format!("{provider}: {}", rule_text(&kept)))
        }
        ChaosAction::Clear { provider } => {
            client
                .clear_chaos(provider.as_deref())
                .await
                .map(|()| match provider {
                    Some(p) => format!("{p}: rule removed"),
                    None => "every chaos rule removed".to_owned(),
                })
        }
    };
    match result {
        Ok(text) => Outcome::Print(text),
        Err(e @ crate::cli::client::ClientError::Refused(_)) => Outcome::Fail(e.to_string(), 1),
        Err(e) => Outcome::Fail(e.to_string(), 2),
    }
}

/// A rule as one line of JSON, as the API shows it.
fn rule_text(rule: &crate::capture::chaos::Rule) -> String {
    serde_json::to_string(rule).unwrap_or_default()
}

/// Runs `seed`.
pub async fn seed(args: &SeedArgs) -> Outcome {
    let path = args
        .db
        .clone()
        .unwrap_or_else(crate::config::default_db_path);
    let store = match crate::store::Store::open(&path).await {
        Ok(store) => store,
        Err(e) => return Outcome::Fail(format!("cannot open {}: {e}", path.display()), 2),
    };
    let started = std::time::Instant::now();
    let result = crate::cli::seed::seed(&store, args.count, args.phones).await;
    store.close().await;
    match result {
        Ok(n) => Outcome::Print(format!(
            "seeded {n} messages to {} phones in {:.1}s ({})",
            args.phones,
            started.elapsed().as_secs_f64(),
            path.display()
        )),
        Err(e) => Outcome::Fail(e.to_string(), 2),
    }
}

/// Runs `clock`.
pub async fn clock(args: &ClockArgs) -> Outcome {
    let client = EmulatorClient::new(&args.server.server);
    let result = match args.action.as_ref().unwrap_or(&ClockAction::Show) {
        ClockAction::Show => client.clock().await,
        ClockAction::Advance { by } => client.advance_clock(by).await,
        ClockAction::Reset => client.reset_clock().await,
    };
    match result {
        Ok(clock) => Outcome::Print(format!(
            "{} (ahead of real time by {})",
            crate::unix_ms::rfc3339(clock.now),
            clock.offset
        )),
        Err(e @ crate::cli::client::ClientError::Refused(_)) => Outcome::Fail(e.to_string(), 1),
        Err(e) => Outcome::Fail(e.to_string(), 2),
    }
}

/// Runs `forward`.
pub async fn forward(args: &ForwardArgs) -> Outcome {
    let client = EmulatorClient::new(&args.server.server);
    let request = crate::cli::client::ForwardCall {
        via: &args.via,
        to: args.to.as_deref(),
        dry_run: args.dry_run,
    };
    if args.dry_run {
        return match client
            .forward::<serde_json::Value>(&args.id, &request)
            .await
        {
            Ok(dry) => match serde_json::to_string_pretty(&dry) {
                Ok(json) => Outcome::Print(json),
                Err(e) => Outcome::Fail(e.to_string(), 2),
            },
            Err(e @ crate::cli::client::ClientError::Refused(_)) => Outcome::Fail(e.to_string(), 1),
            Err(e) => Outcome::Fail(e.to_string(), 2),
        };
    }
    let queued = match client
        .forward::<crate::cli::client::ForwardStatus>(&args.id, &request)
        .await
    {
        Ok(queued) => queued,
        Err(e @ crate::cli::client::ClientError::Refused(_)) => {
            return Outcome::Fail(e.to_string(), 1)
        }
        Err(e) => return Outcome::Fail(e.to_string(), 2),
    };
    if args.no_wait {
        return Outcome::Print(format!(
            "forward {} queued to {} via {}",
            queued.id, queued.to, queued.via
        ));
    }
    match client.wait_forward(queued.id, args.timeout.into()).await {
        Ok(done) => {
            let line = done.summary();
            if done.state == "sent" {
                Outcome::Print(line)
            } else if done.is_settled() {
                Outcome::Fail(line, 1)
            } else {
                Outcome::Fail(
                    format!(
                        "{line}\nstill {} after {}: it may yet be sent; see the inbox or \
                         GET /emulator/v1/forwards/{}",
                        done.state, args.timeout, done.id
                    ),
                    1,
                )
            }
        }
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
        let mut text: String = m.text.chars().take(60).collect();
        if m.status == crate::message::Status::Failed.as_str() {
            text = format!("[failed] {text}");
        }
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
