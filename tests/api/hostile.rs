//! A generated corpus of malformed and hostile requests across every route: each
//! must be answered, never with a 5xx, a refusal always in the emulated API's own
//! error shape; the server process stays up and healthy, and nothing a refused
//! request sent changes the store.
//!
//! The corpus is deterministic (a seeded generator), mixing: truncated and deeply
//! nested JSON, huge numbers, invalid UTF-8, NUL bytes, 10 MB bodies, wrong methods
//! and content types, SQL and script injection, absurd paging values, malformed log
//! queries, Liquid templates that loop or explode, header floods, and slow headers
//! and bodies. Requests go over raw TCP so that bytes no HTTP client would send
//! (a NUL in a query, a 1 MB header) can be sent.
//!
//! How an answer is judged: a read (GET) may succeed; a write is built to be
//! refused (its validated field is always hostile), so a write answered 2xx is a
//! failure. Requests the HTTP layer refuses before any route sees them (a 1 MB
//! header, a raw byte no URI may hold) may get hyper's bare 4xx or a close; that
//! family is marked and judged apart.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::Value;
use sqlx::{Connection, Row};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::Process;

/// Whose error shape an answer must be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    Auth0,
    Management,
    Twilio,
    Sns,
    Vonage,
    Provider(&'static str),
    Phonebox,
}

/// What a route's body is, with `@@` where the validated field's value goes.
#[derive(Debug, Clone, Copy)]
enum Body {
    None,
    Json(&'static str),
    Form(&'static str),
}

#[derive(Debug, Clone)]
struct Route {
    method: &'static str,
    /// With `{id}` where a hostile path segment goes.
    path: String,
    api: Api,
    body: Body,
    /// Every method the path answers, for the wrong-method family.
    allowed: &'static [&'static str],
    /// A Management route: sent with a valid token (and, some, without one).
    bearer: bool,
    /// Answers 204 for what does not exist, as Auth0 does.
    idempotent: bool,
}

/// How an answer is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A write built to be refused: a 4xx in the API's shape.
    Refused,
    /// A read: anything below 500, and a 4xx in the API's shape.
    Read,
    /// Refused by the HTTP layer before routing: hyper's bare 4xx, or a close.
    Protocol,
    /// A delete Auth0 answers 204 whether or not the thing existed: a 2xx is
    /// fine, as long as the store is unchanged.
    Idempotent,
}

#[derive(Debug, Clone)]
struct Case {
    family: &'static str,
    method: String,
    target: Vec<u8>,
    headers: Vec<(String, Vec<u8>)>,
    body: Bytes,
    api: Api,
    expect: Expect,
}

/// xorshift64*: the corpus must be the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

const SEED: u64 = 0x5EED_0015_4057_11E5;
const ACCOUNT: &str = "AC00000000000000000000000000000000";
const SERVICE: &str = "VA00000000000000000000000000000000";
const MGMT: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Strings that must never reach SQL, HTML or a template unescaped.
const INJECTIONS: &[&str] = &[
    "' OR 1=1 --",
    "\"; DROP TABLE messages; --",
    "1; DELETE FROM messages",
    "' UNION SELECT * FROM tenants --",
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "{{7*7}}",
    "{% for i in (1..99999999) %}x{% endfor %}",
    "${jndi:ldap://127.0.0.1/x}",
    "../../../../etc/passwd",
    "%00",
    "\u{202e}gnp.exe",
    "😀😀😀",
    "+",
    "",
    " ",
    "\\u0000",
    "0x7fffffffffffffff",
];

/// The validated field's value where another family is under test: valid as no
/// id, phone number, name or enum.
const FILLER: &str = "' OR 1=1 --";

/// Values that are not numbers a server can hold.
const HUGE_NUMBERS: &[&str] = &[
    "1e309",
    "-1e309",
    "18446744073709551616",
    "-9223372036854775809",
    "1e-400",
    "123456789012345678901234567890123456789012345678901234567890",
    "NaN",
    "Infinity",
    "-0",
    "0.0000000000000000000000000000001",
];

/// Paging and query values no page size or cursor can be.
const PAGING: &[&str] = &[
    "limit=1e309",
    "limit=-1",
    "limit=0",
    "limit=18446744073709551616",
    "per_page=-1",
    "per_page=1e309",
    "per_page=99999999999",
    "page=18446744073709551616",
    "page=-1",
    "page=NaN",
    "include_totals=maybe",
    "include_totals=%00",
    "from=-5&take=1e99",
    "before=%FF%FE",
    "before=' OR 1=1 --",
    "after=9999-99-99T99:99:99Z",
    "after=-99999999999999999999",
    "to=%2B1%00",
    "to=' OR 1=1 --",
    "limit=%FF",
    "limit=",
    "limit=1&limit=2",
    "sort=date:2; DROP TABLE log_events",
    "fields=%00&include_fields=perhaps",
    "PageSize=-1",
    "PageSize=1e309",
    "Page=18446744073709551616",
    "wait=1e309",
    "wait=-1s",
    "wait=99999999999999999999s",
];

/// Log queries `store/log_query.rs` must refuse cleanly (or answer).
const LOG_QUERIES: &[&str] = &[
    "type:",
    "type:\"unterminated",
    "((((((((((((((((((((((((((((((((((((((((type:s",
    "type:s))))))))",
    "date:[2020-01-01 TO",
    "date:[* TO *]",
    "date:[9999999999999999999999 TO 1e309]",
    "a:b AND OR NOT",
    "AND",
    "NOT NOT NOT NOT",
    "*",
    "description:*x*",
    "user_id:\"auth0|' OR 1=1 --\"",
    "type:s' UNION SELECT body FROM log_events --",
    "\u{0}",
    "type:\u{0}s",
    "%FF%FE",
    "_exists_:",
    "type:(s OR f OR fp OR fs",
    "x:y:z:w",
    "\"\"\"\"\"",
    "date:>>=2020",
    "date:[2021-01-01 TO 2020-01-01]",
    "log_id:<script>",
];

/// Liquid that is not valid, or past the parser's limits: refused where a
/// template is stored.
fn bad_liquid() -> Vec<String> {
    vec![
        "{% if %}".to_owned(),
        "{% for i in (1..3) %}never closed".to_owned(),
        "{{ code | no_such_filter }}".to_owned(),
        "{% endfor %}".to_owned(),
        format!("{}{}", "{% if true %}".repeat(64), "{% endif %}".repeat(64)),
        "x".repeat(25_000),
        "{{".repeat(5_000),
        "{% raw %}".to_owned(),
        "{% for i in (1..100000000) %}{{ code }}{% endfor %}".to_owned(),
        "{% assign = %}".to_owned(),
        "{{ code | append: ".to_owned(),
    ]
}

/// Liquid that parses but loops or grows without end: stored in the setup, then
/// rendered (and refused) by `/try`.
const LOOP: &str =
    "{% for i in (1..10000) %}{% for j in (1..10000) %}{{ code }}{% endfor %}{% endfor %}";
const EXPLODE: &str = "{% assign s = \"xxxxxxxxxxxxxxxx\" %}{% for i in (1..64) %}{% assign s = s | append: s %}{% endfor %}{{ s }}";

fn routes(fixture: &Fixture) -> Vec<Route> {
    let template_ids = &fixture.template_ids;
    use Api::*;
    use Body::*;
    let r = |method, path: &str, api, body, allowed, bearer| Route {
        method,
        path: path.to_owned(),
        api,
        body,
        allowed,
        bearer,
        idempotent: false,
    };
    let mut all = vec![
        // Capture endpoints.
        r("POST", "/capture/auth0/custom-phone-provider", Phonebox,
          Json(r#"{"recipient":@@,"text":"Your code is 123456","message_type":"sms","action":"second-factor-authentication"}"#), &["POST"], false),
        r("POST", "/capture/auth0/send-phone-message", Phonebox,
          Json(r#"{"message_options":{"recipient":@@,"text":"Your code is 123456","message_type":"sms","action":"enrollment"}}"#), &["POST"], false),
        r("POST", "/capture/auth0/hook", Phonebox,
          Json(r#"{"recipient":@@,"text":"Your code is 123456","context":{"message_type":"sms"}}"#), &["POST"], false),
        // The Authentication API, at the default tenant and under /t/{tenant}.
        r("POST", "/oauth/token", Auth0, Form("grant_type=@@&client_id=c&username=u&password=p"), &["POST"], false),
        r("POST", "/oauth/token", Auth0, Json(r#"{"grant_type":@@,"client_id":"c","otp":"123456"}"#), &["POST"], false),
        r("POST", "/t/default/oauth/token", Auth0, Json(r#"{"grant_type":@@,"client_id":"c"}"#), &["POST"], false),
        r("POST", "/passwordless/start", Auth0,
          Json(r#"{"client_id":"c","connection":"sms","phone_number":@@,"send":"code"}"#), &["POST"], false),
        r("POST", "/mfa/associate", Auth0,
          Json(r#"{"authenticator_types":["oob"],"oob_channels":["sms"],"phone_number":@@}"#), &["POST"], false),
        r("POST", "/mfa/challenge", Auth0,
          Json(r#"{"client_id":"c","mfa_token":@@,"challenge_type":"oob"}"#), &["POST"], false),
        r("GET", "/mfa/authenticators", Auth0, None, &["GET"], false),
        r("DELETE", "/mfa/authenticators/{id}", Auth0, None, &["DELETE"], false),
        r("GET", "/.well-known/jwks.json", Auth0, None, &["GET"], false),
        r("GET", "/.well-known/openid-configuration", Auth0, None, &["GET"], false),
        r("GET", "/t/{id}/.well-known/jwks.json", Auth0, None, &["GET"], false),
        // Twilio.
        r("POST", &format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json"), Twilio,
          Form("To=@@&From=%2B15555550000&Body=Your+code+is+123456"), &["POST", "GET"], false),
        r("GET", &format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json"), Twilio, None, &["POST", "GET"], false),
        r("GET", &format!("/2010-04-01/Accounts/{ACCOUNT}/Messages/{{id}}"), Twilio, None, &["GET"], false),
        r("POST", &format!("/2010-04-01/Accounts/{ACCOUNT}/Calls.json"), Twilio,
          Form("To=@@&From=%2B15555550000&Twiml=%3CResponse%3E%3CSay%3E1%3C%2FSay%3E%3C%2FResponse%3E"), &["POST"], false),
        r("POST", "/2010-04-01/Accounts/{id}/Messages.json", Twilio,
          Form("To=@@&From=%2B15555550000&Body=x"), &["POST", "GET"], false),
        r("POST", &format!("/v2/Services/{SERVICE}/Verifications"), Twilio, Form("To=@@&Channel=sms"), &["POST"], false),
        r("GET", &format!("/v2/Services/{SERVICE}/Verifications/{{id}}"), Twilio, None, &["GET"], false),
        r("POST", &format!("/v2/Services/{SERVICE}/VerificationCheck"), Twilio, Form("To=@@&Code=123456"), &["POST"], false),
        // SNS and its LocalStack listing.
        r("POST", "/", Sns, Form("Action=Publish&Version=2010-03-31&PhoneNumber=@@&Message=Code+123456"), &["POST", "GET"], false),
        r("POST", "/", Sns, Form("Action=@@&PhoneNumber=%2B15555550100&Message=x"), &["POST", "GET"], false),
        r("GET", "/_aws/sns/sms-messages", Phonebox, None, &["GET", "DELETE"], false),
        // Vonage.
        r("POST", "/sms/json", Vonage, Form("api_key=k&api_secret=s&from=Acme&to=@@&text=Code+123456"), &["POST"], false),
        r("POST", "/sms/json", Vonage, Json(r#"{"api_key":"k","api_secret":"s","from":"Acme","to":@@,"text":"Code 123456"}"#), &["POST"], false),
        // Marketplace providers.
        r("POST", "/v3/sms/send", Provider("clicksend"), Json(r#"{"messages":[{"to":@@,"body":"Code 123456"}]}"#), &["POST"], false),
        r("POST", "/v1.0/messagedispatcher", Provider("esendex"),
          Json(r#"{"accountreference":"EX0000000","messages":[{"to":@@,"body":"Code 123456"}]}"#), &["POST"], false),
        r("POST", "/sms/2/text/advanced", Provider("infobip"),
          Json(r#"{"messages":[{"destinations":[{"to":@@}],"text":"Code 123456"}]}"#), &["POST"], false),
        r("POST", "/sms", Provider("mitto"), Json(r#"{"to":@@,"from":"Acme","text":"Code 123456"}"#), &["POST"], false),
        r("POST", "/sms.json", Provider("mitto"), Json(r#"{"to":@@,"from":"Acme","text":"Code 123456"}"#), &["POST"], false),
        r("POST", "/v1/messaging", Provider("telesign"), Form("phone_number=@@&message=Code+123456&message_type=OTP"), &["POST"], false),
        r("POST", "/v1/verify/sms", Provider("telesign"), Form("phone_number=@@&verify_code=123456"), &["POST"], false),
        r("POST", "/messages", Provider("messagebird"), Json(r#"{"recipients":[@@],"originator":"Acme","body":"Code 123456"}"#), &["POST"], false),
        // Phonebox's own API.
        r("GET", "/emulator/v1/health", Phonebox, None, &["GET"], false),
        r("GET", "/emulator/v1/messages", Phonebox, None, &["GET", "DELETE"], false),
        r("GET", "/emulator/v1/messages/{id}", Phonebox, None, &["GET", "DELETE"], false),
        r("DELETE", "/emulator/v1/messages/{id}", Phonebox, None, &["GET", "DELETE"], false),
        r("GET", "/emulator/v1/phones", Phonebox, None, &["GET"], false),
        r("DELETE", "/emulator/v1/phones/{id}", Phonebox, None, &["DELETE"], false),
        r("GET", "/emulator/v1/phones/{id}/latest", Phonebox, None, &["GET"], false),
        r("GET", "/emulator/v1/phones/%2B15555550001/latest", Phonebox, None, &["GET"], false),
        r("POST", "/emulator/v1/phones/{id}/read", Phonebox, None, &["POST"], false),
        r("GET", "/emulator/v1/capture", Phonebox, None, &["GET", "PUT"], false),
        r("PUT", "/emulator/v1/capture", Phonebox, Json(r#"{"paused":@@}"#), &["GET", "PUT"], false),
        r("GET", "/emulator/v1/tenants", Phonebox, None, &["GET", "POST"], false),
        r("POST", "/emulator/v1/tenants", Phonebox, Json(r#"{"id":@@}"#), &["GET", "POST"], false),
        r("GET", "/emulator/v1/tenants/{id}", Phonebox, None, &["GET", "PATCH", "DELETE"], false),
        r("PATCH", "/emulator/v1/tenants/{id}", Phonebox, Json(r#"{"friendly_name":@@}"#), &["GET", "PATCH", "DELETE"], false),
        r("DELETE", "/emulator/v1/tenants/{id}", Phonebox, None, &["GET", "PATCH", "DELETE"], false),
        r("POST", "/emulator/v1/tenants/{id}/reset", Phonebox, None, &["POST"], false),
        r("POST", "/emulator/v1/tenants/{id}/clients", Phonebox, Json(r#"{"name":@@}"#), &["GET", "POST"], false),
        r("POST", "/emulator/v1/tenants/{id}/users", Phonebox, Json(r#"{"phone_number":@@}"#), &["GET", "POST"], false),
        r("GET", "/emulator/v1/limits", Phonebox, None, &["GET"], false),
        r("GET", "/emulator/v1/forwarding", Phonebox, None, &["GET"], false),
        r("PUT", "/emulator/v1/forwarding/allowlist", Phonebox, Json(r#"{"numbers":[@@]}"#), &["PUT"], false),
        r("PUT", "/emulator/v1/forwarding/my-phones", Phonebox, Json(r#"{"numbers":[@@]}"#), &["PUT"], false),
        r("PUT", "/emulator/v1/forwarding/providers/{id}", Phonebox, Json(r#"{"account_sid":@@}"#), &["PUT", "DELETE"], false),
        r("DELETE", "/emulator/v1/forwarding/providers/{id}", Phonebox, None, &["PUT", "DELETE"], false),
        r("GET", "/emulator/v1/forwarding/rules", Phonebox, None, &["GET", "POST"], false),
        r("POST", "/emulator/v1/forwarding/rules", Phonebox, Json(r#"{"to":@@,"via":"twilio"}"#), &["GET", "POST"], false),
        r("PUT", "/emulator/v1/forwarding/rules/{id}", Phonebox, Json(r#"{"to":@@}"#), &["PUT", "DELETE"], false),
        r("DELETE", "/emulator/v1/forwarding/rules/{id}", Phonebox, None, &["PUT", "DELETE"], false),
        r("POST", "/emulator/v1/messages/{id}/forward", Phonebox, Json(r#"{"via":@@}"#), &["POST"], false),
        r("GET", "/emulator/v1/messages/{id}/forwards", Phonebox, None, &["GET"], false),
        r("GET", "/emulator/v1/forwards/{id}", Phonebox, None, &["GET"], false),
        r("GET", "/emulator/v1/chaos", Phonebox, None, &["GET", "DELETE"], false),
        r("PUT", "/emulator/v1/chaos/{id}", Phonebox, Json(r#"{"mode":@@}"#), &["PUT", "GET", "DELETE"], false),
        r("GET", "/emulator/v1/chaos/{id}", Phonebox, None, &["PUT", "GET", "DELETE"], false),
        r("DELETE", "/emulator/v1/chaos/{id}", Phonebox, None, &["PUT", "GET", "DELETE"], false),
        r("GET", "/emulator/v1/clock", Phonebox, None, &["GET", "DELETE"], false),
        r("POST", "/emulator/v1/clock/advance", Phonebox, Json(r#"{"by":@@}"#), &["POST"], false),
        r("GET", "/emulator/v1/retention", Phonebox, None, &["GET", "PATCH"], false),
        // Only numbers 1 to 1000000000 are kept-counts: the corpus's numbers are not.
        r("PATCH", "/emulator/v1/retention", Phonebox, Json(r#"{"max_messages":@@}"#), &["GET", "PATCH"], false),
        // The user's own Actions: a path must be an absolute, existing `.js` file
        // the user owns, which no corpus value is.
        r("GET", "/emulator/v1/tenants/{id}/actions", Phonebox, None, &["GET", "POST"], false),
        r("POST", "/emulator/v1/tenants/default/actions", Phonebox,
          Json(r#"{"trigger":"send-phone-message","path":@@}"#), &["GET", "POST"], false),
        r("POST", "/emulator/v1/tenants/{id}/actions", Phonebox,
          Json(r#"{"trigger":"custom-phone-provider","path":@@}"#), &["GET", "POST"], false),
        r("GET", "/emulator/v1/tenants/default/actions/{id}", Phonebox, None, &["GET", "PATCH", "DELETE"], false),
        r("PATCH", "/emulator/v1/tenants/default/actions/{id}", Phonebox, Json(r#"{"path":@@}"#), &["GET", "PATCH", "DELETE"], false),
        r("DELETE", "/emulator/v1/tenants/default/actions/{id}", Phonebox, None, &["GET", "PATCH", "DELETE"], false),
        r("POST", "/emulator/v1/tenants/default/actions/{id}/test", Phonebox, Json(r#"{"to":@@}"#), &["POST"], false),
        r("GET", "/emulator/v1/tenants/default/actions/{id}/runs", Phonebox, None, &["GET"], false),
        // The Action the setup made, so the values reach the checks, not a 404.
        r("PATCH", &format!("/emulator/v1/tenants/default/actions/{}", fixture.action_id), Phonebox,
          Json(r#"{"path":@@}"#), &["GET", "PATCH", "DELETE"], false),
        r("PATCH", &format!("/emulator/v1/tenants/default/actions/{}", fixture.action_id), Phonebox,
          Json(r#"{"secrets":{"@@":"a-secret-value"}}"#), &["GET", "PATCH", "DELETE"], false),
        r("POST", &format!("/emulator/v1/tenants/default/actions/{}/test", fixture.action_id), Phonebox,
          Json(r#"{"to":"+15555550198","delivery_method":@@}"#), &["POST"], false),
        r("GET", "/emulator/v1/flows/{id}", Phonebox, None, &["GET"], false),
        r("GET", "/metrics", Phonebox, None, &["GET"], false),
        r("GET", "/emulator/v1/openapi.json", Phonebox, None, &["GET"], false),
        r("GET", "/docs", Phonebox, None, &["GET"], false),
        r("GET", "/ui/{id}", Phonebox, None, &["GET"], false),
        r("GET", "/emulator/v1/{id}", Phonebox, None, &[], false),
    ];
    // The Management API, with a valid token.
    let m = |method, path: &str, body, allowed| r(method, path, Management, body, allowed, true);
    all.extend([
        m("GET", "/api/v2/guardian/factors", None, &["GET"]),
        m(
            "PUT",
            "/api/v2/guardian/factors/{id}",
            Json(r#"{"enabled":@@}"#),
            &["PUT"],
        ),
        m(
            "PUT",
            "/api/v2/guardian/factors/phone",
            Json(r#"{"enabled":@@}"#),
            &["PUT"],
        ),
        m(
            "PUT",
            "/api/v2/guardian/factors/sms",
            Json(r#"{"enabled":@@}"#),
            &["PUT"],
        ),
        m(
            "PUT",
            "/api/v2/guardian/factors/phone/message-types",
            Json(r#"{"message_types":[@@]}"#),
            &["GET", "PUT"],
        ),
        m(
            "PUT",
            "/api/v2/guardian/factors/phone/selected-provider",
            Json(r#"{"provider":@@}"#),
            &["GET", "PUT"],
        ),
        m(
            "PUT",
            "/api/v2/guardian/factors/phone/providers/twilio",
            Json(r#"{"from":"+15555550000","messaging_service_sid":[@@]}"#),
            &["GET", "PUT"],
        ),
        m(
            "PUT",
            "/api/v2/guardian/factors/phone/templates",
            Json(r#"{"enrollment_message":[@@]}"#),
            &["GET", "PUT"],
        ),
        m(
            "GET",
            "/api/v2/branding/phone/providers",
            None,
            &["GET", "POST"],
        ),
        m(
            "POST",
            "/api/v2/branding/phone/providers",
            Json(r#"{"name":@@,"credentials":{}}"#),
            &["GET", "POST"],
        ),
        m(
            "GET",
            "/api/v2/branding/phone/providers/{id}",
            None,
            &["GET", "PATCH", "DELETE"],
        ),
        m(
            "PATCH",
            "/api/v2/branding/phone/providers/{id}",
            Json(r#"{"disabled":@@}"#),
            &["GET", "PATCH", "DELETE"],
        ),
        m(
            "DELETE",
            "/api/v2/branding/phone/providers/{id}",
            None,
            &["GET", "PATCH", "DELETE"],
        ),
        m(
            "POST",
            "/api/v2/branding/phone/providers/{id}/try",
            Json(r#"{"to":@@}"#),
            &["POST"],
        ),
        m(
            "GET",
            "/api/v2/branding/phone/templates",
            None,
            &["GET", "POST"],
        ),
        m(
            "POST",
            "/api/v2/branding/phone/templates",
            Json(r#"{"type":@@}"#),
            &["GET", "POST"],
        ),
        m(
            "GET",
            "/api/v2/branding/phone/templates/{id}",
            None,
            &["GET", "PATCH", "DELETE"],
        ),
        m(
            "PATCH",
            "/api/v2/branding/phone/templates/{id}",
            Json(r#"{"disabled":@@}"#),
            &["GET", "PATCH", "DELETE"],
        ),
        m(
            "DELETE",
            "/api/v2/branding/phone/templates/{id}",
            None,
            &["GET", "PATCH", "DELETE"],
        ),
        m(
            "PATCH",
            "/api/v2/branding/phone/templates/{id}/reset",
            None,
            &["PATCH", "PUT"],
        ),
        m(
            "POST",
            "/api/v2/branding/phone/templates/{id}/try",
            Json(r#"{"to":@@}"#),
            &["POST"],
        ),
        m("GET", "/api/v2/logs", None, &["GET"]),
        m("GET", "/api/v2/logs/{id}", None, &["GET"]),
        m("GET", "/api/v2/users", None, &["GET", "POST"]),
        m(
            "POST",
            "/api/v2/users",
            Json(r#"{"connection":"sms","phone_number":@@}"#),
            &["GET", "POST"],
        ),
        m(
            "GET",
            "/api/v2/users/{id}",
            None,
            &["GET", "PATCH", "DELETE"],
        ),
        m(
            "PATCH",
            "/api/v2/users/{id}",
            Json(r#"{"phone_number":@@}"#),
            &["GET", "PATCH", "DELETE"],
        ),
        // Auth0 answers 204 for a user that does not exist (and logs `sapi`).
        Route {
            idempotent: true,
            ..m(
                "DELETE",
                "/api/v2/users/{id}",
                None,
                &["GET", "PATCH", "DELETE"],
            )
        },
        m("GET", "/api/v2/users-by-email", None, &["GET"]),
        m(
            "GET",
            "/api/v2/users/{id}/authentication-methods",
            None,
            &["GET", "POST", "DELETE"],
        ),
        m(
            "POST",
            "/api/v2/users/{id}/authentication-methods",
            Json(r#"{"type":"phone","phone_number":@@}"#),
            &["GET", "POST", "DELETE"],
        ),
        m(
            "DELETE",
            "/api/v2/users/{id}/authentication-methods/{id}",
            None,
            &["GET", "DELETE"],
        ),
        m("GET", "/api/v2/users/{id}/enrollments", None, &["GET"]),
        m(
            "POST",
            "/api/v2/users/{id}/recovery-code-regeneration",
            None,
            &["POST"],
        ),
        m("GET", "/api/v2/users/{id}/logs", None, &["GET"]),
        m(
            "DELETE",
            "/api/v2/guardian/enrollments/{id}",
            None,
            &["GET", "DELETE"],
        ),
        m("GET", "/api/v2/guardian/policies", None, &["GET", "PUT"]),
        m(
            "PUT",
            "/api/v2/guardian/policies",
            Json(r#"[@@]"#),
            &["GET", "PUT"],
        ),
        m("GET", "/t/liquid/api/v2/logs", None, &["GET"]),
    ]);
    // Liquid that loops or explodes, stored in the setup: rendering it is refused.
    for id in template_ids {
        all.push(m(
            "POST",
            &format!("/t/liquid/api/v2/branding/phone/templates/{id}/try"),
            Json(r#"{"to":"+15555550199","delivery_method":@@}"#),
            &["POST"],
        ));
    }
    all
}

/// A JSON string holding `s` (escaped), as a value for `@@`.
fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

/// `query` with what a request line cannot carry (spaces, quotes, non-ASCII)
/// percent-encoded; `%`, `&` and `=` are kept, so malformed escapes stay malformed.
fn query_safe(query: &str) -> String {
    query
        .bytes()
        .map(|b| {
            if b.is_ascii_graphic() && !b"\"<>`{}|\\^#".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn form_value(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn path_segment(s: &str) -> String {
    // Percent-encode everything outside unreserved, so the path stays one segment.
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Hostile path segments: every `{id}`.
const SEGMENTS: &[&str] = &[
    "nope",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "..",
    "%2e%2e",
    "\u{0}",
    "a\u{0}b",
    "😀",
    "18446744073709551616",
    "-1",
    "tem_doesnotexist",
    "pro_' UNION SELECT 1",
    "01ARZ3NDEKTSV4RRFFQ69G5FAV",
    "+15555550001'--",
];

struct Corpus {
    rng: Rng,
    cases: Vec<Case>,
    huge: Bytes,
}

impl Corpus {
    fn path(&mut self, route: &Route) -> String {
        let mut path = route.path.clone();
        while let Some(at) = path.find("{id}") {
            let seg = path_segment(self.rng.pick(SEGMENTS));
            path.replace_range(at..at + 4, &seg);
        }
        // Invalid UTF-8 and NUL in a segment now and then.
        if self.rng.below(8) == 0 && route.path.contains("{id}") {
            path = route.path.replace(
                "{id}",
                self.rng.pick(&["%FF%FE", "%00", "%C0%80", "%ED%A0%80"]),
            );
        }
        path
    }

    fn push(
        &mut self,
        route: &Route,
        family: &'static str,
        method: &str,
        query: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) {
        let mut target = self.path(route);
        if !query.is_empty() {
            target.push('?');
            target.push_str(&query_safe(query));
        }
        let mut headers = Vec::new();
        if let Some(ct) = content_type {
            headers.push(("content-type".to_owned(), ct.as_bytes().to_vec()));
        }
        if route.bearer {
            headers.push(("authorization".to_owned(), b"Bearer mgmt-token".to_vec()));
        }
        let expect = if method == "GET" && method == route.method {
            Expect::Read
        } else if route.idempotent && method == route.method {
            Expect::Idempotent
        } else {
            Expect::Refused
        };
        self.cases.push(Case {
            family,
            method: method.to_owned(),
            target: target.into_bytes(),
            headers,
            body: Bytes::from(body),
            api: route.api,
            expect,
        });
    }

    /// The route's body with `@@` set to `value` (already in the body's syntax).
    fn body_with(route: &Route, value: &str) -> (Option<&'static str>, Vec<u8>) {
        match route.body {
            Body::None => (None, Vec::new()),
            Body::Json(t) => (
                Some("application/json"),
                t.replace("@@", value).into_bytes(),
            ),
            Body::Form(t) => (
                Some("application/x-www-form-urlencoded"),
                t.replace("@@", value).into_bytes(),
            ),
        }
    }

    fn hostile_value(route: &Route, s: &str) -> String {
        match route.body {
            Body::Form(_) => form_value(s),
            _ => json_string(s),
        }
    }

    fn add_route(&mut self, route: &Route, per_route: usize) {
        let start = self.cases.len();
        // Wrong methods, on every route: 405 in the route's shape.
        for method in MGMT.iter().filter(|m| !route.allowed.contains(m)) {
            self.push(route, "wrong-method", method, "", None, Vec::new());
        }
        let has_body = !matches!(route.body, Body::None);
        if has_body {
            // Wrong content types: 415 (or 400) in shape.
            for ct in [
                "text/html",
                "application/xml",
                "multipart/form-data; boundary=x",
                "application/octet-stream",
                "image/png",
            ] {
                let (_, body) = Self::body_with(route, &Self::hostile_value(route, FILLER));
                self.push(route, "content-type", route.method, "", Some(ct), body);
            }
            let other = if matches!(route.body, Body::Json(_)) {
                "application/x-www-form-urlencoded"
            } else {
                "application/json"
            };
            let (_, body) = Self::body_with(route, &Self::hostile_value(route, FILLER));
            self.push(route, "content-type", route.method, "", Some(other), body);
            // One 10 MB body (past the 1 MiB limit): 413 in shape.
            let ct = Self::body_with(route, "1").0;
            let huge = self.huge.clone();
            self.push(route, "10mb", route.method, "", ct, Vec::new());
            if let Some(last) = self.cases.last_mut() {
                last.body = huge;
            }
            // Deep nesting, as the whole body and inside the field.
            let json_ct = Some(ct.unwrap_or("application/json"));
            for body in [
                "[".repeat(100_000),
                "{\"a\":".repeat(50_000),
                format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000)),
            ] {
                self.push(
                    route,
                    "deep-nesting",
                    route.method,
                    "",
                    json_ct,
                    body.into_bytes(),
                );
            }
            if matches!(route.body, Body::Json(_)) {
                let deep = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
                let (ct, body) = Self::body_with(route, &deep);
                self.push(route, "deep-nesting", route.method, "", ct, body);
            }
            // Whole bodies that are not this API's syntax.
            for body in [
                &b""[..],
                b"null",
                b"true",
                b"[]",
                b"\"x\"",
                b"  ",
                b"\x00\x00\x00",
                b"\xff\xfe\xfd",
                b"{\"a\":\"\xff\"}",
                b"{\"a\":\"\\ud800\"}",
                b"{\"a\"::1}",
                b"{,}",
                b"=&=&&==",
                b"%%%%",
                b"a=%ZZ",
            ] {
                // An empty list is a valid list of policies.
                if matches!(route.body, Body::Json(t) if t.starts_with('[')) && body == b"[]" {
                    continue;
                }
                let ct = Self::body_with(route, "1").0;
                self.push(route, "not-the-syntax", route.method, "", ct, body.to_vec());
            }
        }
        // Hostile query strings: paging, injection, invalid UTF-8, floods.
        let paging_count = if route.method == "GET" {
            PAGING.len()
        } else {
            6
        };
        for q in PAGING.iter().take(paging_count) {
            let (ct, body) = Self::body_with(route, &Self::hostile_value(route, FILLER));
            self.push(route, "paging", route.method, q, ct, body);
        }
        if route.path.ends_with("/logs") {
            for q in LOG_QUERIES {
                let query = format!("q={}", form_value(q));
                self.push(route, "log-query", route.method, &query, None, Vec::new());
                let query = format!("q={}&page=1e309&per_page=-1", form_value(q));
                self.push(route, "log-query", route.method, &query, None, Vec::new());
            }
        }
        // Fill to `per_route` with random mixes of the families.
        while self.cases.len() - start < per_route {
            let pick = self.rng.below(10);
            match (pick, route.body) {
                (0..=2, Body::Json(_) | Body::Form(_)) => {
                    // Injection in the validated field.
                    let s = self.rng.pick(INJECTIONS).to_string();
                    let v = Self::hostile_value(route, &s);
                    let (ct, body) = Self::body_with(route, &v);
                    self.push(route, "injection", route.method, "", ct, body);
                }
                (3, Body::Json(_)) => {
                    let n = self.rng.pick(HUGE_NUMBERS).to_string();
                    let n = if n
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_digit() || c == '-')
                    {
                        n
                    } else {
                        json_string(&n)
                    };
                    let (ct, body) = Self::body_with(route, &n);
                    self.push(route, "huge-number", route.method, "", ct, body);
                }
                (3, Body::Form(_)) => {
                    let n = self.rng.pick(HUGE_NUMBERS).to_string();
                    let (ct, body) = Self::body_with(route, &form_value(&n));
                    self.push(route, "huge-number", route.method, "", ct, body);
                }
                (4, Body::Json(_) | Body::Form(_)) => {
                    // Truncated: a strict prefix of a hostile body.
                    let s = self.rng.pick(INJECTIONS).to_string();
                    let (ct, body) = Self::body_with(route, &Self::hostile_value(route, &s));
                    let cut = if body.len() > 1 {
                        1 + self.rng.below(body.len() - 1)
                    } else {
                        0
                    };
                    self.push(
                        route,
                        "truncated",
                        route.method,
                        "",
                        ct,
                        body[..cut].to_vec(),
                    );
                }
                (5, Body::Json(_)) => {
                    // Invalid UTF-8 and NUL inside the field's string.
                    let raw: &[u8] = self.rng.pick(&[
                        &b"\"\xff\xfe\""[..],
                        b"\"a\x00b\"",
                        b"\"\xc0\x80\"",
                        b"\"\xed\xa0\x80\"",
                        b"\"\\u0000+15555550100\"",
                    ]);
                    let (ct, body) = Self::body_with(route, "@@");
                    let body = String::from_utf8_lossy(&body).into_owned();
                    let at = body.find("@@").unwrap_or(0);
                    let mut bytes = body.as_bytes()[..at].to_vec();
                    bytes.extend_from_slice(raw);
                    bytes.extend_from_slice(&body.as_bytes()[(at + 2).min(body.len())..]);
                    self.push(route, "utf8-nul", route.method, "", ct, bytes);
                }
                (5, Body::Form(_)) => {
                    let v = self
                        .rng
                        .pick(&["%FF%FE", "%00", "a%00b", "%C0%80", "%2B1555%00"]);
                    let (ct, body) = Self::body_with(route, v);
                    self.push(route, "utf8-nul", route.method, "", ct, body);
                }
                (6, _) => {
                    // Random bytes as a body.
                    let len = self.rng.below(600);
                    let body: Vec<u8> = (0..len).map(|_| self.rng.next() as u8).collect();
                    let ct = Self::body_with(route, "1").0;
                    self.push(route, "random-bytes", route.method, "", ct, body);
                }
                (7, _) => {
                    // Query floods and hostile parameters.
                    let n = 1 + self.rng.below(400);
                    let query: Vec<String> = (0..n)
                        .map(|i| format!("p{i}={}", form_value(self.rng.pick(INJECTIONS))))
                        .collect();
                    let (ct, body) = Self::body_with(route, &Self::hostile_value(route, FILLER));
                    self.push(
                        route,
                        "query-flood",
                        route.method,
                        &query.join("&"),
                        ct,
                        body,
                    );
                }
                (8, _) => {
                    // Hundreds of headers, or a bad Authorization.
                    let (ct, body) = Self::body_with(route, &Self::hostile_value(route, FILLER));
                    self.push(route, "header-flood", route.method, "", ct, body);
                    let n = 100 + self.rng.below(300);
                    let auth = self
                        .rng
                        .pick(&[
                            &b"Bearer ' OR 1=1 --"[..],
                            b"Basic !!!!",
                            b"Basic \x80\x81",
                            b"Bearer eyJ.eyJ.sig",
                            b"Digest x",
                        ])
                        .to_vec();
                    if let Some(last) = self.cases.last_mut() {
                        for i in 0..n {
                            last.headers.push((
                                format!("x-flood-{i}"),
                                format!("{}", self.rng.next()).into_bytes(),
                            ));
                        }
                        if !route.bearer {
                            last.headers.push(("authorization".to_owned(), auth));
                        }
                    }
                }
                _ => {
                    let q = self.rng.pick(PAGING);
                    let (ct, body) = Self::body_with(
                        route,
                        &Self::hostile_value(route, self.rng.pick(INJECTIONS)),
                    );
                    self.push(route, "paging", route.method, q, ct, body);
                }
            }
        }
    }

    /// Requests only the HTTP layer sees: a 1 MB header, thousands of headers,
    /// bytes no request line may hold.
    fn add_protocol(&mut self) {
        let mut big = Case {
            family: "protocol",
            method: "GET".to_owned(),
            target: b"/emulator/v1/health".to_vec(),
            headers: vec![("x-big".to_owned(), vec![b'a'; 1024 * 1024])],
            body: Bytes::new(),
            api: Api::Phonebox,
            expect: Expect::Protocol,
        };
        self.cases.push(big.clone());
        big.headers = (0..2000)
            .map(|i| (format!("x-h{i}"), b"v".to_vec()))
            .collect();
        self.cases.push(big.clone());
        for target in [
            &b"/emulator/v1/\xff\xfe"[..],
            b"/emulator/v1/a\x00b",
            b"/oauth/token?x=\x01",
            b"*",
            b"http://[::1",
            b"",
        ] {
            big.headers.clear();
            big.target = target.to_vec();
            self.cases.push(big.clone());
        }
        big.target = b"/emulator/v1/health".to_vec();
        big.headers = vec![("x-bad".to_owned(), b"a\x00b".to_vec())];
        self.cases.push(big.clone());
        big.headers = vec![("content-length".to_owned(), b"-1".to_vec())];
        big.method = "POST".to_owned();
        self.cases.push(big.clone());
        big.headers = vec![(
            "content-length".to_owned(),
            b"18446744073709551616".to_vec(),
        )];
        self.cases.push(big.clone());
        big.headers = vec![("transfer-encoding".to_owned(), b"chunked, gzip".to_vec())];
        self.cases.push(big);
    }
}

/// The corpus: at least `min` requests, the same on every run.
fn corpus(fixture: &Fixture, min: usize) -> Vec<Case> {
    let template_ids = &fixture.template_ids;
    let routes = routes(fixture);
    let mut corpus = Corpus {
        rng: Rng(SEED),
        cases: Vec::new(),
        huge: Bytes::from(vec![b'7'; 10 * 1024 * 1024]),
    };
    let per_route = min.div_ceil(routes.len()) + 1;
    for route in &routes {
        corpus.add_route(route, per_route);
        if route.bearer && corpus.rng.below(2) == 0 {
            // The same route without a token: 401 in the Management shape.
            let mut bare = route.clone();
            bare.bearer = false;
            for _ in 0..8 {
                let (ct, body) = Corpus::body_with(&bare, &Corpus::hostile_value(&bare, FILLER));
                corpus.push(&bare, "no-token", bare.method, "", ct, body);
                if let Some(last) = corpus.cases.last_mut() {
                    last.expect = Expect::Refused;
                }
            }
        }
    }
    // Liquid that fails to parse or is past the parser's limits, where templates
    // are stored.
    for liquid in bad_liquid() {
        let content =
            serde_json::json!({ "type": "otp_verify", "content": { "body": { "text": liquid } } });
        let body = content.to_string().into_bytes();
        for path in [
            "/api/v2/branding/phone/templates",
            "/t/liquid/api/v2/branding/phone/templates",
        ] {
            corpus.cases.push(Case {
                family: "liquid",
                method: "POST".to_owned(),
                target: path.as_bytes().to_vec(),
                headers: vec![
                    ("content-type".to_owned(), b"application/json".to_vec()),
                    ("authorization".to_owned(), b"Bearer mgmt-token".to_vec()),
                ],
                body: Bytes::from(body.clone()),
                api: Api::Management,
                expect: Expect::Refused,
            });
        }
        for id in template_ids {
            let patch = serde_json::json!({ "content": { "body": { "text": liquid } } });
            corpus.cases.push(Case {
                family: "liquid",
                method: "PATCH".to_owned(),
                target: format!("/t/liquid/api/v2/branding/phone/templates/{id}").into_bytes(),
                headers: vec![
                    ("content-type".to_owned(), b"application/json".to_vec()),
                    ("authorization".to_owned(), b"Bearer mgmt-token".to_vec()),
                ],
                body: Bytes::from(patch.to_string().into_bytes()),
                api: Api::Management,
                expect: Expect::Refused,
            });
        }
    }
    for id in template_ids {
        for method in ["text", "voice"] {
            for _ in 0..5 {
                corpus.cases.push(Case {
                    family: "liquid",
                    method: "POST".to_owned(),
                    target: format!("/t/liquid/api/v2/branding/phone/templates/{id}/try")
                        .into_bytes(),
                    headers: vec![
                        ("content-type".to_owned(), b"application/json".to_vec()),
                        ("authorization".to_owned(), b"Bearer mgmt-token".to_vec()),
                    ],
                    body: Bytes::from(format!(
                        r#"{{"to":"+15555550199","delivery_method":"{method}"}}"#
                    )),
                    api: Api::Management,
                    expect: Expect::Refused,
                });
            }
        }
    }
    // The event stream, only with parameters it refuses (a valid one streams forever).
    for query in [
        "bogus=1",
        "tenant=a&tenant=b&x=%FF",
        "user_id=%00&nope=1",
        "p=' OR 1=1 --",
    ] {
        for method in ["GET", "POST", "PUT", "DELETE"] {
            corpus.cases.push(Case {
                family: "events",
                method: method.to_owned(),
                target: format!("/emulator/v1/events?{}", query_safe(query)).into_bytes(),
                headers: Vec::new(),
                body: Bytes::new(),
                api: Api::Phonebox,
                expect: Expect::Refused,
            });
        }
    }
    corpus.add_protocol();
    corpus.cases
}

/// One answer, as read off the socket.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Sends `case` on a fresh connection and reads the answer to its end.
async fn send(addr: &str, case: &Case) -> Result<Option<Answer>, String> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let mut head = Vec::new();
    head.extend_from_slice(case.method.as_bytes());
    head.push(b' ');
    head.extend_from_slice(&case.target);
    head.extend_from_slice(b" HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n");
    let mut has_length = false;
    for (name, value) in &case.headers {
        has_length |= name == "content-length" || name == "transfer-encoding";
        head.extend_from_slice(name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    }
    if !has_length {
        head.extend_from_slice(format!("content-length: {}\r\n", case.body.len()).as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    let (mut reader, mut writer) = stream.split();
    // Write and read at once: the server may answer (413) before the body is in.
    let write = async {
        let _ = writer.write_all(&head).await;
        let _ = writer.write_all(&case.body).await;
    };
    let read = async {
        let mut out = Vec::new();
        let _ = reader.read_to_end(&mut out).await;
        out
    };
    let ((), raw) =
        tokio::time::timeout(Duration::from_secs(30), async { tokio::join!(write, read) })
            .await
            .map_err(|_| "no answer within 30 s".to_owned())?;
    Ok(parse_answer(&raw))
}

fn parse_answer(raw: &[u8]) -> Option<Answer> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Some(Answer {
        status,
        headers,
        body,
    })
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&raw[..line_end]).trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        out.extend_from_slice(&raw[start..(start + size).min(raw.len())]);
        raw = &raw[(start + size + 2).min(raw.len())..];
    }
    out
}

/// Whether a 4xx body is in `api`'s error shape; why not, if not.
fn in_shape(api: Api, status: u16, body: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(body);
    if api == Api::Sns {
        return (text.starts_with("<ErrorResponse")
            && text.contains("<Code>")
            && text.contains("<Message>"))
        .then_some(())
        .ok_or_else(|| "not an SNS <ErrorResponse>".to_owned());
    }
    if api == Api::Provider("esendex") && text.starts_with("<?xml") {
        return text
            .contains("<errors>")
            .then_some(())
            .ok_or_else(|| "not Esendex XML errors".to_owned());
    }
    let json: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let s = |k: &str| json.get(k).is_some_and(Value::is_string);
    let ok = match api {
        Api::Auth0 => s("error") && s("error_description"),
        Api::Management => json["statusCode"] == status && s("error") && s("message"),
        Api::Twilio => {
            json["code"].is_u64() && s("message") && s("more_info") && json["status"] == status
        }
        Api::Vonage => {
            json["messages"][0]["status"]
                .as_str()
                .is_some_and(|st| st != "0")
                && json["messages"][0]["error-text"].is_string()
        }
        Api::Provider("clicksend") => {
            json["http_code"] == status && json.get("response_msg").is_some()
        }
        Api::Provider("esendex") => json["errors"][0]["description"].is_string(),
        Api::Provider("infobip") => json["requestError"]["serviceException"]["text"].is_string(),
        Api::Provider("mitto") => {
            json.get("responseCode").is_some() && json["responseText"].is_string()
        }
        Api::Provider("telesign") => json["errors"][0]["description"].is_string(),
        Api::Provider("messagebird") => json["errors"][0]["description"].is_string(),
        Api::Provider(_) | Api::Sns => false,
        Api::Phonebox => s("error") && s("message"),
    };
    ok.then_some(())
        .ok_or_else(|| format!("not in the {api:?} shape"))
}

/// The most items one page of a paged list holds, where the route pages: the
/// Management API's users and logs (`per_page` and `take` at most 100) and the
/// inbox (`limit` at most 500).
fn page_cap(path: &str) -> Option<(usize, &'static str)> {
    let own = match path.strip_prefix("/t/") {
        Some(rest) => rest.find('/').map_or("/", |at| &rest[at..]),
        None => path,
    };
    if own == "/api/v2/users" {
        Some((100, "users"))
    } else if own == "/api/v2/logs" || (own.starts_with("/api/v2/users/") && own.ends_with("/logs"))
    {
        Some((100, "logs"))
    } else if own == "/emulator/v1/messages" {
        Some((500, "messages"))
    } else {
        None
    }
}

/// A paged read answered 2xx: its list is no longer than the route's cap, whatever
/// the paging values asked for.
fn within_page_cap(case: &Case, body: &[u8]) -> Result<(), String> {
    let target = String::from_utf8_lossy(&case.target);
    let path = target.split('?').next().unwrap_or_default();
    let Some((cap, key)) = page_cap(path) else {
        return Ok(());
    };
    let json: Value =
        serde_json::from_slice(body).map_err(|e| format!("a page that is not JSON: {e}"))?;
    // A bare array, or (with `include_totals`, or the inbox's page) under its key.
    let items = json
        .as_array()
        .or_else(|| json[key].as_array())
        .ok_or_else(|| format!("a page with no `{key}` array"))?;
    if items.len() > cap {
        return Err(format!(
            "a page of {} items, past the cap of {cap}",
            items.len()
        ));
    }
    Ok(())
}

/// What was wrong with an answer, if anything.
fn judge(case: &Case, answer: &Option<Answer>) -> Result<(), String> {
    let Some(answer) = answer else {
        return match case.expect {
            Expect::Protocol => Ok(()),
            _ => Err("closed without an answer".to_owned()),
        };
    };
    let status = answer.status;
    if status >= 500 {
        return Err(format!("answered {status}"));
    }
    if case.expect == Expect::Protocol && answer.body.is_empty() && (400..500).contains(&status) {
        return Ok(());
    }
    // Vonage refuses a send in a 200, as Vonage does.
    if case.api == Api::Vonage && status == 200 {
        return in_shape(Api::Vonage, status, &answer.body);
    }
    if status < 400 {
        if case.family == "paging" && case.expect == Expect::Read {
            within_page_cap(case, &answer.body)?;
        }
        return match case.expect {
            Expect::Read | Expect::Idempotent => Ok(()),
            _ => Err(format!("a hostile {} was accepted: {status}", case.method)),
        };
    }
    let is_sse = answer
        .headers
        .iter()
        .any(|(k, v)| k == "content-type" && v.contains("event-stream"));
    if is_sse {
        return Err("an event stream on a 4xx".to_owned());
    }
    in_shape(case.api, status, &answer.body)
}

/// Every row of every table, as text, keyed by table: compared before and after.
/// The search index's tables are left out: they are derived from `messages`
/// (which is compared), and the indexer fills them in the background from
/// messages stored before the corpus ran.
async fn snapshot(db: &std::path::Path) -> BTreeMap<String, Vec<String>> {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db)
        .read_only(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .expect("opens the database");
    let tables: Vec<String> = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name NOT LIKE 'message_search%' ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await
    .expect("tables")
    .into_iter()
    .map(|row| row.get::<String, _>(0))
    .collect();
    let mut out = BTreeMap::new();
    for table in tables {
        let columns: Vec<String> =
            sqlx::query(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .fetch_all(&mut conn)
                .await
                .expect("columns")
                .into_iter()
                .map(|row| row.get::<String, _>(0))
                .collect();
        let joined = columns
            .iter()
            .map(|c| format!("quote(\"{c}\")"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let rows: Vec<String> =
            sqlx::query(&format!("SELECT {joined} FROM \"{table}\" ORDER BY 1"))
                .fetch_all(&mut conn)
                .await
                .expect("rows")
                .into_iter()
                .map(|row| row.get::<String, _>(0))
                .collect();
        out.insert(table, rows);
    }
    conn.close().await.expect("closes");
    out
}

/// Requests a slow client trickles: each must be cut off or answered 408 in shape.
async fn slow_clients(addr: &str) -> Vec<String> {
    let mut failures = Vec::new();
    // Slow headers: one header line every 300 ms, past the 1 s header timeout.
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    let _ = stream
        .write_all(b"GET /emulator/v1/health HTTP/1.1\r\nhost: 127.0.0.1\r\n")
        .await;
    let mut cut = false;
    for i in 0..40 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        if stream
            .write_all(format!("x-slow-{i}: y\r\n").as_bytes())
            .await
            .is_err()
        {
            cut = true;
            break;
        }
        let mut probe = [0u8; 64];
        if let Ok(Ok(0)) =
            tokio::time::timeout(Duration::from_millis(1), stream.read(&mut probe)).await
        {
            cut = true;
            break;
        }
    }
    if !cut {
        failures.push("a client sending headers slowly was never cut off".to_owned());
    }
    // Slow bodies on routes of each API: 408 in that API's shape.
    let slow = [
        ("/capture/auth0/hook", "application/json", Api::Phonebox),
        ("/oauth/token", "application/json", Api::Auth0),
        (
            "/api/v2/branding/phone/templates",
            "application/json",
            Api::Management,
        ),
        (
            &*format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json"),
            "application/x-www-form-urlencoded",
            Api::Twilio,
        ),
        ("/", "application/x-www-form-urlencoded", Api::Sns),
        (
            "/v3/sms/send",
            "application/json",
            Api::Provider("clicksend"),
        ),
    ]
    .map(|(path, ct, api)| (path.to_owned(), ct, api));
    let tasks = slow.into_iter().map(|(path, ct, api)| {
        let addr = addr.to_owned();
        async move {
            let mut stream = TcpStream::connect(&addr).await.expect("connects");
            let head = format!(
                "POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer mgmt-token\r\ncontent-type: {ct}\r\ncontent-length: 1000\r\n\r\n"
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let (mut reader, mut writer) = stream.into_split();
            let drip = tokio::spawn(async move {
                for _ in 0..1000 {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    if writer.write_all(b"x").await.is_err() {
                        return;
                    }
                }
            });
            let mut raw = Vec::new();
            let read = tokio::time::timeout(Duration::from_secs(15), reader.read_to_end(&mut raw)).await;
            drip.abort();
            if read.is_err() {
                return Err(format!("{path}: a slow body was held past its timeout"));
            }
            match parse_answer(&raw) {
                Some(a) if a.status == 408 || (api == Api::Vonage && a.status == 200) => {
                    in_shape(api, a.status, &a.body).map_err(|e| format!("{path}: 408 {e}"))
                }
                Some(a) => Err(format!("{path}: a slow body was answered {}", a.status)),
                None => Err(format!("{path}: a slow body was closed without a 408")),
            }
        }
    });
    for result in futures_util::future::join_all(tasks).await {
        if let Err(e) = result {
            failures.push(e);
        }
    }
    failures
}

/// The liquid tenant and its two templates, one that loops and one that explodes.
/// What the setup made for the corpus to aim at.
struct Fixture {
    /// Templates of Liquid that loops or explodes.
    template_ids: Vec<String>,
    /// An Action whose file exists (kept by `_action_dir`).
    action_id: String,
    _action_dir: tempfile::TempDir,
}

async fn setup(base: &str) -> Fixture {
    let http = reqwest::Client::new();
    for (to, text) in [
        ("+15555550001", "Your code is 111111"),
        ("+15555550002", "Your code is 222222"),
    ] {
        let r = http
            .post(format!("{base}/capture/auth0/custom-phone-provider"))
            .json(&serde_json::json!({ "recipient": to, "text": text, "message_type": "sms" }))
            .send()
            .await
            .expect("sent");
        assert_eq!(r.status(), 201);
    }
    // More messages and users than a page holds, so that a paging value past its
    // cap would show in a longer page (the refused requests' logs pass the logs'
    // cap as the corpus runs).
    let requests = (0..501)
        .map(|i| {
            http.post(format!("{base}/capture/auth0/custom-phone-provider"))
                .json(&serde_json::json!({ "recipient": format!("+1555556{:04}", i % 40), "text": format!("Your code is {i:06}"), "message_type": "sms" }))
        })
        .chain((0..101).map(|i| {
            http.post(format!("{base}/emulator/v1/tenants/default/users"))
                .json(&serde_json::json!({ "email": format!("pager-{i}@example.com"), "password": "correct horse" }))
        }));
    let statuses: Vec<u16> = futures_util::stream::iter(requests)
        .map(|request| async move { request.send().await.expect("sent").status().as_u16() })
        .buffer_unordered(8)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    // `liquid`, and the one injection that is a valid tenant id: made here, so that
    // creating it again in the corpus is refused (409) like every other value.
    for id in ["liquid", "0x7fffffffffffffff"] {
        let r = http
            .post(format!("{base}/emulator/v1/tenants"))
            .json(&serde_json::json!({ "id": id }))
            .send()
            .await
            .expect("sent");
        assert_eq!(r.status(), 201, "{:?}", r.text().await);
    }
    let mut ids = Vec::new();
    for (kind, text) in [("otp_verify", LOOP), ("otp_enroll", EXPLODE)] {
        let r = http
            .post(format!("{base}/t/liquid/api/v2/branding/phone/templates"))
            .bearer_auth("mgmt-token")
            .json(&serde_json::json!({ "type": kind, "content": { "body": { "text": text, "voice": text } } }))
            .send()
            .await
            .expect("sent");
        let status = r.status();
        let created: Value = r.json().await.expect("json");
        assert_eq!(status, 201, "{kind}: {created}");
        ids.push(created["id"].as_str().expect("id").to_owned());
    }
    let action_dir = tempfile::tempdir().expect("temp dir");
    let file = action_dir.path().join("action.js");
    std::fs::write(
        &file,
        "exports.onExecuteCustomPhoneProvider = async () => {};",
    )
    .expect("write the Action");
    let r = http
        .post(format!("{base}/emulator/v1/tenants/default/actions"))
        .json(&serde_json::json!({ "trigger": "custom-phone-provider", "path": file }))
        .send()
        .await
        .expect("sent");
    let created: Value = r.json().await.expect("json");
    Fixture {
        template_ids: ids,
        action_id: created["id"].as_str().expect("an Action").to_owned(),
        _action_dir: action_dir,
    }
}

#[tokio::test]
async fn ten_thousand_hostile_requests_get_4xx_in_each_apis_shape_and_leave_the_store_and_server_as_they_were(
) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("phonebox.db");
    let server = Process::start(
        &[
            "--db".as_ref(),
            db.as_os_str(),
            "--header-timeout".as_ref(),
            "1s".as_ref(),
            "--body-timeout".as_ref(),
            "1s".as_ref(),
        ],
        &[],
        &dir.path().join("server.log"),
    )
    .await
    .expect("starts");
    let addr = server.base.trim_start_matches("http://").to_owned();
    let fixture = setup(&server.base).await;
    let before = snapshot(&db).await;

    let cases = corpus(&fixture, 10_000);
    assert!(cases.len() >= 10_000, "{} cases", cases.len());
    let started = std::time::Instant::now();
    let addr_ref = Arc::new(addr.clone());
    let (slow_failures, results) = tokio::join!(
        slow_clients(&addr),
        futures_util::stream::iter(cases.iter())
            .map(|case| {
                let addr = addr_ref.clone();
                async move { (case, send(&addr, case).await) }
            })
            .buffer_unordered(16)
            .collect::<Vec<_>>()
    );
    let elapsed = started.elapsed();
    let mut failures: Vec<String> = slow_failures;
    let mut by_family: BTreeMap<&str, usize> = BTreeMap::new();
    for (case, result) in &results {
        *by_family.entry(case.family).or_default() += 1;
        let verdict = result
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|answer| judge(case, answer));
        if let Err(why) = verdict {
            let body = result
                .as_ref()
                .ok()
                .and_then(Option::as_ref)
                .map(|a| String::from_utf8_lossy(&a.body[..a.body.len().min(300)]).into_owned())
                .unwrap_or_default();
            failures.push(format!(
                "[{}] {} {}: {why}; body {body}",
                case.family,
                case.method,
                String::from_utf8_lossy(&case.target[..case.target.len().min(160)]),
            ));
        }
    }
    println!(
        "{} hostile requests in {elapsed:?}: {by_family:?}",
        results.len()
    );

    // Still up and healthy, with nothing panicked in its log.
    let health = reqwest::get(format!("{}/emulator/v1/health", server.base))
        .await
        .expect("health answers");
    assert_eq!(health.status(), 200);
    let log = server.log_text();
    assert!(!log.contains("panicked"), "the server panicked:\n{log}");

    // The store is as it was, but for the failure logs Auth0 writes for refused
    // calls (`fapi`, `f`, `fp`...): old rows unchanged, new ones failures.
    let after = snapshot(&db).await;
    for (table, rows) in &before {
        let now = &after[table];
        if table == "log_events" {
            if !rows.iter().all(|r| now.contains(r)) {
                failures.push("log rows were changed".to_owned());
            }
            for row in now.iter().filter(|r| !rows.contains(r)) {
                let kind = row.split('|').nth(3).unwrap_or("");
                // A delete of a user that does not exist succeeds, as in Auth0.
                let idempotent_delete =
                    kind == "'sapi'" && row.contains(r#""method":"delete","path":"/api/v2/users/"#);
                if !kind.starts_with("'f") && !idempotent_delete {
                    failures.push(format!(
                        "a refused request logged {kind}: {}",
                        &row[..row.len().min(400)]
                    ));
                }
            }
        } else if rows != now {
            let added: Vec<&String> = now.iter().filter(|r| !rows.contains(r)).take(3).collect();
            let gone: Vec<&String> = rows.iter().filter(|r| !now.contains(r)).take(3).collect();
            failures.push(format!(
                "table {table} changed: added {added:?}, gone {gone:?}"
            ));
        }
    }
    for failure in &failures {
        println!("{failure}");
    }
    let shown: Vec<&String> = failures.iter().take(60).collect();
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{shown:#?}",
        failures.len(),
        results.len()
    );
    // Still running (a panic would have aborted it), and it stops cleanly.
    assert_eq!(server.terminate().await, Some(0));
}
