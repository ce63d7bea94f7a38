//! What a 2xx promises survives `kill -9`: under concurrent load on the capture
//! endpoints and the MFA API, the real `phonebox serve` is killed with SIGKILL at
//! three different points and restarted on the same file each time. Every message
//! and every enrollment it acknowledged is there after each restart, the file
//! passes `PRAGMA integrity_check`, and the restarted server serves at once.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::Notify;

use crate::helpers::Process;

const ACCOUNT: &str = "AC00000000000000000000000000000015";
const CLIENT: &str = "durable-app";
const OOB: &str = "http://auth0.com/oauth/grant-type/mfa-oob";

/// The receivers under load, one worker each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Receiver {
    CustomPhoneProvider,
    SendPhoneMessage,
    Hook,
    Twilio,
    Sns,
    Vonage,
}

const RECEIVERS: [Receiver; 6] = [
    Receiver::CustomPhoneProvider,
    Receiver::SendPhoneMessage,
    Receiver::Hook,
    Receiver::Twilio,
    Receiver::Sns,
    Receiver::Vonage,
];

/// Workers enrolling phones through the MFA API at the same time.
const MFA_WORKERS: usize = 3;

/// Where a round kills the server.
#[derive(Debug, Clone, Copy)]
enum KillPoint {
    /// As soon as the first request of the burst is acknowledged.
    FirstAck,
    /// Once this many requests are acknowledged.
    Acked(usize),
    /// While a code confirmation (the `mfa-oob` grant) is at the server, once
    /// this many confirmations are acknowledged.
    ConfirmationInFlight(usize),
}

/// Something the server answered 2xx to.
#[derive(Debug, Clone)]
enum Acked {
    /// A capture: its unique text, and the id the emulator API knows it by when
    /// the answer said it (the Auth0 capture endpoints do).
    Message { text: String, id: Option<String> },
    /// `/mfa/associate` answered: the user has an enrollment of `phone`.
    Associated { email: String, phone: String },
    /// The `mfa-oob` grant answered: that enrollment is confirmed.
    Confirmed { email: String, phone: String },
}

/// What the workers have done so far, watched by the killer.
#[derive(Default)]
struct Progress {
    acked: Mutex<Vec<Acked>>,
    count: AtomicUsize,
    confirmed: AtomicUsize,
    confirming: AtomicUsize,
    stop: AtomicBool,
    changed: Notify,
}

impl Progress {
    fn ack(&self, item: Acked) {
        if matches!(item, Acked::Confirmed { .. }) {
            self.confirmed.fetch_add(1, Ordering::SeqCst);
        }
        self.acked.lock().expect("lock").push(item);
        self.count.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_waiters();
    }

    fn reached(&self, point: KillPoint) -> bool {
        let count = self.count.load(Ordering::SeqCst);
        match point {
            KillPoint::FirstAck => count >= 1,
            KillPoint::Acked(n) => count >= n,
            KillPoint::ConfirmationInFlight(n) => {
                self.confirmed.load(Ordering::SeqCst) >= n
                    && self.confirming.load(Ordering::SeqCst) > 0
            }
        }
    }

    /// Returns once `point` is reached (the load runs meanwhile).
    async fn until(&self, point: KillPoint) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let changed = self.changed.notified();
            if self.reached(point) {
                return;
            }
            assert!(
                tokio::time::timeout_at(deadline, changed).await.is_ok(),
                "the load never reached {point:?}"
            );
        }
    }
}

fn client() -> reqwest::Client {
    // A killed server resets its connections; the timeout only bounds a test that
    // went wrong.
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// One capture by `receiver`, with text unique to (`round`, `worker`, `i`): what
/// the server acknowledged, if it did.
async fn capture(
    http: &reqwest::Client,
    base: &str,
    receiver: Receiver,
    round: usize,
    worker: usize,
    i: usize,
) -> Option<Acked> {
    let to = format!("+1556{round}{worker}{i:05}");
    let text = format!("durable r{round} w{worker} #{i}: your code is 4{i:05}");
    let request = match receiver {
        Receiver::CustomPhoneProvider => http
            .post(format!("{base}/capture/auth0/custom-phone-provider"))
            .json(&json!({ "recipient": to, "text": text, "message_type": "text" })),
        Receiver::SendPhoneMessage => http
            .post(format!("{base}/capture/auth0/send-phone-message"))
            .json(&json!({ "message_options": { "recipient": to, "text": text, "message_type": "sms", "action": "enrollment", "code": format!("4{i:05}") } })),
        Receiver::Hook => http
            .post(format!("{base}/capture/auth0/hook"))
            .json(&json!({ "recipient": to, "text": text, "context": {} })),
        Receiver::Twilio => http
            .post(format!("{base}/2010-04-01/Accounts/{ACCOUNT}/Messages.json"))
            .basic_auth(ACCOUNT, Some("auth-token-value-abcd"))
            .form(&[("To", to.as_str()), ("From", "+15005550006"), ("Body", &text)]),
        Receiver::Sns => http.post(format!("{base}/")).form(&[
            ("Action", "Publish"),
            ("Version", "2010-03-31"),
            ("PhoneNumber", to.as_str()),
            ("Message", &text),
        ]),
        Receiver::Vonage => http.post(format!("{base}/sms/json")).form(&[
            ("api_key", "a1b2c3d4"),
            ("api_secret", "VonageSecret123"),
            ("from", "Acme"),
            ("to", to.trim_start_matches('+')),
            ("text", &text),
        ]),
    };
    // A killed server resets the connection (an error, never a status): that alone
    // ends the worker. A status that is not a send is a refusal, and a failure.
    let response = request.send().await.ok()?;
    let status = response.status();
    let body = response.text().await.ok()?;
    assert!(
        status.is_success(),
        "{receiver:?} refused a capture with {status}: {body}"
    );
    let id = match receiver {
        Receiver::CustomPhoneProvider | Receiver::SendPhoneMessage | Receiver::Hook => {
            let parsed: Value = serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("{receiver:?} answered {status} with {body}: {e}"));
            let id = parsed["id"].as_str();
            Some(
                id.unwrap_or_else(|| panic!("{receiver:?}: no id in {body}"))
                    .to_owned(),
            )
        }
        Receiver::Vonage => {
            // Vonage answers 200 to a refusal too: only status "0" is a send.
            let parsed: Value = serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("Vonage answered {status} with {body}: {e}"));
            assert_eq!(
                parsed["messages"][0]["status"], "0",
                "Vonage refused a send: {body}"
            );
            None
        }
        Receiver::Twilio | Receiver::Sns => None,
    };
    Some(Acked::Message { text, id })
}

/// The user `email` logs in, associates `phone` and confirms it with the code
/// from the inbox, acknowledging each step the server answers 2xx.
async fn enroll(
    http: &reqwest::Client,
    base: &str,
    progress: &Progress,
    email: &str,
    phone: &str,
) -> Option<()> {
    let login = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", CLIENT),
            ("username", email),
            ("password", "correct horse"),
        ])
        .send()
        .await
        .ok()?;
    let login: Value = login.json().await.ok()?;
    let token = login["mfa_token"].as_str()?.to_owned();
    let associated = http
        .post(format!("{base}/mfa/associate"))
        .bearer_auth(&token)
        .json(&json!({ "client_id": CLIENT, "authenticator_types": ["oob"], "oob_channels": ["sms"], "phone_number": phone }))
        .send()
        .await
        .ok()?;
    // As for captures: only a reset connection (the server killed) ends the worker.
    let status = associated.status();
    let body = associated.text().await.ok()?;
    assert!(
        status.is_success(),
        "/mfa/associate refused {email} {phone} with {status}: {body}"
    );
    let associated: Value = serde_json::from_str(&body)
        .unwrap_or_else(|e| panic!("/mfa/associate answered {status} with {body}: {e}"));
    let oob = associated["oob_code"]
        .as_str()
        .unwrap_or_else(|| panic!("/mfa/associate: no oob_code in {body}"))
        .to_owned();
    progress.ack(Acked::Associated {
        email: email.to_owned(),
        phone: phone.to_owned(),
    });
    let latest = http
        .get(format!(
            "{base}/emulator/v1/phones/{}/latest",
            phone.replace('+', "%2B")
        ))
        .send()
        .await
        .ok()?;
    let latest: Value = latest.json().await.ok()?;
    let code = latest["code"].as_str()?.to_owned();
    progress.confirming.fetch_add(1, Ordering::SeqCst);
    progress.changed.notify_waiters();
    let granted = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", OOB),
            ("client_id", CLIENT),
            ("mfa_token", &token),
            ("oob_code", &oob),
            ("binding_code", &code),
        ])
        .send()
        .await;
    progress.confirming.fetch_sub(1, Ordering::SeqCst);
    if granted.ok()?.status().is_success() {
        progress.ack(Acked::Confirmed {
            email: email.to_owned(),
            phone: phone.to_owned(),
        });
    }
    Some(())
}

/// Starts the load on `base`: a worker per receiver and `MFA_WORKERS` enrolling.
/// Each stops at its first failed request (the server is gone) or when told to.
fn start_load(
    base: &str,
    round: usize,
    progress: &Arc<Progress>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut workers = Vec::new();
    for (worker, receiver) in RECEIVERS.into_iter().enumerate() {
        let (base, progress) = (base.to_owned(), progress.clone());
        workers.push(tokio::spawn(async move {
            let http = client();
            for i in 0.. {
                if progress.stop.load(Ordering::SeqCst) {
                    return;
                }
                match capture(&http, &base, receiver, round, worker, i).await {
                    Some(acked) => progress.ack(acked),
                    None => return,
                }
            }
        }));
    }
    for worker in 0..MFA_WORKERS {
        let (base, progress) = (base.to_owned(), progress.clone());
        workers.push(tokio::spawn(async move {
            let http = client();
            for i in 0.. {
                if progress.stop.load(Ordering::SeqCst) {
                    return;
                }
                let email = format!("durable-{round}-{worker}-{i}@example.com");
                let phone = format!("+1555{round}{worker}{i:05}");
                if enroll(&http, &base, &progress, &email, &phone)
                    .await
                    .is_none()
                {
                    return;
                }
            }
        }));
    }
    workers
}

/// A read-only connection beside the running server.
async fn open_read_only(db: &Path) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", db.display()))
        .await
        .expect("open read-only")
}

async fn integrity(pool: &sqlx::SqlitePool) -> String {
    sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(pool)
        .await
        .expect("integrity_check")
}

/// Checks every acknowledged item is in the file and in the API of the server at
/// `base`.
async fn check_acknowledged(base: &str, db: &Path, acked: &[Acked]) {
    let pool = open_read_only(db).await;
    assert_eq!(integrity(&pool).await, "ok");
    let texts: std::collections::HashSet<String> = sqlx::query_scalar("SELECT text FROM messages")
        .fetch_all(&pool)
        .await
        .expect("messages")
        .into_iter()
        .collect();
    let rows: Vec<(String, String, bool)> = sqlx::query_as(
        "SELECT u.email, e.phone_number, e.active FROM mfa_enrollments e \
         JOIN users u ON u.tenant = e.tenant AND u.user_id = e.user_id",
    )
    .fetch_all(&pool)
    .await
    .expect("enrollments");
    pool.close().await;
    let enrollments: HashMap<(String, String), bool> = rows
        .into_iter()
        .map(|(email, phone, active)| ((email, phone), active))
        .collect();
    let http = client();
    let mut confirmed = 0;
    for item in acked {
        match item {
            Acked::Message { text, id } => {
                assert!(texts.contains(text), "acknowledged, not stored: {text}");
                if let Some(id) = id {
                    let detail: Value = http
                        .get(format!("{base}/emulator/v1/messages/{id}"))
                        .send()
                        .await
                        .expect("sent")
                        .json()
                        .await
                        .expect("json");
                    assert_eq!(detail["text"], text.as_str(), "{detail}");
                }
            }
            Acked::Associated { email, phone } => assert!(
                enrollments.contains_key(&(email.clone(), phone.clone())),
                "associated, not stored: {email} {phone}"
            ),
            Acked::Confirmed { email, phone } => {
                assert_eq!(
                    enrollments.get(&(email.clone(), phone.clone())),
                    Some(&true),
                    "confirmed, not stored as confirmed: {email} {phone}"
                );
                confirmed += 1;
                // The Management API sees it confirmed too (a few per round: each
                // is two requests).
                if confirmed % 4 == 1 {
                    assert_eq!(confirmed_enrollments(&http, base, email).await, 1);
                }
            }
        }
    }
}

/// How many confirmed enrollments the Management API lists for `email`.
async fn confirmed_enrollments(http: &reqwest::Client, base: &str, email: &str) -> usize {
    let users: Value = http
        .get(format!("{base}/api/v2/users-by-email"))
        .query(&[("email", email)])
        .bearer_auth("mgmt-token")
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let id = users[0]["user_id"]
        .as_str()
        .expect("user")
        .replace('|', "%7C");
    let enrollments: Vec<Value> = http
        .get(format!("{base}/api/v2/users/{id}/enrollments"))
        .bearer_auth("mgmt-token")
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    enrollments
        .iter()
        .filter(|e| e["status"] == "confirmed")
        .count()
}

/// The first requests to a server that just said it listens: health and a
/// capture, each answered at the first try.
async fn serves_at_once(base: &str) -> Acked {
    let http = client();
    let health = http
        .get(format!("{base}/emulator/v1/health"))
        .send()
        .await
        .expect("health answers");
    assert_eq!(health.status(), 200);
    let health: Value = health.json().await.expect("json");
    assert_eq!(health["status"], "ok", "{health}");
    let text = format!("first after restart {}", serial());
    let captured = http
        .post(format!("{base}/capture/auth0/custom-phone-provider"))
        .json(&json!({ "recipient": "+15569999999", "text": text, "message_type": "text" }))
        .send()
        .await
        .expect("capture answers");
    assert_eq!(captured.status(), 201);
    let captured: Value = captured.json().await.expect("json");
    Acked::Message {
        text,
        id: Some(captured["id"].as_str().expect("id").to_owned()),
    }
}

/// Distinct per call within the test.
fn serial() -> usize {
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

#[tokio::test]
async fn everything_answered_2xx_survives_kill_9_at_three_points_and_the_file_stays_sound() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    let args = [std::ffi::OsStr::new("--db"), db.as_os_str()];
    let mut server = Process::start(&args, &[], &dir.path().join("start.log"))
        .await
        .expect("starts");
    // Hundreds of enrollments: more than the built-in provider's lifetime cap.
    let raised = client()
        .patch(format!("{}/emulator/v1/tenants/default", server.base))
        .json(&json!({ "settings": { "limits": { "builtin_lifetime": 1_000_000 } } }))
        .send()
        .await
        .expect("sent");
    assert_eq!(raised.status(), 200);

    let mut acked: Vec<Acked> = Vec::new();
    let points = [
        KillPoint::FirstAck,
        KillPoint::Acked(150),
        KillPoint::ConfirmationInFlight(4),
    ];
    for (round, point) in points.into_iter().enumerate() {
        let round = round + 1;
        let progress = Arc::new(Progress::default());
        let workers = start_load(&server.base, round, &progress);
        progress.until(point).await;
        server.child.start_kill().expect("SIGKILL");
        let status = server.child.wait().await.expect("killed");
        assert_eq!(status.code(), None, "killed by a signal, not exited");
        progress.stop.store(true, Ordering::SeqCst);
        for worker in workers {
            worker.await.expect("worker");
        }
        let this_round = progress.acked.lock().expect("lock").clone();
        let messages = this_round
            .iter()
            .filter(|a| matches!(a, Acked::Message { .. }))
            .count();
        let confirmed = this_round
            .iter()
            .filter(|a| matches!(a, Acked::Confirmed { .. }))
            .count();
        println!(
            "round {round} ({point:?}): killed after {} acknowledged ({messages} messages, {} associations, {confirmed} confirmations)",
            this_round.len(),
            this_round.len() - messages - confirmed,
        );
        acked.extend(this_round);

        let log = dir.path().join(format!("restart-{round}.log"));
        server = Process::start(&args, &[], &log).await.expect("restarts");
        acked.push(serves_at_once(&server.base).await);
        check_acknowledged(&server.base, &db, &acked).await;
    }
    assert_eq!(server.terminate().await, Some(0));
    // Stopped: a plain connection (read-only needs the server's shared memory file).
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("open");
    assert_eq!(integrity(&pool).await, "ok");
    pool.close().await;
}
