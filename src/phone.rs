//! Phone numbers in E.164, parsed with libphonenumber's metadata.
//!
//! We judge *possibility* (a country code and a length some plan of that country
//! uses), not validity: testers use fictional numbers such as +1 555 0100 that
//! libphonenumber calls invalid, and those must be captured. Validity is kept as a
//! hint for the UI.

use std::fmt;

use phonenumber::metadata::DATABASE;
use serde::Serialize;

/// A phone number that some country's plan could dial, in E.164 form (`+18085555555`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PhoneNumber(String);

/// Why a string is not a phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("is empty")]
    Empty,
    #[error("'{0}' is not a phone number")]
    Unparseable(String),
    #[error("'{0}' has no known country calling code")]
    UnknownCountry(String),
    #[error("'{0}' has a length no number with that country code has")]
    ImpossibleLength(String),
}

impl PhoneNumber {
    /// Parses what an Auth0 Action, Hook or provider SDK sends as a recipient.
    ///
    /// Auth0 and Vonage write international numbers without `+` (`1-808-555-5555`,
    /// `447700900000`), so a number without one is read as international.
    pub fn parse(input: &str) -> Result<PhoneNumber, PhoneError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        let international = if let Some(rest) = trimmed.strip_prefix("00") {
            format!("+{rest}")
        } else if trimmed.starts_with('+') {
            trimmed.to_owned()
        } else {
            format!("+{trimmed}")
        };
        let parsed = phonenumber::parse(None, &international)
            .map_err(|_| PhoneError::Unparseable(trimmed.to_owned()))?;
        if parsed.extension().is_some() {
            return Err(PhoneError::Unparseable(trimmed.to_owned()));
        }
        let code = parsed.code().value();
        let national = parsed.national().to_string();
        let plans = DATABASE
            .by_code(&code)
            .ok_or_else(|| PhoneError::UnknownCountry(trimmed.to_owned()))?;
        let len = national.len() as u16;
        let possible = plans.iter().any(|meta| {
            let d = meta.descriptors();
            [
                d.fixed_line(),
                d.mobile(),
                d.toll_free(),
                d.premium_rate(),
                d.shared_cost(),
                d.personal_number(),
                d.voip(),
                d.pager(),
                d.uan(),
                d.voicemail(),
            ]
            .into_iter()
            .flatten()
            .any(|desc| {
                desc.possible_length().contains(&len) || desc.possible_local_length().contains(&len)
            })
        });
        if !possible {
            return Err(PhoneError::ImpossibleLength(trimmed.to_owned()));
        }
        Ok(PhoneNumber(format!("+{code}{national}")))
    }

    /// Wraps an E.164 string this crate parsed earlier (read back from the store).
    pub(crate) fn from_stored(e164: String) -> PhoneNumber {
        PhoneNumber(e164)
    }

    /// The E.164 text, with its `+`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether libphonenumber considers the number assigned (a hint, never a gate).
    pub fn is_valid(&self) -> bool {
        phonenumber::parse(None, &self.0)
            .map(|n| phonenumber::is_valid(&n))
            .unwrap_or(false)
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(input: &str) -> String {
        PhoneNumber::parse(input)
            .unwrap_or_else(|e| panic!("{input}: {e}"))
            .to_string()
    }

    #[test]
    fn auth0_hook_example_number_becomes_e164() {
        assert_eq!(e164("1-808-555-5555"), "+18085555555");
    }

    #[test]
    fn e164_with_spaces_and_punctuation_is_normalised() {
        assert_eq!(e164("+1 (202) 555-0100"), "+12025550100");
        assert_eq!(e164("+44 7700 900000"), "+447700900000");
        assert_eq!(e164("447700900000"), "+447700900000");
        assert_eq!(e164("0033 6 12 34 56 78"), "+33612345678");
    }

    #[test]
    fn fictional_numbers_are_possible_though_invalid() {
        assert_eq!(e164("+1 555 0100"), "+15550100");
        let fictional = PhoneNumber::parse("+1 555 555 0100").expect("possible");
        assert_eq!(fictional.as_str(), "+15555550100");
        assert!(!fictional.is_valid());
        assert!(PhoneNumber::parse("+12025550123").expect("ok").is_valid());
    }

    #[test]
    fn strings_that_cannot_be_numbers_are_refused() {
        assert_eq!(PhoneNumber::parse("  "), Err(PhoneError::Empty));
        assert!(matches!(
            PhoneNumber::parse("not a phone"),
            Err(PhoneError::Unparseable(_))
        ));
        assert!(PhoneNumber::parse("+1 23").is_err());
        assert!(PhoneNumber::parse("+1 202 555 0100 1234 5678").is_err());
        assert!(PhoneNumber::parse("+999 1234567").is_err());
    }
}
