//! `phonebox seed`: fills a database with realistic demo messages, written straight
//! to SQLite in large transactions (for demos, and for measuring the UI and the
//! store with a million).
//!
//! The mix is what a busy development tenant sees: mostly the default tenant and
//! the Auth0 triggers, a few other tenants and provider APIs, one message in nine
//! a voice call, every one carrying a six-digit code.

use crate::capture::pipeline;
use crate::message::phone::PhoneNumber;
use crate::message::{Channel, Message, NewMessage, Purpose, RawRequest, Source};
use crate::store::{Store, StoreError};
use crate::unix_ms;

/// Sources in rough proportion: each appears once per this many messages.
const SOURCES: [(Source, u64); 7] = [
    (Source::Auth0CustomPhoneProvider, 3),
    (Source::Auth0SendPhoneMessage, 4),
    (Source::Auth0Hook, 7),
    (Source::TwilioMessages, 11),
    (Source::AwsSns, 13),
    (Source::TwilioVerify, 29),
    (Source::VonageSms, 101),
];

/// Tenants other than the default one, and how rarely each appears.
pub const OTHER_TENANTS: [(&str, u64); 2] = [("acme-staging", 10), ("globex-dev", 53)];

/// Rows per transaction: one commit (one fsync) for this many messages.
const ROWS_PER_COMMIT: u64 = 65_536;

/// Writes `count` messages to `phones` numbers, one a second, ending now; returns
/// how many were written.
pub async fn seed(store: &Store, count: u64, phones: u32) -> Result<u64, StoreError> {
    let mut ids = ulid::Generator::new();
    let now = unix_ms::from_time(time::OffsetDateTime::now_utc());
    let start = now - count as i64 * 1000;
    // Parsing a number is the dearest part of a row: once per phone, not per message.
    let numbers = demo_recipients(phones);
    // The capture writer's own insert, on a blocking thread: SQLite blocks it.
    let mut writer = store.batch_writer()?;
    let mut written = 0u64;
    while written < count {
        let chunk = (count - written).min(ROWS_PER_COMMIT);
        let rows = demo_rows_for(&mut ids, &numbers, start, written..written + chunk);
        writer = tokio::task::spawn_blocking(move || {
            let refs: Vec<_> = rows.iter().map(|(m, r)| (m, r)).collect();
            writer.insert(&refs, &[]).map(|()| writer)
        })
        .await
        .map_err(|e| StoreError::Write(format!("the seeding thread failed: {e}")))??;
        written += chunk;
    }
    // In bulk now, rather than by the server's indexer a thousand at a time later.
    crate::store::message_search::index_all(store).await?;
    Ok(written)
}

/// The demo numbers: `+1555` and seven digits from 0100000, `phones` of them.
pub fn demo_numbers(phones: u32) -> Vec<PhoneNumber> {
    (0..u64::from(phones.max(1)))
        .map(|p| {
            PhoneNumber::parse(&format!("+1555{:07}", 100_000 + p))
                .unwrap_or_else(|_| PhoneNumber::parse("+15555550100").expect("a valid number"))
        })
        .collect()
}

/// `demo_numbers`, each with the form the inbox shows it in (`to_display`),
/// formatted once per phone.
pub fn demo_recipients(phones: u32) -> Vec<(PhoneNumber, String)> {
    demo_numbers(phones)
        .into_iter()
        .map(|number| {
            let shown = number.international();
            (number, shown)
        })
        .collect()
}

/// Demo messages `range` (the i-th is stamped `start_ms` + i seconds, and goes to
/// number i modulo the list), ready for the store.
pub fn demo_rows(
    ids: &mut ulid::Generator,
    numbers: &[PhoneNumber],
    start_ms: i64,
    range: std::ops::Range<u64>,
) -> Vec<(Message, RawRequest)> {
    let recipients: Vec<(PhoneNumber, String)> = numbers
        .iter()
        .map(|number| (number.clone(), number.international()))
        .collect();
    demo_rows_for(ids, &recipients, start_ms, range)
}

/// `demo_rows` to numbers already formatted (`demo_recipients`): what `seed` writes
/// chunk after chunk.
pub fn demo_rows_for(
    ids: &mut ulid::Generator,
    numbers: &[(PhoneNumber, String)],
    start_ms: i64,
    range: std::ops::Range<u64>,
) -> Vec<(Message, RawRequest)> {
    // A demo text's encoding and segments depend on its template alone (codes are
    // digits): completed once per template, then copied, as laying out every text
    // is most of a row's cost in a debug build.
    let mut templates: Vec<(u64, (Message, RawRequest))> = Vec::new();
    range
        .map(|i| {
            let at = unix_ms::to_time(start_ms + i as i64 * 1000).unwrap_or_else(unix_ms::now);
            let id = ids
                .generate_from_datetime(at.into())
                .unwrap_or_else(|_| ulid::Ulid::from_datetime(at.into()))
                .to_string();
            let (number, shown) = &numbers[(i % numbers.len() as u64) as usize];
            let new = demo_message(i, number.clone());
            let kind = template_of(i);
            let (mut message, raw) = match templates.iter().find(|(k, _)| *k == kind) {
                Some((_, template)) => template.clone(),
                None => {
                    let done = pipeline::finish(new.clone(), String::new(), at);
                    templates.push((kind, done.clone()));
                    done
                }
            };
            message.id = id;
            message.received_at = at;
            message.tenant = new.tenant;
            message.channel = new.channel;
            message.source = new.source;
            // The template's is the number of the row it was made from.
            message.to_display = shown.clone();
            message.recipient = new.recipient;
            message.text = new.text;
            message.code = new.code;
            message.action = new.action;
            message.purpose = new.purpose;
            message.user_id = new.user_id;
            (message, raw)
        })
        .collect()
}

/// Which text template message `i` uses (see `demo_message`).
fn template_of(i: u64) -> u64 {
    if i % 9 == 0 {
        0
    } else if i % 4 == 0 {
        1
    } else {
        2
    }
}

fn demo_message(i: u64, recipient: PhoneNumber) -> NewMessage {
    let code = format!("{:06}", (i * 7_919 + 104_729) % 1_000_000);
    let voice = template_of(i) == 0;
    let enroll = i % 4 == 0;
    let text = if voice {
        let digits: Vec<String> = code.chars().map(String::from).collect();
        format!("Your verification code is {}", digits.join(". "))
    } else if enroll {
        format!("{code} is your verification code for Phonebox Demo. Please enter this code to verify your enrollment.")
    } else {
        format!("{code} is your verification code for Phonebox Demo")
    };
    // The rarest that divides `i` wins, so each keeps roughly its share.
    let source = SOURCES
        .iter()
        .rev()
        .find(|(_, every)| i % every == 0)
        .map_or(Source::Auth0CustomPhoneProvider, |(s, _)| *s);
    let tenant = OTHER_TENANTS
        .iter()
        .rev()
        .find(|(_, every)| i % every == 1)
        .map_or(crate::receivers::DEFAULT_TENANT, |(t, _)| t);
    NewMessage {
        tenant: tenant.to_owned(),
        channel: if voice { Channel::Voice } else { Channel::Sms },
        source,
        recipient,
        sender: Some("+15005550006".to_owned()),
        text,
        code: Some(code),
        action: Some(
            if enroll {
                "enrollment"
            } else {
                "second-factor-authentication"
            }
            .to_owned(),
        ),
        purpose: Some(if enroll {
            Purpose::OtpEnroll
        } else {
            Purpose::OtpVerify
        }),
        locale: Some("en".to_owned()),
        user_id: Some(format!("auth0|demo{:04}", i % 977)),
        client_id: Some("demo-app".to_owned()),
        provider_message_id: None,
        provider_account: None,
        attributes: None,
        error: None,
        raw: RawRequest {
            content_type: Some("application/json".to_owned()),
            headers: vec![("user-agent".to_owned(), "phonebox seed".to_owned())],
            body: br#"{"seeded":true}"#.to_vec(),
        },
    }
}
