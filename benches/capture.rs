//! `make bench`: durable capture against two references, measured in the same run.
//!
//! Three processes: the release `phonebox serve` on a temp database, and this bench
//! binary run again as the reference server, which answers the same requests two
//! ways: `/bare/...` parses the same body and stores nothing; `/insert/...` parses it
//! and commits one SQLite row per request (WAL, `synchronous=FULL`, as Phonebox). `wrk`
//! drives each, at concurrency 1 (latency) and 32 (throughput). What matters is the
//! ratio: what Phonebox's parsing, validation and durable storage cost against the
//! least any server must do, on the same two cores at the same moment.
//!
//! Then: acknowledged against stored (every request awaited, so the two must be
//! equal), CPU per capture by thread, peak and idle RSS, start-to-ready, and how
//! fast a held `latest?wait=` answers once its message arrives.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WIDE: u32 = 32;

/// One kind of request both servers take.
struct Endpoint {
    name: &'static str,
    path: String,
    content_type: &'static str,
    /// Extra wrk header lines.
    auth: Option<&'static str>,
    body: String,
    /// The bare handler's rate at c32, once measured.
    bare_rate: f64,
}

fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint {
            name: "custom-phone-provider",
            path: "/capture/auth0/custom-phone-provider".into(),
            content_type: "application/json",
            auth: None,
            body: r#"{"from":"+15005550006","action":"second-factor-authenticator","language":"en_US","recipient":"+15555550100","message_type":"text","text":"482913 is your verification code for Acme","code":"482913"}"#.into(),
            bare_rate: 0.0,
        },
        Endpoint {
            name: "Twilio Messages",
            path: "/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages.json".into(),
            content_type: "application/x-www-form-urlencoded",
            // ACxxx:token, as the Twilio SDKs send it.
            auth: Some("Basic QUMwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMTphdXRoLXRva2Vu"),
            body: "To=%2B15555550101&From=%2B15005550006&Body=482913+is+your+verification+code+for+Acme".into(),
            bare_rate: 0.0,
        },
        Endpoint {
            name: "SNS Publish",
            path: "/".into(),
            content_type: "application/x-www-form-urlencoded",
            auth: None,
            body: "Action=Publish&Version=2010-03-31&PhoneNumber=%2B15555550102&Message=482913+is+your+verification+code+for+Acme".into(),
            bare_rate: 0.0,
        },
    ]
}

fn main() {
    if let Ok(db) = std::env::var("PHONEBOX_BENCH_REFERENCE") {
        reference::serve(PathBuf::from(db));
        return;
    }
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let dir = tempfile::tempdir().expect("temp dir");

    let started = Instant::now();
    let mut phonebox = Server::phonebox(dir.path());
    let ready = started.elapsed();
    // Idle: after the start's own work has settled.
    std::thread::sleep(Duration::from_millis(500));
    let idle_rss = phonebox.rss_kib("VmRSS");
    let reference = Server::reference(&dir.path().join("reference.db"));

    println!(
        "Phonebox capture benchmark: wrk on loopback, {WIDE} connections for {seconds} s, \
         1 connection for {} s; release phonebox serve vs a reference server, same run",
        seconds.div_ceil(2)
    );
    println!();
    println!(
        "{:<22} {:>10} {:>10} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "endpoint",
        "c32 req/s",
        "bare req/s",
        "ratio",
        "c32 p99",
        "c1 p50",
        "c1 p99",
        "1-ins p50",
        "bare p50"
    );
    let mut rows = Vec::new();
    let mut cpu = Vec::new();
    for endpoint in endpoints() {
        let script = dir.path().join(format!("{}.lua", rows.len()));
        write_script(&script, &endpoint);
        let bare = wrk(
            reference.port,
            &format!("/bare{}", endpoint.path),
            &script,
            WIDE,
            seconds,
        );
        let before = phonebox.thread_cpu();
        let wide = wrk(phonebox.port, &endpoint.path, &script, WIDE, seconds);
        // What the burst left to do (the search index, checkpoints) is counted
        // too, and done before anything else is measured.
        let after_burst = Instant::now();
        phonebox.settle();
        let settled = after_burst.elapsed();
        let after = phonebox.thread_cpu();
        cpu.push((
            endpoint.name,
            per_request(&before, &after, wide.requests),
            settled,
        ));
        let narrow_seconds = seconds.div_ceil(2);
        let narrow = wrk(phonebox.port, &endpoint.path, &script, 1, narrow_seconds);
        phonebox.settle();
        let insert = wrk(
            reference.port,
            &format!("/insert{}", endpoint.path),
            &script,
            1,
            narrow_seconds,
        );
        let bare_narrow = wrk(
            reference.port,
            &format!("/bare{}", endpoint.path),
            &script,
            1,
            narrow_seconds,
        );
        let insert_wide = wrk(
            reference.port,
            &format!("/insert{}", endpoint.path),
            &script,
            WIDE,
            seconds,
        );
        println!(
            "{:<22} {:>10.0} {:>10.0} {:>6.2}x {:>9} {:>9} {:>9} {:>9} {:>9}",
            endpoint.name,
            wide.rate,
            bare.rate,
            wide.rate / bare.rate,
            fmt(wide.p99),
            fmt(narrow.p50),
            fmt(narrow.p99),
            fmt(insert.p50),
            fmt(bare_narrow.p50),
        );
        for (what, run) in [
            ("phonebox c32", &wide),
            ("phonebox c1", &narrow),
            ("bare c32", &bare),
            ("one insert c1", &insert),
            ("one insert c32", &insert_wide),
        ] {
            if run.errors > 0 {
                println!("    {what}: {} non-2xx or socket errors", run.errors);
            }
        }
        let mut endpoint = endpoint;
        endpoint.bare_rate = bare.rate;
        rows.push((endpoint, wide, narrow, insert, insert_wide));
    }
    println!();
    println!(
        "one insert per request, c32 (for scale): {}",
        rows.iter()
            .map(|(e, _, _, _, i)| format!("{} {:.0} req/s", e.name, i.rate))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (name, threads, settled) in &cpu {
        println!(
            "CPU per request at c32, {name}: {} (incl. the indexing and checkpoints after the burst: idle again {} after it)",
            threads
                .iter()
                .map(|(thread, us)| format!("{thread} {us:.1} us"))
                .collect::<Vec<_>>()
                .join(", "),
            fmt(*settled)
        );
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (acknowledged, stored) = runtime.block_on(acknowledged_vs_stored(&phonebox, 3_000));
    let delays = runtime.block_on(wait_wakeups(phonebox.port, 200));
    let peak_rss = phonebox.rss_kib("VmHWM");

    println!();
    let check = |ok: bool| if ok { "met" } else { "NOT MET" };
    for (endpoint, wide, narrow, insert, _) in &rows {
        println!(
            "{:<22} c32 {:.2}x the bare handler ({} >= 0.60x)",
            endpoint.name,
            wide.rate / endpoint.bare_rate,
            check(wide.rate / endpoint.bare_rate >= 0.6)
        );
        println!(
            "{:<22} c1 p50 {} vs one insert {} ({}), c1 p99 {} < 5 ms ({}), c32 p99 {} < 20 ms ({})",
            endpoint.name,
            fmt(narrow.p50),
            fmt(insert.p50),
            check(narrow.p50 <= insert.p50),
            fmt(narrow.p99),
            check(narrow.p99 < Duration::from_millis(5)),
            fmt(wide.p99),
            check(wide.p99 < Duration::from_millis(20)),
        );
    }
    println!(
        "acknowledged vs stored : {acknowledged} answered 2xx, {stored} stored ({})",
        check(acknowledged == stored)
    );
    println!(
        "serve start to ready   : {} ({} < 300 ms)",
        fmt(ready),
        check(ready < Duration::from_millis(300))
    );
    println!(
        "idle RSS               : {:.1} MB ({} < 40 MB); peak RSS after the runs {:.1} MB",
        idle_rss as f64 / 1024.0,
        check(idle_rss < 40 * 1024),
        peak_rss as f64 / 1024.0
    );
    println!(
        "held wait answered after capture sent: p50 {}  p99 {}  max {} ({} rounds)",
        fmt(delays[delays.len() / 2]),
        fmt(delays[delays.len() * 99 / 100]),
        fmt(delays[delays.len() - 1]),
        delays.len()
    );
    phonebox.stop();
}

fn fmt(d: Duration) -> String {
    if d >= Duration::from_millis(10) {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    } else if d >= Duration::from_millis(1) {
        format!("{:.2} ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{} us", d.as_micros())
    }
}

/// A server process this bench started.
struct Server {
    child: Child,
    port: u16,
    db: PathBuf,
}

impl Server {
    /// The release `phonebox serve` on a fresh database; returns once it listens.
    fn phonebox(dir: &Path) -> Server {
        let db = dir.join("phonebox.db");
        let mut child = Command::new(env!("CARGO_BIN_EXE_phonebox"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--secrets-store",
                "file",
                "--db",
            ])
            .arg(&db)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("phonebox serve starts");
        // Printed once the socket is bound and the database is open and migrated.
        let output = child.stdout.take().expect("stdout piped");
        let port = read_port(output, "Phonebox is ready: open http://127.0.0.1:");
        Server { child, port, db }
    }

    /// This binary as the reference server.
    fn reference(db: &Path) -> Server {
        let mut child = Command::new(std::env::current_exe().expect("own path"))
            .env("PHONEBOX_BENCH_REFERENCE", db)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("reference starts");
        let output = child.stderr.take().expect("stderr piped");
        let port = read_port(output, "reference listening on 127.0.0.1:");
        Server {
            child,
            port,
            db: db.to_owned(),
        }
    }

    /// A line of `/proc/<pid>/status`, in KiB.
    fn rss_kib(&self, field: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }

    /// CPU time (user + system, in clock ticks) of the process's threads, summed by
    /// thread name (Linux).
    fn thread_cpu(&self) -> HashMap<String, u64> {
        let mut by_name = HashMap::new();
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{}/task", self.child.id())) else {
            return by_name;
        };
        for task in tasks.flatten() {
            let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
                continue;
            };
            // "pid (comm) state ...": comm may hold spaces, so split at the last ')'.
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

    /// Waits until the process has used no CPU for a while: its background work
    /// (filling the search index, checkpoints) is done.
    fn settle(&self) {
        let total = |s: &Server| s.thread_cpu().values().sum::<u64>();
        let mut last = total(self);
        loop {
            std::thread::sleep(Duration::from_millis(400));
            let now = total(self);
            if now == last {
                return;
            }
            last = now;
        }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Reads the child's output until `marker` and the port after it; the rest of its
/// output is drained on a thread so it never blocks on a full pipe.
fn read_port(output: impl std::io::Read + Send + 'static, marker: &str) -> u16 {
    let mut lines = BufReader::new(output).lines();
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.expect("child output");
        if let Some(rest) = line.split(marker).nth(1) {
            let port = rest
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .expect("port");
            std::thread::spawn(move || lines.for_each(drop));
            return port;
        }
        seen.push_str(&line);
        seen.push('\n');
    }
    panic!("server exited before listening:\n{seen}");
}

/// USER_HZ, the unit of /proc's CPU times: 100 on every Linux architecture we build for.
const TICKS_PER_SECOND: f64 = 100.0;

fn per_request(
    before: &HashMap<String, u64>,
    after: &HashMap<String, u64>,
    requests: u64,
) -> Vec<(String, f64)> {
    let mut names: Vec<&String> = after.keys().collect();
    names.sort();
    names
        .into_iter()
        .filter_map(|name| {
            let ticks = after[name] - before.get(name).copied().unwrap_or(0);
            let us = ticks as f64 * 1e6 / TICKS_PER_SECOND / requests.max(1) as f64;
            (us >= 0.1).then(|| (name.clone(), us))
        })
        .collect()
}

fn write_script(path: &Path, endpoint: &Endpoint) {
    let mut script = format!(
        "wrk.method = \"POST\"\nwrk.body = [[{}]]\nwrk.headers[\"Content-Type\"] = \"{}\"\n",
        endpoint.body, endpoint.content_type
    );
    if let Some(auth) = endpoint.auth {
        script.push_str(&format!("wrk.headers[\"Authorization\"] = \"{auth}\"\n"));
    }
    std::fs::write(path, script).expect("script");
}

struct WrkResult {
    rate: f64,
    p50: Duration,
    p99: Duration,
    requests: u64,
    errors: u64,
}

fn wrk(port: u16, path: &str, script: &Path, connections: u32, seconds: u64) -> WrkResult {
    let threads = connections.min(2);
    let output = Command::new("wrk")
        .args([
            &format!("-t{threads}"),
            &format!("-c{connections}"),
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
    let errors: u64 = text
        .lines()
        .filter(|l| l.contains("Non-2xx") || l.contains("Socket errors"))
        .flat_map(|l| l.split(|c: char| !c.is_ascii_digit()))
        .filter_map(|n| n.parse::<u64>().ok())
        .sum();
    let latency = |p: &str| field(p).map(|v| parse_wrk_duration(&v)).unwrap_or_default();
    WrkResult {
        rate: field("Requests/sec:")
            .and_then(|r| r.parse().ok())
            .unwrap_or_else(|| panic!("wrk output:\n{text}")),
        p50: latency("50%"),
        p99: latency("99%"),
        requests,
        errors,
    }
}

/// wrk's "812.00us", "3.25ms", "1.20s".
fn parse_wrk_duration(text: &str) -> Duration {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().unwrap_or(0.0);
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        _ => 0.0,
    };
    Duration::from_secs_f64(seconds)
}

/// Sends `count` captures over every endpoint, `WIDE` at a time, each awaited; then
/// counts the rows in the database file. Every 2xx must be a stored row.
async fn acknowledged_vs_stored(server: &Server, count: usize) -> (usize, usize) {
    use futures_util::StreamExt;
    let before = stored_rows(&server.db).await;
    let http = reqwest::Client::new();
    let endpoints = endpoints();
    let base = format!("http://127.0.0.1:{}", server.port);
    let acknowledged = futures_util::stream::iter(0..count)
        .map(|i| {
            let endpoint = &endpoints[i % endpoints.len()];
            let mut request = http
                .post(format!("{base}{}", endpoint.path))
                .header("content-type", endpoint.content_type)
                .body(endpoint.body.clone());
            if let Some(auth) = endpoint.auth {
                request = request.header("authorization", auth);
            }
            async move { request.send().await.is_ok_and(|r| r.status().is_success()) }
        })
        .buffer_unordered(WIDE as usize)
        .filter(|ok| std::future::ready(*ok))
        .count()
        .await;
    (acknowledged, stored_rows(&server.db).await - before)
}

async fn stored_rows(db: &Path) -> usize {
    use sqlx::ConnectOptions;
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db)
        .read_only(true)
        .connect()
        .await
        .expect("opens the database");
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM messages")
        .fetch_one(&mut conn)
        .await
        .expect("counts");
    n as usize
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
        let waiting = tokio::spawn(http.get(url).send());
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

/// The reference server: the least any server taking these requests must do.
mod reference {
    use std::path::PathBuf;

    use axum::extract::State;
    use axum::http::{header, HeaderMap, StatusCode};
    use axum::response::{IntoResponse, Response};
    use axum::routing::post;
    use serde::Deserialize;
    use sqlx::sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
    };
    use sqlx::SqlitePool;

    /// The custom-phone-provider notification, as Phonebox's receiver reads it.
    #[derive(Deserialize)]
    #[allow(dead_code)] // Parsed for the cost of parsing; not read.
    struct Notification {
        from: Option<String>,
        action: Option<String>,
        language: Option<String>,
        recipient: String,
        message_type: Option<String>,
        text: String,
        code: Option<String>,
    }

    pub fn serve(db: PathBuf) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(
                    SqliteConnectOptions::new()
                        .filename(&db)
                        .create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Full)
                        .busy_timeout(std::time::Duration::from_secs(10)),
                )
                .await
                .expect("reference database");
            sqlx::query(
                "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, \
                 recipient TEXT NOT NULL, text TEXT NOT NULL, raw BLOB NOT NULL)",
            )
            .execute(&pool)
            .await
            .expect("table");
            let router = axum::Router::new()
                .route("/bare/{*path}", post(bare))
                .route("/bare/", post(bare_root))
                .route("/insert/{*path}", post(insert))
                .route("/insert/", post(insert_root))
                .with_state(pool);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let port = listener.local_addr().expect("addr").port();
            eprintln!("reference listening on 127.0.0.1:{port}");
            axum::serve(listener, router).await.expect("serves");
        });
    }

    /// Parses the body as its content type says: (recipient, text), or 400.
    fn parse(headers: &HeaderMap, body: &[u8]) -> Option<(String, String)> {
        let form = headers.get(header::CONTENT_TYPE).is_some_and(|ct| {
            ct.as_bytes()
                .starts_with(b"application/x-www-form-urlencoded")
        });
        if form {
            let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
            let get = |names: &[&str]| {
                fields
                    .iter()
                    .find(|(k, _)| names.contains(&k.as_str()))
                    .map(|(_, v)| v.clone())
            };
            Some((get(&["To", "PhoneNumber"])?, get(&["Body", "Message"])?))
        } else {
            let n: Notification = serde_json::from_slice(body).ok()?;
            Some((n.recipient, n.text))
        }
    }

    fn answer(is_sns: bool) -> Response {
        if is_sns {
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/xml")],
                "<PublishResponse><PublishResult><MessageId>1</MessageId></PublishResult></PublishResponse>",
            )
                .into_response()
        } else {
            (
                StatusCode::CREATED,
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"id":"1","status":"received"}"#,
            )
                .into_response()
        }
    }

    async fn bare(headers: HeaderMap, body: axum::body::Bytes) -> Response {
        match parse(&headers, &body) {
            Some(_) => answer(false),
            None => StatusCode::BAD_REQUEST.into_response(),
        }
    }

    async fn bare_root(headers: HeaderMap, body: axum::body::Bytes) -> Response {
        match parse(&headers, &body) {
            Some(_) => answer(true),
            None => StatusCode::BAD_REQUEST.into_response(),
        }
    }

    async fn store(pool: &SqlitePool, headers: &HeaderMap, body: &[u8], is_sns: bool) -> Response {
        let Some((recipient, text)) = parse(headers, body) else {
            return StatusCode::BAD_REQUEST.into_response();
        };
        match sqlx::query("INSERT INTO messages (recipient, text, raw) VALUES (?, ?, ?)")
            .bind(recipient)
            .bind(text)
            .bind(body)
            .execute(pool)
            .await
        {
            Ok(_) => answer(is_sns),
            Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        }
    }

    async fn insert(
        State(pool): State<SqlitePool>,
        headers: HeaderMap,
        body: axum::body::Bytes,
    ) -> Response {
        store(&pool, &headers, &body, false).await
    }

    async fn insert_root(
        State(pool): State<SqlitePool>,
        headers: HeaderMap,
        body: axum::body::Bytes,
    ) -> Response {
        store(&pool, &headers, &body, true).await
    }
}
