//! Vonage's (Nexmo's) SMS API, `POST /sms/json`: the request, built without sending
//! it, and the reading of Vonage's answer.
//!
//! Vonage answers 200 even when it refuses a send: the outcome is each part's
//! `status` (`"0"` sent), so the verdict reads the body before the HTTP status.
//! The signed-request (`sig`) variant and delivery receipts are left out.

use serde::Deserialize;

use super::{endpoint, short_body};
use super::{Answer, Outgoing, Verdict};
use crate::message::sms::{layout, Encoding};

/// Vonage's SMS API.
pub const DEFAULT_BASE: &str = "https://rest.nexmo.com";

/// A Vonage account to send through. `Debug` leaves the key and secret out.
#[derive(Clone)]
pub struct VonageAccount {
    /// `DEFAULT_BASE`, or another Phonebox / a test server.
    pub base: url::Url,
    pub api_key: String,
    pub api_secret: String,
}

impl std::fmt::Debug for VonageAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VonageAccount")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

/// An SMS: `POST {base}/sms/json` with the credentials in the form, as Vonage's
/// SDKs send them. `to` is sent without its `+`; a text outside GSM-7 is sent as
/// `type=unicode`, or Vonage would mangle it.
pub fn sms(account: &VonageAccount, from: &str, to: &str, text: &str) -> Outgoing {
    let url = endpoint(&account.base, &["sms", "json"]);
    let to = to.trim_start_matches('+');
    let mut form = vec![
        ("api_key", account.api_key.as_str()),
        ("api_secret", account.api_secret.as_str()),
        ("from", from),
        ("to", to),
        ("text", text),
    ];
    if layout(text).encoding != Encoding::Gsm7 {
        form.push(("type", "unicode"));
    }
    Outgoing::new(reqwest::Method::POST, url)
        .secret(&account.api_key)
        .secret(&account.api_secret)
        .form(&form)
}

/// What Vonage's answer means. Every part `"0"`: taken, the first part's id kept.
/// Status 1 (Throttled) and 5 (Internal Error) are worth retrying; any other
/// status is refused with Vonage's `error-text`. A non-2xx HTTP status is read by
/// its status alone.
pub fn verdict(answer: &Answer) -> Verdict {
    if !(200..300).contains(&answer.status) {
        return Verdict::from_status(answer, "Vonage", &short_body(&answer.body));
    }
    let parts = serde_json::from_slice::<VonageAnswer>(&answer.body)
        .map(|a| a.messages)
        .unwrap_or_default();
    let Some(first) = parts.first() else {
        // Not Vonage's answer (a portal's page): whether it was sent is unknown,
        // and a retry could send it twice.
        return Verdict::Refused {
            why: format!(
                "Vonage answered {} without a send result: {}",
                answer.status,
                short_body(&answer.body)
            ),
        };
    };
    let Some(failed) = parts.iter().find(|m| m.status != "0") else {
        return Verdict::Accepted {
            provider_id: first.message_id.clone(),
        };
    };
    let text = failed.error_text.as_deref().unwrap_or("no error-text");
    let why = format!("Vonage status {}: {text}", failed.status);
    match failed.status.as_str() {
        "1" | "5" => Verdict::Retry {
            why,
            after: answer.retry_after,
        },
        _ => Verdict::Refused { why },
    }
}

/// `{"message-count":"1","messages":[{"status":"0","message-id":"…"}]}`.
#[derive(Debug, Deserialize)]
struct VonageAnswer {
    #[serde(default)]
    messages: Vec<VonagePart>,
}

/// One SMS part's outcome; Vonage sends every field as a string.
#[derive(Debug, Deserialize)]
struct VonagePart {
    status: String,
    #[serde(rename = "message-id")]
    message_id: Option<String>,
    #[serde(rename = "error-text")]
    error_text: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> VonageAccount {
        VonageAccount {
            base: url::Url::parse("https://127.0.0.1:1234/").expect("base"),
            api_key: "key123".into(),
            api_secret: "s3cr&t/+".into(),
        }
    }

    fn form(request: &Outgoing) -> Vec<(String, String)> {
        form_urlencoded::parse(&request.body).into_owned().collect()
    }

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            retry_after: None,
            body: bytes::Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn an_sms_is_a_form_to_sms_json_with_the_number_without_plus() {
        let request = sms(&account(), "Acme", "+447700900000", "Code 123");
        assert_eq!(request.url.as_str(), "https://127.0.0.1:1234/sms/json");
        assert_eq!(
            form(&request),
            [
                ("api_key".into(), "key123".into()),
                ("api_secret".into(), "s3cr&t/+".into()),
                ("from".into(), "Acme".into()),
                ("to".into(), "447700900000".into()),
                ("text".into(), "Code 123".into()),
            ]
        );
    }

    #[test]
    fn a_text_outside_gsm7_is_sent_as_unicode() {
        let request = sms(&account(), "Acme", "+447700900000", "Код 123");
        assert!(form(&request).contains(&("type".into(), "unicode".into())));
    }

    #[test]
    fn shown_masks_the_key_and_the_secret() {
        let shown = sms(&account(), "Acme", "+447700900000", "Code 123").shown();
        assert!(!shown.body.contains("key123"), "{}", shown.body);
        assert!(!shown.body.contains("s3cr"), "{}", shown.body);
        assert!(shown.body.contains("text=Code+123"), "{}", shown.body);
    }

    #[test]
    fn a_sent_message_is_accepted_with_the_first_part_id() {
        let body = r#"{"message-count":"2","messages":[
            {"to":"447700900000","message-id":"0A0000000123ABCD1","status":"0"},
            {"to":"447700900000","message-id":"0A0000000123ABCD2","status":"0"}]}"#;
        assert_eq!(
            verdict(&answer(200, body)),
            Verdict::Accepted {
                provider_id: Some("0A0000000123ABCD1".into())
            }
        );
    }

    #[test]
    fn throttled_is_retried_and_bad_credentials_are_refused() {
        let throttled =
            r#"{"message-count":"1","messages":[{"status":"1","error-text":"Throttled"}]}"#;
        assert_eq!(
            verdict(&answer(200, throttled)),
            Verdict::Retry {
                why: "Vonage status 1: Throttled".into(),
                after: None
            }
        );
        let refused =
            r#"{"message-count":"1","messages":[{"status":"4","error-text":"Bad Credentials"}]}"#;
        assert_eq!(
            verdict(&answer(200, refused)),
            Verdict::Refused {
                why: "Vonage status 4: Bad Credentials".into()
            }
        );
    }

    #[test]
    fn an_http_error_is_read_by_its_status() {
        assert!(matches!(
            verdict(&answer(502, "Bad Gateway")),
            Verdict::Retry { why, .. } if why == "Vonage answered 502: Bad Gateway"
        ));
        assert!(matches!(
            verdict(&answer(
                401,
                r#"{"type":"https://developer.nexmo.com/api-errors#unauthorized"}"#
            )),
            Verdict::Refused { .. }
        ));
        // A 200 that is not Vonage's shape is not taken for a send.
        assert_eq!(
            verdict(&answer(200, "<html>ok</html>")),
            Verdict::Refused {
                why: "Vonage answered 200 without a send result: <html>ok</html>".into()
            }
        );
    }
}
