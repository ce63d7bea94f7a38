//! Runs one Action or Hook file with the machine's `node`, in the harness, within
//! Auth0's limits, and reads back how it ended.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use super::output::{self, Collected};
use super::{
    CacheLimits, CacheRecord, CacheWrite, Finished, RunErrorView, RunEvent, RunOutcome, Trigger,
    CACHE_LIMITS, MAX_REASON_CHARS, MIN_NODE_MAJOR,
};

/// The harness, shipped inside the binary.
const HARNESS: &str = include_str!("harness.js");

/// How long the readers may take to drain after the child is gone (a grandchild
/// that escaped the process group could hold a pipe open).
const DRAIN: Duration = Duration::from_secs(2);

/// The most an error's name or message (or a warning) keeps, in characters.
const MAX_ERROR_CHARS: usize = 16 * 1024;
/// The most a stack keeps, in characters.
const MAX_STACK_CHARS: usize = 64 * 1024;
const MAX_WARNINGS: usize = 20;
/// The most of what the handler returned that is kept, as JSON (the harness cuts
/// it there too).
const MAX_RETURNED_BYTES: usize = 64 * 1024;

/// `text` cut to `max` characters.
fn bounded(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => text[..cut].to_owned(),
        None => text,
    }
}

/// Where `node` is and what the runs are held to.
#[derive(Debug, Clone, Default)]
pub struct Runner {
    /// `--node PATH`; otherwise `node` on the server's `PATH`.
    node: Option<PathBuf>,
}

/// One run's limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    pub max_memory_mb: u32,
}

/// One run.
pub struct Job<'a> {
    pub file: &'a Path,
    pub trigger: Trigger,
    pub event: &'a RunEvent,
    pub secrets: &'a BTreeMap<String, String>,
    /// The Action's live cache records.
    pub cache: BTreeMap<String, CacheRecord>,
    /// How far the emulated clock is ahead of real time, in ms: the cache's
    /// expiries are on it.
    pub clock_offset_ms: i64,
    /// This Phonebox's base URL: every SDK the Action uses is pointed at it.
    pub phonebox_base: &'a str,
    /// The `x-phonebox-link` every request to this Phonebox carries.
    pub link_header: Option<String>,
    pub limits: Limits,
}

/// What the harness reads on stdin.
#[derive(Serialize)]
struct HarnessRequest<'a> {
    nonce: &'a str,
    file: &'a Path,
    trigger: Trigger,
    event: &'a RunEvent,
    secrets: &'a BTreeMap<String, String>,
    cache: &'a BTreeMap<String, CacheRecord>,
    cache_ttl_ms: u64,
    cache_limits: CacheLimits,
    clock_offset_ms: i64,
    phonebox_base: &'a str,
    link_header: Option<&'a str>,
    min_node_major: u32,
    max_reason_chars: usize,
}

/// What the harness reports.
#[derive(Deserialize)]
struct HarnessResult {
    outcome: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    error: Option<RunErrorView>,
    #[serde(default)]
    returned: Option<serde_json::Value>,
    #[serde(default)]
    warnings: Vec<String>,
    #[serde(default)]
    cache: Vec<CacheWrite>,
    #[serde(default)]
    node_version: Option<String>,
    #[serde(default)]
    requests_to_phonebox: u32,
}

/// The environment variables an Action gets besides its secrets: the endpoint
/// overrides the SDKs honour themselves (the AWS SDK for JavaScript v3 reads
/// `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_SNS`). The others are pointed by the
/// harness when they load.
pub fn endpoint_env(phonebox_base: &str) -> Vec<(&'static str, String)> {
    let base = phonebox_base.trim_end_matches('/').to_owned();
    vec![
        ("AWS_ENDPOINT_URL", base.clone()),
        ("AWS_ENDPOINT_URL_SNS", base),
    ]
}

/// Secret names an Action may not have: they would change how `node` runs or
/// where the SDKs send.
pub fn reserved_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    // Proxies and TLS settings could send an SDK's call past this Phonebox to the
    // real provider; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS undoes the override.
    [
        "NODE_",
        "LD_",
        "DYLD_",
        "AWS_ENDPOINT_URL",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "PHONEBOX_",
        "OPENSSL_",
        "SSL_CERT_",
    ]
    .iter()
    .any(|p| upper.starts_with(p))
        || ["PATH", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"].contains(&upper.as_str())
}

impl Runner {
    pub fn new(node: Option<PathBuf>) -> Runner {
        Runner { node }
    }

    /// The `node` runs use, or why there is none.
    pub fn node(&self) -> Result<PathBuf, String> {
        if let Some(node) = &self.node {
            return if node.is_file() {
                Ok(node.clone())
            } else {
                Err(format!(
                    "Node.js was not found at {} (--node): install Node.js {MIN_NODE_MAJOR} or later, or point --node at it",
                    node.display()
                ))
            };
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .map(|dir| dir.join("node"))
            .find(|candidate| is_executable(candidate))
            .ok_or_else(|| {
                format!(
                    "Node.js was not found on PATH ({}): install Node.js {MIN_NODE_MAJOR} or later to run Actions, or start Phonebox with --node PATH",
                    path.to_string_lossy()
                )
            })
    }

    /// Runs `job` to its end: it never fails, a run that could not start is a
    /// `NodeMissing` or `Error` outcome.
    pub async fn run(&self, job: Job<'_>) -> Finished {
        let started = Instant::now();
        let node = match self.node() {
            Ok(node) => node,
            Err(why) => return not_started(RunOutcome::NodeMissing, why, started),
        };
        // Checked again at every run: the file is re-read, and may have been
        // replaced since it was configured.
        let checked = job
            .file
            .to_str()
            .ok_or_else(|| "the Action's path is not UTF-8".to_owned())
            .and_then(|p| super::config::check_path(p).map_err(|e| e.message));
        let file = match checked {
            Ok(file) => file,
            Err(why) => return not_started(RunOutcome::Error, why, started),
        };
        let Some(folder) = file.parent() else {
            return not_started(
                RunOutcome::Error,
                format!("{} has no folder", file.display()),
                started,
            );
        };
        let nonce = crate::random::token(24);
        let request = HarnessRequest {
            nonce: &nonce,
            file: &file,
            trigger: job.trigger,
            event: job.event,
            secrets: job.secrets,
            cache: &job.cache,
            cache_ttl_ms: job.trigger.cache_ttl().as_millis() as u64,
            cache_limits: CACHE_LIMITS,
            clock_offset_ms: job.clock_offset_ms,
            phonebox_base: job.phonebox_base,
            link_header: job.link_header.as_deref(),
            min_node_major: MIN_NODE_MAJOR,
            max_reason_chars: MAX_REASON_CHARS,
        };
        let input = match serde_json::to_vec(&request) {
            Ok(input) => input,
            Err(e) => {
                return not_started(
                    RunOutcome::Error,
                    format!("could not write the event: {e}"),
                    started,
                )
            }
        };
        let mut command = tokio::process::Command::new(&node);
        command
            .arg(format!("--max-old-space-size={}", job.limits.max_memory_mb))
            .arg("-e")
            .arg(HARNESS)
            .current_dir(folder)
            .env_clear()
            .envs(job.secrets)
            .envs(endpoint_env(job.phonebox_base))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so a timeout kills what it started too.
            .process_group(0)
            .kill_on_drop(true);
        // SAFETY: the closure runs in the forked child before exec and only makes
        // one system call (setrlimit), which is async-signal-safe.
        unsafe {
            // A V8 heap overflow aborts: no core file in the user's folder.
            command.pre_exec(|| rlimit::setrlimit(rlimit::Resource::CORE, 0, 0));
        }
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return not_started(
                    RunOutcome::NodeMissing,
                    format!(
                        "Node.js could not be started ({}): {e}; install Node.js {MIN_NODE_MAJOR} or later",
                        node.display()
                    ),
                    started,
                )
            }
            Err(e) => {
                return not_started(
                    RunOutcome::Error,
                    format!("could not start {}: {e}", node.display()),
                    started,
                )
            }
        };
        let pid = child.id();
        // However this run ends (even dropped half way, when its caller goes
        // away), the child's process group goes with it.
        let mut group = GroupGuard(pid);
        let marker = format!("\0phonebox-result-{nonce}:").into_bytes();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let out_task = tokio::spawn(async move {
            match stdout {
                Some(s) => output::collect(s, Some(&marker)).await,
                None => Collected::default(),
            }
        });
        let err_task = tokio::spawn(async move {
            match stderr {
                Some(s) => output::collect(s, None).await,
                None => Collected::default(),
            }
        });
        // Written beside the wait, so a child that never reads its input is still
        // held to the timeout (the input can outgrow the pipe's buffer).
        let writer = child.stdin.take().map(|mut stdin| {
            tokio::spawn(async move {
                // A child that dies at once closes the pipe: its exit says why.
                let _ = stdin.write_all(&input).await;
            })
        });
        let status = tokio::time::timeout(job.limits.timeout, child.wait()).await;
        if let Some(writer) = writer {
            writer.abort();
        }
        // Whatever it left running goes with it, before the pipes are drained;
        // once only, so a group id reused meanwhile is never signalled.
        group.kill();
        let timed_out = status.is_err();
        let status = match status {
            Ok(status) => status.ok(),
            Err(_) => child.wait().await.ok(),
        };
        let out = drained(out_task).await;
        let err = drained(err_task).await;
        let duration_ms = started.elapsed().as_millis() as u64;
        let result = out
            .result
            .as_deref()
            .and_then(|bytes| serde_json::from_slice::<HarnessResult>(bytes).ok());
        let mut console = out;
        // The harness starts its result on a line of its own.
        if console.result.is_some() && console.text.last() == Some(&b'\n') {
            console.text.pop();
        }
        console.keep(&err.text);
        let stderr_text = String::from_utf8_lossy(&err.text);
        let mut finished = Finished {
            console: String::from_utf8_lossy(&console.text).into_owned(),
            console_truncated: console.truncated || err.truncated,
            duration_ms,
            pid,
            ..empty(RunOutcome::Error)
        };
        match (timed_out, result) {
            (_, Some(result)) => {
                finished.outcome = match result.outcome.as_str() {
                    "success" => RunOutcome::Success,
                    "drop" => RunOutcome::Drop,
                    "retry" => RunOutcome::Retry,
                    "node_too_old" => RunOutcome::NodeMissing,
                    _ => RunOutcome::Error,
                };
                // Bounded here too: the harness runs next to the user's code.
                finished.reason = result.reason.map(|r| bounded(r, MAX_REASON_CHARS));
                finished.error = result.error.map(|e| RunErrorView {
                    name: bounded(e.name, MAX_ERROR_CHARS),
                    message: bounded(e.message, MAX_ERROR_CHARS),
                    stack: bounded(e.stack, MAX_STACK_CHARS),
                });
                finished.returned = result.returned.filter(|value| {
                    serde_json::to_vec(value).is_ok_and(|json| json.len() <= MAX_RETURNED_BYTES)
                });
                finished.warnings = result
                    .warnings
                    .into_iter()
                    .take(MAX_WARNINGS)
                    .map(|w| bounded(w, MAX_ERROR_CHARS))
                    .collect();
                finished.cache_writes = within_limits(result.cache, &CACHE_LIMITS);
                finished.node_version = result.node_version.map(|v| bounded(v, 64));
                finished.requests_to_phonebox = result.requests_to_phonebox;
                if finished.outcome == RunOutcome::NodeMissing {
                    finished.reason = finished.error.as_ref().map(|e| e.message.clone());
                }
            }
            (true, None) => {
                finished.outcome = RunOutcome::Timeout;
                finished.reason = Some(format!(
                    "The Action did not finish within {} s: it was stopped, with every process it started",
                    job.limits.timeout.as_secs_f64()
                ));
            }
            (false, None) if out_of_memory(&stderr_text) => {
                finished.outcome = RunOutcome::OutOfMemory;
                finished.reason = Some(format!(
                    "The Action ran out of memory: it may use {} MB (--max-old-space-size)",
                    job.limits.max_memory_mb
                ));
            }
            (false, None) => {
                use std::os::unix::process::ExitStatusExt;
                let how = match (
                    status.and_then(|s| s.code()),
                    status.and_then(|s| s.signal()),
                ) {
                    (Some(code), _) => format!("exited with code {code}"),
                    (None, Some(signal)) => format!("was stopped by signal {signal}"),
                    (None, None) => "was killed".to_owned(),
                };
                finished.reason = Some(format!("The Action {how} before it finished"));
            }
        }
        finished
    }
}

/// What a reader collected, or nothing if a process that escaped the group still
/// holds its pipe after `DRAIN` (the reader is stopped, not left running).
async fn drained(mut task: tokio::task::JoinHandle<Collected>) -> Collected {
    match tokio::time::timeout(DRAIN, &mut task).await {
        Ok(Ok(collected)) => collected,
        Ok(Err(_)) => Collected::default(),
        Err(_) => {
            task.abort();
            Collected::default()
        }
    }
}

fn not_started(outcome: RunOutcome, why: String, started: Instant) -> Finished {
    Finished {
        reason: Some(why.clone()),
        error: Some(RunErrorView {
            name: "Error".into(),
            message: why,
            stack: String::new(),
        }),
        duration_ms: started.elapsed().as_millis() as u64,
        ..empty(outcome)
    }
}

/// A run that ended as `outcome` and left nothing else (yet).
fn empty(outcome: RunOutcome) -> Finished {
    Finished {
        outcome,
        reason: None,
        error: None,
        console: String::new(),
        console_truncated: false,
        duration_ms: 0,
        cache_writes: Vec::new(),
        returned: None,
        warnings: Vec::new(),
        node_version: None,
        pid: None,
        requests_to_phonebox: 0,
    }
}

/// The cache writes a run may make: keys and values within their sizes, and no
/// more side effects than the cache takes from one run.
fn within_limits(writes: Vec<CacheWrite>, limits: &CacheLimits) -> Vec<CacheWrite> {
    writes
        .into_iter()
        .filter(|w| {
            w.key.len() <= limits.max_key_bytes
                && w.value
                    .as_ref()
                    .is_none_or(|v| v.len() <= limits.max_value_bytes)
        })
        .take(limits.max_side_effects)
        .collect()
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Kills the child's process group when dropped, unless `kill` already did.
struct GroupGuard(Option<u32>);

impl GroupGuard {
    fn kill(&mut self) {
        kill_group(self.0.take());
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Kills the process group `pid` leads, if it is still there.
fn kill_group(pid: Option<u32>) {
    let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) else {
        return;
    };
    // ESRCH (nothing left) is the usual answer.
    let _ = nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    );
}

/// V8 reports a heap past `--max-old-space-size` on stderr, then aborts; an
/// abort without that report (the user's own `process.abort()`) is no memory cap.
fn out_of_memory(stderr: &str) -> bool {
    stderr.contains("heap out of memory") || stderr.contains("Reached heap limit")
}
