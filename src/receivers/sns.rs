//! Amazon SNS `Publish` to a phone number, as the AWS SDKs send it: the awsQuery
//! protocol (a form body with `Action` and `Version`), signed with SigV4.
//!
//! SNS has no JSON protocol, so `@aws-sdk/client-sns` (v3) and `aws-sdk` (v2) both
//! send this form and read an XML answer. Errors carry SNS's own codes.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};

use crate::capture::chaos::InjectedError;
use crate::capture::pipeline::CaptureError;
use crate::capture::provider::Provider;
use crate::message::phone::PhoneNumber;
use crate::message::SendError;
use crate::message::{Channel, NewMessage, RawRequest, Source};

/// The region a request is filed under when it was not signed.
pub const DEFAULT_REGION: &str = "us-east-1";

/// SNS's limit on one SMS publish, in characters (longer texts are refused, not split).
pub const MAX_SMS_CHARS: usize = 1600;

/// An SNS error: `<ErrorResponse><Error><Type/><Code/><Message/></Error>...`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SNS error {code}: {message}")]
pub struct SnsError {
    /// The awsQuery error code (`InvalidParameter`), which the SDKs map to their
    /// exception classes (`InvalidParameterException`).
    pub code: String,
    pub message: String,
    pub status: u16,
    /// What Phonebox itself failed at, for the log; never sent.
    pub cause: Option<String>,
}

impl SnsError {
    pub fn new(code: &str, status: u16, message: impl Into<String>) -> SnsError {
        SnsError {
            code: code.to_owned(),
            message: message.into(),
            status,
            cause: None,
        }
    }

    /// A 400 `InvalidParameter`, the error SNS gives for most bad input.
    pub fn invalid_parameter(message: impl Into<String>) -> SnsError {
        SnsError::new("InvalidParameter", 400, message)
    }

    /// `Sender` for the caller's faults, `Receiver` for the service's.
    pub fn fault(&self) -> &'static str {
        if self.status >= 500 {
            "Receiver"
        } else {
            "Sender"
        }
    }
}

/// SNS's errors for what chaos injects.
impl InjectedError for SnsError {
    fn internal(_: Option<Provider>, e: CaptureError) -> SnsError {
        if e.is_unavailable() {
            return SnsError {
                cause: e.failure(),
                ..SnsError::new("ServiceUnavailable", 503, e.to_string())
            };
        }
        SnsError {
            cause: Some(e.to_string()),
            ..SnsError::new("InternalError", 500, "Internal service error")
        }
    }

    fn injected(_: Provider, code: &str) -> SnsError {
        let (status, message) = match code {
            "Throttling" => (400, "Rate exceeded"),
            "InternalError" | "InternalFailure" => (500, "Internal service error"),
            "ServiceUnavailable" => (503, "Service is unavailable"),
            "AuthorizationError" => (403, "User is not authorized to perform: SNS:Publish"),
            "InvalidClientTokenId" => (
                403,
                "The security token included in the request is invalid.",
            ),
            "SignatureDoesNotMatch" => (
                403,
                "The request signature we calculated does not match the signature you provided.",
            ),
            "InvalidParameter" => (400, "Invalid parameter: PhoneNumber"),
            _ => (400, "Error injected by Phonebox chaos"),
        };
        SnsError::new(code, status, message)
    }

    fn send_error(&self) -> SendError {
        SendError {
            code: self.code.clone(),
            message: self.message.clone(),
        }
    }
}

/// Who signed the request, from a SigV4 `Authorization` header's credential scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    pub access_key_id: String,
    pub region: String,
}

/// Reads `AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sns/aws4_request, ...`.
/// Any signature is accepted: Phonebox has no secret key to check it against.
pub fn signer(authorization: &str) -> Option<Signer> {
    let rest = authorization.trim().strip_prefix("AWS4-HMAC-SHA256")?;
    let credential = rest
        .split(',')
        .find_map(|part| part.trim().strip_prefix("Credential="))?;
    let mut scope = credential.split('/');
    let access_key_id = scope.next().filter(|k| !k.is_empty())?.to_owned();
    let _date = scope.next()?;
    let region = scope.next().filter(|r| !r.is_empty())?.to_owned();
    Some(Signer {
        access_key_id,
        region,
    })
}

/// Parses an awsQuery request; only `Publish` to a `PhoneNumber` is a message.
pub fn parse(raw: RawRequest, signer: Option<Signer>) -> Result<NewMessage, SnsError> {
    if !super::is_form(&raw) {
        return Err(SnsError::invalid_parameter(
            "Invalid parameter: the request must be an awsQuery form \
             (Content-Type: application/x-www-form-urlencoded)",
        ));
    }
    let form = super::form_fields(&raw.body);
    let get = |name: &str| form.get(name).map(String::as_str);
    match get("Action") {
        Some("Publish") => {}
        Some(other) => {
            return Err(SnsError::new(
                "InvalidAction",
                400,
                format!(
                    "The action {other} is not valid for this web service \
                     (Phonebox emulates SNS Publish to a phone number)."
                ),
            ))
        }
        None => {
            return Err(SnsError::new(
                "MissingAction",
                400,
                "The request must contain the parameter Action.",
            ))
        }
    }
    // Phonebox keeps no topics or platform endpoints, so none exists.
    if get("TopicArn").is_some() {
        return Err(SnsError::new("NotFound", 404, "Topic does not exist"));
    }
    if get("TargetArn").is_some() {
        return Err(SnsError::new("NotFound", 404, "Endpoint does not exist"));
    }
    let number = get("PhoneNumber")
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| {
            SnsError::invalid_parameter(
                "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter",
            )
        })?;
    let recipient = PhoneNumber::parse(number).map_err(|_| {
        SnsError::invalid_parameter(format!(
            "Invalid parameter: PhoneNumber Reason: {number} is not valid to publish to"
        ))
    })?;
    let text = message_text(get("Message"), get("MessageStructure"))?;
    if text.chars().count() > MAX_SMS_CHARS {
        return Err(SnsError::invalid_parameter(format!(
            "Invalid parameter: Message too long: an SMS publish is at most {MAX_SMS_CHARS} characters"
        )));
    }
    let attributes = message_attributes(&form)?;
    let sender = sms_attributes(&attributes)?;
    let region = signer
        .as_ref()
        .map_or(DEFAULT_REGION, |s| s.region.as_str())
        .to_owned();
    Ok(NewMessage {
        attributes: Some(json!({ "region": region, "message_attributes": attributes })),
        raw,
        ..super::provider_message(
            Source::AwsSns,
            Channel::Sms,
            recipient,
            sender,
            text,
            crate::random::ordered_uuid().to_string(),
            signer.map(|s| s.access_key_id),
        )
    })
}

/// The text to send: `Message`, or with `MessageStructure=json` its `sms` (else
/// `default`) entry.
fn message_text(message: Option<&str>, structure: Option<&str>) -> Result<String, SnsError> {
    let message = message
        .filter(|m| !m.is_empty())
        .ok_or_else(|| SnsError::invalid_parameter("Invalid parameter: Empty message"))?;
    match structure {
        None => Ok(message.to_owned()),
        Some("json") => {
            let parsed: Value = serde_json::from_str(message).map_err(|_| {
                SnsError::invalid_parameter(
                    "Invalid parameter: Message Structure - JSON message body failed to parse",
                )
            })?;
            let entry = |key: &str| parsed.get(key).and_then(Value::as_str);
            if entry("default").is_none() {
                return Err(SnsError::invalid_parameter(
                    "Invalid parameter: Message Structure - No default entry in JSON message body",
                ));
            }
            Ok(entry("sms")
                .or(entry("default"))
                .unwrap_or_default()
                .to_owned())
        }
        Some(other) => Err(SnsError::invalid_parameter(format!(
            "Invalid parameter: MessageStructure Reason: '{other}' is not 'json'"
        ))),
    }
}

/// `MessageAttributes.entry.N.{Name, Value.DataType, Value.StringValue}` as a map
/// from name to `{"DataType", "StringValue"}` (LocalStack's stored shape).
fn message_attributes(form: &HashMap<String, String>) -> Result<BTreeMap<String, Value>, SnsError> {
    let mut attributes = BTreeMap::new();
    for n in 1.. {
        let field = |suffix: &str| form.get(&format!("MessageAttributes.entry.{n}.{suffix}"));
        let Some(name) = field("Name") else { break };
        let data_type = field("Value.DataType").filter(|t| !t.is_empty()).ok_or_else(|| {
            SnsError::new(
                "ParameterValueInvalid",
                400,
                format!("The message attribute '{name}' must contain non-empty message attribute type."),
            )
        })?;
        let mut value = json!({ "DataType": data_type });
        if let Some(string) = field("Value.StringValue") {
            value["StringValue"] = json!(string);
        } else if let Some(binary) = field("Value.BinaryValue") {
            value["BinaryValue"] = json!(binary);
        } else {
            return Err(SnsError::new(
                "ParameterValueInvalid",
                400,
                format!("The message attribute '{name}' must contain non-empty message attribute value."),
            ));
        }
        attributes.insert(name.clone(), value);
    }
    Ok(attributes)
}

/// Checks the SMS attributes SNS understands; the sender shown is the SenderID or
/// the origination number.
fn sms_attributes(attributes: &BTreeMap<String, Value>) -> Result<Option<String>, SnsError> {
    let string = |name: &str| {
        attributes
            .get(name)
            .and_then(|v| v.get("StringValue"))
            .and_then(Value::as_str)
    };
    if let Some(kind) = string("AWS.SNS.SMS.SMSType") {
        if !matches!(kind, "Transactional" | "Promotional") {
            return Err(SnsError::invalid_parameter(format!(
                "Invalid parameter: MessageAttributes Reason: AWS.SNS.SMS.SMSType must be \
                 Transactional or Promotional, not '{kind}'"
            )));
        }
    }
    let sender_id = string("AWS.SNS.SMS.SenderID");
    if let Some(id) = sender_id {
        let ok = (1..=11).contains(&id.len())
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && id.chars().any(|c| c.is_ascii_alphabetic());
        if !ok {
            return Err(SnsError::invalid_parameter(format!(
                "Invalid parameter: MessageAttributes Reason: AWS.SNS.SMS.SenderID '{id}' must be \
                 1 to 11 letters, digits or hyphens, with at least one letter"
            )));
        }
    }
    Ok(sender_id
        .or(string("AWS.MM.SMS.OriginationNumber"))
        .map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> RawRequest {
        RawRequest {
            content_type: Some("application/x-www-form-urlencoded; charset=utf-8".into()),
            headers: vec![],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn signer_comes_from_the_credential_scope() {
        let header = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/sns/aws4_request, \
                      SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
        assert_eq!(
            signer(header),
            Some(Signer {
                access_key_id: "AKIDEXAMPLE".into(),
                region: "eu-west-1".into()
            })
        );
        assert_eq!(signer("Basic dXNlcjpwYXNz"), None);
    }

    #[test]
    fn publish_with_attributes() {
        let body =
            "Action=Publish&Version=2010-03-31&PhoneNumber=%2B15551230000&Message=Code+123456\
                    &MessageAttributes.entry.1.Name=AWS.SNS.SMS.SMSType\
                    &MessageAttributes.entry.1.Value.DataType=String\
                    &MessageAttributes.entry.1.Value.StringValue=Transactional\
                    &MessageAttributes.entry.2.Name=AWS.SNS.SMS.SenderID\
                    &MessageAttributes.entry.2.Value.DataType=String\
                    &MessageAttributes.entry.2.Value.StringValue=Acme";
        let message = parse(form(body), None).expect("parses");
        assert_eq!(message.recipient.as_str(), "+15551230000");
        assert_eq!(message.text, "Code 123456");
        assert_eq!(message.sender.as_deref(), Some("Acme"));
        let attributes = message.attributes.expect("attributes");
        assert_eq!(attributes["region"], "us-east-1");
        assert_eq!(
            attributes["message_attributes"]["AWS.SNS.SMS.SMSType"]["StringValue"],
            "Transactional"
        );
    }

    #[test]
    fn json_structure_prefers_the_sms_entry() {
        let message = serde_json::json!({"default": "d", "sms": "s"}).to_string();
        let body = format!(
            "Action=Publish&PhoneNumber=%2B15551230000&MessageStructure=json&Message={}",
            form_urlencoded::byte_serialize(message.as_bytes()).collect::<String>()
        );
        assert_eq!(parse(form(&body), None).expect("parses").text, "s");
        let no_default =
            form("Action=Publish&PhoneNumber=%2B15551230000&MessageStructure=json&Message=%7B%7D");
        assert_eq!(
            parse(no_default, None).expect_err("refused").code,
            "InvalidParameter"
        );
    }

    #[test]
    fn bad_requests_get_sns_codes() {
        let code = |body: &str| parse(form(body), None).expect_err("refused").code;
        assert_eq!(code("Action=ListTopics"), "InvalidAction");
        assert_eq!(code("PhoneNumber=%2B15551230000"), "MissingAction");
        assert_eq!(
            code("Action=Publish&PhoneNumber=%2B1asd&Message=x"),
            "InvalidParameter"
        );
        assert_eq!(
            code("Action=Publish&PhoneNumber=%2B15551230000"),
            "InvalidParameter"
        );
        assert_eq!(
            code("Action=Publish&TopicArn=arn:aws:sns:us-east-1:1:t&Message=x"),
            "NotFound"
        );
        assert_eq!(
            code("Action=Publish&PhoneNumber=%2B15551230000&Message=x&MessageAttributes.entry.1.Name=A"),
            "ParameterValueInvalid"
        );
    }
}
