//! Finding the one-time code in a message text, for senders that do not pass it.
//!
//! Auth0's own payloads carry `code`; provider APIs (Twilio, SNS, Vonage) carry only the
//! text. Voice templates read codes digit by digit (`1. 2. 3. 4. 5. 6`), so a run of
//! single digits joined by short separators counts as one code too.

const MIN_DIGITS: usize = 4;

const MAX_DIGITS: usize = 10;

/// The first plausible code in `text`: a standalone run of 4–10 digits, else 4–10
/// single digits spelled out one by one.
pub fn extract(text: &str) -> Option<String> {
    contiguous(text).or_else(|| spelled_out(text))
}

fn contiguous(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let glued_before = start > 0 && chars[start - 1].is_alphanumeric();
        let glued_after = i < chars.len() && chars[i].is_alphanumeric();
        let len = i - start;
        if (MIN_DIGITS..=MAX_DIGITS).contains(&len) && !glued_before && !glued_after {
            return Some(chars[start..i].iter().collect());
        }
    }
    None
}

fn spelled_out(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut digits = String::new();
    let mut gap = 0;
    for (i, &c) in chars.iter().enumerate() {
        let lone_digit = c.is_ascii_digit()
            && !chars.get(i + 1).is_some_and(|n| n.is_alphanumeric())
            && !(i > 0 && chars[i - 1].is_alphanumeric());
        if lone_digit && (digits.is_empty() || gap <= 3) {
            digits.push(c);
            gap = 0;
        } else if !digits.is_empty() && !c.is_alphanumeric() && gap < 3 {
            gap += 1;
        } else {
            if (MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()) {
                return Some(digits);
            }
            digits.clear();
            gap = 0;
            if lone_digit {
                digits.push(c);
            }
        }
    }
    (MIN_DIGITS..=MAX_DIGITS)
        .contains(&digits.len())
        .then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::extract;

    #[test]
    fn finds_auth0_default_template_code() {
        let text = "123456 is your verification code for Acme. Please enter this code to verify your enrollment.";
        assert_eq!(extract(text).as_deref(), Some("123456"));
    }

    #[test]
    fn finds_code_after_words() {
        assert_eq!(
            extract("Here is your one time password: 999111").as_deref(),
            Some("999111")
        );
    }

    #[test]
    fn finds_voice_code_read_digit_by_digit() {
        assert_eq!(
            extract("Your code is 1. 2. 3. 4. 5. 6. Again.").as_deref(),
            Some("123456")
        );
        assert_eq!(extract("1.2.3.4.5.6").as_deref(), Some("123456"));
    }

    #[test]
    fn ignores_digits_glued_to_letters_and_short_numbers() {
        assert_eq!(extract("Order A12345 shipped in 3 days"), None);
        assert_eq!(extract("Call 911"), None);
        assert_eq!(extract("no digits here"), None);
    }
}
