//! How a phone network would carry a text: GSM-7 or UCS-2, and how many segments.
//!
//! Rules from 3GPP TS 23.038 (payloads.md §10). This counts; it does not encode.

crate::message::text_enum! {
    /// The alphabet a text would be sent in.
    pub enum Encoding {
        /// GSM 03.38 default alphabet (7-bit septets).
        Gsm7 = "gsm7",
        /// UTF-16 code units, used as soon as one character is outside GSM-7.
        Ucs2 = "ucs2",
    }
}

/// The encoding and segment count of one text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsLayout {
    pub encoding: Encoding,
    pub segments: u32,
}

/// The basic table, in septet order 0x00..0x7F. 0x1B (ESC) is not printable and is
/// written as NUL so that no character maps to it.
const BASIC: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\0', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// The extension table: each costs ESC + itself, two septets.
const EXTENSION: [char; 10] = ['\u{0C}', '^', '{', '}', '\\', '[', '~', ']', '|', '€'];

const GSM7_SINGLE: usize = 160;
const GSM7_PART: usize = 153;
const UCS2_SINGLE: usize = 70;
const UCS2_PART: usize = 67;

/// Septets a character costs in GSM-7, or `None` if GSM-7 cannot carry it.
fn gsm7_septets(c: char) -> Option<usize> {
    if c != '\0' && BASIC.contains(&c) {
        Some(1)
    } else if EXTENSION.contains(&c) {
        Some(2)
    } else {
        None
    }
}

/// Decides the encoding and counts the segments of `text`.
///
/// A multi-part message never splits an ESC pair or a surrogate pair, so a part
/// is closed early when the next unit would not fit whole.
pub fn layout(text: &str) -> SmsLayout {
    let septets: Option<Vec<usize>> = text.chars().map(gsm7_septets).collect();
    match septets {
        Some(costs) => SmsLayout {
            encoding: Encoding::Gsm7,
            segments: count_segments(&costs, GSM7_SINGLE, GSM7_PART),
        },
        None => {
            let costs: Vec<usize> = text.chars().map(char::len_utf16).collect();
            SmsLayout {
                encoding: Encoding::Ucs2,
                segments: count_segments(&costs, UCS2_SINGLE, UCS2_PART),
            }
        }
    }
}

/// Packs indivisible units of the given costs into parts.
fn count_segments(costs: &[usize], single: usize, part: usize) -> u32 {
    let total: usize = costs.iter().sum();
    if total <= single {
        return 1;
    }
    let mut segments = 1;
    let mut used = 0;
    for &cost in costs {
        if used + cost > part {
            segments += 1;
            used = 0;
        }
        used += cost;
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, encoding: Encoding, segments: u32) {
        assert_eq!(layout(text), SmsLayout { encoding, segments }, "{text:?}");
    }

    #[test]
    fn empty_text_is_one_gsm7_segment() {
        check("", Encoding::Gsm7, 1);
    }

    #[test]
    fn gsm7_boundaries() {
        check(&"a".repeat(160), Encoding::Gsm7, 1);
        check(&"a".repeat(161), Encoding::Gsm7, 2);
        check(&"a".repeat(306), Encoding::Gsm7, 2);
        check(&"a".repeat(307), Encoding::Gsm7, 3);
    }

    #[test]
    fn extension_characters_cost_two_septets() {
        check(&"€".repeat(80), Encoding::Gsm7, 1);
        check(&"€".repeat(81), Encoding::Gsm7, 2);
        // 152 plain septets then a two-septet pair: the pair moves whole to part two.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(10));
        check(&text, Encoding::Gsm7, 2);
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        check(&text, Encoding::Gsm7, 3);
    }

    #[test]
    fn ucs2_boundaries() {
        check(&"é".repeat(10), Encoding::Gsm7, 1); // é is in the basic table
        check(&"ç".repeat(70), Encoding::Ucs2, 1); // lowercase ç is not
        check(&"ç".repeat(71), Encoding::Ucs2, 2);
        check(&"ç".repeat(134), Encoding::Ucs2, 2);
        check(&"ç".repeat(135), Encoding::Ucs2, 3);
    }

    #[test]
    fn emoji_takes_two_code_units_and_is_never_split() {
        check("Your code 123456 😀", Encoding::Ucs2, 1);
        check(&"😀".repeat(35), Encoding::Ucs2, 1);
        check(&"😀".repeat(36), Encoding::Ucs2, 2);
        // 66 units then an emoji: the pair cannot straddle the 67-unit boundary.
        let text = format!("{}😀{}", "ç".repeat(66), "ç".repeat(10));
        check(&text, Encoding::Ucs2, 2);
        let text = format!("{}😀{}", "ç".repeat(66), "ç".repeat(66));
        check(&text, Encoding::Ucs2, 3);
    }

    #[test]
    fn backtick_and_curly_quotes_force_ucs2() {
        check("`", Encoding::Ucs2, 1);
        check("\u{2019}", Encoding::Ucs2, 1);
    }

    #[test]
    fn escape_septet_itself_is_not_gsm7() {
        check("\u{1B}", Encoding::Ucs2, 1);
    }
}
