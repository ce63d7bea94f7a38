//! `phonebox action test FILE`: the user's Action or Hook run once on this machine,
//! with the harness and limits the server uses, and its SDK calls pointed at the
//! running Phonebox (`--server`), which captures what it sends. The file is the
//! one the user named on their own command line; no request names it.

use std::collections::BTreeMap;
use std::path::Path;

use super::client::EmulatorClient;
use super::{ActionTest, ExitStatus, Outcome};
use crate::actions::runner::{Job, Limits, Runner};
use crate::actions::{RunOutcome, Trigger};
use crate::auth0::actions::TestSend;
use crate::auth0::delivery::action::{event_for, scrub};
use crate::auth0::templates::{self, Purpose, Variables};
use crate::message::{Channel, SendProvider};

/// The tenant the test run speaks for.
const TENANT: &str = crate::auth0::tenant::DEFAULT_TENANT;

/// Runs `args.file` once and prints what it received, printed, sent and how it ended.
pub async fn action(args: &super::ActionArgs) -> Outcome {
    match &args.command {
        super::ActionCommand::Test(test) => run_test(test).await,
    }
}

async fn run_test(args: &ActionTest) -> Outcome {
    // On the command line a path relative to where the user stands is theirs too.
    let absolute = match std::path::absolute(&args.file) {
        Ok(path) => path,
        Err(e) => return Outcome::fail(format!("FILE: {e}"), ExitStatus::Usage),
    };
    let path = match absolute.to_str().map(crate::actions::config::check_path) {
        Some(Ok(path)) => path,
        Some(Err(e)) => return Outcome::fail(format!("FILE: {}", e.message), ExitStatus::Usage),
        None => return Outcome::fail("FILE: not a UTF-8 path".into(), ExitStatus::Usage),
    };
    let channel = if args.voice {
        Channel::Voice
    } else {
        Channel::Sms
    };
    let tenant = crate::auth0::tenant::Tenant {
        id: TENANT.to_owned(),
        friendly_name: "Phonebox".to_owned(),
        settings: Default::default(),
    };
    let now = crate::unix_ms::from_time(time::OffsetDateTime::now_utc());
    let send = TestSend::new(
        TENANT,
        now,
        crate::random::digits(6),
        format!("cli_{}", ulid::Ulid::new()),
    );
    // The default Guardian verification text, as a tenant without templates sends.
    let vars = Variables {
        tenant: &tenant,
        code: &send.code,
        channel,
        locale: "en",
        accept_language: None,
        style: templates::Style::Guardian,
        user: Some(&send.user),
        client: Some(&send.client),
        ip: None,
    };
    let (as_text, as_voice) = match templates::render_texts(
        &crate::liquid::Sandbox::default(),
        &tenant.settings,
        Purpose::Verification,
        || templates::DEFAULT_VERIFICATION.to_owned(),
        vars,
        time::OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(texts) => texts,
        Err(e) => return Outcome::fail(format!("the default template: {e}"), ExitStatus::Usage),
    };
    let out = send.outgoing(&tenant, &args.to, channel, as_text, as_voice, "en");
    let secrets: BTreeMap<String, String> = args.secrets.iter().cloned().collect();
    let event = event_for(&out, args.trigger, &secrets);
    let server = args.server.server.trim_end_matches('/').to_owned();
    let link = out.link(SendProvider::Custom);
    let finished = Runner::new(args.node.clone())
        .run(Job {
            file: &path,
            trigger: args.trigger,
            event: &event,
            secrets: &secrets,
            cache: BTreeMap::new(),
            clock_offset_ms: 0,
            phonebox_base: &server,
            link_header: Some(link.to_header()),
            limits: Limits {
                timeout: args.timeout,
                max_memory_mb: args.max_memory_mb,
            },
        })
        .await;
    // What it sent: the messages the running Phonebox captured for this run.
    let sent = match EmulatorClient::new(&server).flow(&send.transaction).await {
        Ok(flow) => Ok(flow
            .json
            .get("steps")
            .and_then(|s| s.as_array())
            .map(|steps| {
                steps
                    .iter()
                    .filter(|s| s["kind"] == "message")
                    .map(|s| s["message"].clone())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()),
        Err(super::client::ClientError::Refused(r)) if r.status == 404 => Ok(Vec::new()),
        Err(e) => Err(e.to_string()),
    };
    let event_json = serde_json::to_value(&event).unwrap_or_default();
    let report = serde_json::json!({
        "file": path,
        "trigger": args.trigger,
        "transaction_id": send.transaction,
        "event": event_json,
        "console": finished.console,
        "console_truncated": finished.console_truncated,
        "outcome": finished.outcome,
        "reason": finished.reason,
        "error": finished.error,
        "warnings": finished.warnings,
        "duration_ms": finished.duration_ms,
        "node_version": finished.node_version,
        "sent": sent.as_ref().ok(),
    });
    let status = if finished.outcome == RunOutcome::Success {
        ExitStatus::Success
    } else {
        ExitStatus::Refused
    };
    let text = if args.json {
        serde_json::to_string_pretty(&report).unwrap_or_default()
    } else {
        human(&path, args.trigger, &report, &finished, &sent, &server)
    };
    Outcome {
        stdout: Some(scrub(&text, &secrets)),
        stderr: None,
        status,
    }
}

fn human(
    path: &Path,
    trigger: Trigger,
    report: &serde_json::Value,
    finished: &crate::actions::Finished,
    sent: &Result<Vec<serde_json::Value>, String>,
    server: &str,
) -> String {
    let mut text = format!(
        "{} ({})\n\nevent it received:\n",
        path.display(),
        trigger.as_str()
    );
    text.push_str(&serde_json::to_string_pretty(&report["event"]).unwrap_or_default());
    text.push_str("\n\nconsole:\n");
    if finished.console.is_empty() {
        text.push_str("(nothing printed)\n");
    } else {
        text.push_str(&finished.console);
        if !finished.console.ends_with('\n') {
            text.push('\n');
        }
    }
    text.push_str("\nwhat it sent:\n");
    match sent {
        Ok(sent) if sent.is_empty() => text.push_str(&format!("(nothing reached {server})\n")),
        Ok(sent) => {
            for m in sent {
                text.push_str(&format!(
                    "  {} to {} via {}: {}\n",
                    m["channel"].as_str().unwrap_or(""),
                    m["to"].as_str().unwrap_or(""),
                    m["source"].as_str().unwrap_or(""),
                    m["text"].as_str().unwrap_or("")
                ));
            }
        }
        Err(e) => text.push_str(&format!("(could not ask {server}: {e})\n")),
    }
    for warning in &finished.warnings {
        text.push_str(&format!("\nwarning: {warning}\n"));
    }
    text.push_str(&format!(
        "\noutcome: {} in {} ms",
        finished.outcome.as_str(),
        finished.duration_ms
    ));
    if let Some(reason) = &finished.reason {
        text.push_str(&format!(": {reason}"));
    }
    if let Some(error) = &finished.error {
        if !error.stack.is_empty() {
            text.push_str(&format!("\n{}", error.stack));
        } else if finished.reason.as_deref() != Some(error.message.as_str()) {
            text.push_str(&format!("\n{}", error.message));
        }
    }
    text
}
