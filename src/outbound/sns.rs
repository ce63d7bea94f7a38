//! Amazon SNS `Publish` to a phone number: the awsQuery form, signed with SigV4 by
//! AWS's own signer (`aws-sigv4`) rather than by hand, and the reading of SNS's XML
//! answer.
//!
//! Only long-term access keys are taken: session tokens, profiles and instance
//! roles belong to the AWS SDKs, which Phonebox does not pull in for one call.

use std::time::SystemTime;

use aws_sigv4::http_request::{self, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use quick_xml::events::Event as XmlEvent;
use quick_xml::Reader;

use super::{endpoint, short_body};
use super::{Answer, Outgoing, Verdict};

/// The API version SNS's awsQuery protocol is spoken in.
const VERSION: &str = "2010-03-31";

/// An AWS account's access keys and the region to publish in. `Debug` leaves
/// the keys out.
#[derive(Clone)]
pub struct SnsAccount {
    /// `None`: `https://sns.{region}.amazonaws.com`; else another Phonebox or a
    /// test server.
    pub base: Option<url::Url>,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for SnsAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnsAccount")
            .field("base", &self.base.as_ref().map(url::Url::as_str))
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// SNS's `AWS.SNS.SMS.SMSType`: transactional messages (codes) are delivered ahead
/// of promotional ones and may cost more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsType {
    Transactional,
    Promotional,
}

impl SmsType {
    fn as_str(self) -> &'static str {
        match self {
            SmsType::Transactional => "Transactional",
            SmsType::Promotional => "Promotional",
        }
    }
}

/// One SMS to publish.
#[derive(Debug, Clone)]
pub struct SnsSms<'a> {
    /// E.164, with its `+`.
    pub to: &'a str,
    pub text: &'a str,
    pub sms_type: SmsType,
    /// `AWS.SNS.SMS.SenderID`, where the destination country allows one.
    pub sender_id: Option<&'a str>,
}

/// `POST {base}/` with `Action=Publish`, signed for `sns` in the account's region
/// at `now`. `Err` when the region is not one (it is part of the host name) or the
/// request cannot be signed.
pub fn publish(
    account: &SnsAccount,
    sms: &SnsSms<'_>,
    now: SystemTime,
) -> Result<Outgoing, String> {
    if !is_region(&account.region) {
        return Err(
            "the AWS region must be 1 to 32 lower-case letters, digits and dashes (us-east-1)"
                .into(),
        );
    }
    let base = match &account.base {
        Some(base) => base.clone(),
        None => url::Url::parse(&format!("https://sns.{}.amazonaws.com", account.region))
            .map_err(|e| format!("cannot make the SNS URL for the region: {e}"))?,
    };
    // An empty last segment: the form goes to the base's own path, ending in `/`.
    let url = endpoint(&base, &[""]);
    let mut form = vec![
        ("Action", "Publish"),
        ("Version", VERSION),
        ("PhoneNumber", sms.to),
        ("Message", sms.text),
        ("MessageAttributes.entry.1.Name", "AWS.SNS.SMS.SMSType"),
        ("MessageAttributes.entry.1.Value.DataType", "String"),
        (
            "MessageAttributes.entry.1.Value.StringValue",
            sms.sms_type.as_str(),
        ),
    ];
    if let Some(sender_id) = sms.sender_id {
        form.extend([
            ("MessageAttributes.entry.2.Name", "AWS.SNS.SMS.SenderID"),
            ("MessageAttributes.entry.2.Value.DataType", "String"),
            ("MessageAttributes.entry.2.Value.StringValue", sender_id),
        ]);
    }
    let request = Outgoing::new(reqwest::Method::POST, url)
        .secret(&account.access_key_id)
        .secret(&account.secret_access_key)
        .form(&form);
    let key = AwsKey {
        access_key_id: &account.access_key_id,
        secret_access_key: &account.secret_access_key,
    };
    let scope = SigningScope {
        region: &account.region,
        service: "sns",
        time: now,
    };
    let signing = sign(
        request.method.as_str(),
        &request.url,
        &request.headers,
        &request.body,
        &key,
        &scope,
    )?;
    Ok(with_signing_headers(request, signing))
}

/// What SNS's answer means: 2xx taken, its `MessageId` kept; throttling, SNS's own
/// failures, 408, 429 and 5xx worth retrying; any other error refused with SNS's
/// `Code` and `Message`.
pub fn verdict(answer: &Answer) -> Verdict {
    let [message_id, code, message] = xml_texts(&answer.body, ["MessageId", "Code", "Message"]);
    let status = answer.status;
    if (200..300).contains(&status) {
        return Verdict::Accepted {
            provider_id: message_id,
        };
    }
    let detail = match (&code, message) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.clone(),
        (None, _) => short_body(&answer.body),
    };
    let why = format!("SNS answered {status}: {detail}");
    // SNS throttles with a 400, so the code is read as well as the status.
    let retry_code = code.as_deref().is_some_and(|c| {
        matches!(
            c,
            "Throttling"
                | "Throttled"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "ServiceUnavailable"
                | "InternalError"
                | "InternalFailure"
        )
    });
    if retry_code || matches!(status, 408 | 429 | 500..=599) {
        Verdict::Retry {
            why,
            after: answer.retry_after,
        }
    } else {
        Verdict::Refused { why }
    }
}

/// A long-term AWS access key pair.
struct AwsKey<'a> {
    access_key_id: &'a str,
    secret_access_key: &'a str,
}

/// Where and when a signature is valid: its credential scope.
struct SigningScope<'a> {
    region: &'a str,
    service: &'a str,
    time: SystemTime,
}

/// The headers SigV4 adds to a request (`authorization`, `x-amz-date`), signed over
/// `headers`, the body and the host `url` names (with its port unless the scheme's
/// default, as reqwest sends `Host`).
fn sign(
    method: &str,
    url: &url::Url,
    headers: &[(String, String)],
    body: &[u8],
    key: &AwsKey<'_>,
    scope: &SigningScope<'_>,
) -> Result<Vec<(String, String)>, String> {
    let identity = aws_credential_types::Credentials::new(
        key.access_key_id,
        key.secret_access_key,
        None,
        None,
        "phonebox",
    )
    .into();
    let params: http_request::SigningParams<'_> = v4::SigningParams::builder()
        .identity(&identity)
        .region(scope.region)
        .name(scope.service)
        .time(scope.time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("cannot sign the request: {e}"))?
        .into();
    let signable = SignableRequest::new(
        method,
        url.as_str(),
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .map_err(|e| format!("cannot sign the request: {e}"))?;
    let (instructions, _signature) = http_request::sign(signable, &params)
        .map_err(|e| format!("cannot sign the request: {e}"))?
        .into_parts();
    Ok(instructions
        .headers()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}

/// `request` with the signing headers; the `authorization` one is secret whole.
fn with_signing_headers(request: Outgoing, signing: Vec<(String, String)>) -> Outgoing {
    signing.into_iter().fold(request, |request, (name, value)| {
        if name.eq_ignore_ascii_case("authorization") {
            request.secret_header(&name, value)
        } else {
            request.header(&name, value)
        }
    })
}

/// A region name as AWS spells them, so it is safe in a host name.
fn is_region(region: &str) -> bool {
    (1..=32).contains(&region.len())
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The text of the first element with each local name, wherever it sits and
/// whatever its namespace: SNS's answers are small and their shape is fixed, so
/// reading by name tolerates a proxy's or another version's wrapping. Reading stops
/// at the first XML error, keeping what was found.
fn xml_texts<const N: usize>(body: &[u8], names: [&str; N]) -> [Option<String>; N] {
    let mut found: [Option<String>; N] = std::array::from_fn(|_| None);
    let mut reading: Option<usize> = None;
    let mut reader = Reader::from_reader(body);
    let mut buf = Vec::new();
    loop {
        let text = match reader.read_event_into(&mut buf) {
            Ok(XmlEvent::Start(e)) => {
                let local = e.local_name();
                reading = names
                    .iter()
                    .position(|n| n.as_bytes() == local.as_ref())
                    .filter(|&i| found.get(i).is_some_and(Option::is_none));
                if let Some(slot) = reading.and_then(|i| found.get_mut(i)) {
                    *slot = Some(String::new());
                }
                None
            }
            Ok(XmlEvent::End(_)) => {
                reading = None;
                None
            }
            Ok(XmlEvent::Text(t)) => t
                .decode()
                .ok()
                .and_then(|t| quick_xml::escape::unescape(&t).ok().map(|t| t.into_owned())),
            Ok(XmlEvent::CData(c)) => c.decode().ok().map(|t| t.into_owned()),
            Ok(XmlEvent::GeneralRef(r)) => crate::xml::xml_reference(&r).ok(),
            Ok(XmlEvent::Eof) | Err(_) => break,
            Ok(_) => None,
        };
        if let (Some(text), Some(Some(slot))) = (text, reading.and_then(|i| found.get_mut(i))) {
            slot.push_str(&text);
        }
        buf.clear();
    }
    found.map(|f| f.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2015-08-30T12:36:00Z, the time of AWS's documented signing examples.
    fn aws_example_time() -> SystemTime {
        SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160)
    }

    fn header<'a>(request: &'a Outgoing, name: &str) -> Option<&'a str> {
        request
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn account(base: Option<&str>) -> SnsAccount {
        SnsAccount {
            base: base.map(|b| url::Url::parse(b).expect("base")),
            region: "eu-west-1".into(),
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        }
    }

    fn sms() -> SnsSms<'static> {
        SnsSms {
            to: "+15555550100",
            text: "Your code is 123456",
            sms_type: SmsType::Transactional,
            sender_id: Some("Acme"),
        }
    }

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            retry_after: Some(3),
            body: bytes::Bytes::from(body.to_owned()),
        }
    }

    /// AWS's documented example ("Examples of signature calculations", the IAM
    /// `ListUsers` request), through the very function SNS requests are signed with.
    #[test]
    fn the_signer_reproduces_the_aws_documented_example() {
        let url = url::Url::parse("https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08")
            .expect("url");
        let headers = [(
            "content-type".to_owned(),
            "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
        )];
        let key = AwsKey {
            access_key_id: "AKIDEXAMPLE",
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        };
        let scope = SigningScope {
            region: "us-east-1",
            service: "iam",
            time: aws_example_time(),
        };
        let signing = sign("GET", &url, &headers, b"", &key, &scope).expect("signed");
        let get = |name: &str| {
            signing
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("x-amz-date"), Some("20150830T123600Z"));
        assert_eq!(
            get("authorization"),
            Some(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, \
                 Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
            )
        );
    }

    #[test]
    fn a_publish_is_a_signed_awsquery_form_to_the_region_endpoint() {
        let request = publish(&account(None), &sms(), aws_example_time()).expect("publish");
        assert_eq!(request.url.as_str(), "https://sns.eu-west-1.amazonaws.com/");
        let form: Vec<(String, String)> =
            form_urlencoded::parse(&request.body).into_owned().collect();
        let field = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(field("Action"), Some("Publish"));
        assert_eq!(field("Version"), Some("2010-03-31"));
        assert_eq!(field("PhoneNumber"), Some("+15555550100"));
        assert_eq!(field("Message"), Some("Your code is 123456"));
        assert_eq!(
            field("MessageAttributes.entry.1.Name"),
            Some("AWS.SNS.SMS.SMSType")
        );
        assert_eq!(
            field("MessageAttributes.entry.1.Value.StringValue"),
            Some("Transactional")
        );
        assert_eq!(
            field("MessageAttributes.entry.2.Name"),
            Some("AWS.SNS.SMS.SenderID")
        );
        assert_eq!(
            field("MessageAttributes.entry.2.Value.DataType"),
            Some("String")
        );
        assert_eq!(
            field("MessageAttributes.entry.2.Value.StringValue"),
            Some("Acme")
        );
        let authorization = header(&request, "authorization").expect("signed");
        assert!(
            authorization.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/sns/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, Signature="
            ),
            "{authorization}"
        );
        assert_eq!(header(&request, "x-amz-date"), Some("20150830T123600Z"));
    }

    #[test]
    fn no_sender_id_sends_no_second_attribute() {
        let sms = SnsSms {
            sender_id: None,
            sms_type: SmsType::Promotional,
            ..sms()
        };
        let request = publish(&account(None), &sms, aws_example_time()).expect("publish");
        let body = String::from_utf8(request.body.clone()).expect("utf-8");
        assert!(!body.contains("entry.2"), "{body}");
        assert!(body.contains("StringValue=Promotional"), "{body}");
    }

    #[test]
    fn a_base_keeps_its_path_and_its_port_is_signed_in_the_host() {
        let at = |base: &str| {
            let request =
                publish(&account(Some(base)), &sms(), aws_example_time()).expect("publish");
            (
                request.url.to_string(),
                header(&request, "authorization").map(str::to_owned),
            )
        };
        let (url, with_port) = at("https://127.0.0.1:1234/aws/sns");
        assert_eq!(url, "https://127.0.0.1:1234/aws/sns/");
        let (_, other_port) = at("https://127.0.0.1:1235/aws/sns");
        assert_ne!(with_port, other_port, "the port is part of the signed host");
        let (url, _) = at("https://127.0.0.1:1234");
        assert_eq!(url, "https://127.0.0.1:1234/");
    }

    #[test]
    fn shown_masks_the_keys_and_the_signature() {
        let request = publish(&account(None), &sms(), aws_example_time()).expect("publish");
        let shown = format!("{:?}", request.shown());
        assert!(!shown.contains("AKIDEXAMPLE"), "{shown}");
        assert!(!shown.contains("Signature="), "{shown}");
        assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
        assert!(shown.contains("20150830T123600Z"), "{shown}");
    }

    #[test]
    fn a_region_that_is_not_one_is_refused() {
        for region in [
            "",
            "US-EAST-1",
            "us-east-1.evil.com",
            "us east",
            &"a".repeat(33),
        ] {
            let mut acct = account(None);
            acct.region = region.to_owned();
            assert!(
                publish(&acct, &sms(), aws_example_time()).is_err(),
                "{region}"
            );
        }
    }

    #[test]
    fn a_publish_answer_is_accepted_with_its_message_id() {
        let body = "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\
                    <PublishResult><MessageId>  567910cd-659e-55d4-8ccb-5aaf14679dc0 </MessageId>\
                    </PublishResult><ResponseMetadata><RequestId>d74b8436</RequestId>\
                    </ResponseMetadata></PublishResponse>";
        assert_eq!(
            verdict(&answer(200, body)),
            Verdict::Accepted {
                provider_id: Some("567910cd-659e-55d4-8ccb-5aaf14679dc0".into())
            }
        );
    }

    fn error(code: &str, message: &str) -> String {
        format!(
            "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error>\
             <Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>\
             <RequestId>r1</RequestId></ErrorResponse>"
        )
    }

    #[test]
    fn throttling_is_retried_even_with_a_400() {
        assert_eq!(
            verdict(&answer(400, &error("Throttling", "Rate exceeded"))),
            Verdict::Retry {
                why: "SNS answered 400: Throttling: Rate exceeded".into(),
                after: Some(3)
            }
        );
        assert!(matches!(
            verdict(&answer(
                503,
                &error("ServiceUnavailable", "Service is unavailable")
            )),
            Verdict::Retry { .. }
        ));
    }

    #[test]
    fn a_bad_signature_is_refused_with_its_code_and_message() {
        let body = error(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key &amp; signing method.",
        );
        assert_eq!(
            verdict(&answer(403, &body)),
            Verdict::Refused {
                why: "SNS answered 403: SignatureDoesNotMatch: The request signature we \
                      calculated does not match the signature you provided. Check your AWS \
                      Secret Access Key & signing method."
                    .into()
            }
        );
    }

    #[test]
    fn an_answer_that_is_not_xml_is_read_by_its_status() {
        assert_eq!(
            verdict(&answer(403, "Forbidden <<")),
            Verdict::Refused {
                why: "SNS answered 403: Forbidden <<".into()
            }
        );
        assert_eq!(
            verdict(&answer(200, "")),
            Verdict::Accepted { provider_id: None }
        );
    }
}
