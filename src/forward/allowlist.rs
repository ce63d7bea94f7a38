//! Which destinations a forward may go to: E.164 numbers, or prefixes written with
//! a final `*`. Empty means forwarding is refused until the user sets one. The
//! check is on the final destination after it is parsed to E.164, so spacing,
//! `00` or a missing `+` cannot slip a number past it.

use crate::message::phone::PhoneNumber;

/// The most entries kept: a list of the user's own phones, not a phone book.
pub const MAX_ENTRIES: usize = 100;

/// A checked allowlist.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist(Vec<String>);

impl Allowlist {
    /// Checks and normalises each entry; the error names the one at fault.
    pub fn parse(entries: &[String]) -> Result<Allowlist, String> {
        if entries.len() > MAX_ENTRIES {
            return Err(format!("at most {MAX_ENTRIES} entries"));
        }
        let mut out = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let entry = entry.trim();
            let normal = entry_of(entry).map_err(|why| format!("entry {i} ('{entry}'): {why}"))?;
            if !out.contains(&normal) {
                out.push(normal);
            }
        }
        Ok(Allowlist(out))
    }

    /// Reads back a list this module wrote.
    pub fn from_stored(entries: Vec<String>) -> Allowlist {
        Allowlist::parse(&entries).unwrap_or_default()
    }

    pub fn entries(&self) -> &[String] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `to` may be sent to.
    pub fn allows(&self, to: &PhoneNumber) -> bool {
        let to = to.as_str();
        self.0.iter().any(|entry| match entry.strip_suffix('*') {
            Some(prefix) => to.starts_with(prefix),
            None => to == entry,
        })
    }

    /// Why `to` is refused, said so the user knows where to fix it.
    pub fn refusal(&self, to: &PhoneNumber) -> String {
        if self.is_empty() {
            format!(
                "{to} is not on the forwarding allowlist, which is empty: forwarding is off \
                 until you add your numbers (Settings → Forwarding, or PUT \
                 /emulator/v1/forwarding/allowlist)",
                to = to.as_str()
            )
        } else {
            format!(
                "{to} is not on the forwarding allowlist ({}); nothing was sent",
                self.0.join(", "),
                to = to.as_str()
            )
        }
    }
}

/// One entry in its stored form: a full number in E.164, or `+digits*`.
pub fn entry_of(entry: &str) -> Result<String, String> {
    if let Some(prefix) = entry.strip_suffix('*') {
        // Written as numbers are: spaces and dashes ignored, `00` for `+`.
        let prefix: String = prefix
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
            .collect();
        let digits = prefix
            .strip_prefix('+')
            .or_else(|| prefix.strip_prefix("00"))
            .unwrap_or(&prefix);
        if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("a prefix is '+' and 1 to 15 digits, then '*'".into());
        }
        return Ok(format!("+{digits}*"));
    }
    PhoneNumber::parse(entry)
        .map(|n| n.as_str().to_owned())
        .map_err(|e| format!("{e}; a prefix ends in '*'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(s: &str) -> PhoneNumber {
        PhoneNumber::parse(s).expect("number")
    }

    #[test]
    fn entries_are_numbers_or_prefixes() {
        let list = Allowlist::parse(&[
            "+44 7700 900123".into(),
            "+1555*".into(),
            "1555*".into(),
            "0033 6*".into(),
        ])
        .expect("parses");
        assert_eq!(list.entries(), ["+447700900123", "+1555*", "+336*"]);
        assert!(list.allows(&number("+447700900123")));
        assert!(list.allows(&number("00447700900123")));
        assert!(list.allows(&number("+15558675309")));
        assert!(!list.allows(&number("+447700900124")));
        assert!(!list.allows(&number("+14155550100")));
    }

    #[test]
    fn bad_entries_are_named() {
        for bad in [
            "*",
            "+*",
            "+12a*",
            "+1?*",
            "hello",
            "+1555[0-9]*",
            "+1234567890123456*",
        ] {
            let err = Allowlist::parse(&["+15551234567".into(), bad.into()]).expect_err(bad);
            assert!(err.starts_with("entry 1"), "{bad}: {err}");
        }
    }

    #[test]
    fn an_empty_list_allows_nothing() {
        let list = Allowlist::default();
        assert!(!list.allows(&number("+15558675309")));
        assert!(list.refusal(&number("+15558675309")).contains("empty"));
    }
}
