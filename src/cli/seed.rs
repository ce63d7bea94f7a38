//! `phonebox seed`: fills a database with realistic demo messages, written straight
//! to SQLite in large batches (for demos, and for measuring the UI with 100,000).

use crate::capture::pipeline;
use crate::message::phone::PhoneNumber;
use crate::message::{Channel, NewMessage, Purpose, RawRequest, Source};
use crate::store::messages::{self, MAX_INSERT_ROWS};
use crate::store::{Store, StoreError};
use crate::unix_ms;

const SOURCES: [Source; 5] = [
    Source::Auth0CustomPhoneProvider,
    Source::Auth0SendPhoneMessage,
    Source::Auth0Hook,
    Source::TwilioMessages,
    Source::AwsSns,
];

/// Writes `count` messages to `phones` numbers, one a second, ending now; returns
/// how many were written.
pub async fn seed(store: &Store, count: u64, phones: u32) -> Result<u64, StoreError> {
    let mut ids = ulid::Generator::new();
    let now = unix_ms::from_time(time::OffsetDateTime::now_utc());
    let start = now - count as i64 * 1000;
    let mut conn = store.dedicated().await?;
    let mut written = 0u64;
    while written < count {
        let batch = (count - written).min(MAX_INSERT_ROWS as u64);
        let mut rows = Vec::with_capacity(batch as usize);
        for i in written..written + batch {
            let at = unix_ms::to_time(start + i as i64 * 1000).unwrap_or_else(unix_ms::now);
            let id = ids
                .generate_from_datetime(at.into())
                .unwrap_or_else(|_| ulid::Ulid::from_datetime(at.into()))
                .to_string();
            rows.push(pipeline::finish(demo_message(i, phones), id, at));
        }
        let refs: Vec<_> = rows.iter().map(|(m, r)| (m, r)).collect();
        messages::insert_batch(&mut conn, &refs).await?;
        written += batch;
    }
    Ok(written)
}

fn demo_message(i: u64, phones: u32) -> NewMessage {
    let phone = 100_000 + i % u64::from(phones.max(1));
    let recipient = PhoneNumber::parse(&format!("+1555{phone:07}"))
        .unwrap_or_else(|_| PhoneNumber::parse("+15555550100").expect("a valid number"));
    let code = format!("{:06}", (i * 7_919 + 104_729) % 1_000_000);
    let voice = i % 9 == 0;
    let enroll = i % 4 == 0;
    let text = if voice {
        let digits: Vec<String> = code.chars().map(String::from).collect();
        format!("Your verification code is {}", digits.join(". "))
    } else if enroll {
        format!("{code} is your verification code for Phonebox Demo. Please enter this code to verify your enrollment.")
    } else {
        format!("{code} is your verification code for Phonebox Demo")
    };
    NewMessage {
        tenant: crate::receivers::DEFAULT_TENANT.to_owned(),
        channel: if voice { Channel::Voice } else { Channel::Sms },
        source: SOURCES[(i % SOURCES.len() as u64) as usize],
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
