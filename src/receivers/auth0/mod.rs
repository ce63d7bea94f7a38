//! The three shapes Auth0 hands a custom phone provider: the `custom-phone-provider`
//! Action's event, the `send-phone-message` Action's event, and the legacy Hook's
//! parameters; and the pieces of Auth0's event objects they share.

pub mod custom_phone_provider;
pub mod event;
pub mod hook;
pub mod send_phone_message;

use super::ReceiveError;
use crate::message::Purpose;

/// The legacy `action` spellings Auth0 has used, and what each means. The Hook guides
/// say `authentication`, the reference says `second-factor-authentication`, and the
/// custom-phone-provider sample writes `second-factor-authenticator`.
const ACTIONS: [(&str, Purpose); 4] = [
    ("enrollment", Purpose::OtpEnroll),
    ("second-factor-authentication", Purpose::OtpVerify),
    ("authentication", Purpose::OtpVerify),
    ("second-factor-authenticator", Purpose::OtpVerify),
];

/// Reads a legacy `action`, keeping its spelling.
pub(crate) fn action(
    field: &str,
    value: Option<String>,
) -> Result<Option<(String, Purpose)>, ReceiveError> {
    let Some(value) = value else { return Ok(None) };
    match ACTIONS.iter().find(|(name, _)| *name == value) {
        Some((_, purpose)) => Ok(Some((value, *purpose))),
        None => Err(ReceiveError::UnknownValue {
            field: field.to_owned(),
            value,
            expected: ACTIONS
                .iter()
                .map(|(name, _)| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}
