//! `make bench`: the store at a million messages (issue 15).
//!
//! Fills a temp database with 1,000,000 messages over 10,000 phones through the
//! store (as `phonebox seed` does, not over HTTP), marks every third phone read,
//! then times, warm, each query the UI and QA make, through the same functions the
//! HTTP handlers call, against a 50 ms target. Last, what the search and phone
//! triggers add to each inserted row, on the capture path's own insert, and what the
//! search indexer spends later.
//!
//! `BENCH_MESSAGES` and `BENCH_PHONES` change the size; `BENCH_DB` keeps the filled
//! file there and reuses it on the next run (it is filled only when missing).

use std::path::Path;
use std::time::{Duration, Instant};

use phonebox::capture::inbox::{self, Wanted};
use phonebox::capture::pipeline::Pipeline;
use phonebox::cli::seed;
use phonebox::clock::Clock;
use phonebox::message::phone::PhoneNumber;
use phonebox::message::Source;
use phonebox::store::messages::{self, Filter};
use phonebox::store::Store;
use tokio_util::sync::CancellationToken;

const TARGET: Duration = Duration::from_millis(50);
const RUNS: usize = 9;
/// The UI's page sizes (ui/src/lib/api.ts).
const MESSAGES_PAGE: u32 = 100;
const PHONES_PAGE: u32 = 200;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn main() {
    let count = env_or("BENCH_MESSAGES", 1_000_000);
    let phones = u32::try_from(env_or("BENCH_PHONES", 10_000)).expect("phones fit u32");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = std::env::var_os("BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("store.db"));
    runtime.block_on(async {
        let fill = !path.exists();
        let store = Store::open(&path).await.expect("store opens");
        let clock = Clock::load(&store).await.expect("clock");
        let (pipeline, writer) = Pipeline::start(store.clone(), clock);
        if fill {
            let started = Instant::now();
            seed::seed(&store, count, phones).await.expect("seed");
            let seeded = started.elapsed();
            let started = Instant::now();
            for number in seed::demo_numbers(phones).iter().step_by(3) {
                inbox::mark_read(&pipeline, number, None)
                    .await
                    .expect("mark read");
            }
            println!(
                "filled {count} messages over {phones} phones in {:.1} s ({:.1} µs a message); \
                 marked every third phone read in {:.2} s",
                seeded.as_secs_f64(),
                seeded.as_secs_f64() * 1e6 / count as f64,
                started.elapsed().as_secs_f64()
            );
            store.checkpoint().await.expect("checkpoint");
        } else {
            println!("reusing {}", path.display());
        }
        println!("database file: {}", size(&path));
        queries(&pipeline, phones).await;
        writer_cost(dir.path(), phones).await;
        drop(pipeline);
        writer.stop().await;
    });
}

async fn queries(pipeline: &Pipeline, phones: u32) {
    let numbers = seed::demo_numbers(phones);
    let phone = numbers[numbers.len() / 2].clone();
    let unknown = PhoneNumber::parse("+15559999999").expect("number");
    let filter = |f: Filter| f;
    let search = |q: &str| Filter {
        query: Some(q.to_owned()),
        ..Filter::default()
    };
    let all = inbox::list(pipeline, &Filter::default(), MESSAGES_PAGE)
        .await
        .expect("list");
    // A code that is there (the oldest of the first page: not just the newest row).
    let code = all
        .messages
        .last()
        .and_then(|m| m.code.clone())
        .expect("a code");
    let word_page = inbox::list(pipeline, &search("verification"), MESSAGES_PAGE)
        .await
        .expect("search");
    let word_cursor = word_page.next_cursor.clone();
    let phones_page = inbox::phones(pipeline, PHONES_PAGE, None)
        .await
        .expect("phones");
    let phones_cursor = phones_page.last().map(|p| p.last_message.id.clone());
    let shutdown = CancellationToken::new();

    println!();
    println!(
        "{:<52} {:>9} {:>9} {:>9} {:>7} {:>6}",
        format!("query (warm, {RUNS} runs)"),
        "min ms",
        "median",
        "max ms",
        "rows",
        "< 50ms"
    );
    let mut failed = 0;
    let mut row = |name: &str, times: Vec<Duration>, rows: usize| {
        let mut times = times;
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let median = times[times.len() / 2];
        let pass = median < TARGET;
        failed += usize::from(!pass);
        println!(
            "{name:<52} {:>9.2} {:>9.2} {:>9.2} {rows:>7} {:>6}",
            ms(times[0]),
            ms(median),
            ms(times[times.len() - 1]),
            if pass { "pass" } else { "FAIL" }
        );
    };
    macro_rules! time {
        ($name:expr, $call:expr, $rows:expr) => {{
            let _ = $call.await.expect($name); // warm up
            let mut times = Vec::with_capacity(RUNS);
            let mut rows = 0;
            for _ in 0..RUNS {
                let started = Instant::now();
                let out = $call.await.expect($name);
                times.push(started.elapsed());
                rows = $rows(&out);
            }
            row($name, times, rows);
        }};
    }
    let page_rows = |p: &inbox::Page| p.messages.len();
    time!(
        "all messages, first page (100)",
        inbox::list(pipeline, &Filter::default(), MESSAGES_PAGE),
        page_rows
    );
    time!(
        "phone list, first page (200) + unread total",
        async {
            let page = inbox::phones(pipeline, PHONES_PAGE, None).await?;
            inbox::unread_total(pipeline).await.map(|_| page)
        },
        |p: &Vec<messages::PhoneSummary>| p.len()
    );
    time!(
        "phone list, next page (200)",
        inbox::phones(pipeline, PHONES_PAGE, phones_cursor.as_deref()),
        |p: &Vec<messages::PhoneSummary>| p.len()
    );
    time!(
        "one phone's thread, first page (100)",
        inbox::list(
            pipeline,
            &filter(Filter {
                to: Some(phone.clone()),
                ..Filter::default()
            }),
            MESSAGES_PAGE
        ),
        page_rows
    );
    time!(
        "search a word in every message: verification",
        inbox::list(pipeline, &search("verification"), MESSAGES_PAGE),
        page_rows
    );
    time!(
        "search it, second page",
        inbox::list(
            pipeline,
            &Filter {
                before: word_cursor.clone(),
                ..search("verification")
            },
            MESSAGES_PAGE
        ),
        page_rows
    );
    time!(
        "search a word in a quarter: enrollment",
        inbox::list(pipeline, &search("enrollment"), MESSAGES_PAGE),
        page_rows
    );
    time!(
        "search a word as typed: verif",
        inbox::list(pipeline, &search("verif"), MESSAGES_PAGE),
        page_rows
    );
    let code_label = format!("search a code: {code}");
    time!(
        &code_label,
        inbox::list(pipeline, &search(&code), MESSAGES_PAGE),
        page_rows
    );
    let part: String = phone.as_str().chars().skip(5).collect();
    let part_label = format!("search part of a number: {part}");
    time!(
        &part_label,
        inbox::list(pipeline, &search(&part), MESSAGES_PAGE),
        page_rows
    );
    time!(
        "search for nothing there: zzzzqx",
        inbox::list(pipeline, &search("zzzzqx"), MESSAGES_PAGE),
        page_rows
    );
    time!(
        "search within one phone: verification",
        inbox::list(
            pipeline,
            &Filter {
                to: Some(phone.clone()),
                ..search("verification")
            },
            MESSAGES_PAGE
        ),
        page_rows
    );
    time!(
        "search two characters, everywhere: Yo (no index)",
        inbox::list(pipeline, &search("Yo"), MESSAGES_PAGE),
        page_rows
    );
    time!(
        "search two characters, nowhere: zq (no index)",
        inbox::list(pipeline, &search("zq"), MESSAGES_PAGE),
        page_rows
    );
    time!(
        "filter by source (vonage.sms, 1%)",
        inbox::list(
            pipeline,
            &Filter {
                source: Some(Source::VonageSms),
                ..Filter::default()
            },
            MESSAGES_PAGE
        ),
        page_rows
    );
    time!(
        "filter by tenant (globex-dev, 2%)",
        inbox::list(
            pipeline,
            &Filter {
                tenant: Some("globex-dev".to_owned()),
                ..Filter::default()
            },
            MESSAGES_PAGE
        ),
        page_rows
    );
    time!(
        "filter by tenant with no messages",
        inbox::list(
            pipeline,
            &Filter {
                tenant: Some("nobody".to_owned()),
                ..Filter::default()
            },
            MESSAGES_PAGE
        ),
        page_rows
    );
    time!(
        "latest for one phone",
        inbox::wait_latest(pipeline, wanted(phone.clone()), Duration::ZERO, &shutdown),
        |m: &Option<_>| usize::from(m.is_some())
    );
    time!(
        "latest for a phone with none",
        inbox::wait_latest(pipeline, wanted(unknown.clone()), Duration::ZERO, &shutdown),
        |m: &Option<_>| usize::from(m.is_some())
    );
    time!("unread total", inbox::unread_total(pipeline), |_: &i64| 1);
    time!(
        "mark one phone read",
        inbox::mark_read(pipeline, &phone, None),
        |m: &Option<String>| usize::from(m.is_some())
    );
    println!(
        "{}",
        if failed == 0 {
            "every query under 50 ms".to_owned()
        } else {
            format!("{failed} queries over 50 ms")
        }
    );
}

fn wanted(to: PhoneNumber) -> Wanted {
    Wanted {
        to,
        after: None,
        tenant: None,
        user_id: None,
        transaction_id: None,
    }
}

/// What the phone summary and the search index cost the capture writer: its
/// insert (`BatchWriter`), 64 rows a transaction (a busy group commit), into a fresh database
/// without the triggers, as shipped (the phone summary's triggers; the index is
/// filled afterwards, a thousand rows a transaction, as the indexer does), and with
/// the index filled in the insert itself (the trigger the indexer replaced).
async fn writer_cost(dir: &Path, phones: u32) {
    let rows = env_or("BENCH_WRITER_ROWS", 50_000);
    let numbers = seed::demo_recipients(phones);
    const INDEX_IN_INSERT: &str =
        "CREATE TRIGGER message_search_insert AFTER INSERT ON messages BEGIN \
         INSERT INTO message_search (rowid, text, code, recipient) \
         VALUES (new.rowid, new.text, new.code, new.recipient); END; \
         UPDATE message_search_progress SET indexed_through = 9223372036854775807";
    let variants: [(&str, &str); 3] = [
        (
            "no phone summary, no search index",
            "DROP TRIGGER phones_insert; DROP TRIGGER phones_delete; \
             DROP TRIGGER message_search_delete",
        ),
        ("as shipped: phone summary, index later", ""),
        ("indexing in the insert (before)", INDEX_IN_INSERT),
    ];
    println!();
    println!(
        "writer cost: {rows} rows through the capture writer's insert, 64 a transaction (wall, CPU), \
         then the older half deleted in one statement"
    );
    let mut first = None;
    for (round, (name, change)) in variants.iter().enumerate() {
        let path = dir.join(format!("writer-{round}.db"));
        let store = Store::open(&path).await.expect("store");
        if !change.is_empty() {
            let pool = sqlx::SqlitePool::connect_with(
                sqlx::sqlite::SqliteConnectOptions::new().filename(&path),
            )
            .await
            .expect("pool");
            sqlx::raw_sql(change)
                .execute(&pool)
                .await
                .expect("triggers");
            pool.close().await;
        }
        let mut ids = ulid::Generator::new();
        let start = phonebox::unix_ms::from_time(time::OffsetDateTime::now_utc());
        let all = seed::demo_rows_for(&mut ids, &numbers, start, 0..rows);
        let mut writer = store.batch_writer().expect("writer");
        let started = Instant::now();
        let cpu = process_cpu();
        for chunk in all.chunks(64) {
            let refs: Vec<_> = chunk.iter().map(|(m, r)| (m, r)).collect();
            writer.insert(&refs, &[]).expect("insert");
        }
        let per_row = started.elapsed().as_secs_f64() * 1e6 / rows as f64;
        let cpu_per_row = (process_cpu() - cpu) * 1e6 / rows as f64;
        drop(writer);
        // The indexer's share, where it runs: a thousand rows a transaction.
        let indexed = if round == 1 {
            let started = Instant::now();
            let cpu = process_cpu();
            let mut added = 0;
            loop {
                match phonebox::store::message_search::index_next(&store, 1000)
                    .await
                    .expect("indexes")
                {
                    0 => break,
                    n => added += n,
                }
            }
            format!(
                "; the indexer later {:.1} µs a row, {:.1} µs CPU",
                started.elapsed().as_secs_f64() * 1e6 / added.max(1) as f64,
                (process_cpu() - cpu) * 1e6 / added.max(1) as f64
            )
        } else {
            String::new()
        };
        // The older half in one statement, as the inbox's "clear" deletes
        // (retention deletes in statements of 500 rows instead).
        let half = Filter {
            before: Some(all[all.len() / 2].0.id.clone()),
            ..Filter::default()
        };
        let started = Instant::now();
        let deleted = messages::delete_matching(&store, &half)
            .await
            .expect("delete");
        let delete_per_row = started.elapsed().as_secs_f64() * 1e6 / deleted.max(1) as f64;
        let extra = first.map_or(
            String::new(),
            |(base, base_cpu, base_delete): (f64, f64, f64)| {
                format!(
                    " (+{:.1} / +{:.1} / +{:.1})",
                    per_row - base,
                    cpu_per_row - base_cpu,
                    delete_per_row - base_delete
                )
            },
        );
        first.get_or_insert((per_row, cpu_per_row, delete_per_row));
        println!(
            "  {name:<40} {per_row:>7.1} µs a row, {cpu_per_row:>6.1} µs CPU; delete {delete_per_row:>6.1} µs a row{extra}{indexed}"
        );
        store.close().await;
    }
}

/// CPU time this process used so far, in seconds (Linux; 0 elsewhere).
fn process_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime is the 12th, stime the 13th.
    let rest = stat.rsplit(") ").next().unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Linux reports in clock ticks of 1/100 s on every platform Phonebox runs on.
    (ticks(11) + ticks(12)) / 100.0
}

/// The database file and its write-ahead log, as `Store::disk_bytes` sums them.
fn size(path: &Path) -> String {
    let bytes = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let [file, wal, _] = phonebox::store::files::database_files(path);
    let mb = |b: u64| b as f64 / 1_048_576.0;
    format!(
        "{:.0} MB (+ {:.0} MB write-ahead log)",
        mb(bytes(&file)),
        mb(bytes(&wal))
    )
}
