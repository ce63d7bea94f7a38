//! Twilio's Messages and Calls APIs: the requests, built without sending them (so a
//! dry run shows exactly what would go), and the reading of Twilio's answer.
//!
//! The emulated tenant's delivery and forwarding share this one client: the
//! tenant's `Outbound::twilio` is the same builder sent through `Outbound::send`.
//! Status callbacks, subaccounts and media are left out: Phonebox only sends text.

use serde::Deserialize;

use super::{endpoint, is_loopback, short_body, Answer, Outbound, Outgoing, Verdict};
use crate::message::{Link, LINK_HEADER};

/// Twilio's API, where a real account lives.
pub const DEFAULT_BASE: &str = "https://api.twilio.com";

/// A Twilio account to send through. `Debug` leaves the token out.
#[derive(Clone)]
pub struct TwilioAccount {
    /// `DEFAULT_BASE`, or another Phonebox / a test server.
    pub base: url::Url,
    pub account_sid: String,
    pub auth_token: String,
}

impl std::fmt::Debug for TwilioAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioAccount")
            .field("base", &self.base.as_str())
            .field("account_sid", &self.account_sid)
            .finish_non_exhaustive()
    }
}

/// An SMS: `POST {base}/2010-04-01/Accounts/{sid}/Messages.json`. A `from` starting
/// with `MG` is a Messaging Service, sent as `MessagingServiceSid`.
pub fn message(account: &TwilioAccount, from: &str, to: &str, body: &str) -> Outgoing {
    let sender = sender_field(from);
    post(
        account,
        "Messages.json",
        &[("To", to), (sender, from), ("Body", body)],
    )
}

/// A voice call that reads `text`: `POST {base}/2010-04-01/Accounts/{sid}/Calls.json`
/// with inline TwiML. `language` (`en-US`) is used only when it is a plain tag.
pub fn call(
    account: &TwilioAccount,
    from: &str,
    to: &str,
    text: &str,
    language: Option<&str>,
) -> Outgoing {
    let twiml = say_twiml(text, language);
    post(
        account,
        "Calls.json",
        &[("To", to), ("From", from), ("Twiml", &twiml)],
    )
}

/// What Twilio's answer means: 2xx taken (its `sid` kept), 408/429/5xx worth
/// retrying, anything else refused with Twilio's code and message.
pub fn verdict(answer: &Answer) -> Verdict {
    let body: TwilioAnswer = serde_json::from_slice(&answer.body).unwrap_or_default();
    if (200..300).contains(&answer.status) {
        return Verdict::Accepted {
            provider_id: body.sid.filter(|sid| !sid.is_empty()),
        };
    }
    let why = format!(
        "Twilio answered {}: {}",
        answer.status,
        body.error_text(answer)
    );
    match answer.status {
        408 | 429 | 500..=599 => Verdict::Retry {
            why,
            after: answer.retry_after,
        },
        _ => Verdict::Refused { why },
    }
}

/// A send through Twilio's API at `base`, as the emulated tenant makes it.
pub struct Send<'a> {
    pub base: &'a str,
    pub sid: &'a str,
    pub token: &'a str,
    /// `Messages.json` or `Calls.json`.
    pub resource: &'a str,
    pub form: &'a [(&'a str, String)],
    pub link: &'a Link,
}

impl Outbound {
    /// Posts the form with Basic auth; Twilio's resource sid, or why it failed.
    pub async fn twilio(&self, send: &Send<'_>) -> Result<String, String> {
        let base = url::Url::parse(send.base)
            .map_err(|e| format!("Twilio did not answer: its base URL is not valid ({e})"))?;
        let account = TwilioAccount {
            base,
            account_sid: send.sid.to_owned(),
            auth_token: send.token.to_owned(),
        };
        let form: Vec<(&str, &str)> = send.form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut request = post(&account, send.resource, &form);
        // Only another Phonebox reads the link; a real Twilio is not told of it.
        if is_loopback(send.base) {
            request = request.header(LINK_HEADER, send.link.to_header());
        }
        let (answer, _) = self.send(&request).await;
        let answer = answer.map_err(|e| format!("Twilio did not answer: {e}"))?;
        let body: TwilioAnswer = serde_json::from_slice(&answer.body).unwrap_or_default();
        if !(200..300).contains(&answer.status) {
            let status = reqwest::StatusCode::from_u16(answer.status)
                .map(|s| s.to_string())
                .unwrap_or_else(|_| answer.status.to_string());
            let code = body.code.as_ref().map(code_text).unwrap_or_default();
            let message = body.message.as_deref().unwrap_or("no message");
            return Err(format!(
                "Twilio refused the message ({status}, code {code}): {message}"
            ));
        }
        Ok(body.sid.unwrap_or_default())
    }
}

/// `POST {base}/2010-04-01/Accounts/{sid}/{resource}` with the form and Basic auth.
fn post(account: &TwilioAccount, resource: &str, form: &[(&str, &str)]) -> Outgoing {
    let url = endpoint(
        &account.base,
        &["2010-04-01", "Accounts", &account.account_sid, resource],
    );
    let basic = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("{}:{}", account.account_sid, account.auth_token),
    );
    Outgoing::new(reqwest::Method::POST, url)
        .secret_header("authorization", format!("Basic {basic}"))
        // An answer may echo just the encoded part, which decodes to the token.
        .secret(&basic)
        .secret(&account.auth_token)
        .form(form)
}

/// `From`, or `MessagingServiceSid` for a Messaging Service's `MG…` sid.
fn sender_field(from: &str) -> &'static str {
    if from.starts_with("MG") {
        "MessagingServiceSid"
    } else {
        "From"
    }
}

/// `<Response><Say>text</Say></Response>`, the text escaped so that no markup in
/// it (`</Say><Play>…`) can become TwiML.
fn say_twiml(text: &str, language: Option<&str>) -> String {
    let say = quick_xml::escape::escape(text);
    match language.filter(|l| is_language_tag(l)) {
        Some(language) => {
            format!("<Response><Say language=\"{language}\">{say}</Say></Response>")
        }
        None => format!("<Response><Say>{say}</Say></Response>"),
    }
}

/// A tag such as `en-US`: 2 to 20 letters, digits and dashes, so it needs no escaping.
fn is_language_tag(language: &str) -> bool {
    (2..=20).contains(&language.len())
        && language
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// What Twilio answers, success or error: `sid` for a created resource,
/// `{"code","message","more_info","status"}` for an error.
#[derive(Debug, Default, Deserialize)]
struct TwilioAnswer {
    sid: Option<String>,
    /// A number in Twilio's answers; kept loose so a string does not hide the message.
    code: Option<serde_json::Value>,
    message: Option<String>,
    more_info: Option<String>,
}

impl TwilioAnswer {
    /// `code 21211: The 'To' number is not valid (https://…/21211)`, or the body's
    /// start when it is not Twilio's error JSON (a proxy's HTML page).
    fn error_text(&self, answer: &Answer) -> String {
        let Some(message) = &self.message else {
            return short_body(&answer.body);
        };
        let mut text = match &self.code {
            Some(code) => format!("code {}: {message}", code_text(code)),
            None => message.clone(),
        };
        if let Some(more_info) = self.more_info.as_deref().filter(|m| !m.is_empty()) {
            text.push_str(&format!(" ({more_info})"));
        }
        text
    }
}

/// A JSON code as written: `21211`, or a string's text without quotes.
fn code_text(code: &serde_json::Value) -> String {
    match code {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(base: &str) -> TwilioAccount {
        TwilioAccount {
            base: url::Url::parse(base).expect("base"),
            account_sid: "AC123".into(),
            auth_token: "tok/en+secret".into(),
        }
    }

    fn form(request: &Outgoing) -> Vec<(String, String)> {
        form_urlencoded::parse(&request.body).into_owned().collect()
    }

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            retry_after: Some(7),
            body: bytes::Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn a_message_is_posted_to_the_account_messages_with_basic_auth() {
        let request = message(&account(DEFAULT_BASE), "+15005550006", "+15551234567", "Hi");
        assert_eq!(request.method, reqwest::Method::POST);
        assert_eq!(
            request.url.as_str(),
            "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json"
        );
        assert_eq!(
            form(&request),
            [
                ("To".into(), "+15551234567".into()),
                ("From".into(), "+15005550006".into()),
                ("Body".into(), "Hi".into())
            ]
        );
        let basic = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "AC123:tok/en+secret",
        );
        assert!(request
            .headers
            .contains(&("authorization".into(), format!("Basic {basic}"))));
    }

    #[test]
    fn a_messaging_service_sender_is_sent_as_messaging_service_sid() {
        let request = message(&account(DEFAULT_BASE), "MG0001", "+15551234567", "Hi");
        assert!(form(&request).contains(&("MessagingServiceSid".into(), "MG0001".into())));
        assert!(!form(&request).iter().any(|(k, _)| k == "From"));
    }

    #[test]
    fn the_base_path_is_kept_and_the_sid_cannot_change_the_path() {
        let mut acct = account("https://127.0.0.1:1234/proxy/twilio/");
        acct.account_sid = "AC1/../x?y".into();
        let request = message(&acct, "+1", "+2", "Hi");
        assert_eq!(
            request.url.as_str(),
            "https://127.0.0.1:1234/proxy/twilio/2010-04-01/Accounts/AC1%2F..%2Fx%3Fy/Messages.json"
        );
    }

    #[test]
    fn shown_masks_the_token_and_the_basic_credentials() {
        let request = message(&account(DEFAULT_BASE), "+1", "+2", "Hi");
        let shown = format!("{:?}", request.shown());
        assert!(!shown.contains("tok/en+secret"), "{shown}");
        assert!(!shown.contains("tok%2Fen"), "{shown}");
        assert!(!shown.contains("QUMxMjM6"), "{shown}");
    }

    #[test]
    fn markup_in_a_call_text_stays_text() {
        let text = "Your code </Say><Play>http://evil</Play><Say> & 'more' \"x\"";
        let request = call(&account(DEFAULT_BASE), "+1", "+2", text, Some("en-US"));
        assert!(request.url.as_str().ends_with("/Calls.json"));
        let twiml = form(&request)
            .into_iter()
            .find(|(k, _)| k == "Twiml")
            .map(|(_, v)| v)
            .expect("twiml");
        let inner = twiml
            .strip_prefix("<Response><Say language=\"en-US\">")
            .and_then(|t| t.strip_suffix("</Say></Response>"))
            .expect("one Say");
        assert!(!inner.contains('<') && !inner.contains('"'), "{inner}");
        assert_eq!(quick_xml::escape::unescape(inner).expect("xml"), text);
    }

    #[test]
    fn a_language_that_is_not_a_plain_tag_is_left_out() {
        for language in [
            "en\" onload=\"x",
            "e",
            "a-very-long-language-tag-indeed",
            "",
        ] {
            let twiml = say_twiml("hi", Some(language));
            assert_eq!(twiml, "<Response><Say>hi</Say></Response>", "{language}");
        }
        assert_eq!(
            say_twiml("hi", Some("pt-BR")),
            "<Response><Say language=\"pt-BR\">hi</Say></Response>"
        );
    }

    #[test]
    fn a_created_message_is_accepted_with_its_sid() {
        let verdict = verdict(&answer(201, r#"{"sid":"SM42","status":"queued"}"#));
        assert_eq!(
            verdict,
            Verdict::Accepted {
                provider_id: Some("SM42".into())
            }
        );
    }

    #[test]
    fn a_twilio_error_is_refused_with_its_code_and_message() {
        let body = r#"{"code":21211,"message":"The 'To' number +1 is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}"#;
        assert_eq!(
            verdict(&answer(400, body)),
            Verdict::Refused {
                why: "Twilio answered 400: code 21211: The 'To' number +1 is not a valid phone \
                      number. (https://www.twilio.com/docs/errors/21211)"
                    .into()
            }
        );
    }

    #[test]
    fn throttling_and_server_errors_are_retried_after_the_given_delay() {
        let body = r#"{"code":20429,"message":"Too Many Requests","status":429}"#;
        assert_eq!(
            verdict(&answer(429, body)),
            Verdict::Retry {
                why: "Twilio answered 429: code 20429: Too Many Requests".into(),
                after: Some(7)
            }
        );
        assert!(matches!(
            verdict(&answer(503, "<html>Service Unavailable</html>")),
            Verdict::Retry { why, .. } if why == "Twilio answered 503: <html>Service Unavailable</html>"
        ));
    }
}
