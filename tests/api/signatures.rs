//! Test-side checks of the signatures Phonebox puts on forwarded requests, written
//! from the published algorithms (AWS SigV4, Standard Webhooks) with plain HMAC and
//! SHA-256, not with the signer Phonebox uses: a receiver's view, so a mistake in
//! how Phonebox drives its signer cannot be repeated here and pass unseen.
//!
//! Each verifier is checked against its algorithm's published example as well as
//! against what Phonebox's builders produce and actually send.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// How far a Standard Webhooks timestamp may be from now, as the spec's libraries
/// allow.
const WEBHOOK_TOLERANCE_SECS: i64 = 5 * 60;

/// Checks a SigV4-signed request as AWS would: the canonical request rebuilt from
/// the headers the `Authorization` header names, the string to sign over its
/// credential scope, the key derived from `secret_access_key`, and the signature
/// compared. `headers` are as received (lower-case names, several of one name
/// allowed); `path_and_query` as on the request line. The date is not checked
/// against the clock (AWS allows 15 minutes; the published example is from 2015).
pub fn verify_sigv4(
    method: &str,
    path_and_query: &str,
    headers: &[(String, String)],
    body: &[u8],
    secret_access_key: &str,
    expected_service: &str,
) -> Result<(), String> {
    let authorization = one_header(headers, "authorization")?;
    let auth = Authorization::parse(authorization)?;
    if auth.service != expected_service {
        return Err(format!(
            "signed for service {:?}, not {expected_service:?}",
            auth.service
        ));
    }
    let amz_date = one_header(headers, "x-amz-date")?;
    if amz_date.len() != 16 || !amz_date.starts_with(auth.date) {
        return Err(format!(
            "x-amz-date {amz_date:?} does not match the scope date {:?}",
            auth.date
        ));
    }
    if !auth.signed_headers.contains(&"host") {
        return Err("the host header is not signed".into());
    }
    let canonical = canonical_request(method, path_and_query, headers, &auth.signed_headers, body)?;
    let scope = format!(
        "{}/{}/{}/aws4_request",
        auth.date, auth.region, auth.service
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let key = [auth.date, auth.region, auth.service, "aws4_request"]
        .iter()
        .fold(
            format!("AWS4{secret_access_key}").into_bytes(),
            |key, part| hmac_sha256(&key, part.as_bytes()),
        );
    let given = unhex(auth.signature).ok_or("the signature is not hex")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(string_to_sign.as_bytes());
    // verify_slice compares in constant time, as a real receiver must.
    mac.verify_slice(&given)
        .map_err(|_| format!("the signature does not match; canonical request:\n{canonical}"))
}

/// Checks a Standard Webhooks request: `webhook-id`, `webhook-timestamp` within
/// five minutes of now, and one `v1,` entry of `webhook-signature` (space-separated,
/// as during a key rotation) that is the HMAC-SHA256 of `{id}.{timestamp}.{body}`
/// under `secret` (`whsec_<base64>`).
pub fn verify_standard_webhook(
    headers: &[(String, String)],
    body: &[u8],
    secret: &str,
) -> Result<(), String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    verify_standard_webhook_at(headers, body, secret, now as i64)
}

/// `verify_standard_webhook` with the clock given, for the spec's 2021 example.
pub fn verify_standard_webhook_at(
    headers: &[(String, String)],
    body: &[u8],
    secret: &str,
    now: i64,
) -> Result<(), String> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    let key = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| format!("the secret is not base64: {e}"))?;
    let id = one_header(headers, "webhook-id")?;
    let timestamp = one_header(headers, "webhook-timestamp")?;
    let signatures = one_header(headers, "webhook-signature")?;
    let at: i64 = timestamp
        .parse()
        .map_err(|_| format!("webhook-timestamp {timestamp:?} is not Unix seconds"))?;
    if (now - at).abs() > WEBHOOK_TOLERANCE_SECS {
        return Err(format!(
            "webhook-timestamp {at} is more than five minutes from now ({now})"
        ));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let matched = signatures
        .split(' ')
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .filter_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .any(|given| mac.clone().verify_slice(&given).is_ok());
    if matched {
        Ok(())
    } else {
        Err(format!("no v1 signature in {signatures:?} matches"))
    }
}

/// `AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
/// SignedHeaders=a;b, Signature=hex`.
struct Authorization<'a> {
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

impl<'a> Authorization<'a> {
    fn parse(value: &'a str) -> Result<Authorization<'a>, String> {
        let rest = value
            .strip_prefix("AWS4-HMAC-SHA256 ")
            .ok_or("the authorization is not AWS4-HMAC-SHA256")?;
        let mut credential = None;
        let mut signed = None;
        let mut signature = None;
        for part in rest.split(',').map(str::trim) {
            if let Some(v) = part.strip_prefix("Credential=") {
                credential = Some(v);
            } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
                signed = Some(v);
            } else if let Some(v) = part.strip_prefix("Signature=") {
                signature = Some(v);
            }
        }
        let credential = credential.ok_or("no Credential in the authorization")?;
        let scope: Vec<&str> = credential.split('/').collect();
        let [_key_id, date, region, service, "aws4_request"] = scope[..] else {
            return Err(format!(
                "the credential scope {credential:?} is not KEY/DATE/REGION/SERVICE/aws4_request"
            ));
        };
        let signed_headers: Vec<&str> = signed
            .ok_or("no SignedHeaders in the authorization")?
            .split(';')
            .collect();
        let mut sorted = signed_headers.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted != signed_headers
            || signed_headers
                .iter()
                .any(|h| h.is_empty() || h.to_lowercase() != *h)
        {
            return Err("SignedHeaders must be lower-case, sorted and distinct".into());
        }
        Ok(Authorization {
            date,
            region,
            service,
            signed_headers,
            signature: signature.ok_or("no Signature in the authorization")?,
        })
    }
}

/// AWS's canonical request: method, path (each segment encoded again, as for every
/// service but S3), sorted query, the signed headers' trimmed values, their names,
/// and the body's SHA-256.
fn canonical_request(
    method: &str,
    path_and_query: &str,
    headers: &[(String, String)],
    signed_headers: &[&str],
    body: &[u8],
) -> Result<String, String> {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let path = if path.is_empty() { "/" } else { path };
    let canonical_path = path
        .split('/')
        .map(|segment| uri_encode(segment.as_bytes()))
        .collect::<Vec<_>>()
        .join("/");
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k)),
                uri_encode(&percent_decode(v)),
            )
        })
        .collect();
    pairs.sort();
    let canonical_query = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut canonical_headers = String::new();
    for name in signed_headers {
        let values: Vec<String> = headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        if values.is_empty() {
            return Err(format!("the signed header {name:?} was not received"));
        }
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    Ok(format!(
        "{method}\n{canonical_path}\n{canonical_query}\n{canonical_headers}\n{}\n{}",
        signed_headers.join(";"),
        hex(&Sha256::digest(body))
    ))
}

/// The one value of header `name`; several, or none, is an error.
fn one_header<'a>(headers: &'a [(String, String)], name: &str) -> Result<&'a str, String> {
    let mut values = headers.iter().filter(|(n, _)| n == name);
    match (values.next(), values.next()) {
        (Some((_, v)), None) => Ok(v.as_str()),
        (None, _) => Err(format!("no {name} header")),
        (Some(_), Some(_)) => Err(format!("more than one {name} header")),
    }
}

/// RFC 3986 percent-encoding of everything but the unreserved characters, in
/// upper-case hex, as SigV4 specifies.
fn uri_encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `%XX` decoded; anything else, `+` included, kept as is.
fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match decoded {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, SystemTime};

    use axum::body::Bytes;
    use axum::http::{HeaderMap, Method, Uri};
    use phonebox::outbound::{sns, webhook, Outbound};

    use super::*;

    /// AWS's documented example ("Examples of signature calculations"): IAM
    /// `ListUsers` at 2015-08-30T12:36:00Z with the example keys.
    const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const AWS_AUTHORIZATION: &str =
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date, \
         Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

    /// The Standard Webhooks libraries' example (`libraries/go/webhook_test.go`).
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TIMESTAMP: i64 = 1614265330;
    const SPEC_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SPEC_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn aws_example(authorization: &str) -> Vec<(String, String)> {
        headers(&[
            (
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ),
            ("host", "iam.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
            ("authorization", authorization),
        ])
    }

    fn spec_example(signature: &str, timestamp: &str) -> Vec<(String, String)> {
        headers(&[
            ("webhook-id", SPEC_ID),
            ("webhook-timestamp", timestamp),
            ("webhook-signature", signature),
        ])
    }

    #[test]
    fn the_sigv4_check_accepts_the_aws_documented_example() {
        let path = "/?Action=ListUsers&Version=2010-05-08";
        let canonical = canonical_request(
            "GET",
            path,
            &aws_example(AWS_AUTHORIZATION),
            &["content-type", "host", "x-amz-date"],
            b"",
        )
        .expect("canonical");
        assert_eq!(
            hex(&Sha256::digest(canonical.as_bytes())),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59",
            "AWS's documented canonical request hash"
        );
        verify_sigv4(
            "GET",
            path,
            &aws_example(AWS_AUTHORIZATION),
            b"",
            AWS_SECRET,
            "iam",
        )
        .expect("the documented example verifies");
    }

    #[test]
    fn the_sigv4_check_refuses_a_changed_request_key_or_service() {
        let path = "/?Action=ListUsers&Version=2010-05-08";
        let ok = aws_example(AWS_AUTHORIZATION);
        let changed_query = "/?Action=DeleteUsers&Version=2010-05-08";
        assert!(verify_sigv4("GET", changed_query, &ok, b"", AWS_SECRET, "iam").is_err());
        assert!(verify_sigv4("POST", path, &ok, b"", AWS_SECRET, "iam").is_err());
        assert!(verify_sigv4("GET", path, &ok, b"x", AWS_SECRET, "iam").is_err());
        assert!(verify_sigv4("GET", path, &ok, b"", "another secret", "iam").is_err());
        let service = verify_sigv4("GET", path, &ok, b"", AWS_SECRET, "sns").expect_err("iam");
        assert!(service.contains("\"iam\""), "{service}");
        let mut other_host = ok.clone();
        other_host[1].1 = "iam.amazonaws.com:8443".into();
        assert!(verify_sigv4("GET", path, &other_host, b"", AWS_SECRET, "iam").is_err());
        let unsigned_host = AWS_AUTHORIZATION.replace("content-type;host;", "content-type;");
        let why = verify_sigv4(
            "GET",
            path,
            &aws_example(&unsigned_host),
            b"",
            AWS_SECRET,
            "iam",
        )
        .expect_err("host unsigned");
        assert!(why.contains("host"), "{why}");
    }

    #[test]
    fn the_webhook_check_accepts_the_spec_example_within_five_minutes() {
        let at = SPEC_TIMESTAMP.to_string();
        let example = spec_example(SPEC_SIGNATURE, &at);
        verify_standard_webhook_at(&example, SPEC_BODY, SPEC_SECRET, SPEC_TIMESTAMP + 299)
            .expect("the spec example verifies");
        // During a key rotation the header carries several signatures.
        let rotated = format!("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {SPEC_SIGNATURE}");
        verify_standard_webhook_at(
            &spec_example(&rotated, &at),
            SPEC_BODY,
            SPEC_SECRET,
            SPEC_TIMESTAMP,
        )
        .expect("one matching entry is enough");
    }

    #[test]
    fn the_webhook_check_refuses_a_stale_or_changed_message() {
        let at = SPEC_TIMESTAMP.to_string();
        let example = spec_example(SPEC_SIGNATURE, &at);
        let stale =
            verify_standard_webhook_at(&example, SPEC_BODY, SPEC_SECRET, SPEC_TIMESTAMP + 301)
                .expect_err("stale");
        assert!(stale.contains("five minutes"), "{stale}");
        assert!(
            verify_standard_webhook_at(&example, SPEC_BODY, SPEC_SECRET, SPEC_TIMESTAMP - 301)
                .is_err()
        );
        assert!(verify_standard_webhook_at(
            &example,
            br#"{"test": 2432232315}"#,
            SPEC_SECRET,
            SPEC_TIMESTAMP
        )
        .is_err());
        let other_secret = "whsec_c2VjcmV0LW9mLWFub3RoZXItZW5kcG9pbnQ=";
        assert!(
            verify_standard_webhook_at(&example, SPEC_BODY, other_secret, SPEC_TIMESTAMP).is_err()
        );
        let later = (SPEC_TIMESTAMP + 1).to_string();
        assert!(verify_standard_webhook_at(
            &spec_example(SPEC_SIGNATURE, &later),
            SPEC_BODY,
            SPEC_SECRET,
            SPEC_TIMESTAMP
        )
        .is_err());
        let v2 = SPEC_SIGNATURE.replace("v1,", "v2,");
        assert!(verify_standard_webhook_at(
            &spec_example(&v2, &at),
            SPEC_BODY,
            SPEC_SECRET,
            SPEC_TIMESTAMP
        )
        .is_err());
    }

    /// One request as a server received it.
    #[derive(Debug, Clone)]
    struct Received {
        method: String,
        path_and_query: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    /// A server on a non-default port that records each request and answers 200,
    /// so the signed `Host` is the one reqwest really sends (with the port).
    async fn recorder() -> (url::Url, Arc<Mutex<Vec<Received>>>) {
        let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
        let record = seen.clone();
        let router = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let record = record.clone();
                async move {
                    let headers = headers
                        .iter()
                        .map(|(k, v)| {
                            (k.as_str().to_owned(), v.to_str().expect("ascii").to_owned())
                        })
                        .collect();
                    record.lock().expect("lock").push(Received {
                        method: method.to_string(),
                        path_and_query: uri
                            .path_and_query()
                            .map(|p| p.to_string())
                            .unwrap_or_default(),
                        headers,
                        body: body.to_vec(),
                    });
                    "ok"
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, router).await });
        let base = url::Url::parse(&format!("http://{addr}/aws/sns")).expect("base");
        (base, seen)
    }

    async fn send_and_receive(
        request: &phonebox::outbound::Outgoing,
        seen: &Mutex<Vec<Received>>,
    ) -> Received {
        let (answer, _) = Outbound::new().send(request).await;
        assert_eq!(answer.expect("answered").status, 200);
        seen.lock().expect("lock").pop().expect("received")
    }

    #[tokio::test]
    async fn an_sns_publish_as_sent_verifies_with_aws_algorithm() {
        let (base, seen) = recorder().await;
        let account = sns::SnsAccount {
            base: Some(base),
            region: "eu-central-1".into(),
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        };
        let sms = sns::SnsSms {
            to: "+15555550100",
            text: "Votre code : 123 456 & plus ✓",
            sms_type: sns::SmsType::Transactional,
            sender_id: Some("Acme"),
        };
        let request = sns::publish(&account, &sms, SystemTime::now()).expect("publish");
        let received = send_and_receive(&request, &seen).await;
        assert_eq!(received.path_and_query, "/aws/sns/");
        let host = received
            .headers
            .iter()
            .find(|(k, _)| k == "host")
            .expect("host");
        assert!(
            host.1.contains(':'),
            "a non-default port is in Host: {host:?}"
        );
        verify_sigv4(
            &received.method,
            &received.path_and_query,
            &received.headers,
            &received.body,
            &account.secret_access_key,
            "sns",
        )
        .expect("Phonebox's signature verifies");
        let wrong = verify_sigv4(
            &received.method,
            &received.path_and_query,
            &received.headers,
            &received.body,
            "another secret",
            "sns",
        );
        assert!(wrong.is_err(), "a wrong key must not verify");
    }

    #[tokio::test]
    async fn a_signed_webhook_as_sent_verifies_with_the_standard_webhooks_algorithm() {
        let (base, seen) = recorder().await;
        let url = base.join("/hooks/sms?tenant=acme").expect("url");
        let secret = webhook::WebhookSecret::parse(SPEC_SECRET).expect("secret");
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs() as i64;
        let body = br#"{"type":"message.forwarded","data":{"text":"Code 1 2 3"}}"#.to_vec();
        let request = webhook::signed(&url, &secret, "fwd_01J", now, body.clone());
        let received = send_and_receive(&request, &seen).await;
        assert_eq!(received.path_and_query, "/hooks/sms?tenant=acme");
        assert_eq!(received.body, body);
        verify_standard_webhook(&received.headers, &received.body, SPEC_SECRET)
            .expect("Phonebox's signature verifies");
        let ten_minutes_later = now + Duration::from_secs(600).as_secs() as i64;
        assert!(verify_standard_webhook_at(
            &received.headers,
            &received.body,
            SPEC_SECRET,
            ten_minutes_later
        )
        .is_err());
    }

    #[test]
    fn the_builder_signs_the_spec_example_as_the_check_expects() {
        let url = url::Url::parse("https://hooks.example.com/").expect("url");
        let secret = webhook::WebhookSecret::parse(SPEC_SECRET).expect("secret");
        let request = webhook::signed(&url, &secret, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY.to_vec());
        let sent: Vec<(String, String)> = request.headers.clone();
        verify_standard_webhook_at(&sent, &request.body, SPEC_SECRET, SPEC_TIMESTAMP)
            .expect("verifies");
        assert!(sent.contains(&("webhook-signature".into(), SPEC_SIGNATURE.into())));
    }
}
