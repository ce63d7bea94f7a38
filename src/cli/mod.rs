//! The `phonebox` command line: `serve`, and QA helpers that talk to a running server.
//!
//! Every command exits by one scheme (`ExitStatus`, shown in `--help`), names the
//! flag the user typed when an input is wrong (checked here where it can be, else
//! mapped back from the server's `field`), and with `--json` prints the server's
//! own JSON answer. Talking HTTP, and telling Phonebox from anything else that
//! answers, is `client`'s job.

mod action;
pub use action::action;
pub mod client;
pub mod seed;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use serde::Serialize;

use crate::capture::chaos::{Provider, Rule};
use crate::cli::client::{Answer, ClientError, EmulatorClient, Latest, MessageView, Scope};
use crate::config::Config;
use crate::forward::settings::Via;
use crate::message::phone::PhoneNumber;

/// How a `phonebox` command exits: one scheme for every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: done.
    Success = 0,
    /// 1: nothing arrived in time, or the server refused.
    Refused = 1,
    /// 2: a usage error or bad input (clap's own usage errors exit 2 too).
    Usage = 2,
    /// 3: the server cannot be reached.
    Unreachable = 3,
    /// 4: something answered that is not Phonebox.
    NotPhonebox = 4,
}

impl ExitStatus {
    /// Every status, in order, for the `--help` table.
    pub const ALL: [ExitStatus; 5] = [
        ExitStatus::Success,
        ExitStatus::Refused,
        ExitStatus::Usage,
        ExitStatus::Unreachable,
        ExitStatus::NotPhonebox,
    ];

    /// What it means, as `--help` says it.
    pub fn meaning(self) -> &'static str {
        match self {
            ExitStatus::Success => "done",
            ExitStatus::Refused => {
                "nothing arrived in time, or it was refused (a forward not allowed or not \
                 taken by the provider; `serve` could not start)"
            }
            ExitStatus::Usage => "usage error or bad input; the message names the flag",
            ExitStatus::Unreachable => "the server cannot be reached (see --server)",
            ExitStatus::NotPhonebox => "something answered that is not Phonebox (see --server)",
        }
    }

    /// The process exit code.
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> std::process::ExitCode {
        std::process::ExitCode::from(status.code())
    }
}

/// The exit-status table at the end of `phonebox --help`.
fn exit_status_help() -> String {
    let mut text = "Exit status, for every command:\n".to_owned();
    for status in ExitStatus::ALL {
        text.push_str(&format!("  {}  {}\n", status.code(), status.meaning()));
    }
    text.trim_end().to_owned()
}

/// Phonebox: capture Auth0's SMS and voice messages on this machine.
#[derive(Debug, Parser)]
#[command(
    name = "phonebox",
    version,
    about,
    propagate_version = true,
    after_help = exit_status_help()
)]
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
    /// Run your own Action or Hook file once, as the tenant's custom phone provider
    /// would, against a running Phonebox: prints the event it received, its console
    /// output, what it sent and how it ended. Exits 1 if it did not succeed.
    Action(ActionArgs),
}

#[derive(Debug, clap::Args)]
pub struct ActionArgs {
    #[command(subcommand)]
    pub command: ActionCommand,
}

#[derive(Debug, Subcommand)]
pub enum ActionCommand {
    /// Run FILE once with a verification code's event, for a test user.
    Test(ActionTest),
}

#[derive(Debug, clap::Args)]
pub struct ActionTest {
    /// The Action or Hook file (its folder's node_modules are what it requires).
    pub file: PathBuf,
    /// send-phone-message, custom-phone-provider or hook.
    #[arg(long, value_parser = trigger)]
    pub trigger: crate::actions::Trigger,
    /// The phone number the message is for.
    #[arg(long, value_parser = phone_number)]
    pub to: PhoneNumber,
    /// A voice message instead of a text.
    #[arg(long)]
    pub voice: bool,
    /// A secret the Action gets as event.secrets (a Hook: context.webtask.secrets):
    /// NAME=VALUE, repeatable.
    #[arg(long = "secret", value_name = "NAME=VALUE", value_parser = secret_pair)]
    pub secrets: Vec<(String, String)>,
    /// How long the run may take (Auth0's limit is 20 s).
    #[arg(long, default_value = "20s", value_parser = run_timeout)]
    pub timeout: std::time::Duration,
    /// The run's memory cap, in MB (node's --max-old-space-size).
    #[arg(long, default_value_t = crate::actions::DEFAULT_MAX_MEMORY_MB, value_parser = run_memory)]
    pub max_memory_mb: u32,
    /// The `node` to run it with. [default: `node` on PATH]
    #[arg(long, env = "PHONEBOX_NODE")]
    pub node: Option<PathBuf>,
    /// Print the run as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub server: ServerArg,
}

fn trigger(s: &str) -> Result<crate::actions::Trigger, String> {
    crate::actions::Trigger::parse(s).ok_or_else(|| {
        format!("'{s}' is not a trigger: send-phone-message, custom-phone-provider or hook")
    })
}

/// `--timeout`: a duration (`5s`, `1500ms`) within what the server allows a run.
fn run_timeout(s: &str) -> Result<std::time::Duration, String> {
    let given = humantime::parse_duration(s).map_err(|e| e.to_string())?;
    crate::actions::config::check_timeout(given.as_secs_f64()).map_err(|e| e.message)
}

/// `--max-memory-mb`: within what the server allows a run.
fn run_memory(s: &str) -> Result<u32, String> {
    let mb: u32 = s
        .parse()
        .map_err(|e: std::num::ParseIntError| e.to_string())?;
    crate::actions::config::check_memory(mb).map_err(|e| e.message)
}

fn secret_pair(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("'{s}' is not NAME=VALUE"))?;
    crate::actions::config::check_secret(name, value).map_err(|e| e.message)?;
    Ok((name.to_owned(), value.to_owned()))
}

#[derive(Debug, clap::Args)]
pub struct ForwardArgs {
    /// The message id (from `phonebox messages` or the inbox).
    pub id: String,
    /// twilio, sns, vonage or webhook.
    #[arg(long)]
    pub via: Via,
    /// Where to send it [default: the message's own recipient].
    #[arg(long, value_parser = phone_number)]
    pub to: Option<PhoneNumber>,
    /// Print the exact request that would be sent (secrets masked, JSON) and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Return once the forward is queued, without waiting for the provider.
    #[arg(long)]
    pub no_wait: bool,
    /// How long to wait for the provider's answer.
    #[arg(long, default_value = "60s")]
    pub timeout: humantime::Duration,
    /// Print the forward as the API shows it (`GET /emulator/v1/forwards/{id}`).
    #[arg(long, env = "PHONEBOX_JSON")]
    pub json: bool,
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
    /// Print what was done as JSON: `{"seeded", "phones", "db", "elapsed_ms"}`.
    #[arg(long, env = "PHONEBOX_JSON")]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ClockArgs {
    #[command(subcommand)]
    pub action: Option<ClockAction>,
    /// Print the clock as the API shows it (`{"now", "offset_ms", "offset"}`).
    #[arg(long, env = "PHONEBOX_JSON", global = true)]
    pub json: bool,
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
        #[arg(value_parser = duration_text)]
        by: String,
    },
    /// Back to real time.
    Reset,
}

#[derive(Debug, clap::Args)]
pub struct Chaos {
    #[command(subcommand)]
    pub action: ChaosAction,
    /// Print the API's answer: the rule set, or (list, clear) `GET /emulator/v1/chaos`.
    #[arg(long, env = "PHONEBOX_JSON", global = true)]
    pub json: bool,
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
        provider: Provider,
        /// The provider's own error code to answer with (21611, Throttling, 1...).
        #[arg(long)]
        error: Option<String>,
        /// Chance that the error is given, from 0 to 1.
        #[arg(long, default_value_t = 1.0, value_parser = probability)]
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
        provider: Option<Provider>,
    },
}

/// Which server the QA commands talk to.
#[derive(Debug, clap::Args)]
pub struct ServerArg {
    /// The running Phonebox server: `http://127.0.0.1:7676`, `127.0.0.1:7676`,
    /// `:7676` or `7676` (a bare port is on 127.0.0.1).
    #[arg(
        long,
        env = "PHONEBOX_SERVER",
        default_value = "http://127.0.0.1:7676",
        value_parser = server_url,
        global = true
    )]
    pub server: String,
}

/// Which messages count, beyond the number.
#[derive(Debug, clap::Args)]
pub struct ScopeArgs {
    /// Only messages of this emulated tenant.
    #[arg(long, env = "PHONEBOX_TENANT")]
    pub tenant: Option<String>,
    /// Only messages to this Auth0 user (`auth0|…`).
    #[arg(long)]
    pub user_id: Option<String>,
    /// Only messages of this MFA transaction (a message's `attributes.transaction_id`).
    #[arg(long)]
    pub transaction_id: Option<String>,
}

impl ScopeArgs {
    fn scope(&self) -> Scope<'_> {
        Scope {
            tenant: self.tenant.as_deref(),
            user_id: self.user_id.as_deref(),
            transaction_id: self.transaction_id.as_deref(),
        }
    }
}

/// The server's names for what `--tenant`, `--user-id` and `--transaction-id` set.
const SCOPE_FLAGS: [(&str, &str); 3] = [
    ("tenant", "--tenant"),
    ("user_id", "--user-id"),
    ("transaction_id", "--transaction-id"),
];

#[derive(Debug, clap::Args)]
pub struct WaitCode {
    /// The phone number the code is sent to (any format; `+1 555 555 0100`).
    #[arg(long, env = "PHONEBOX_TO", value_parser = phone_number)]
    pub to: PhoneNumber,
    /// How long to wait, e.g. 30s, 2m, 500ms (at most 10m).
    #[arg(long, env = "PHONEBOX_TIMEOUT", default_value = "30s")]
    pub timeout: humantime::Duration,
    /// Only a message newer than this message id or time (RFC 3339) counts.
    #[arg(long, env = "PHONEBOX_AFTER")]
    pub after: Option<String>,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Print the message as the API answers it (`GET …/latest`), not just its code.
    #[arg(long, env = "PHONEBOX_JSON")]
    pub json: bool,
    #[command(flatten)]
    pub server: ServerArg,
}

#[derive(Debug, clap::Args)]
pub struct Messages {
    /// Only messages to this number.
    #[arg(long, env = "PHONEBOX_TO", value_parser = phone_number)]
    pub to: Option<PhoneNumber>,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Print JSON (one array of messages, as the API lists them) instead of a table.
    #[arg(long, env = "PHONEBOX_JSON")]
    pub json: bool,
    /// How many messages at most (up to 500).
    #[arg(long, env = "PHONEBOX_LIMIT", default_value_t = 20)]
    pub limit: u32,
    #[command(flatten)]
    pub server: ServerArg,
}

/// Reads `--server`: a URL, or `host:port`, `:port` or a bare port (on
/// 127.0.0.1), for `http://`.
pub fn server_url(s: &str) -> Result<String, String> {
    let text = s.trim();
    let wrong = |why: &str| {
        format!(
            "'{s}' is not a server address such as http://127.0.0.1:7676, 127.0.0.1:7676, \
             :7676 or 7676{why}"
        )
    };
    let is_port = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let url = if text.contains("://") {
        text.to_owned()
    } else if let Some(port) = text.strip_prefix(':').or(Some(text).filter(|t| is_port(t))) {
        if !is_port(port) {
            return Err(wrong(""));
        }
        format!("http://127.0.0.1:{port}")
    } else {
        format!("http://{text}")
    };
    let parsed = url::Url::parse(&url).map_err(|e| wrong(&format!(" ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(wrong(" (Phonebox speaks http or https)"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(wrong(""));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(wrong(" (no query or fragment)"));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

fn phone_number(s: &str) -> Result<PhoneNumber, String> {
    PhoneNumber::parse(s).map_err(|e| e.to_string())
}

fn probability(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("'{s}' is not a number from 0 to 1")),
    }
}

/// A duration as typed (`1h`, `90s`), checked here, sent to the server as text.
fn duration_text(s: &str) -> Result<String, String> {
    humantime::parse_duration(s.trim())
        .map(|_| s.trim().to_owned())
        .map_err(|e| format!("'{s}' is not a duration such as 1h, 10m or 90s: {e}"))
}

/// The UI's address for a server bound to `addr` (loopback for a wildcard bind).
pub fn ui_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    format!("http://{}/", SocketAddr::new(ip, addr.port()))
}

/// What a QA command ends with: its data on stdout, what went wrong on stderr.
#[derive(Debug)]
pub struct Outcome {
    /// The command's data (a code, a table, JSON).
    pub stdout: Option<String>,
    /// Why it did not succeed, printed after `phonebox: `.
    pub stderr: Option<String>,
    pub status: ExitStatus,
}

impl Outcome {
    /// Print this on stdout and exit 0.
    pub fn print(text: String) -> Outcome {
        Outcome {
            stdout: Some(text),
            stderr: None,
            status: ExitStatus::Success,
        }
    }

    /// Print this on stderr and exit with `status`.
    pub fn fail(text: String, status: ExitStatus) -> Outcome {
        Outcome {
            stdout: None,
            stderr: Some(text),
            status,
        }
    }
}

/// A failed call, told with the flags the user typed: `flags` maps the server's
/// field names to them (`("number", "--to")`).
fn failed(e: ClientError, flags: &[(&str, &str)]) -> Outcome {
    match e {
        ClientError::Refused(refusal) => {
            let flag = refusal
                .field
                .as_deref()
                .and_then(|field| flags.iter().find(|(name, _)| *name == field))
                .map(|(_, flag)| *flag);
            let text = match flag {
                Some(flag) => format!("{flag}: {}", refusal.reason()),
                None => refusal.message.clone(),
            };
            // A 400 is the input's fault; anything else the server chose not to do.
            let status = if refusal.status == 400 {
                ExitStatus::Usage
            } else {
                ExitStatus::Refused
            };
            Outcome::fail(text, status)
        }
        e @ ClientError::Unreachable { .. } => {
            Outcome::fail(e.to_string(), ExitStatus::Unreachable)
        }
        e @ ClientError::NotPhonebox { .. } => {
            Outcome::fail(e.to_string(), ExitStatus::NotPhonebox)
        }
    }
}

/// `value` as indented JSON.
fn json_text<T: Serialize>(value: &T) -> Outcome {
    match serde_json::to_string_pretty(value) {
        Ok(json) => Outcome::print(json),
        Err(e) => Outcome::fail(format!("cannot write JSON: {e}"), ExitStatus::Refused),
    }
}

/// Runs `wait-code`.
pub async fn wait_code(args: &WaitCode) -> Outcome {
    let client = EmulatorClient::new(&args.server.server);
    let wait: Duration = args.timeout.into();
    let scope = args.scope.scope();
    let to = args.to.as_str();
    let flags = [
        [
            ("number", "--to"),
            ("wait", "--timeout"),
            ("after", "--after"),
        ]
        .as_slice(),
        SCOPE_FLAGS.as_slice(),
    ]
    .concat();
    match client.latest(to, wait, args.after.as_deref(), &scope).await {
        Ok(Latest::Found(found)) if args.json => json_text(&found.json),
        Ok(Latest::Found(Answer {
            view: MessageView {
                code: Some(code), ..
            },
            ..
        })) => Outcome::print(code),
        Ok(Latest::Found(Answer { view, .. })) => Outcome::fail(
            format!(
                "the newest message to {} has no code: {:?}",
                view.to, view.text
            ),
            ExitStatus::Refused,
        ),
        Ok(Latest::Nothing(failure)) => {
            let mut text = format!("no code for {to} within {}", args.timeout);
            if let Some(f) = failure {
                text.push_str(&format!(": the last send failed: {}", f.kind));
                if !f.description.is_empty() {
                    text.push_str(&format!(": {}", f.description));
                }
            }
            Outcome::fail(text, ExitStatus::Refused)
        }
        Err(e) => failed(e, &flags),
    }
}

/// Runs `messages`.
pub async fn messages(args: &Messages) -> Outcome {
    let client = EmulatorClient::new(&args.server.server);
    let to = args.to.as_ref().map(PhoneNumber::as_str);
    let flags = [
        [("to", "--to"), ("limit", "--limit")].as_slice(),
        SCOPE_FLAGS.as_slice(),
    ]
    .concat();
    match client.messages(to, args.limit, &args.scope.scope()).await {
        Ok(list) if args.json => json_text(&list.json),
        Ok(list) => Outcome::print(table(&list.view)),
        Err(e) => failed(e, &flags),
    }
}

/// The server's names of a chaos rule's fields, and the flags that set them.
const RULE_FLAGS: [(&str, &str); 4] = [
    ("error", "--error"),
    ("probability", "--probability"),
    ("latency_ms", "--latency"),
    ("times", "--times"),
];

/// Runs `chaos`.
pub async fn chaos(args: &Chaos) -> Outcome {
    let client = EmulatorClient::new(&args.server.server);
    match &args.action {
        ChaosAction::List => match client.chaos_rules().await {
            Ok(rules) if args.json => json_text(&rules.json),
            Ok(rules) => Outcome::print(rules_text(&rules.view)),
            Err(e) => failed(e, &[]),
        },
        ChaosAction::Set {
            provider,
            error,
            probability,
            latency,
            times,
        } => {
            let latency_ms = latency.map_or(0, |l| {
                u64::try_from(Duration::from(l).as_millis()).unwrap_or(u64::MAX)
            });
            let rule = Rule {
                error: error.clone(),
                probability: *probability,
                latency_ms,
                times: *times,
            };
            match client.set_chaos(*provider, &rule).await {
                Ok(kept) if args.json => json_text(&kept.json),
                Ok(kept) => Outcome::print(format!("{provider}: {}", rule_text(&kept.view))),
                Err(e) => failed(e, &RULE_FLAGS),
            }
        }
        ChaosAction::Clear { provider } => {
            if let Err(e) = client.clear_chaos(*provider).await {
                return failed(e, &[]);
            }
            if args.json {
                return match client.chaos_rules().await {
                    Ok(rules) => json_text(&rules.json),
                    Err(e) => failed(e, &[]),
                };
            }
            Outcome::print(match provider {
                Some(p) => format!("{p}: rule removed"),
                None => "every chaos rule removed".to_owned(),
            })
        }
    }
}

fn rules_text(rules: &std::collections::BTreeMap<Provider, Rule>) -> String {
    if rules.is_empty() {
        return "no chaos rules: every provider answers normally".to_owned();
    }
    rules
        .iter()
        .map(|(provider, rule)| format!("{provider}: {}", rule_text(rule)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A rule as one line of JSON, as the API shows it.
fn rule_text(rule: &Rule) -> String {
    serde_json::to_string(rule).unwrap_or_default()
}

/// What `seed --json` prints.
#[derive(Debug, Serialize)]
pub struct Seeded {
    pub seeded: u64,
    pub phones: u32,
    pub db: std::path::PathBuf,
    pub elapsed_ms: u64,
}

/// Runs `seed`.
pub async fn seed(args: &SeedArgs) -> Outcome {
    let path = args
        .db
        .clone()
        .unwrap_or_else(crate::config::default_db_path);
    let store = match crate::store::Store::open(&path).await {
        Ok(store) => store,
        Err(e) => {
            return Outcome::fail(
                format!("--db: cannot open {}: {e}", path.display()),
                ExitStatus::Usage,
            )
        }
    };
    let started = std::time::Instant::now();
    let result = crate::cli::seed::seed(&store, args.count, args.phones).await;
    store.close().await;
    let elapsed = started.elapsed();
    match result {
        Ok(n) if args.json => json_text(&Seeded {
            seeded: n,
            phones: args.phones,
            db: path,
            elapsed_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        }),
        Ok(n) => Outcome::print(format!(
            "seeded {n} messages to {} phones in {:.1}s ({})",
            args.phones,
            elapsed.as_secs_f64(),
            path.display()
        )),
        Err(e) => Outcome::fail(e.to_string(), ExitStatus::Refused),
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
        Ok(clock) if args.json => json_text(&clock.json),
        Ok(clock) => Outcome::print(format!(
            "{} (ahead of real time by {})",
            crate::unix_ms::rfc3339(clock.view.now),
            clock.view.offset
        )),
        Err(e) => failed(e, &[("by", "<BY>")]),
    }
}

/// Runs `forward`.
pub async fn forward(args: &ForwardArgs) -> Outcome {
    let client = EmulatorClient::new(&args.server.server);
    let request = crate::cli::client::ForwardCall {
        via: args.via.as_str(),
        to: args.to.as_ref().map(PhoneNumber::as_str),
        dry_run: args.dry_run,
    };
    let flags = [("via", "--via"), ("to", "--to")];
    if args.dry_run {
        return match client
            .forward::<serde::de::IgnoredAny>(&args.id, &request)
            .await
        {
            Ok(dry) => json_text(&dry.json),
            Err(e) => failed(e, &flags),
        };
    }
    let queued = match client
        .forward::<crate::cli::client::ForwardStatus>(&args.id, &request)
        .await
    {
        Ok(queued) => queued,
        Err(e) => return failed(e, &flags),
    };
    if args.no_wait {
        if args.json {
            return json_text(&queued.json);
        }
        let queued = queued.view;
        return Outcome::print(format!(
            "forward {} queued to {} via {}",
            queued.id, queued.to, queued.via
        ));
    }
    let done = match client
        .wait_forward(queued.view.id, args.timeout.into())
        .await
    {
        Ok(done) => done,
        Err(e) => return failed(e, &[]),
    };
    let view = &done.view;
    let line = view.summary();
    let why = if view.state == "sent" {
        None
    } else if view.is_settled() {
        Some(line.clone())
    } else {
        Some(format!(
            "{line}\nstill {} after {}: it may yet be sent; see the inbox or \
             GET /emulator/v1/forwards/{}",
            view.state, args.timeout, view.id
        ))
    };
    match (why, args.json) {
        (None, true) => json_text(&done.json),
        (None, false) => Outcome::print(line),
        // The forward as it ended on stdout, and why it is not a success on stderr.
        (Some(why), true) => Outcome {
            stderr: Some(why),
            status: ExitStatus::Refused,
            ..json_text(&done.json)
        },
        (Some(why), false) => Outcome::fail(why, ExitStatus::Refused),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::client::Refusal;

    #[test]
    fn server_takes_a_url_host_and_port_or_a_port() {
        let cases = [
            ("http://127.0.0.1:7676", "http://127.0.0.1:7676"),
            ("http://127.0.0.1:7676/", "http://127.0.0.1:7676"),
            ("https://phonebox.test:8443", "https://phonebox.test:8443"),
            ("127.0.0.1:7676", "http://127.0.0.1:7676"),
            ("localhost:7676", "http://localhost:7676"),
            ("[::1]:7676", "http://[::1]:7676"),
            (":7676", "http://127.0.0.1:7676"),
            ("7676", "http://127.0.0.1:7676"),
        ];
        for (typed, url) in cases {
            assert_eq!(server_url(typed).as_deref(), Ok(url), "{typed}");
        }
    }

    #[test]
    fn server_refuses_what_is_not_an_http_address() {
        for typed in [
            "",
            ":",
            "ftp://127.0.0.1:21",
            "http://",
            "127.0.0.1:port",
            "7676?x=1",
        ] {
            let e = server_url(typed).expect_err(typed);
            assert!(e.contains("such as http://127.0.0.1:7676"), "{typed}: {e}");
        }
    }

    #[test]
    fn a_refused_field_is_told_with_the_flag_the_user_typed() {
        let refusal = Refusal {
            status: 400,
            error: "invalid_parameter".into(),
            message: "`wait`: at most 10m".into(),
            field: Some("wait".into()),
            failure: None,
        };
        let out = failed(
            ClientError::Refused(Box::new(refusal)),
            &[("wait", "--timeout")],
        );
        assert_eq!(out.stderr.as_deref(), Some("--timeout: at most 10m"));
        assert_eq!(out.status, ExitStatus::Usage);
    }

    #[test]
    fn a_refusal_that_is_not_about_input_exits_1_with_the_servers_words() {
        let refusal = Refusal {
            status: 403,
            error: "forbidden".into(),
            message: "+447700900999 is not on the forwarding allowlist".into(),
            field: None,
            failure: None,
        };
        let out = failed(ClientError::Refused(Box::new(refusal)), &[("to", "--to")]);
        assert_eq!(
            out.stderr.as_deref(),
            Some("+447700900999 is not on the forwarding allowlist")
        );
        assert_eq!(out.status, ExitStatus::Refused);
    }

    #[test]
    fn the_help_lists_every_exit_status_once() {
        let help = exit_status_help();
        for status in ExitStatus::ALL {
            let line = format!("  {}  {}", status.code(), status.meaning());
            assert_eq!(help.matches(&line).count(), 1, "{help}");
        }
        assert_eq!(ExitStatus::NotPhonebox.code(), 4);
    }

    #[test]
    fn the_ui_url_of_a_wildcard_bind_is_on_loopback() {
        let url = |s: &str| ui_url(s.parse().expect("addr"));
        assert_eq!(url("127.0.0.1:7676"), "http://127.0.0.1:7676/");
        assert_eq!(url("0.0.0.0:7676"), "http://127.0.0.1:7676/");
        assert_eq!(url("[::]:7676"), "http://[::1]:7676/");
        assert_eq!(url("[::1]:80"), "http://[::1]:80/");
    }
}
