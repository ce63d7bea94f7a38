//! Property tests of every receiver's parser: arbitrary bytes, under any content
//! type a client might send, are parsed or refused and never panic; and a
//! generated valid request gives back the recipient and text it was built with.
//! Case counts are kept moderate so `cargo test` stays quick.

use proptest::prelude::*;

use super::marketplace::{clicksend, esendex, infobip, messagebird, mitto, telesign};
use super::{auth0, fields, sns, twilio, vonage};
use crate::message::RawRequest;

const CONTENT_TYPES: &[Option<&str>] = &[
    None,
    Some("application/json"),
    Some("application/x-www-form-urlencoded"),
    Some("text/plain;charset=UTF-8"),
    Some("application/xml"),
    Some("text/xml"),
    Some("multipart/form-data; boundary=x"),
    Some("\u{0}"),
];

fn raw(content_type: Option<&str>, body: Vec<u8>) -> RawRequest {
    RawRequest {
        content_type: content_type.map(str::to_owned),
        headers: Vec::new(),
        body,
    }
}

/// Bodies near each wire format: JSON and form pieces glued together at random,
/// so the parsers get past their first byte, plus plain random bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"{".to_vec()),
        Just(b"}".to_vec()),
        Just(b"[".to_vec()),
        Just(b"]".to_vec()),
        Just(b"\"recipient\":".to_vec()),
        Just(b"\"to\":".to_vec()),
        Just(b"\"text\":".to_vec()),
        Just(b"\"message_options\":".to_vec()),
        Just(b"\"messages\":".to_vec()),
        Just(b"\"+15555550100\"".to_vec()),
        Just(b"1e309".to_vec()),
        Just(b"\"\\ud800\"".to_vec()),
        Just(b",".to_vec()),
        Just(b"To=%2B15555550100&".to_vec()),
        Just(b"Body=hi&".to_vec()),
        Just(b"Action=Publish&PhoneNumber=%2B1555&".to_vec()),
        Just(b"%FF%00=".to_vec()),
        Just(b"<Response><Say>".to_vec()),
        Just(b"</Say>".to_vec()),
        Just(b"<messages><message><to>".to_vec()),
        Just(vec![0xff, 0xfe, 0]),
        proptest::collection::vec(any::<u8>(), 0..16),
    ];
    prop_oneof![
        proptest::collection::vec(piece, 0..24).prop_map(|p| p.concat()),
        proptest::collection::vec(any::<u8>(), 0..256),
    ]
}

/// Every parser a request body reaches, given one body; results are dropped:
/// only a panic fails.
fn parse_everything(content_type: Option<&str>, body: &[u8]) {
    let r = || raw(content_type, body.to_vec());
    let key = || Some("key".to_owned());
    let _ = auth0::custom_phone_provider::parse(r());
    let _ = auth0::send_phone_message::parse(r());
    let _ = auth0::hook::parse(r());
    let _ = twilio::parse_message("AC00000000000000000000000000000000", r());
    let _ = twilio::parse_call("AC00000000000000000000000000000000", r());
    let _ = twilio::spoken_text(&String::from_utf8_lossy(body));
    let _ = sns::parse(r(), None);
    let _ = vonage::parse(r(), None);
    let _ = clicksend::parse(r(), key());
    let _ = esendex::parse(r(), key());
    let _ = infobip::parse(r(), key());
    let _ = messagebird::parse(r(), key());
    let _ = mitto::parse(r(), key());
    let _ = telesign::parse_message(r(), key());
    let _ = telesign::parse_verify(r(), key());
    let _ = fields::Fields::parse(&r());
}

/// A NANP fictional number (555-01xx) and a text of printable characters.
fn number() -> impl Strategy<Value = String> {
    (0u32..100).prop_map(|n| format!("+1555555{:04}", 100 + n))
}

/// Never blank: every receiver refuses a text of spaces only (found by proptest).
fn text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9.,:!?éü€][A-Za-z0-9 .,:!?éü€]{0,119}"
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish().into_bytes()
}

const JSON: Option<&str> = Some("application/json");
const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn no_receiver_panics_on_any_body(ct in proptest::sample::select(CONTENT_TYPES), body in body()) {
        parse_everything(ct, &body);
    }

    #[test]
    fn auth0_receivers_give_back_the_recipient_and_text(to in number(), text in text()) {
        let direct = serde_json::json!({ "recipient": to, "text": text, "message_type": "sms" });
        let m = auth0::custom_phone_provider::parse(raw(JSON, direct.to_string().into_bytes()))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(m.recipient.as_str(), to.as_str());
        prop_assert_eq!(&m.text, &text);

        let event = serde_json::json!({ "message_options": { "recipient": to, "text": text, "message_type": "sms", "action": "enrollment", "code": "123456" } });
        let m = auth0::send_phone_message::parse(raw(JSON, event.to_string().into_bytes()))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(m.recipient.as_str(), to.as_str());
        prop_assert_eq!(&m.text, &text);

        let hook = serde_json::json!({ "recipient": to, "text": text, "context": { "message_type": "sms" } });
        let m = auth0::hook::parse(raw(JSON, hook.to_string().into_bytes()))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(m.recipient.as_str(), to.as_str());
        prop_assert_eq!(&m.text, &text);
    }

    #[test]
    fn provider_form_receivers_give_back_the_recipient_and_text(to in number(), text in text()) {
        let body = form(&[("To", &to), ("From", "+15555550000"), ("Body", &text)]);
        let m = twilio::parse_message("AC00000000000000000000000000000000", raw(FORM, body))
            .map_err(|e| TestCaseError::fail(e.to_string()))?
            .message;
        prop_assert_eq!(m.recipient.as_str(), to.as_str());
        prop_assert_eq!(&m.text, &text);

        let body = form(&[("Action", "Publish"), ("PhoneNumber", &to), ("Message", &text)]);
        let m = sns::parse(raw(FORM, body), None).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(m.recipient.as_str(), to.as_str());
        prop_assert_eq!(&m.text, &text);

        let body = form(&[("api_key", "k"), ("api_secret", "s"), ("from", "Acme"), ("to", to.trim_start_matches('+')), ("text", &text)]);
        let m = vonage::parse(raw(FORM, body), None).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(m.recipient.as_str(), to.as_str());
        prop_assert_eq!(&m.text, &text);
    }
}
