//! Telesign: `POST /v1/messaging` (form `phone_number`, `message`, `message_type`)
//! and `POST /v1/verify/sms` (form `phone_number`, `template` with `$$CODE$$`,
//! `verify_code`), HTTP Basic `customer_id:api_key`.

use super::{account, ProviderError};
use crate::capture::provider::Provider;
use crate::message::phone::PhoneNumber;
use crate::message::{Channel, NewMessage, RawRequest, Source};
use crate::receivers::fields::Fields;

const P: Provider = Provider::Telesign;
/// Where Telesign's Verify template puts the code.
const CODE_PLACEHOLDER: &str = "$$CODE$$";

fn invalid(parameter: &str, value: &str) -> ProviderError {
    ProviderError::new(
        P,
        400,
        "-10001",
        format!("Invalid Request: {parameter} Parameter: {value}"),
    )
    .on(parameter)
}

fn form(raw: &RawRequest) -> Result<Fields, ProviderError> {
    if !crate::receivers::is_form(raw) {
        return Err(ProviderError::new(
            P,
            415,
            "-10001",
            "Invalid Request: send application/x-www-form-urlencoded",
        ));
    }
    Ok(Fields::parse(raw)
        .map_err(|why| ProviderError::new(P, 400, "-10001", why))?
        .0)
}

fn phone(fields: &Fields) -> Result<PhoneNumber, ProviderError> {
    let value = fields
        .get("phone_number")
        .ok_or_else(|| invalid("phone_number", "(missing)"))?;
    PhoneNumber::parse(value).map_err(|_| invalid("phone_number", value))
}

fn id() -> String {
    crate::random::uuid().simple().to_string().to_uppercase()
}

/// `POST /v1/messaging`.
pub fn parse_message(
    raw: RawRequest,
    customer_id: Option<String>,
) -> Result<NewMessage, ProviderError> {
    let customer_id = account(P, customer_id)?;
    let fields = form(&raw)?;
    let to = phone(&fields)?;
    let text = fields
        .get("message")
        .ok_or_else(|| invalid("message", "(missing)"))?
        .to_owned();
    match fields.get("message_type") {
        Some("OTP" | "ARN" | "MKT") => {}
        Some(other) => return Err(invalid("message_type", other)),
        None => return Err(invalid("message_type", "(missing)")),
    }
    Ok(NewMessage {
        raw,
        ..super::super::provider_message(
            Source::TelesignMessaging,
            Channel::Sms,
            to,
            fields.get("sender_id").map(str::to_owned),
            text,
            id(),
            Some(customer_id),
        )
    })
}

/// `POST /v1/verify/sms`: the code is `verify_code`, or one Phonebox makes up.
pub fn parse_verify(
    raw: RawRequest,
    customer_id: Option<String>,
) -> Result<NewMessage, ProviderError> {
    let customer_id = account(P, customer_id)?;
    let fields = form(&raw)?;
    let to = phone(&fields)?;
    let code = match fields.get("verify_code") {
        Some(code) if code.bytes().all(|b| b.is_ascii_digit()) && code.len() <= 10 => {
            code.to_owned()
        }
        Some(other) => return Err(invalid("verify_code", other)),
        None => crate::random::digits(5),
    };
    let text = match fields.get("template") {
        Some(t) if t.contains(CODE_PLACEHOLDER) => t.replace(CODE_PLACEHOLDER, &code),
        Some(t) => return Err(invalid("template", &format!("{t} (no {CODE_PLACEHOLDER})"))),
        None => format!("Your code is {code}"),
    };
    Ok(NewMessage {
        code: Some(code),
        raw,
        ..super::super::provider_message(
            Source::TelesignVerify,
            Channel::Sms,
            to,
            None,
            text,
            id(),
            Some(customer_id),
        )
    })
}
