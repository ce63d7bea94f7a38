//! Phone numbers in E.164, parsed with libphonenumber's metadata.
//!
//! We judge *possibility* (a country code and a length some plan of that country
//! uses), not validity: testers use fictional numbers such as +1 555 0100 that
//! libphonenumber calls invalid, and those must be captured. Validity is kept as a
//! hint for the UI.

use std::fmt;

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use phonenumber::metadata::{Metadata, DATABASE};
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
        if let Some(number) = canonical(&international) {
            return Ok(number);
        }
        let parsed = phonenumber::parse(None, &international)
            .map_err(|_| PhoneError::Unparseable(trimmed.to_owned()))?;
        if parsed.extension().is_some() {
            return Err(PhoneError::Unparseable(trimmed.to_owned()));
        }
        let code = parsed.code().value();
        let national = parsed.national().to_string();
        let lengths = LENGTHS
            .get(&code)
            .ok_or_else(|| PhoneError::UnknownCountry(trimmed.to_owned()))?;
        if !lengths.contains(&(national.len() as u16)) {
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

    /// The number grouped as its country writes it internationally
    /// (`+44 7700 900123`, `+33 6 12 34 56 78`); the E.164 text where
    /// libphonenumber has no format for it.
    pub fn international(&self) -> String {
        // Formatting parses the number again (tens of microseconds); a test suite
        // uses few numbers, so each is formatted once.
        static SHOWN: LazyLock<std::sync::Mutex<HashMap<String, String>>> =
            LazyLock::new(Default::default);
        const KEPT: usize = 10_000;
        let lock = || SHOWN.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(text) = lock().get(&self.0) {
            return text.clone();
        }
        // Parsed outside the lock: callers on other threads never wait for it.
        let text = match phonenumber::parse(None, &self.0) {
            Ok(n) => n
                .format()
                .mode(phonenumber::Mode::International)
                .to_string(),
            Err(_) => self.0.clone(),
        };
        let mut shown = lock();
        if shown.len() >= KEPT {
            shown.clear();
        }
        shown.insert(self.0.clone(), text.clone());
        text
    }

    /// Whether libphonenumber considers the number assigned (a hint, never a gate).
    pub fn is_valid(&self) -> bool {
        phonenumber::parse(None, &self.0)
            .map(|n| phonenumber::is_valid(&n))
            .unwrap_or(false)
    }
}

/// Every national number length some plan of each country calling code uses,
/// including lengths dialled only locally.
static LENGTHS: LazyLock<HashMap<u16, HashSet<u16>>> = LazyLock::new(|| {
    let mut lengths: HashMap<u16, HashSet<u16>> = HashMap::new();
    for meta in DATABASE.iter() {
        lengths
            .entry(meta.country_code())
            .or_default()
            .extend(plan_lengths(meta));
    }
    lengths
});

fn plan_lengths(meta: &Metadata) -> Vec<u16> {
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
    .flat_map(|desc| {
        desc.possible_length()
            .iter()
            .chain(desc.possible_local_length())
            .copied()
    })
    .collect()
}

/// The common case, `+` and digits only, without the full parser: calling codes are
/// prefix-free, so the first 1–3 digits that name one are it. `None` sends the input
/// to libphonenumber's parser (punctuation, national prefixes, odd lengths).
fn canonical(international: &str) -> Option<PhoneNumber> {
    let digits = international.strip_prefix('+')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    (1..=3.min(digits.len())).find_map(|split| {
        let code: u16 = digits[..split].parse().ok()?;
        let lengths = LENGTHS.get(&code)?;
        let national = &digits[split..];
        lengths
            .contains(&(national.len() as u16))
            .then(|| PhoneNumber(format!("+{digits}")))
    })
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

    #[test]
    fn fast_path_agrees_with_the_full_parser_on_every_example_number() {
        let mut checked = 0;
        for meta in DATABASE.iter() {
            let d = meta.descriptors();
            for desc in [d.fixed_line(), d.mobile(), d.toll_free(), d.voip()]
                .into_iter()
                .flatten()
            {
                let Some(example) = desc.example() else {
                    continue;
                };
                let e164 = format!("+{}{}", meta.country_code(), example);
                let Some(fast) = canonical(&e164) else {
                    continue;
                };
                let full = phonenumber::parse(None, &e164).expect("example parses");
                // This parser strips national prefixes even after a calling code
                // (+7 800... becomes +7 00...); only its valid answers are a reference.
                if !phonenumber::is_valid(&full) {
                    continue;
                }
                assert_eq!(
                    fast.as_str(),
                    format!("+{}{}", full.code().value(), full.national()),
                    "{} {e164}",
                    meta.id()
                );
                checked += 1;
            }
        }
        assert!(checked > 500, "only {checked} examples checked");
    }

    #[test]
    fn numbers_are_grouped_as_their_country_writes_them() {
        let shown = |n: &str| PhoneNumber::parse(n).expect("number").international();
        assert_eq!(shown("+447700900123"), "+44 7700 900123");
        assert_eq!(shown("+33612345678"), "+33 6 12 34 56 78");
        assert_eq!(shown("+15555550100"), "+1 555-555-0100");
    }
}
