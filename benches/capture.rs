//! `make bench`: capture throughput against a bare axum handler, and how fast a held
//! `latest?wait=` request answers once a message arrives.
//!
//! Both servers run in this process on the same runtime; `wrk` (a separate process)
//! drives each with the same request, 32 connections. The ratio is what matters: it
//! says what Phonebox's parsing, validation and durable storage cost.

use std::process::Command;
use std::time::{Duration, Instant};

use axum::routing::post;
use phonebox::{App, Config};

const CONNECTIONS: u32 = 32;
const BODY: &str = r#"{"from":"+15005550006","action":"second-factor-authenticator","language":"en_US","recipient":"+15555550100","message_type":"text","text":"482913 is your verification code for Acme","code":"482913"}"#;

fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");

    let bare_port = runtime.block_on(start_bare());
    let (phonebox_port, shutdown) = runtime.block_on(async {
        let app = App::build(Config::new(
            "127.0.0.1:0".parse().expect("addr"),
            dir.path().join("bench.db"),
        ))
        .await
        .expect("phonebox starts");
        let port = app.port();
        let shutdown = app.shutdown_token();
        tokio::spawn(app.run());
        (port, shutdown)
    });

    let script = dir.path().join("post.lua");
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.body = [[{BODY}]]\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
        ),
    )
    .expect("script");

    println!(
        "Phonebox capture benchmark: {CONNECTIONS} connections, {seconds} s each, wrk on loopback"
    );
    let bare_before = thread_cpu();
    let bare = wrk(bare_port, "/", &script, seconds);
    let bare_after = thread_cpu();
    let cpu_before = thread_cpu();
    let captured = wrk(
        phonebox_port,
        "/capture/auth0/custom-phone-provider",
        &script,
        seconds,
    );
    let cpu_after = thread_cpu();
    println!(
        "bare axum no-op handler : {:>9.0} req/s  p50 {:>8}  p99 {:>8}",
        bare.rate, bare.p50, bare.p99
    );
    println!(
        "phonebox capture        : {:>9.0} req/s  p50 {:>8}  p99 {:>8}",
        captured.rate, captured.p50, captured.p99
    );
    println!(
        "ratio capture / bare    : {:.2}x (goal 0.60x)",
        captured.rate / bare.rate
    );
    if captured.errors > 0 || bare.errors > 0 {
        println!(
            "non-2xx or socket errors: phonebox {} bare {}",
            captured.errors, bare.errors
        );
    }

    let per_request = |before: &std::collections::HashMap<String, u64>,
                       after: &std::collections::HashMap<String, u64>,
                       name: &str,
                       requests: u64| {
        let ticks = after.get(name).copied().unwrap_or(0) - before.get(name).copied().unwrap_or(0);
        ticks as f64 * 1e6 / TICKS_PER_SECOND / requests.max(1) as f64
    };
    println!(
        "CPU per bare request     : HTTP workers {:.1} us",
        per_request(&bare_before, &bare_after, "tokio-rt-worker", bare.requests)
    );
    {
        let per_request =
            |name: &str| per_request(&cpu_before, &cpu_after, name, captured.requests);
        println!(
            "CPU per capture          : HTTP workers {:.1} us, writer {:.1} us, SQLite thread {:.1} us",
            per_request("tokio-rt-worker"),
            per_request("phonebox-writer"),
            per_request("sqlx-sqlite-wor"),
        );
    }

    let stored = runtime.block_on(count_stored(phonebox_port));
    println!(
        "rows stored            : {stored} (wrk counted {} requests)",
        captured.requests
    );

    let delays = runtime.block_on(wait_wakeups(phonebox_port, 200));
    println!(
        "held wait answered after capture sent: p50 {:?}  p99 {:?}  max {:?} ({} rounds)",
        delays[delays.len() / 2],
        delays[delays.len() * 99 / 100],
        delays[delays.len() - 1],
        delays.len()
    );
    shutdown.cancel();
}

/// CPU time (user + system, in clock ticks) this process's threads have used, summed
/// by thread name (Linux only; empty elsewhere).
fn thread_cpu() -> std::collections::HashMap<String, u64> {
    let mut by_name = std::collections::HashMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return by_name;
    };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid ... utime stime ...": comm may hold spaces, so split at ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_owned();
        let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        let ticks: u64 = [11, 12]
            .iter()
            .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
            .sum();
        *by_name.entry(name).or_insert(0) += ticks;
    }
    by_name
}

/// USER_HZ, the unit of /proc's CPU times: 100 on every Linux architecture we build for.
const TICKS_PER_SECOND: f64 = 100.0;

struct WrkResult {
    rate: f64,
    p50: String,
    p99: String,
    requests: u64,
    errors: u64,
}

fn wrk(port: u16, path: &str, script: &std::path::Path, seconds: u64) -> WrkResult {
    let output = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{CONNECTIONS}"),
            &format!("-d{seconds}s"),
            "--latency",
            "-s",
        ])
        .arg(script)
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .output()
        .expect("wrk runs (make bench installs it)");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let field = |prefix: &str| -> Option<String> {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1))
            .map(str::to_owned)
    };
    let requests = text
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let errors = text
        .lines()
        .find(|l| l.contains("Non-2xx"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    WrkResult {
        rate: field("Requests/sec:")
            .and_then(|r| r.parse().ok())
            .unwrap_or_else(|| panic!("wrk output:\n{text}")),
        p50: field("50%").unwrap_or_default(),
        p99: field("99%").unwrap_or_default(),
        requests,
        errors,
    }
}

/// The baseline: axum reading the body and answering 201 with a small JSON.
async fn start_bare() -> u16 {
    let router = axum::Router::new().route(
        "/",
        post(|_body: axum::body::Bytes| async {
            (
                axum::http::StatusCode::CREATED,
                axum::Json(serde_json::json!({})),
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move { axum::serve(listener, router).await });
    port
}

async fn count_stored(port: u16) -> usize {
    let phones: serde_json::Value =
        reqwest::get(format!("http://127.0.0.1:{port}/emulator/v1/phones"))
            .await
            .expect("phones")
            .json()
            .await
            .expect("json");
    phones["phones"][0]["count"].as_u64().unwrap_or(0) as usize
}

/// Time from sending a capture to the held `latest?wait=` request answering with it.
async fn wait_wakeups(port: u16, rounds: usize) -> Vec<Duration> {
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut delays = Vec::with_capacity(rounds);
    let mut after: Option<String> = None;
    for i in 0..rounds {
        let number = "+15555550142";
        let url = match &after {
            Some(id) => format!("{base}/emulator/v1/phones/{number}/latest?wait=30s&after={id}"),
            None => format!("{base}/emulator/v1/phones/{number}/latest?wait=30s"),
        };
        let waiter = http.get(url).send();
        let waiting = tokio::spawn(waiter);
        // Measure the wake-up path, not an immediate answer: wait until it is held.
        loop {
            let health: serde_json::Value = http
                .get(format!("{base}/emulator/v1/health"))
                .send()
                .await
                .expect("health")
                .json()
                .await
                .expect("json");
            if health["held_waits"] == 1 {
                break;
            }
        }
        let body = serde_json::json!({"recipient": number, "text": format!("{i:06} is your code")});
        let sent = Instant::now();
        http.post(format!("{base}/capture/auth0/hook"))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("capture");
        let answer = waiting.await.expect("task").expect("wait answers");
        let delay = sent.elapsed();
        let message: serde_json::Value = answer.json().await.expect("json");
        after = message["id"].as_str().map(str::to_owned);
        delays.push(delay);
    }
    delays.sort();
    delays
}
