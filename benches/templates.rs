//! `make bench`: what rendering Auth0's default phone templates costs with
//! Phonebox's bounded Liquid engine, against the `liquid` crate it replaced
//! (kept as a dev-dependency for this reference only), in the same run.
//!
//! Each render parses and renders, as a send does. The sandbox line adds the
//! trip to a blocking thread that every send takes.

use std::time::{Duration, Instant};

use phonebox::auth0::templates::{DEFAULT_ENROLLMENT, DEFAULT_VERIFICATION};
use phonebox::liquid::{self, Object, Value};

const ROUNDS: usize = 20_000;

fn ours_globals() -> Object {
    let mut g = Object::new();
    g.insert("code".into(), Value::from("482913"));
    g.insert(
        "tenant".into(),
        Value::object([("friendly_name", Value::from("Acme"))]),
    );
    g
}

fn reference_globals() -> ::liquid::Object {
    ::liquid::object!({ "code": "482913", "tenant": { "friendly_name": "Acme" } })
}

/// The median and 99th percentile of `ROUNDS` timed calls, after a warm-up.
fn time(mut f: impl FnMut()) -> (Duration, Duration) {
    for _ in 0..1_000 {
        f();
    }
    let mut times: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    (times[ROUNDS / 2], times[ROUNDS * 99 / 100])
}

fn main() {
    let reference = ::liquid::ParserBuilder::with_stdlib()
        .build()
        .expect("the liquid crate's parser builds");
    let limits = liquid::Limits::default();
    let now = time::OffsetDateTime::now_utc();
    println!("Phonebox template benchmark: Auth0's default phone templates, {ROUNDS} renders each");
    for (name, src) in [
        ("enrollment", DEFAULT_ENROLLMENT),
        ("verification", DEFAULT_VERIFICATION),
    ] {
        let globals = reference_globals();
        let expected = reference
            .parse(src)
            .and_then(|t| t.render(&globals))
            .expect("the reference renders");
        let ours = liquid::parse(src, &limits)
            .and_then(|t| t.render(&ours_globals(), now))
            .expect("ours renders");
        assert_eq!(ours, expected, "both engines write the same text");
        let (ref_p50, ref_p99) = time(|| {
            let t = reference.parse(src).expect("parses");
            std::hint::black_box(t.render(&globals).expect("renders"));
        });
        let g = ours_globals();
        let (p50, p99) = time(|| {
            let t = liquid::parse(src, &limits).expect("parses");
            std::hint::black_box(t.render(&g, now).expect("renders"));
        });
        println!(
            "{name:<12} liquid crate p50 {:>6.2} us p99 {:>6.2} us | phonebox p50 {:>6.2} us p99 {:>6.2} us | {:.2}x",
            ref_p50.as_secs_f64() * 1e6,
            ref_p99.as_secs_f64() * 1e6,
            p50.as_secs_f64() * 1e6,
            p99.as_secs_f64() * 1e6,
            ref_p50.as_secs_f64() / p50.as_secs_f64(),
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let sandbox = liquid::Sandbox::default();
    let (p50, p99) = time(|| {
        let jobs = vec![
            (DEFAULT_VERIFICATION.to_owned(), ours_globals()),
            (DEFAULT_VERIFICATION.to_owned(), ours_globals()),
        ];
        std::hint::black_box(
            runtime
                .block_on(sandbox.render(jobs, now))
                .expect("renders"),
        );
    });
    println!(
        "sandboxed send (SMS + voice text, one blocking-thread trip): p50 {:.2} us p99 {:.2} us",
        p50.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6
    );
}
